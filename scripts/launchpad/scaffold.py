"""`launchpad new`: bake a model project from the ``cookiecutter-model/`` template (``paths.template_dir``).

The answers come from the prompts, or with ``no_input`` from the template's defaults overridden by
``settings``. Every check runs before anything is written: the keys and choices here (a typo gets a message
that lists what is allowed, and no answer may hold Jinja, which cookiecutter would render), the output folder,
then, once every answer is known, the rules of the template's own pre-generation hook, run in this process on
the answers (``hook_rules``: the hook holds each rule once; plain ``cookiecutter`` runs it as a script). Only
then does cookiecutter run, with every answer given and nothing left to prompt. So a refused bake leaves
nothing behind: no project folder, no output folder, no replay file.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, cast

from launchpad import __version__
from launchpad.errors import ScaffoldError
from launchpad.paths import template_dir, unwritable_folder  # template_dir: tests import it from here
from launchpad.quoting import shown

log = logging.getLogger(__name__)
JINJA_MARKS = ("{{", "{%", "{#")
HOOK = Path("hooks", "pre_gen_project.py")


class HookRules(Protocol):
    """What launchpad uses of the template's pre-generation hook (hooks/pre_gen_project.py)."""

    ANSWERS: dict[str, str]
    PLATFORM_VALUES: Mapping[str, Any]

    def problems(self, answers: Mapping[str, str], platform: Any) -> list[str]: ...
    def platform(self, repo_dir: Path) -> Any: ...
    def refusal(self, found: Sequence[str]) -> str: ...
    def fingerprint(self, answers: Mapping[str, str]) -> str: ...

    CHECKED_ENV: str


def hook_rules(template: Path | None = None) -> HookRules:
    """The template's pre-generation hook as a module: rendered as cookiecutter renders it, with blank
    answers (launchpad passes the real ones to its ``problems``), and run without its ``main``."""
    return _load_hook(template or template_dir())


@functools.lru_cache(maxsize=4)
def _load_hook(template: Path) -> HookRules:
    from cookiecutter.utils import create_env_with_context

    path = template / HOOK
    blank = {key: "" for key in json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))}
    context = {"cookiecutter": {**blank, "_repo_dir": str(template)}}
    source = create_env_with_context(context).from_string(path.read_text(encoding="utf-8")).render(**context)
    module = ModuleType(f"{template.name}_pre_gen_project")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return cast(HookRules, module)


def hook_platform(template: Path) -> Any:
    """What the hook's rules read besides the answers: the instance allow-list (read at each call, as the
    policy settings may change) and the names the package must not take (the hook reads the template once)."""
    return hook_rules(template).platform(template)


def questions(template: Path | None = None) -> dict[str, Any]:
    """The template's prompts and defaults (cookiecutter.json without its private ``_``/``__`` keys)."""
    context = json.loads(((template or template_dir()) / "cookiecutter.json").read_text(encoding="utf-8"))
    return {key: value for key, value in context.items() if not key.startswith("_")}


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    """``["key=value", ...]`` to a dict; a pair without ``=``, or a key given twice with two values (which one
    would be meant?), is an error that says how to write it."""
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScaffoldError(f"--set {shown(pair)}: write KEY=VALUE, e.g. --set framework=xgboost")
        if settings.get(key, value) != value:
            raise ScaffoldError(
                f"--set {_named(key)} is given twice, {shown(settings[key])} and {shown(value)}; give it once"
            )
        settings[key] = value
    return settings


def _named(key: str) -> str:
    """A key as a message names it: as written when it is short and plain, else quoted and escaped."""
    quoted = shown(key)
    return key if quoted == f"'{key}'" else quoted


