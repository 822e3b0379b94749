"""Deploy this model to a stage with launchpad: ``python scripts/deploy.py STAGE [launchpad deploy options]``.

STAGE is dev, staging or prod; ``production``, which the pipeline's Deploy-production step passes, means prod.
The stage config is deploy/config/<stage>.yaml. dev and staging upload build/model.tar.gz first (``make
package`` writes it) and register it as a new model version; prod deploys the registry's latest Approved
version. Everything else is launchpad's: ``launchpad deploy --help`` lists the options and the exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from launchpad.cli import main as launchpad

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = {"dev": "dev", "staging": "staging", "prod": "prod", "production": "prod"}
UPLOADING = ("dev", "staging")  # prod ships what the registry approved


def arguments(stage: str, options: Sequence[str]) -> list[str]:
    """The ``launchpad deploy`` command line for ``stage``."""
    if stage not in CONFIGS:
        raise SystemExit(f"error: unknown stage {stage!r}; write dev, staging or prod (or production)")
    name = CONFIGS[stage]
    command = ["deploy", "--config", str(PROJECT / "deploy" / "config" / f"{name}.yaml")]
    if name in UPLOADING:
        command += ["--artifact", str(PROJECT / "build" / "model.tar.gz")]
    return [*command, *options]


def main(argv: Sequence[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    launchpad.main(arguments(argv[0], argv[1:]), prog_name="launchpad")


if __name__ == "__main__":
    main(sys.argv[1:])
