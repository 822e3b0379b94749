"""The `launchpad` command line: parse, call the library, print. No logic lives here."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from launchpad import __version__, bench, docs, environments, policy, terraform
from launchpad.demo import Demo
from launchpad.environments import Environment
from launchpad.errors import LaunchpadError, ToolchainError
from launchpad.paths import modules_dir, repo_root
from launchpad.policy import checkov as policy_checkov
from launchpad.policy import formats as policy_formats
from launchpad.sandbox import Sandbox
from launchpad.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn a LaunchpadError into one clear message on stderr and its exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LaunchpadError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="launchpad")
@click.option("-v", "--verbose", is_flag=True, help="Show debug logging (every terraform command).")
def main(verbose: bool) -> None:
    """launchpad: ship ML and LLM models to AWS SageMaker safely."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    if verbose:
        terraform.TFTEST_LOGGER.setLevel(logging.DEBUG)  # every line terraform prints


# -- sandbox ---------------------------------------------------------------------------------------
@main.group()
def sandbox() -> None:
    """The local AWS sandbox (moto server on 127.0.0.1, with launchpad's patches)."""


@sandbox.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@friendly_errors
def up(port: int) -> None:
    """Start the sandbox (or report the one already running) and print its endpoint."""
    info = Sandbox().up(port=port)
    click.echo(f"# sandbox pid {info.pid}; point terraform, boto3 or the aws CLI at it with:")
    click.echo(info.export_line())


@sandbox.command()
@friendly_errors
def down() -> None:
    """Stop the sandbox and remove its pid file (the log stays for reading)."""
    info = Sandbox().down()
    click.echo(f"sandbox at {info.url} stopped" if info else "no sandbox was running")


@sandbox.command()
@friendly_errors
def status() -> None:
    """Say whether the sandbox is running; exit 1 if it is not."""
    box = Sandbox()
    info = box.status()
    if info is None:
        click.echo("sandbox: not running (start it with `launchpad sandbox up`)")
        sys.exit(1)
    click.echo(f"sandbox: running, pid {info.pid}, log {box.log_file}")
    click.echo(info.export_line())


@sandbox.command()
@friendly_errors
def reset() -> None:
    """Delete every resource in every account of the running sandbox."""
    info = Sandbox().reset()
    click.echo(f"sandbox at {info.url} reset: all accounts are empty")


# -- toolchain ---------------------------------------------------------------------------------------
@main.command()
@friendly_errors
def doctor() -> None:
    """Check the toolchain and write the project-local Terraform CLI config (run by `make setup`)."""
    version = terraform.terraform_version()
    click.echo(f"terraform {'.'.join(map(str, version))}: ok")
    mirror = terraform.find_provider_mirror()
    source = (
        f"provider mirror {mirror}"
        if mirror
        else (f"public registry, shared plugin cache {terraform.plugin_cache_dir()}")
    )
    click.echo(f"providers: {source}")
    click.echo(f"terraform CLI config: {terraform.ensure_cli_config()} (TF_CLI_CONFIG_FILE)")
    try:
        click.echo(f"checkov: {policy_checkov.find_checkov(repo_root())}")
    except ToolchainError as exc:
        click.echo(f"checkov: missing ({exc})")