def check_settings(settings: Mapping[str, str], template: Path | None = None) -> None:
    """Every key is a question of the template (or a platform value of the hook's ``PLATFORM_VALUES``),
    every choice answer is one of its choices, and no answer holds Jinja, which cookiecutter would render
    before any check saw it. The values themselves are the hook's to judge, once every answer is known."""
    rules = hook_rules(template)
    known = questions(template)
    problems = []
    for key, value in settings.items():
        if key not in known and key not in rules.PLATFORM_VALUES:
            problems.append(
                f"{_named(key)}: not a question of the template; the questions are {', '.join(known)} "
                f"(and the platform values {', '.join(rules.PLATFORM_VALUES)})"
            )
        elif isinstance(known.get(key), list) and value not in known[key]:
            problems.append(f"{key}: {shown(value)} is not a choice; answer one of {', '.join(known[key])}")
        elif any(mark in value for mark in JINJA_MARKS):
            problems.append(
                f"{key}: {shown(value)} holds template syntax ({{{{, {{% or {{#); write a plain value"
            )
    if problems:
        raise ScaffoldError(rules.refusal(problems))


def output_dir_problem(output_dir: Path) -> str | None:
    """Why no project can be made in ``output_dir``, or None: it is a file, it lies under a file, or the
    folder it is in (or would be made in) is not writable. Checked before anything is made, so a refused
    bake leaves no half-made folder."""
    found = unwritable_folder(output_dir)
    if found is None:
        return None
    folder, problem = found
    given = output_dir.absolute()
    if problem == "not a folder":
        where = "is not a folder" if folder == given else f"is under {_path(folder)}, which is not a folder"
        return f"{_path(output_dir)} {where}; give a folder (or one to be made) for the project folder"
    where = "is" if folder == given else f"would be made in {_path(folder)}, which is"
    return f"{_path(output_dir)} {where} read-only; give a folder you can write to"


def _path(path: Path) -> str:
    return shown(str(path), 200)  # a path is worth more of its characters than an answer


def bake(
    output_dir: Path,
    settings: Mapping[str, str] | None = None,
    *,
    no_input: bool = True,
    template: Path | None = None,
    replay_dir: Path | None = None,
) -> Path:
    """Bake a project into ``output_dir`` and return its folder; ``ScaffoldError`` if an answer or the
    output folder is refused, and then nothing was made.

    ``launchpad_version`` defaults to this launchpad's version, so the project pins the platform that made it.
    Cookiecutter keeps the answers for ``--replay`` in the user's ``~/.cookiecutter_replay`` (or their
    cookiecutter config's); ``replay_dir`` keeps them there instead (the demo and tests, which leave the home
    folder alone).
    """
    template = template or template_dir()
    answers = checked_answers(output_dir, settings or {}, template, no_input=no_input, own=replay_dir is None)
    config = cookiecutter_config(replay_dir) if replay_dir is not None else None
    output_dir.mkdir(parents=True, exist_ok=True)
    rules = hook_rules(template)
    with _environment(rules.CHECKED_ENV, rules.fingerprint(answers)):  # the hook need not check them again
        baked = _cookiecutter(template, answers, output_dir, config)
    log.debug("baked %s", baked)
    return baked


def checked_answers(
    output_dir: Path, settings: Mapping[str, str], template: Path, *, no_input: bool, own: bool = True
) -> dict[str, str]:
    """Every answer of a bake into ``output_dir``, each checked (``ScaffoldError`` with one line per bad one)
    before anything is written: the keys, choices and Jinja of ``settings`` before they are rendered, the
    output folder, then (asked at the prompts unless ``no_input``) every answer by the hook's rules, and last
    that the project folder does not exist yet. ``own``: the user's cookiecutter config gives defaults."""
    given = {"launchpad_version": __version__, **settings}
    check_settings(given, template)
    problem = output_dir_problem(output_dir)
    if problem is not None:
        raise ScaffoldError(f"--output-dir {problem}")
    rules = hook_rules(template)
    answers = _answers(template, given, rules, no_input=no_input, own=own)
    found = rules.problems(answers, hook_platform(template))
    if found:
        raise ScaffoldError(rules.refusal(found))
    project = output_dir / answers["project_slug"]
    if os.path.lexists(project):
        raise ScaffoldError(
            f"{project} already exists (nothing was changed); choose another --output-dir or project_slug"
        )
    return answers


