"""What `launchpad deploy`, `rollback`, `status` and `traffic` share at the command line: parameter types that
check free text before any AWS call, and the one JSON document ``--json`` promises on every exit code.

Parameter types. A value the command line takes is checked whole and quoted back bounded and escaped
(``launchpad.quoting.shown``): names as SageMaker's API model says them (``names``), regions, and numbers as
people write them. ``click.FloatRange`` takes whatever ``float()`` takes: ``nan`` passes every range check
(a ``--max-error-rate-increase nan`` would promote any challenger), ``inf`` too, and ``1_000`` or another
script's digits are numbers to it. A bad value is a usage error (exit 2) naming the option, and nothing ran.

JSON. With ``--json`` stdout carries exactly one JSON object whatever happens, and the human message goes to
stderr: the command's own document when it ran, else ``error_document``: ``outcome`` ``"error"``, ``error``
(what kind: ``usage``, ``config``, ``preflight``, ``deploy``, ``traffic``, ``endpoint_gone``...),
``exit_code``, ``message``, ``problems`` (every problem, for the errors that list them) and ``created``
(what a deploy made before AWS refused it). ``JsonCommand`` covers the usage errors click finds while
parsing; ``json_errors`` the errors the command raises.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from launchpad.deploy import names
from launchpad.errors import LaunchpadError
from launchpad.quoting import shown

# A number as people write it: digits, at most one decimal point (no sign, exponent, "nan" or "1_000").
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_MAX_NUMBER_TEXT = 20


class Number(click.ParamType[float]):
    """A finite decimal number from ``low`` to ``high`` (either may be None); ``integer``: whole only."""

    def __init__(self, low: float | None = None, high: float | None = None, integer: bool = False) -> None:
        self.low, self.high, self.integer = low, high, integer
        self.name = "INTEGER" if integer else "FLOAT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = value if isinstance(value, int | float) else self._parse(str(value), param, ctx)
        if not math.isfinite(number):
            self.fail(f"{shown(value)} is not a finite number; write {self._range()}", param, ctx)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            self.fail(f"{shown(value)} is out of range; write {self._range()}", param, ctx)
        return number

    def _parse(self, text: str, param: click.Parameter | None, ctx: click.Context | None) -> float:
        pattern = _DIGITS if self.integer else _DECIMAL
        if len(text) > _MAX_NUMBER_TEXT or not pattern.fullmatch(text):
            kind = "a whole number" if self.integer else "a number"
            how = "digits only" if self.integer else "digits with at most one decimal point"
            self.fail(f"{shown(text)} is not {kind}; write {how} ({self._range()})", param, ctx)
        return int(text) if self.integer else float(text)

    def _range(self) -> str:
        low = "" if self.low is None else f"{self.low:g}"
        high = "" if self.high is None else f"{self.high:g}"
        if low and high:
            return f"{low} to {high}"
        return f"{low} or more" if low else f"at most {high}" if high else "any size"


class Checked(click.ParamType[str]):
    """Text that ``problem(value)`` (None: fine) accepts, e.g. a SageMaker name or a region."""

    def __init__(self, name: str, problem: Callable[[str], str | None]) -> None:
        self.name = name
        self.problem = problem

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        problem = self.problem(text)
        if problem is not None:
            self.fail(problem, param, ctx)
        return text


ENDPOINT_NAME = Checked("ENDPOINT", names.endpoint_problem)
ENDPOINT_CONFIG_NAME = Checked("NAME", names.endpoint_config_problem)
REGION = Checked("REGION", names.region_problem)


# -- --json on every exit code -------------------------------------------------------------------------------
def _kind(error: BaseException) -> str:
    """``PreflightError``: ``preflight``, ``EndpointGoneError``: ``endpoint_gone``; click's: ``usage``."""
    if isinstance(error, click.UsageError):
        return "usage"
    name = type(error).__name__.removesuffix("Error") or "launchpad"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_document(error: LaunchpadError | click.ClickException) -> dict[str, Any]:
    """The ``--json`` document of a command that ended in ``error`` instead of its own document."""
    message = error.format_message() if isinstance(error, click.ClickException) else str(error)
    document: dict[str, Any] = {
        "outcome": "error",
        "error": _kind(error),
        "exit_code": error.exit_code,
        "message": message,
        "problems": list(getattr(error, "problems", ()) or ()),
    }
    created = getattr(error, "created", None)
    if created is not None:
        document["created"] = created.as_dict()
    return document


def echo_json(document: dict[str, Any]) -> None:
    click.echo(json.dumps(document, indent=2, sort_keys=True))


@contextlib.contextmanager
def json_errors(as_json: bool) -> Iterator[None]:
    """With ``as_json``, an error the block raises also prints its ``error_document`` on stdout (the message
    still goes to stderr, and the exit code is the error's)."""
    try:
        yield
    except (LaunchpadError, click.ClickException) as error:
        if as_json:
            echo_json(error_document(error))
        raise


class JsonCommand(click.Command):
    """A command with ``--json``: a usage error click finds while parsing (a bad option value, a missing
    option) prints its ``error_document`` too when ``--json`` was given."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        wants_json = _asks_json(args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as error:
            if wants_json:
                echo_json(error_document(error))
            raise


def _asks_json(args: Sequence[str]) -> bool:
    return "--json" in args[: args.index("--")] if "--" in args else "--json" in args