# -- docs --------------------------------------------------------------------------------------------
@main.command("docs")
@click.option("--check", is_flag=True, help="Do not write; exit 1 if any table is stale.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@friendly_errors
def docs_command(check: bool, paths: tuple[Path, ...]) -> None:
    """Generate the inputs/outputs tables of module READMEs (default: every module)."""
    targets = list(paths) or docs.module_dirs(modules_dir())
    if check:
        stale = [str(p) for p in targets if docs.is_stale(p)]
        if stale:
            click.echo("stale README tables (run `launchpad docs`):\n  " + "\n  ".join(stale))
            sys.exit(1)
        click.echo(f"{len(targets)} README tables are up to date")
        return
    for path in targets:
        click.echo(f"{'updated' if docs.write(path) else 'unchanged'}: {path}/README.md")


# -- environments ----------------------------------------------------------------------------------
def _env_option(func: F) -> F:
    func = click.option(
        "--stack",
        default="platform",
        show_default=True,
        help="Root stack under terraform/.",
    )(func)
    return click.option(
        "--env",
        "env_name",
        required=True,
        metavar="ENV",
        help="Environment: a terraform/<stack>/envs/<ENV>.tfvars file (dev, staging, prod, sandbox).",
    )(func)


def _planned(env: Environment) -> tuple[Workspace, dict[str, Any]]:
    env.check()
    target = env.target()
    where = f"sandbox account {target.account_id}" if target.is_sandbox else f"AWS, {target.region}"
    click.secho(f"{env.stack} [{env.name}] on {where}", bold=True)
    workspace = env.workspace(target)
    click.echo("terraform init ...")
    workspace.init()
    click.echo("terraform plan ...")
    plan = workspace.plan()
    for line in environments.summarize_plan(plan):
        click.echo(f"  {line}")
    return workspace, plan


@main.command("plan")
@_env_option
@friendly_errors
def plan_command(env_name: str, stack: str) -> None:
    """Plan a root stack for one environment (ENV=sandbox starts the sandbox; no account needed)."""
    _planned(Environment(env_name, stack))


@main.command("apply")
@_env_option
@click.option("--yes", is_flag=True, help="Apply without asking (the sandbox never asks).")
@friendly_errors
def apply_command(env_name: str, stack: str, yes: bool) -> None:
    """Plan, confirm, and apply exactly that plan to one environment."""
    env = Environment(env_name, stack)
    workspace, plan = _planned(env)
    if not environments.has_changes(plan):
        click.echo("no changes")
        return
    if not (yes or env.is_sandbox or click.confirm(f"apply this plan to {env.name}?")):
        click.echo("not applied")
        sys.exit(1)
    started = time.monotonic()
    outputs = workspace.apply(saved_plan=True)
    click.secho(f"applied in {time.monotonic() - started:.0f} s; outputs:", fg="green")
    click.echo(json.dumps(outputs, indent=2, sort_keys=True))


@main.command("destroy")
@_env_option
@click.option("--yes", is_flag=True, help="Destroy without asking (the sandbox never asks).")
@friendly_errors
def destroy_command(env_name: str, stack: str, yes: bool) -> None:
    """Destroy everything a root stack created in one environment."""
    env = Environment(env_name, stack)
    if not (yes or env.is_sandbox or click.confirm(f"destroy {env.stack} in {env.name}?")):
        click.echo("not destroyed")
        sys.exit(1)
    env.check()
    workspace = env.workspace(env.target())
    workspace.init()
    workspace.destroy()
    click.secho(f"{env.stack} [{env.name}] destroyed", fg="green")


# -- policy ----------------------------------------------------------------------------------------
@main.command("policy")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "format_names",
    multiple=True,
    type=click.Choice(sorted(policy_formats.FORMATS)),
    help="Also write this report (repeatable; several need --output-dir). Default: a table on stdout.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each --format to a file here (policy.json, policy.sarif, policy-junit.xml, policy.md), "
    "plus the control evidence report evidence.md.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="checkov processes at a time.  [default: CPU count]",
)
@click.option(
    "--split",
    is_flag=True,
    help="One checkov process per subdirectory (modules/kms, ...) instead of per path: faster only on "
    "many cores.",
)
@click.option(
    "--controls",
    "controls_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The control mapping.  [default: policies/controls.yaml]",
)
@friendly_errors
def policy_command(
    paths: tuple[Path, ...],
    format_names: tuple[str, ...],
    output_dir: Path | None,
    jobs: int | None,
    split: bool,
    controls_path: Path | None,
) -> None:
    """Run checkov and launchpad's checks over PATHS (default: modules/ and terraform/); exit 1 on failures.

    Inline skips count only with a reason (#checkov:skip=CKV_ID:reason). Exit codes: 0 no failed check,
    1 failed checks, 2 usage, 3 checkov missing or crashed, 6 malformed skip or controls file.
    """
    if len(set(format_names)) > 1 and output_dir is None:
        raise click.UsageError("several --format values need --output-dir (one file per format)")
    report = policy.run(list(paths), jobs=jobs, controls_path=controls_path, split=split)
    if output_dir is None and format_names:
        click.echo(policy_formats.FORMATS[format_names[0]].render(report), nl=False)
        click.echo(report.summary(), err=True)
    else:
        click.echo(policy_formats.table.render(report))
    if output_dir is not None:
        for written in policy_formats.write(report, output_dir, format_names):
            click.echo(f"wrote {written}")
    sys.exit(1 if report.failed else 0)


# -- demo and bench ------------------------------------------------------------------------------------
@main.command()
@friendly_errors
def demo() -> None:
    """Sandbox up, apply the platform stack (sandbox env), read it back with boto3, destroy, sandbox down."""
    run = Demo()
    steps = list(run.steps())
    started = time.monotonic()
    try:
        for number, (title, action) in enumerate(steps, 1):
            click.secho(f"[{number}/{len(steps)}] {title} ...", bold=True)
            step_started = time.monotonic()
            result = action()
            for line in result.split("; "):
                click.echo(f"      {line}")
            click.echo(f"      ({time.monotonic() - step_started:.1f} s)")
    except LaunchpadError:
        try:
            run.close()
        except LaunchpadError as cleanup:  # report it, but the first failure is the one to fix
            click.secho(f"cleanup after the failure also failed: {cleanup}", fg="red", err=True)
        raise
    run.close()
    click.secho(f"demo finished in {time.monotonic() - started:.0f} s", fg="green")


@main.command("bench")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bench-results"),
    show_default=True,
)
@click.option(
    "--only",
    multiple=True,
    metavar="TEXT",
    help="Measure only what contains TEXT: <module>/<example>, stack/<name> or policy (repeatable).",
)
@friendly_errors
def bench_command(output_dir: Path, only: tuple[str, ...]) -> None:
    """Time init/apply/re-plan/destroy of every module example and stack on a sandbox, and `launchpad policy`
    against bare checkov; write JSON."""
    previous_file = output_dir / "latest.json"
    previous = json.loads(previous_file.read_text()) if previous_file.exists() else None
    started = time.monotonic()
    results: dict[str, dict[str, float]] = {}
    with Sandbox().running() as info:
        for name, timings in bench.run(info.url, only):
            results[name] = timings
            click.echo(f"{name:32} " + "  ".join(bench.format_value(k, v) for k, v in timings.items()))
    document = bench.report(results, started)
    click.echo(f"wrote {bench.write(document, output_dir)}")
    if previous:
        click.echo("compared with the previous run:\n  " + "\n  ".join(bench.compare(previous, document)))


if __name__ == "__main__":
    main()