def _answers(
    template: Path, settings: Mapping[str, str], rules: HookRules, *, no_input: bool, own: bool
) -> dict[str, str]:
    """Every answer the hook checks: ``settings`` over the template's defaults (and, if ``own``, the user's
    cookiecutter config's), asked at the prompts unless ``no_input``, the derived defaults (the slug)
    rendered as cookiecutter renders them."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    defaults = _user_defaults() if own else {}
    try:
        context = generate_context(str(template / "cookiecutter.json"), defaults, dict(settings))
        answered = prompt_for_config(context, no_input)
    except UnicodeDecodeError as exc:
        raise ScaffoldError(
            f"an answer typed at the prompt is not UTF-8 ({exc.reason}); nothing was made: type it again as "
            "UTF-8 text, or give it with --set"
        ) from exc
    except EOFError as exc:
        raise ScaffoldError(
            "the input ended before every question was answered; nothing was made: answer each prompt, or "
            "give --no-input and --set KEY=VALUE"
        ) from exc
    except CookiecutterException as exc:
        raise ScaffoldError(f"cookiecutter could not read the template's questions: {exc}") from exc
    return {key: str(answered[key]) for key in rules.ANSWERS}


def _user_defaults() -> dict[str, Any]:
    """The answers the user's cookiecutter config gives (its ``default_context``), as cookiecutter reads it:
    the file COOKIECUTTER_CONFIG names, else ~/.cookiecutterrc if there is one. A file that cannot be read
    is a ScaffoldError naming it."""
    from cookiecutter.config import USER_CONFIG_PATH, get_user_config
    from cookiecutter.exceptions import CookiecutterException

    path = os.environ.get("COOKIECUTTER_CONFIG") or USER_CONFIG_PATH
    try:
        defaults = get_user_config()["default_context"]
    except (CookiecutterException, OSError, UnicodeDecodeError) as exc:
        raise ScaffoldError(
            f"cannot read your cookiecutter config {path}: {exc}; fix it, or point COOKIECUTTER_CONFIG at "
            "another file (nothing was made)"
        ) from exc
    if not isinstance(defaults, dict):
        raise ScaffoldError(
            f"your cookiecutter config {path} has a default_context that is not a mapping of question: "
            "answer; fix it (nothing was made)"
        )
    return defaults


def _cookiecutter(template: Path, answers: Mapping[str, str], output_dir: Path, config: str | None) -> Path:
    """Run cookiecutter with every answer given (nothing left to prompt); its project folder."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException, OutputDirExistsException
    from cookiecutter.main import cookiecutter

    try:
        with _quiet_cookiecutter(), hooks_rendered_privately():
            return Path(
                cookiecutter(
                    str(template),
                    no_input=True,
                    extra_context=dict(answers),
                    output_dir=str(output_dir),
                    config_file=config,
                )
            )
    except FailedHookException as exc:
        # The hook printed its one line per bad answer on stderr; cookiecutter removed the directory.
        raise ScaffoldError("the template's pre-generation hook refused the answers listed above") from exc
    except OutputDirExistsException as exc:
        raise ScaffoldError(f"{exc}; choose another --output-dir or project_slug") from exc
    except CookiecutterException as exc:
        raise ScaffoldError(f"cookiecutter could not bake the template: {exc}") from exc


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """``name=value`` in this process's environment (the hooks cookiecutter starts inherit it) for a block."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@contextlib.contextmanager
def hooks_rendered_privately() -> Iterator[None]:
    """cookiecutter (2.7.1 here) renders each hook into a file of the temporary directory, never deleted
    (``hooks.run_script_with_context``: ``delete=False``), so every bake left two files in /tmp. The bake's
    temporary files go to a directory of its own, removed afterwards (as do the tests that run cookiecutter
    themselves)."""
    before = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="launchpad-bake-") as private:
        tempfile.tempdir = private
        try:
            yield
        finally:
            tempfile.tempdir = before


@contextlib.contextmanager
def _quiet_cookiecutter() -> Iterator[None]:
    """cookiecutter logs a refused hook as a traceback; the hook's own lines and ours say it better."""
    cookiecutter_log = logging.getLogger("cookiecutter")
    level = cookiecutter_log.level
    cookiecutter_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        cookiecutter_log.setLevel(level)


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
