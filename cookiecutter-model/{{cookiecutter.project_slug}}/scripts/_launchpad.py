"""The one way this project's scripts hand their command line to launchpad's CLI."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

NO_LAUNCHPAD = 3  # launchpad's exit code for a missing tool (launchpad.errors.ToolchainError)


def parser(doc: str | None, script: str, usage: str) -> argparse.ArgumentParser:
    """The command line of ``python scripts/<script>``: its usage line, and its module docstring as help
    (the first paragraph as the description, the rest after the options)."""
    summary, _, details = (doc or "").partition("\n\n")
    return argparse.ArgumentParser(
        prog=f"python scripts/{script}",
        usage=f"%(prog)s [-h] {usage}",
        description=summary,
        epilog=details,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )


def run(arguments: list[str]) -> NoReturn:
    """``launchpad <arguments>`` in this process; one line and exit 3 when launchpad is not installed here.
    launchpad's own parser answers an option it does not take with its usage line and exit 2."""
    try:
        from launchpad.cli import main
    except ImportError as exc:
        where = f"{sys.executable} ({exc})"
        print(f"error: launchpad is not installed in {where}; run make setup", file=sys.stderr)
        sys.exit(NO_LAUNCHPAD)
    main.main(arguments, prog_name="launchpad")
    sys.exit(0)  # click's main exits itself; this line is for the type checker
