"""A CodeBuild buildspec, read and checked as CodeBuild reads it before a build runs a command.

AWS (CodeBuild User Guide, "Build specification reference for CodeBuild"): a buildspec is YAML with a
``version`` (0.2: "all commands run in the same shell instance"), an optional ``env`` (``shell`` bash or
/bin/sh, plain-text ``variables``, ``parameter-store``, ``secrets-manager``, ``exported-variables``,
``git-credential-helper``), ``phases`` (only ``install``, ``pre_build``, ``build`` and ``post_build``, each
with ``commands``, ``finally``, ``on-failure`` and, for install, ``runtime-versions``), ``artifacts``
(``files``, ``exclude-paths``, ``base-directory``, ``discard-paths``, ``name``), ``reports`` and ``cache``.
CodeBuild reads it in the DOWNLOAD_SOURCE phase; what it cannot read fails that phase with
``YAML_FILE_ERROR`` (a command that is not a string: "Expected Commands[0] to be of string type: found
subkeys instead at line 12, value of the key tag on line 11 might be empty"; YAML syntax: "did not find
expected ',' or ']' at line 19").

What the sandbox does with each key:
- runs: version 0.2, env shell/variables/exported-variables, the four phases (commands, finally,
  on-failure ABORT or CONTINUE, runtime-versions checked against the build image), artifacts files,
  exclude-paths, base-directory, discard-paths and name;
- ignores, with a warning line in the build log (``warnings``): ``reports`` (no report groups), ``cache``
  (no build cache), ``proxy`` (no explicit proxy server), ``batch`` (only batch builds read it) and
  ``git-credential-helper: yes`` (no Git provider), and unknown top-level keys;
- refuses (``BuildspecError`` with code ``CLIENT_ERROR`` and a message naming what the sandbox does not do):
  version 0.1, ``run-as``, ``parameter-store``, ``secrets-manager``, ``secondary-artifacts``, on-failure
  ``RETRY``, a Windows shell.

Unknown phases and phase keys are ``YAML_FILE_ERROR``. The wording of that message is the sandbox's: the
AWS pages name no text for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

YAML_FILE_ERROR = "YAML_FILE_ERROR"
CLIENT_ERROR = "CLIENT_ERROR"
PHASES = ("install", "pre_build", "build", "post_build")
PHASE_TYPES = {"install": "INSTALL", "pre_build": "PRE_BUILD", "build": "BUILD", "post_build": "POST_BUILD"}
SHELLS = {"bash": "bash", "/bin/bash": "bash", "sh": "sh", "/bin/sh": "sh"}
_PHASE_KEYS = frozenset({"commands", "finally", "on-failure", "runtime-versions", "run-as"})
_ENV_KEYS = frozenset(
    {
        "shell",
        "variables",
        "parameter-store",
        "secrets-manager",
        "exported-variables",
        "git-credential-helper",
    }
)
_ARTIFACT_KEYS = frozenset(
    {"files", "exclude-paths", "base-directory", "discard-paths", "name", "secondary-artifacts"}
)
_IGNORED = {
    "reports": "test reports go to no report group",
    "cache": "the sandbox keeps no build cache",
    "proxy": "the sandbox runs no explicit proxy server",
    "batch": "only batch builds read it",
}
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_TRUE, _FALSE = ("yes", "true"), ("no", "false")


class BuildspecError(ValueError):
    """The buildspec cannot run: ``code`` is the phase context's status code, the message its message."""

    def __init__(self, message: str, code: str = YAML_FILE_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _not_modelled(what: str) -> BuildspecError:
    return BuildspecError(f"launchpad sandbox: {what}", CLIENT_ERROR)


@dataclass(frozen=True)
class Phase:
    name: str  # install, pre_build, build, post_build
    commands: tuple[str, ...] = ()
    finally_: tuple[str, ...] = ()
    on_failure: str | None = (
        None  # ABORT | CONTINUE; None: the phase transitions of "Build phase transitions"
    )
    runtime_versions: Mapping[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return PHASE_TYPES[self.name]


@dataclass(frozen=True)
class Artifacts:
    files: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    base_directory: str | None = None
    discard_paths: bool = False
    name: str | None = None


@dataclass(frozen=True)
class Buildspec:
    version: str
    shell: str = "bash"  # bash or sh
    variables: Mapping[str, str] = field(default_factory=dict)
    exported: tuple[str, ...] = ()
    phases: tuple[Phase, ...] = ()  # the declared ones, in CodeBuild's order
    artifacts: Artifacts | None = None
    warnings: tuple[str, ...] = ()  # what the sandbox ignores, for the build log

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)


# -- reading ---------------------------------------------------------------------------------------------
def parse(text: str) -> Buildspec:
    """The buildspec in ``text``, or ``BuildspecError`` worded as CodeBuild's phase context."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BuildspecError(f"{exc.problem or exc.context}{where}") from exc
    except yaml.YAMLError as exc:
        raise BuildspecError(str(exc)) from exc
    if not isinstance(document, dict):
        raise BuildspecError("YAML file does not contain a buildspec mapping")
    warnings: list[str] = []
    version = _version(document.get("version"))
    if "run-as" in document:
        raise _not_modelled("run-as is not modelled: builds run as the sandbox server's user")
    for key in document:
        if key in _IGNORED:
            warnings.append(f"ignoring '{key}': {_IGNORED[key]}")
        elif key not in ("version", "env", "phases", "artifacts", "run-as"):
            warnings.append(f"ignoring unknown top-level key '{key}'")
    shell, variables, exported = _env(document.get("env"), warnings)
    return Buildspec(
        version=version,
        shell=shell,
        variables=variables,
        exported=exported,
        phases=_phases(document.get("phases"), _child(node, "phases")),
        artifacts=_artifacts(document.get("artifacts")),
        warnings=tuple(warnings),
    )


def _version(value: Any) -> str:
    text = str(value) if isinstance(value, (str, int, float)) else ""
    if text == "0.2":
        return text
    if text == "0.1":
        raise _not_modelled(
            "buildspec version 0.1 (each command in its own shell) is not modelled: use version 0.2"
        )
    if value is None:
        raise BuildspecError("Buildspec version is missing: set version: 0.2")
    raise BuildspecError(f"Invalid buildspec version '{text}': CodeBuild supports 0.1 and 0.2")


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise BuildspecError(f"Invalid value for {where}: expected yes or no, got '{value}'")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BuildspecError(f"Expected {where} to be a mapping")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or any(isinstance(v, (dict, list)) or v is None for v in value):
        raise BuildspecError(f"Expected {where} to be a list of strings")
    return tuple(str(v) for v in value)


def _env(value: Any, warnings: list[str]) -> tuple[str, dict[str, str], tuple[str, ...]]:
    env = _mapping(value, "env")
    unknown = sorted(set(env) - _ENV_KEYS)
    if unknown:
        raise BuildspecError(f"Unknown key '{unknown[0]}' in env")
    if env.get("parameter-store"):
        raise _not_modelled(
            "env/parameter-store is not modelled (the sandbox resolves no Systems Manager parameters for "
            "builds): use env/variables or the project's PLAINTEXT environment variables"
        )
    if env.get("secrets-manager"):
        raise _not_modelled(
            "env/secrets-manager is not modelled (the sandbox resolves no Secrets Manager secrets for "
            "builds): use env/variables or the project's PLAINTEXT environment variables"
        )
    if "git-credential-helper" in env and _flag(env["git-credential-helper"], "env/git-credential-helper"):
        warnings.append("ignoring 'git-credential-helper: yes': the sandbox has no Git provider")
    shell_tag = str(env.get("shell", "bash"))
    shell = SHELLS.get(shell_tag)
    if shell is None:
        if shell_tag.lower() in ("powershell.exe", "cmd.exe", "pwsh.exe"):
            raise _not_modelled(
                f"the {shell_tag} shell of Windows builds is not modelled: use bash or /bin/sh"
            )
        raise BuildspecError(f"Invalid shell '{shell_tag}': supported shells for Linux are bash and /bin/sh")
    variables = {}
    for name, text in _mapping(env.get("variables"), "env/variables").items():
        if text is None or isinstance(text, (dict, list)):
            raise BuildspecError(f"Expected env/variables/{name} to be a string")
        variables[str(name)] = text if isinstance(text, str) else _scalar(text)
    exported = _strings(env.get("exported-variables"), "env/exported-variables")
    for name in exported:
        if not _VARIABLE.fullmatch(name):
            raise BuildspecError(f"Invalid exported variable name '{name}'")
        if name.startswith("AWS_"):  # "Environment variables that start with AWS_" cannot be exported
            raise BuildspecError(f"Cannot export variable '{name}': names starting with AWS_ are reserved")
    return shell, variables, exported


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _phases(value: Any, node: yaml.Node | None) -> tuple[Phase, ...]:
    phases = _mapping(value, "phases")
    if not phases:
        raise BuildspecError(
            "No phases found in YAML: declare at least one of install, pre_build, build, post_build"
        )
    for name in phases:
        if name not in PHASES:
            raise BuildspecError(f"Unknown phase '{name}': valid phases are {', '.join(PHASES)}")
    return tuple(_phase(name, phases[name], _child(node, name)) for name in PHASES if name in phases)


def _phase(name: str, value: Any, node: yaml.Node | None) -> Phase:
    declared = _mapping(value, f"phases/{name}")
    unknown = sorted(set(declared) - _PHASE_KEYS)
    if unknown:
        raise BuildspecError(f"Unknown key '{unknown[0]}' in phase {name}")
    if "run-as" in declared:
        raise _not_modelled("run-as is not modelled: builds run as the sandbox server's user")
    if "runtime-versions" in declared and name != "install":
        raise BuildspecError(f"runtime-versions is only valid in the install phase, not in {name}")
    runtimes = {
        str(k): _scalar(v) for k, v in _mapping(declared.get("runtime-versions"), "runtime-versions").items()
    }
    commands = _commands(declared.get("commands"), _child(node, "commands"))
    finally_ = _commands(declared.get("finally"), _child(node, "finally"))
    if not commands and not finally_ and not runtimes:
        raise BuildspecError(f"Phase {name} has no commands")
    return Phase(name, commands, finally_, _on_failure(declared.get("on-failure"), name), runtimes)


def _commands(value: Any, node: yaml.Node | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BuildspecError("Expected Commands to be a list of strings")
    items = node.value if isinstance(node, yaml.SequenceNode) else []
    commands = []
    for index, command in enumerate(value):
        if isinstance(command, (dict, list)) or command is None:
            line = items[index].start_mark.line + 1 if index < len(items) else 0
            found = (
                "subkeys" if isinstance(command, dict) else "a sequence" if command is not None else "null"
            )
            raise BuildspecError(
                f"Expected Commands[{index}] to be of string type: found {found} instead at line {line}, "
                f"value of the key tag on line {line - 1} might be empty"
            )
        commands.append(_scalar(command))
    return tuple(commands)


def _on_failure(value: Any, phase: str) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text in ("ABORT", "CONTINUE"):
        return text
    if text.startswith("RETRY"):
        raise _not_modelled(f"on-failure {text} in phase {phase} is not modelled: use ABORT or CONTINUE")
    raise BuildspecError(f"Invalid on-failure value '{text}' in phase {phase}: expected ABORT or CONTINUE")


def _artifacts(value: Any) -> Artifacts | None:
    if value is None:
        return None
    declared = _mapping(value, "artifacts")
    unknown = sorted(set(declared) - _ARTIFACT_KEYS)
    if unknown:
        raise BuildspecError(f"Unknown key '{unknown[0]}' in artifacts")
    if declared.get("secondary-artifacts"):
        raise _not_modelled("artifacts/secondary-artifacts is not modelled: a build has one output artifact")
    files = _strings(declared.get("files"), "artifacts/files")
    if not files:
        raise BuildspecError("artifacts/files is required when artifacts is given")
    base = declared.get("base-directory")
    return Artifacts(
        files=files,
        exclude=_strings(declared.get("exclude-paths"), "artifacts/exclude-paths"),
        base_directory=str(base) if base is not None else None,
        discard_paths=_flag(declared.get("discard-paths", False), "artifacts/discard-paths"),
        name=str(declared["name"]) if declared.get("name") is not None else None,
    )


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of ``key`` in the mapping ``node`` (for line numbers), if there is one."""
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


# -- the output artifact -----------------------------------------------------------------------------------
def _pattern(glob: str) -> re.Pattern[str]:
    """A CodeBuild location as a regex on POSIX paths: ``**/`` any folders (none too), ``*`` and ``?`` within
    one name."""
    text = glob.strip().removeprefix("./")
    parts, regex = text.split("/"), []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex.append(".*" if last else "(?:[^/]+/)*")
            continue
        regex.append(_segment(part))
        if not last:
            regex.append("/")
    return re.compile("".join(regex) + r"\Z")


def _segment(part: str) -> str:
    out = []
    for char in part:
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _files(root: Path) -> Iterator[PurePosixPath]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield PurePosixPath(path.relative_to(root).as_posix())


def _bases(root: Path, base_directory: str | None) -> list[Path]:
    if not base_directory or base_directory.strip() in (".", "./"):
        return [root]
    text = base_directory.strip().removeprefix("./").rstrip("/")
    if not any(c in text for c in "*?"):
        return [root / text] if (root / text).is_dir() else []
    pattern = _pattern(text)
    return [
        p for p in sorted(root.rglob("*")) if p.is_dir() and pattern.match(p.relative_to(root).as_posix())
    ]


def select(root: Path, artifacts: Artifacts) -> list[tuple[Path, str]]:
    """The files of the output artifact under ``root`` (CODEBUILD_SRC_DIR) and their names in it, as
    ``files``, ``exclude-paths``, ``base-directory`` and ``discard-paths`` pick them; names in order."""
    includes = [_pattern(g) for g in artifacts.files]
    excludes = [_pattern(g) for g in artifacts.exclude]
    chosen: dict[str, Path] = {}
    for base in _bases(root, artifacts.base_directory):
        for relative in _files(base):
            text = relative.as_posix()
            if not any(p.match(text) for p in includes) or any(p.match(text) for p in excludes):
                continue
            chosen[relative.name if artifacts.discard_paths else text] = base / relative
    return [(path, name) for name, path in sorted(chosen.items())]
