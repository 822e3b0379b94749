"""Terraform: the toolchain check, the provider mirror, the project-local CLI config and a runner.

The runner wraps ``tftest`` (Google's maintained, dependency-free Terraform wrapper). It is used by the
CLI (``launchpad demo``, ``launchpad bench``) and by the pytest harness alike, so both run Terraform the
same way: same CLI config, same environment, same error messages.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tftest

from launchpad.errors import TerraformError, ToolchainError
from launchpad.paths import modules_dir, state_dir

log = logging.getLogger(__name__)
# tftest logs every line terraform prints (INFO) and every failure (CRITICAL); our TerraformError carries
# the failure, so it stays quiet unless the CLI runs with --verbose.
TFTEST_LOGGER = logging.getLogger("tftest")
TFTEST_LOGGER.setLevel(logging.CRITICAL + 1)

MIN_TERRAFORM = (1, 5, 0)
MIRROR_ENV = "LAUNCHPAD_TF_PROVIDER_MIRROR"
PLUGIN_CACHE_ENV = "LAUNCHPAD_TF_PLUGIN_CACHE"
# Where the machines we run on keep an unpacked provider mirror, most specific first.
WELL_KNOWN_MIRRORS = (
    Path("/opt/tf-plugins"),
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    Path.home() / ".local/share/terraform/plugins",
    Path.home() / ".terraform.d/plugins",
)
MIRRORED_PROVIDERS = "registry.terraform.io/hashicorp/*"
VARS_FILE = "launchpad.auto.tfvars.json"
PLAN_FILE = "launchpad.tfplan"  # the plan saved by plan(), applied by apply(saved_plan=True)
INSTALL_HINT = (
    "Install Terraform >= {min} from https://developer.hashicorp.com/terraform/install "
    "(or your package manager) and make sure `terraform` is on PATH."
)


def _version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def terraform_version(binary: str = "terraform") -> tuple[int, int, int]:
    """The installed Terraform version; raises ToolchainError if it is missing or older than 1.5."""
    hint = INSTALL_HINT.format(min=_version_text(MIN_TERRAFORM))
    path = shutil.which(binary)
    if path is None:
        raise ToolchainError(f"terraform was not found on PATH. {hint}")
    result = subprocess.run(
        [path, "version", "-json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull},
    )
    try:
        text = json.loads(result.stdout)["terraform_version"]
    except (ValueError, KeyError) as exc:
        raise ToolchainError(f"could not read the version of {path}. {hint}") from exc
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise ToolchainError(f"unrecognised terraform version {text!r} at {path}. {hint}")
    version = (int(match[1]), int(match[2]), int(match[3]))
    if version < MIN_TERRAFORM:
        raise ToolchainError(f"terraform {text} at {path} is too old. {hint}")
    return version


def _holds_aws_provider(path: Path) -> bool:
    return (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir()


def find_provider_mirror() -> Path | None:
    """The provider mirror to install from: ``$LAUNCHPAD_TF_PROVIDER_MIRROR``, else a well-known path.

    Returns None when there is none, meaning providers come from the public registry. An env var that
    points at a folder without the AWS provider is an error, not a silent fallback.
    """
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not _holds_aws_provider(path):
            raise ToolchainError(
                f"{MIRROR_ENV}={configured} holds no registry.terraform.io/hashicorp/aws provider. "
                "Point it at a `terraform providers mirror` folder, or unset it to use the registry."
            )
        return path
    return next((path for path in WELL_KNOWN_MIRRORS if _holds_aws_provider(path)), None)


def plugin_cache_dir() -> Path:
    """The plugin cache shared by every working directory when providers come from the registry."""
    configured = os.environ.get(PLUGIN_CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache_home / "launchpad" / "terraform-plugins"


def render_cli_config(mirror: Path | None, cache_dir: Path) -> str:
    """The Terraform CLI config: the mirror for hashicorp providers when there is one, else the
    registry through a shared plugin cache (an unpacked mirror is symlinked, so it needs no cache)."""
    header = "# Written by launchpad (`make setup`); do not edit. Used via TF_CLI_CONFIG_FILE.\n"
    if mirror is None:
        return header + f'plugin_cache_dir = "{cache_dir}"\n'
    return header + (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{MIRRORED_PROVIDERS}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{MIRRORED_PROVIDERS}"]\n'
        "  }\n"
        "}\n"
    )


def cli_config_path() -> Path:
    return state_dir() / "terraform.rc"


def ensure_cli_config() -> Path:
    """Write the project-local CLI config if it is missing or stale; never touches ~/.terraformrc."""
    mirror = find_provider_mirror()
    cache_dir = plugin_cache_dir()
    if mirror is None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    content = render_cli_config(mirror, cache_dir)
    path = cli_config_path()
    if not path.exists() or path.read_text() != content:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        log.info("wrote %s (%s)", path, f"mirror {mirror}" if mirror else "registry + plugin cache")
    return path


# The Go garbage collector's target for terraform and the provider (both inherit it), unless GOGC is set:
# loading the AWS provider's schema allocates heavily, and at Go's default (100) collecting it costs ~20% of
# a plan's CPU; 400 saves that for ~100 MB more memory per process (README, "What the suite costs").
GO_GC_PERCENT = "400"


def terraform_env(aws_env: Mapping[str, str]) -> dict[str, str]:
    """The environment for a terraform process: ours, plus the AWS target's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_"))}
    env.setdefault("GOGC", GO_GC_PERCENT)
    env.update(
        TF_CLI_CONFIG_FILE=str(ensure_cli_config()),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    env.update(aws_env)
    return env


_BLOCK_START = re.compile(r"^(?:[│╷╵] ?)?(Error|Warning): ")


def summarize_errors(output: str) -> str:
    """Terraform's own ``Error:`` blocks (each up to the next diagnostic), without box-drawing margins;
    the raw tail of the output if there are none."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for raw in output.splitlines():
        line = re.sub(r"^[│╷╵] ?", "", raw)
        start = _BLOCK_START.match(raw)
        if start:
            current = [line] if start.group(1) == "Error" else None
            if current is not None:
                blocks.append(current)
        elif current is not None:
            current.append(line)
    if not blocks:
        return "\n".join(output.strip().splitlines()[-20:])
    return "\n\n".join(dict.fromkeys("\n".join(block).strip() for block in blocks))


_COMMAND_GROUPS = frozenset({"state", "workspace", "providers"})  # commands whose first argument is a verb


@dataclass
class Terraform:
    """Run Terraform in one working directory, with JSON variables and readable errors."""

    workdir: Path
    env: dict[str, str]

    def __post_init__(self) -> None:
        self._tf = tftest.TerraformTest(str(self.workdir), env=self.env)

    def _run(self, command: str, *args: str) -> tftest.TerraformCommandOutput:
        """``terraform <command> [<subcommand>] -no-color <args>`` (``state list`` takes its flags after
        the subcommand)."""
        log.debug("terraform %s %s in %s", command, " ".join(args), self.workdir)
        words = [*args[:1], "-no-color", *args[1:]] if command in _COMMAND_GROUPS else ["-no-color", *args]
        try:
            return self._tf.execute_command(command, *words)
        except tftest.TerraformTestError as exc:
            output = " ".join(str(part) for part in exc.args)
            raise TerraformError(
                f"terraform {command} failed in {self.workdir}:\n{summarize_errors(output)}"
            ) from exc

    def set_vars(self, tf_vars: Mapping[str, Any]) -> None:
        """Write variables as JSON (typed: booleans, lists and maps survive)."""
        (self.workdir / VARS_FILE).write_text(json.dumps(dict(tf_vars), indent=2, sort_keys=True))

    def init(self, backend_config: Path | None = None) -> None:
        """Install modules and providers; initialise the backend only when the configuration has one
        (``backend_config`` for a remote one, or the local override of a copy). A root stack's committed
        dependency lock file is kept as it is: a provider it does not select, or whose checksum differs,
        fails the init instead of being written into it."""
        locked = ("-lockfile=readonly",) if (self.workdir / LOCK_FILE).exists() else ()
        if backend_config is not None:
            self._run("init", "-input=false", *locked, "-reconfigure", f"-backend-config={backend_config}")
        elif (self.workdir / LOCAL_BACKEND_OVERRIDE).exists():
            self._run("init", "-input=false", *locked)
        else:
            self._run("init", "-input=false", *locked, "-backend=false")

    def validate(self) -> None:
        self._run("validate")

    def plan(self) -> dict[str, Any]:
        """The plan as Terraform's JSON document (``terraform show -json``)."""
        self._run("plan", "-input=false", "-lock=false", f"-out={PLAN_FILE}")
        return json.loads(self._run("show", "-json", PLAN_FILE).out)

    def plan_diagnostics(self) -> list[dict[str, Any]]:
        """Plan without saving it and return Terraform's diagnostics (``plan -json``): each error or warning
        with its summary, detail, source range and snippet. Empty when the plan succeeds cleanly."""
        result, messages = self.plan_messages()
        diagnostics = [m["diagnostic"] for m in messages if m.get("type") == "diagnostic"]
        if result.returncode != 0 and not diagnostics:
            summary = summarize_errors(result.stderr)
            raise TerraformError(f"terraform plan failed in {self.workdir}:\n{summary}")
        return diagnostics

    def plan_messages(self, *args: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
        """``plan -json`` (with ``args``): the finished process and Terraform's machine-readable messages
        (planned changes, outputs, diagnostics), one per line of its output."""
        result = self._json_run("plan", "-input=false", "-lock=false", *args)
        return result, [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]

    def validate_diagnostics(self) -> list[dict[str, Any]]:
        """``validate -json``'s diagnostics, shaped as ``plan_diagnostics``'. Validate needs no provider
        configuration and calls no API, yet it checks every value it knows: a module call's literal
        arguments against the module's variable types and validation rules."""
        result = self._json_run("validate")
        try:
            diagnostics: list[dict[str, Any]] = json.loads(result.stdout)["diagnostics"]
        except (ValueError, KeyError) as exc:
            summary = summarize_errors(result.stderr)
            raise TerraformError(f"terraform validate failed in {self.workdir}:\n{summary}") from exc
        if result.returncode != 0 and not any(d.get("severity") == "error" for d in diagnostics):
            summary = summarize_errors(result.stderr)
            raise TerraformError(f"terraform validate failed in {self.workdir}:\n{summary}")
        return diagnostics

    def _json_run(self, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["terraform", command, *args, "-json", "-no-color"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def apply(self, saved_plan: bool = False) -> str:
        """Apply (the plan saved by the last ``plan()`` if ``saved_plan``, which skips planning again);
        returns Terraform's log of the apply (the order resources were changed in)."""
        if saved_plan:
            return self._run("apply", "-input=false", PLAN_FILE).out
        return self._run("apply", "-input=false", "-auto-approve").out

    def replan_exit_code(self) -> tuple[int, str]:
        """``plan -detailed-exitcode``: 0 when nothing would change, 2 with the diff text otherwise."""
        result = self._run("plan", "-input=false", "-lock=false", "-detailed-exitcode")
        return result.retcode, result.out

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self._run("output", "-json").out or "{}")
        return {name: spec["value"] for name, spec in raw.items()}

    def state_resources(self) -> list[str]:
        result = self._run("state", "list")
        return [line for line in result.out.splitlines() if line.strip()]

    def destroy(self, refresh: bool = True) -> None:
        """Destroy everything in the state; without ``refresh``, from the state as it is, skipping the read
        of every resource first (a third of a destroy's CPU), for a state known to be current."""
        self._run("destroy", "-input=false", "-auto-approve", *(() if refresh else ("-refresh=false",)))


def module_source(path: Path) -> str:
    """The absolute source address of a local module, for a root module that lives elsewhere.

    Terraform copies a module with an absolute source as a package of its own, and a module may not reach
    out of its package; so a module under ``modules/`` is addressed as ``<modules>//<name>``, whose package
    is the whole ``modules/`` folder, and its calls to sibling modules (``../s3-bucket``) keep working.
    """
    modules = modules_dir().resolve()
    if path.is_relative_to(modules) and path != modules:
        return f"{modules}//{path.relative_to(modules)}"
    return str(path)


LOCAL_BACKEND_OVERRIDE = "launchpad_backend_override.tf"
# The dependency lock file. Root stacks (terraform/*) commit theirs; a module's is never committed (its
# callers choose provider versions), so a copy of a module or of one of its examples resolves afresh.
LOCK_FILE = ".terraform.lock.hcl"
_BACKEND_BLOCK = re.compile(r'^\s*backend\s+"', re.MULTILINE)


def declares_backend(module_dir: Path) -> bool:
    return any(_BACKEND_BLOCK.search(f.read_text()) for f in module_dir.glob("*.tf"))


def copy_module_dir(source: Path, destination: Path, local_backend: bool = True) -> Path:
    """Copy a root module (an example or a stack) without local state or .terraform folders, and with its
    dependency lock file only if it is not under ``modules/`` (see ``LOCK_FILE``).

    Relative ``source = "../../"`` references are rewritten to absolute ones (``module_source``) so the copy
    still finds its modules. A stack that declares a remote backend gets a local one in the copy (an
    ``_override.tf`` file) unless ``local_backend`` is false. Copying over an earlier copy refreshes its
    configuration and keeps its state.
    """
    if destination.exists():
        for stale in destination.glob("*.tf"):
            stale.unlink()
    ignored = [".terraform", "*.tfstate*", "*.tfplan"]
    if source.resolve().is_relative_to(modules_dir().resolve()):
        ignored.append(LOCK_FILE)
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*ignored), dirs_exist_ok=True)
    for tf_file in destination.glob("*.tf"):
        text = tf_file.read_text()
        rewritten = re.sub(
            r'(source\s*=\s*")(\.\.?/[^"]*)(")',
            lambda m: f"{m[1]}{module_source((source / m[2]).resolve())}{m[3]}",
            text,
        )
        if rewritten != text:
            tf_file.write_text(rewritten)
    if local_backend and declares_backend(destination):
        (destination / LOCAL_BACKEND_OVERRIDE).write_text('terraform {\n  backend "local" {}\n}\n')
    return destination
