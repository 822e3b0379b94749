"""`launchpad new`: bake a model project from the ``cookiecutter-model/`` template (``paths.template_dir``).

The answers come from the prompts, or with ``no_input`` from the template's defaults overridden by
``settings``. Keys and choices are checked here, before cookiecutter runs, so a typo gets a message that
lists what is allowed; the template's own pre-generation hook then checks the values (and prints one line per
bad answer). A refused bake leaves no directory behind: cookiecutter removes it when the hook fails.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from launchpad import __version__
from launchpad.errors import ScaffoldError
from launchpad.paths import template_dir  # re-exported: tests import it from here

log = logging.getLogger(__name__)
JINJA_MARKS = ("{{", "{%", "{#")
# The template's derived values a platform team sets for its organisation (the others follow from answers),
# each with the shape it must have.
PLATFORM_VALUES = {
    "__platform_prefix": (re.compile(r"^[a-z][a-z0-9-]{1,30}$"), "the platform's name, no stage"),
    "__dev_account": (re.compile(r"^\d{12}$"), "a 12-digit AWS account id"),
    "__prod_account": (re.compile(r"^\d{12}$"), "a 12-digit AWS account id"),
}


def questions(template: Path | None = None) -> dict[str, Any]:
    """The template's prompts and defaults (cookiecutter.json without its private ``_``/``__`` keys)."""
    context = json.loads(((template or template_dir()) / "cookiecutter.json").read_text())
    return {key: value for key, value in context.items() if not key.startswith("_")}


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    """``["key=value", ...]`` to a dict; a pair without ``=`` is an error that says how to write it."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScaffoldError(f"--set {pair!r}: write KEY=VALUE, e.g. --set framework=xgboost")
        settings[key.strip()] = value
    return settings


def check_settings(settings: Mapping[str, str], template: Path | None = None) -> None:
    """Every key is a question of the template (or a platform value of ``PLATFORM_VALUES``, in its shape),
    every choice answer is one of its choices, and no answer holds Jinja, which cookiecutter would render
    before any check saw it."""
    known = questions(template)
    problems = []
    for key, value in settings.items():
        if key in PLATFORM_VALUES:
            shape, what = PLATFORM_VALUES[key]
            if not shape.match(value):
                problems.append(f"{key}: {value!r} is not {what}")
        elif key not in known:
            problems.append(
                f"{key}: not a question of the template; the questions are {', '.join(known)} "
                f"(and the platform values {', '.join(PLATFORM_VALUES)})"
            )
        elif isinstance(known[key], list) and value not in known[key]:
            problems.append(f"{key}: {value!r} is not a choice; answer one of {', '.join(known[key])}")
        elif any(mark in value for mark in JINJA_MARKS):
            problems.append(f"{key}: {value!r} holds template syntax ({{{{, {{% or {{#); write a plain value")
    if problems:
        raise ScaffoldError(
            f"cannot bake this project: {len(problems)} answer(s) to change\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )


def bake(
    output_dir: Path,
    settings: Mapping[str, str] | None = None,
    *,
    no_input: bool = True,
    template: Path | None = None,
    replay_dir: Path | None = None,
) -> Path:
    """Bake a project into ``output_dir`` and return its folder; ``ScaffoldError`` if an answer is refused.

    ``launchpad_version`` defaults to this launchpad's version, so the project pins the platform that made it.
    Cookiecutter keeps the answers for ``--replay`` in the user's ``~/.cookiecutter_replay`` (or their
    cookiecutter config's); ``replay_dir`` keeps them there instead (the demo and tests, which leave the home
    folder alone).
    """
    from cookiecutter.exceptions import CookiecutterException, FailedHookException, OutputDirExistsException
    from cookiecutter.main import cookiecutter

    template = template or template_dir()
    answers = {"launchpad_version": __version__, **(settings or {})}
    check_settings(answers, template)
    output_dir.mkdir(parents=True, exist_ok=True)
    # cookiecutter logs a refused hook as a traceback; the hook's own lines and ours say it better.
    cookiecutter_log = logging.getLogger("cookiecutter")
    level = cookiecutter_log.level
    cookiecutter_log.setLevel(logging.CRITICAL)
    config = cookiecutter_config(replay_dir) if replay_dir is not None else None
    try:
        baked = cookiecutter(
            str(template),
            no_input=no_input,
            extra_context=answers,
            output_dir=str(output_dir),
            config_file=config,
        )
    except FailedHookException as exc:
        # The hook printed its one line per bad answer on stderr; cookiecutter removed the directory.
        raise ScaffoldError("the template's pre-generation hook refused the answers listed above") from exc
    except OutputDirExistsException as exc:
        raise ScaffoldError(f"{exc}; choose another --output-dir or project_slug") from exc
    except CookiecutterException as exc:
        raise ScaffoldError(f"cookiecutter could not bake the template: {exc}") from exc
    finally:
        cookiecutter_log.setLevel(level)
    log.debug("baked %s", baked)
    return Path(baked)


# The template's answers that pin a wheel by hash are named <distribution>_wheel_sha256 (its wheel file name's
# distribution part): the pre-generation hook reads them the same way.
WHEEL_HASH_SUFFIX = "_wheel_sha256"


def release_sums_answer(sums: Path, settings: Mapping[str, str]) -> dict[str, str]:
    """The template's wheel hashes (its ``<distribution>_wheel_sha256`` questions) read from a release's
    ``SHA256SUMS``: the lines of the wheels of the version the answers pin (by default this launchpad's).
    ``ScaffoldError`` when the file lacks a line, or the answers already give another hash."""
    from launchpad.release.artifacts import read_sums

    version = settings.get("launchpad_version", __version__)
    try:
        listed = read_sums(sums)
    except (OSError, ValueError) as exc:
        raise ScaffoldError(f"--release-sums {sums}: cannot read it as a SHA256SUMS file: {exc}") from exc
    answers = {}
    for answer in (key for key in questions() if key.endswith(WHEEL_HASH_SUFFIX)):
        wheel = f"{answer.removesuffix(WHEEL_HASH_SUFFIX)}-{version}-py3-none-any.whl"
        if wheel not in listed:
            raise ScaffoldError(
                f"--release-sums {sums} has no line for {wheel} (it lists "
                f"{', '.join(sorted(listed)) or 'nothing'}); give launchpad {version}'s SHA256SUMS"
            )
        given = settings.get(answer)
        if given is not None and given != listed[wheel]:
            raise ScaffoldError(
                f"{answer} {given!r} is not the hash {sums} lists for {wheel}; give one of them"
            )
        answers[answer] = listed[wheel]
    return answers


def cookiecutter_config(replay_dir: Path) -> str:
    """A cookiecutter config file that keeps its replay and clone folders under ``replay_dir``; its path."""
    replay_dir.mkdir(parents=True, exist_ok=True)
    config = replay_dir / "cookiecutter.yaml"
    settings = {"replay_dir": str(replay_dir), "cookiecutters_dir": str(replay_dir / "cookiecutters")}
    config.write_text(json.dumps(settings))  # JSON is YAML
    return str(config)
