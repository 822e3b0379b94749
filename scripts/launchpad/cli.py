"""The `launchpad` command line: parse, call the library, print. No logic lives here."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import click

from launchpad import __version__, bench, docs, environments, policy, scaffold, terraform
from launchpad.aws import AwsTarget
from launchpad.demo import Demo
from launchpad.deploy import cli_support as deploy_cli
from launchpad.deploy import engine as deploy_engine
from launchpad.deploy import rollback as deploy_rollback
from launchpad.deploy import rollout as deploy_rollout
from launchpad.deploy import status as deploy_status
from launchpad.deploy import traffic as deploy_traffic
from launchpad.deploy.schema_errors import read_yaml
from launchpad.environments import Environment
from launchpad.errors import LaunchpadError, MonitorError, ToolchainError
from launchpad.paths import assets_root, installed_from_checkout, modules_dir, repo_root
from launchpad.pipeline import commands as pipeline_commands
from launchpad.policy import checkov as policy_checkov
from launchpad.policy import formats as policy_formats
from launchpad.sandbox import Sandbox, SandboxInfo
from launchpad.sandbox import manager as sandbox_manager
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


# Libraries whose INFO logging the CLI shows only with --verbose.
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer")


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
    else:  # their INFO lines ("Found credentials in environment variables.") are noise to a CLI user
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)


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
@click.option("--json", "as_json", is_flag=True, help="Print pid, port, url, log and environment as JSON.")
@friendly_errors
def up(port: int, as_json: bool) -> None:
    """Start the sandbox (or report the one already running) and print the shell variables that point
    terraform, boto3 and the aws CLI at it: eval "$(launchpad sandbox up)"."""
    box = Sandbox()
    _print_sandbox(box, box.up(port=port), as_json)


def _print_sandbox(box: Sandbox, info: SandboxInfo, as_json: bool) -> None:
    """The running sandbox as eval-able shell lines (remarks as comments), or as JSON."""
    environment = info.environment(environments.SANDBOX_ACCOUNT_ID)
    if as_json:
        click.echo(json.dumps(sandbox_manager.description(info, environment, box.log_file), indent=2))
    else:
        click.echo("\n".join(sandbox_manager.shell_lines(info, environment, box.log_file)))


@sandbox.command()
@friendly_errors
def down() -> None:
    """Stop the sandbox and remove its pid file (the log stays for reading)."""
    info = Sandbox().down()
    click.echo(f"sandbox at {info.url} stopped" if info else "no sandbox was running")


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
@friendly_errors
def status(as_json: bool) -> None:
    """Say whether the sandbox is running, with the same shell variables as `up`; exit 1 if it is not."""
    box = Sandbox()
    info = box.status()
    if info is None:
        # A comment, so an `eval "$(launchpad sandbox status)"` runs nothing.
        click.echo(
            json.dumps({"running": False})
            if as_json
            else "# sandbox: not running; start it with: launchpad sandbox up"
        )
        sys.exit(1)
    _print_sandbox(box, info, as_json)


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
        click.echo(f"checkov: {policy_checkov.find_checkov(assets_root())}")
    except ToolchainError as exc:
        click.echo(f"checkov: missing ({exc})")
    if installed_from_checkout():  # make release builds from a checkout
        from launchpad.release.sbom import find_tool

        try:
            click.echo(f"SBOM generator (make release): {find_tool(repo_root())}")
        except ToolchainError as exc:
            click.echo(f"SBOM generator (make release): missing ({exc})")


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
    1 failed checks, 2 usage (an --output-dir that cannot be written), 3 checkov missing or crashed, or a
    check raised or did not load, 6 a malformed skip, controls file or policy settings file
    (LAUNCHPAD_POLICY_CONFIG), a path with no .tf file, a .tf file that is not UTF-8. Nothing is written
    unless the scan ran.
    """
    if len(set(format_names)) > 1 and output_dir is None:
        raise click.UsageError("several --format values need --output-dir (one file per format)")
    if output_dir is not None and (problem := policy_formats.unwritable(output_dir)):
        raise click.BadParameter(problem, param_hint="'--output-dir'")
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


def _new_output_dir(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A usage error (exit 2) for an --output-dir no project can be made in (a file, under one, read-only)."""
    problem = scaffold.output_dir_problem(value)
    if problem is not None:
        raise click.BadParameter(problem, ctx, param)
    return value


@main.command("new")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    callback=_new_output_dir,
    help="Where the project folder is made (and the folder itself, if it does not exist).",
)
@click.option("--no-input", is_flag=True, help="Do not prompt: the template's defaults, with --set on top.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Answer a question (repeatable).")
@click.option(
    "--release-sums",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The launchpad release's SHA256SUMS: answers launchpad_wheel_sha256 with its wheel's line.",
)
@friendly_errors
def new_command(
    output_dir: Path, no_input: bool, settings: tuple[str, ...], release_sums: Path | None
) -> None:
    """Bake a new model project from launchpad's cookiecutter-model template.

    Prompts for each answer (with help text), or takes the defaults with --no-input. Where your organisation
    keeps launchpad has no default: answer launchpad_git_url and launchpad_index_url (--set), and the wheel's
    hash with --release-sums SHA256SUMS. Refused answers get one line each and exit 8, an --output-dir that is
    a file, under a file or read-only exits 2; either way nothing is made (no folder, no replay file).
    """
    answers = scaffold.parse_settings(settings)
    if release_sums is not None:
        answers |= scaffold.release_sums_answer(release_sums, answers)
    project = scaffold.bake(output_dir, answers, no_input=no_input)
    click.secho(f"baked {project}", fg="green")
    setup = f"make setup LAUNCHPAD={repo_root()}" if installed_from_checkout() else "make setup"
    click.echo(f"next: cd {project} && {setup} && make test")


# -- deploy and rollback -------------------------------------------------------------------------------
def _rollout_options(func: F) -> F:
    func = click.option(
        "--poll",
        type=deploy_cli.Number(low=0.01),
        default=deploy_rollout.DEFAULT_POLL_INTERVAL,
        show_default=True,
        help="Seconds between polls of the endpoint and its alarms.",
    )(func)
    func = click.option(
        "--timeout",
        type=deploy_cli.Number(low=1),
        default=deploy_rollout.DEFAULT_TIMEOUT,
        show_default=True,
        help="Seconds for the endpoint to reach InService (and again for the bake).",
    )(func)
    func = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(func)
    return click.option(
        "--config",
        "config_path",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The stage config (STAGE.yaml).",
    )(func)


def _progress(event: deploy_rollout.Event) -> None:
    click.echo(f"[{event.elapsed:6.1f} s] {event.message}", err=True)


def _finish(result: deploy_engine.DeployResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, sort_keys=True))
    elif result.rollout.succeeded:
        click.echo(f"{result.rollout.message} ({result.mutating_calls} mutating AWS calls)")
    result.raise_for_outcome()  # a failed outcome: friendly_errors prints its message and exit code


@main.command("deploy", cls=deploy_cli.JsonCommand)
@_rollout_options
@click.option(
    "--artifact",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Upload this model.tar.gz to the stage's artifact_s3_uri (SSE-KMS) first (dev and staging).",
)
@click.option(
    "--baseline",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --artifact: upload this drift baseline folder (launchpad monitor baseline) beside the "
    "artifact, in <artifact's folder>/baseline/, and register it with the version.",
)
@friendly_errors
def deploy_command(
    config_path: Path,
    as_json: bool,
    timeout: float,
    poll: float,
    artifact: Path | None,
    baseline: Path | None,
) -> None:
    """Deploy a stage config: preflight, register, create the model and endpoint config, update, watch.

    Exit codes: 0 deployed, 2 usage, 7 bad stage config, 18 preflight failed (nothing changed), 10 AWS error,
    11 endpoint Failed, 12 UpdateRollbackFailed, 13 SageMaker rolled back, 14 an alarm fired and launchpad
    rolled back, 15 that rollback failed, 16 timed out, 17 endpoint deleted. With --json, stdout is one
    JSON document whatever the exit code.
    """
    with deploy_cli.json_errors(as_json):
        if baseline is not None and artifact is None:
            raise click.UsageError(
                "--baseline goes with --artifact: the baseline is stored beside the artifact"
            )
        result = deploy_engine.deploy(
            config_path,
            deploy_engine.target_for(config_path),
            timeout=timeout,
            poll_interval=poll,
            on_progress=_progress,
            on_step=lambda line: click.echo(line, err=True),
            artifact=artifact,
            baseline=baseline,
        )
    _finish(result, as_json)


@main.command("rollback", cls=deploy_cli.JsonCommand)
@_rollout_options
@click.option(
    "--to-config",
    type=deploy_cli.ENDPOINT_CONFIG_NAME,
    metavar="NAME",
    help="Roll back to this endpoint config: one of the endpoint's own (<endpoint>-<hash>).",
)
@click.option(
    "--to-package-version",
    type=deploy_cli.Number(low=1, integer=True),
    metavar="N",
    help="Roll back to version N of the model package group (a model and config are made for it).",
)
@friendly_errors
def rollback_command(
    config_path: Path,
    as_json: bool,
    timeout: float,
    poll: float,
    to_config: str | None,
    to_package_version: int | None,
) -> None:
    """Put the stage's endpoint back on its previous config (the launchpad:previous-config tag), a named
    config of its own history, or a model package version, and wait for it. Exit codes as for deploy."""
    with deploy_cli.json_errors(as_json):
        if to_config is not None and to_package_version is not None:
            raise click.UsageError("give at most one of --to-config and --to-package-version")
        result = deploy_rollback.rollback(
            config_path,
            deploy_engine.target_for(config_path),
            to_config=to_config,
            to_package_version=to_package_version,
            timeout=timeout,
            poll_interval=poll,
            on_progress=_progress,
        )
    _finish(result, as_json)


# -- release -----------------------------------------------------------------------------------------
@main.group("release")
def release_group() -> None:
    """Build a release's artifacts, and publish them for the platform's offline builds (RELEASING.md)."""


@release_group.command("build")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Where the artifacts go (it must be empty or absent).",
)
@click.option("--version", "version", help="The version to release (default: scripts/launchpad/VERSION's).")
@click.option(
    "--checkout",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="launchpad's git checkout to release.",
)
@friendly_errors
def release_build_command(output_dir: Path, version: str | None, checkout: Path) -> None:
    """The wheel and sdist of every distribution, launchpad-modules-<version>.tar.gz, the CycloneDX SBOM and
    SHA256SUMS over them, from this checkout's tracked files. Exit 23 (nothing written) on a version that is
    not MAJOR.MINOR.PATCH or not VERSION's, a CHANGELOG without its entry, or a non-empty output folder."""
    from launchpad.release import builder  # the maintainers' tools of the dev extra

    made = builder.build_release(checkout.resolve(), output_dir, version)
    for path in (*made.artifacts, made.sums):
        click.echo(f"wrote {path}")


@release_group.command("publish")
@click.option("--bucket", required=True, help="The platform's artifacts bucket the pipeline builds read.")
@click.option(
    "-d",
    "--dist",
    "release_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="The folder make release wrote.",
)
@click.option("--region", help="The bucket's region.  [default: the AWS environment's]")
@friendly_errors
def release_publish_command(bucket: str, release_dir: Path, region: str | None) -> None:
    """Upload a verified release to s3://BUCKET/releases/launchpad/<version>/ (SHA256SUMS last). Exit 23
    before any upload when its SHA256SUMS does not verify."""
    from launchpad.release import publish

    s3 = AwsTarget.from_env(region).client("s3")
    for key in publish.publish(s3, bucket, release_dir, __version__):
        click.echo(f"uploaded s3://{bucket}/{key}")


# -- demo and bench ------------------------------------------------------------------------------------
@main.command()
@friendly_errors
def demo() -> None:
    """The whole platform on the local sandbox: apply it, ship a model through it, roll back, tear down.

    Sandbox up; apply terraform/platform; bake a model project (launchpad new); train, test and
    policy-check it; deploy v1 and invoke it; deploy v2 as a canary while its rollback alarm fires; check
    the endpoint is back on v1; tear everything down; print what was created, the timings and the rollback
    timeline. A few minutes on 2 cores, no AWS account.
    """
    run = Demo()

    def on_step(number: int, title: str) -> None:
        click.secho(f"[{number}] {title} ...", bold=True)

    def on_result(result: str, seconds: float) -> None:
        for line in result.split("; "):
            click.echo(f"      {line}")
        click.echo(f"      ({seconds:.1f} s)")

    summary = run.run(on_step, on_result)
    click.secho(summary[0], fg="green")
    click.echo("\n".join(summary[1:]))


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
    help="Measure only what contains TEXT: <module>/<example>, stack/<name>, deploy/guarded-update, "
    "sandbox/authorization, sandbox/alarm-delay, sandbox/lambda-invoke, sandbox/pipeline, demo, policy or "
    "suite/profile (repeatable).",
)
@friendly_errors
def bench_command(output_dir: Path, only: tuple[str, ...]) -> None:
    """Time init/apply/re-plan/destroy of every module example and stack on a sandbox, what the sandbox runs
    (alarms, Lambda, pipelines, the demo), `launchpad policy` against bare checkov, and profile the test
    suite (CPU and terraform runs per tier); write JSON."""
    previous_file = output_dir / "latest.json"
    previous = json.loads(previous_file.read_text()) if previous_file.exists() else None
    started = time.monotonic()
    results: dict[str, dict[str, float]] = {}
    with Sandbox().running() as info:
        for name, timings in bench.run(info.url, only, profile_dir=output_dir):
            results[name] = timings
            click.echo(f"{name:32} " + "  ".join(bench.format_value(k, v) for k, v in timings.items()))
    document = bench.report(results, started)
    click.echo(f"wrote {bench.write(document, output_dir)}")
    if previous:
        click.echo("compared with the previous run:\n  " + "\n  ".join(bench.compare(previous, document)))


# -- monitoring: drift against a baseline ---------------------------------------------------------------
@main.group("monitor")
def monitor_group() -> None:
    """Watch the model's data: baselines, drift runs, reports (docs/monitoring.md)."""


def _monitor() -> ModuleType:
    """launchpad.monitor.commands: it needs numpy and scipy (the monitor extra)."""
    try:
        from launchpad.monitor import commands
    except ModuleNotFoundError as exc:
        raise MonitorError(f"launchpad monitor needs {exc.name}: pip install 'launchpad[monitor]'") from None
    return commands


def _json_lines(path: Path) -> list[Any]:
    """The documents of a local JSON Lines file (a line that is not JSON: MonitorError naming it)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MonitorError(f"cannot read {path}: {exc}") from None
    documents = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                documents.append(json.loads(line))
            except json.JSONDecodeError:
                raise MonitorError(f"{path} line {number} is not JSON") from None
    return documents


def _echo_document(document: dict[str, Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(document, indent=2, sort_keys=True) if as_json else text)


_JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of text.")


@monitor_group.command("baseline", cls=deploy_cli.JsonCommand)
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out", "output", required=True, help="Folder or s3:// prefix for statistics.json, constraints.json."
)
@click.option(
    "--model-card",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The model card: its version, monitoring.drift.{statistic,threshold} when set, and the quality "
    "(evaluation.metrics thresholds) and bias (monitoring.bias) checks written to checks.json.",
)
@click.option(
    "--model-version", help="The model version the baseline describes.  [default: the model card's]"
)
@click.option(
    "--problem-type",
    type=click.Choice(["BinaryClassification", "Regression"]),
    default="BinaryClassification",
    show_default=True,
    help="How the scheduled job scores the predictions against their labels.",
)
@click.option(
    "--prediction-threshold",
    type=deploy_cli.Number(low=0, high=1),
    default=0.5,
    show_default=True,
    help="BinaryClassification: the score from which the prediction is 1.",
)
@click.option(
    "--prediction-field",
    default="probability",
    show_default=True,
    help="The prediction's field in the endpoint's JSON output (a number or CSV output: itself).",
)
@click.option("--model-package-arn", help="The registered model package version it belongs to.")
@click.option(
    "--label",
    help="The label column: not profiled; with the model card's monitoring.bias facets, Clarify's "
    "pre-training bias of the data is written to analysis.json.",
)
@click.option("--exclude", multiple=True, help="A column that is not a model input (a group, an id).")
@click.option("--categorical", multiple=True, help="A column to treat as categories even if numeric.")
@click.option("--statistic", help="Judge every feature by this statistic (e.g. psi), at any sample size.")
@click.option("--threshold", type=deploy_cli.Number(low=0), help="The statistic's threshold.")
@click.option(
    "--bins", type=deploy_cli.Number(low=2, high=10_000, integer=True), default=200, show_default=True
)
@click.option("--kms-key-id", help="KMS key for an s3:// output (SSE-KMS).")
@_JSON_OPTION
@friendly_errors
def monitor_baseline_command(
    data: Path,
    output: str,
    model_card: Path | None,
    model_version: str | None,
    problem_type: str,
    prediction_threshold: float,
    prediction_field: str,
    model_package_arn: str | None,
    label: str | None,
    exclude: tuple[str, ...],
    categorical: tuple[str, ...],
    statistic: str | None,
    threshold: float | None,
    bins: float,
    kms_key_id: str | None,
    as_json: bool,
) -> None:
    """Profile training DATA (CSV, header row) into Model Monitor's statistics.json and constraints.json, and
    the model version's quality and bias checks into checks.json.

    Exit codes: 0 written, 2 usage, 24 data or options launchpad cannot use (nothing written).
    """
    monitor_commands = _monitor()
    with deploy_cli.json_errors(as_json):
        card_statistic, card_threshold, card_version = (
            monitor_commands.drift_rule_from_card(model_card) if model_card else (None, None, None)
        )
        written = monitor_commands.baseline(
            data,
            output,
            model_version=model_version or card_version,
            model_package_arn=model_package_arn,
            exclude=exclude,
            types={name: "String" for name in categorical},
            statistic=statistic or card_statistic,
            threshold=threshold if threshold is not None else card_threshold,
            bins=int(bins),
            card=read_yaml(model_card, "model card") if model_card else None,
            problem_type=problem_type,
            prediction_threshold=prediction_threshold,
            prediction_field=prediction_field,
            label=label,
            kms_key_id=kms_key_id,
        )
    names = ", ".join(f"{f['name']} ({f['inferred_type']})" for f in written["features"])
    _echo_document(written, as_json, f"baseline of {written['rows']} rows written to {output}: {names}")


@monitor_group.command("run", cls=deploy_cli.JsonCommand)
@click.option(
    "--baseline", "baseline_location", required=True, help="Folder or s3:// prefix of the baseline."
)
@click.option(
    "--capture",
    "capture_location",
    required=True,
    help="s3:// prefix of the endpoint's (or a variant's) capture, or a local folder of .jsonl files.",
)
@click.option("--out", "output", required=True, help="Folder or s3:// prefix for the run's results.")
@click.option("--endpoint", required=True, help="The endpoint (a metric dimension and the report's title).")
@click.option(
    "--schedule", help="The monitoring schedule's name (a metric dimension).  [default: ENDPOINT-drift]"
)
@click.option("--end", help="End of the window, RFC 3339 (2026-12-07T12:00:00Z).  [default: now]")
@click.option(
    "--window-minutes", type=deploy_cli.Number(low=1, high=44640, integer=True), default=60, show_default=True
)
@click.option("--model-version", help="Refuse a baseline of another model version.")
@click.option("--publish-metrics", is_flag=True, help="Put the run's metrics to CloudWatch, as the job does.")
@_JSON_OPTION
@friendly_errors
def monitor_run_command(
    baseline_location: str,
    capture_location: str,
    output: str,
    endpoint: str,
    schedule: str | None,
    end: str | None,
    window_minutes: float,
    model_version: str | None,
    publish_metrics: bool,
    as_json: bool,
) -> None:
    """Compare one window of captured requests with the baseline, here, with your credentials: the same
    code the scheduled Processing job runs. Writes drift.json, statistics.json, constraint_violations.json.

    Exit codes: 0 compared (drift or not: read the result), 2 usage, 24 a baseline, window or capture it
    cannot use (nothing written).
    """
    monitor_commands = _monitor()
    with deploy_cli.json_errors(as_json):
        start, stop = monitor_commands.window(end, int(window_minutes))
        with click.progressbar(length=1, label="reading capture", file=sys.stderr, show_pos=True) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            result = monitor_commands.run(
                baseline_location,
                capture_location,
                output,
                endpoint=endpoint,
                schedule=schedule or f"{endpoint}-drift",
                start=start,
                end=stop,
                model_version=model_version,
                cloudwatch=AwsTarget.from_env().client("cloudwatch") if publish_metrics else None,
                progress=progress,
            )
    _echo_document(result, as_json, monitor_commands.summary_line(result))


@monitor_group.command("quality", cls=deploy_cli.JsonCommand)
@click.option(
    "--capture",
    "capture_location",
    required=True,
    help="s3:// prefix of the endpoint's (or a variant's) capture, or a local folder of .jsonl files.",
)
@click.option(
    "--feedback",
    required=True,
    help="The feedback bucket (s3://BUCKET, records under feedback/stage=.../endpoint=...), or a local "
    "JSON Lines file of feedback records: their label is the ground truth.",
)
@click.option("--stage", type=click.Choice(["dev", "staging", "prod"]), default="prod", show_default=True)
@click.option(
    "--endpoint", required=True, help="The endpoint (the feedback partition and a metric dimension)."
)
@click.option("--out", "output", required=True, help="Folder or s3:// prefix for the results.")
@click.option("--schedule", help="A metric dimension, as the drift job's.  [default: ENDPOINT-quality]")
@click.option("--end", help="End of the window, RFC 3339.  [default: now]")
@click.option(
    "--window-minutes",
    type=deploy_cli.Number(low=1, high=44640, integer=True),
    default=1440,
    show_default=True,
)
@click.option(
    "--problem-type",
    type=click.Choice(["BinaryClassification", "Regression"]),
    default="BinaryClassification",
    show_default=True,
)
@click.option(
    "--threshold",
    type=deploy_cli.Number(low=0, high=1),
    default=0.5,
    show_default=True,
    help="BinaryClassification: the score from which the prediction is 1.",
)
@click.option(
    "--field",
    default="probability",
    show_default=True,
    help="The prediction's field in the endpoint's JSON output (a number or CSV output: itself).",
)
@click.option(
    "--model-card",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check the model card's evaluation.metrics thresholds.",
)
@click.option(
    "--publish-metrics", is_flag=True, help="Put the metrics to CloudWatch (Model Monitor's names)."
)
@_JSON_OPTION
@friendly_errors
def monitor_quality_command(
    capture_location: str,
    feedback: str,
    stage: str,
    endpoint: str,
    output: str,
    schedule: str | None,
    end: str | None,
    window_minutes: float,
    problem_type: str,
    threshold: float,
    field: str,
    model_card: Path | None,
    publish_metrics: bool,
    as_json: bool,
) -> None:
    """Model quality of a window: the captured predictions joined, on the request's InferenceId, to the
    labels of feedback records; Model Monitor's model-quality statistics.json and violations.

    Exit codes: 0 scored (violations or not: read the result), 2 usage, 24 nothing to score or input it
    cannot use (nothing written).
    """
    monitor_commands = _monitor()
    from launchpad.monitor import feedback as monitor_feedback
    from launchpad.monitor import quality as monitor_quality

    with deploy_cli.json_errors(as_json):
        start, stop = monitor_commands.window(end, int(window_minutes))
        if feedback.startswith("s3://"):
            bucket = feedback.removeprefix("s3://").strip("/")
            client = AwsTarget.from_env().client("s3")
            records = monitor_feedback.read_records(
                client, bucket, stage=stage, endpoint=endpoint, start=start, end=stop
            )
        else:
            records = monitor_feedback.check_records(_json_lines(Path(feedback)))
        card = read_yaml(model_card, "model card") if model_card else {}
        result = monitor_commands.quality(
            capture_location,
            records,
            output,
            start=start,
            end=stop,
            endpoint=endpoint,
            schedule=schedule or f"{endpoint}-quality",
            problem_type=problem_type,
            threshold=threshold,
            field=field,
            card_thresholds=monitor_quality.thresholds_from_card(card),
            cloudwatch=AwsTarget.from_env().client("cloudwatch") if publish_metrics else None,
        )
    text = ", ".join(f"{k} {v:.4g}" for k, v in result["metrics"].items() if isinstance(v, int | float))
    lines_out = [f"{endpoint}: {result['join']} -> {text}"]
    lines_out += [
        f"  violation {v['constraint_check_type']}: {v['description']}" for v in result["violations"]
    ]
    _echo_document(result, as_json, "\n".join(lines_out))


@monitor_group.command("report")
@click.argument("results", nargs=-1, required=True)
@click.option(
    "--baseline", "baseline_location", required=True, help="Folder or s3:// prefix of the baseline."
)
@click.option(
    "--out",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write.",
)
@click.option("--title", help="The page's title.  [default: the endpoint's name]")
@friendly_errors
def monitor_report_command(
    results: tuple[str, ...], baseline_location: str, output: Path, title: str | None
) -> None:
    """Write a static HTML report of RESULTS folders (runs, any order): per feature, the baseline against
    the latest window, and drift over time."""
    from launchpad.monitor import report as monitor_report

    monitor_commands = _monitor()

    stats = monitor_commands.read_documents(baseline_location, ("statistics.json",))["statistics.json"]
    runs = monitor_commands.history(results)
    monitor_report.write(output, stats, runs, title=title or f"Drift of {runs[-1]['endpoint']}")
    click.echo(f"report of {len(runs)} runs written to {output}")


@monitor_group.command("status", cls=deploy_cli.JsonCommand)
@click.argument("results", nargs=-1, required=True)
@_JSON_OPTION
@friendly_errors
def monitor_status_command(results: tuple[str, ...], as_json: bool) -> None:
    """Show the latest of RESULTS folders (runs, any order) and each feature's drift over them."""
    monitor_commands = _monitor()
    with deploy_cli.json_errors(as_json):
        shown = monitor_commands.status(results)
    _echo_document(shown, as_json, monitor_commands.summary_line(shown["latest"]))


@monitor_group.command("bundle")
@click.option("--out", "output", required=True, help="Folder or s3:// prefix: the schedule's code input.")
@click.option("--kms-key-id", help="KMS key for an s3:// output (SSE-KMS).")
@friendly_errors
def monitor_bundle_command(output: str, kms_key_id: str | None) -> None:
    """Write the drift job's code (the Processing job's code input) to a folder or s3:// prefix."""
    monitor_commands = _monitor()
    written = monitor_commands.write_bundle(output, kms_key_id=kms_key_id)
    click.echo(f"{len(written)} files written to {output}")


# -- the assistant: retrieval index ----------------------------------------------------------------------
@main.group("assistant")
def assistant_group() -> None:
    """The medical assistant's retrieval: build its index, evaluate it (docs/assistant.md)."""


def _assistant() -> ModuleType:
    """launchpad.assistant.commands, imported when a command runs (building the index imports bm25s)."""
    from launchpad.assistant import commands

    return commands


def _recall_floor(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[int, float]:
    """--min-recall K=VALUE, as {K: VALUE}."""
    floors: dict[int, float] = {}
    for value in values:
        k, _, floor = value.partition("=")
        try:
            floors[int(k)] = float(floor)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not K=VALUE, e.g. 3=0.7", ctx, param) from None
        if int(k) < 1 or not 0 <= float(floor) <= 1:
            raise click.BadParameter(f"{value!r}: K must be 1 or more and VALUE from 0 to 1", ctx, param)
    return floors


def _cutoffs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[int, ...]:
    """--k 1 --k 3, or --k 1,3,5."""
    found = []
    for part in (p for value in values for p in value.split(",")):
        if not part.strip().isdigit() or int(part) < 1:
            raise click.BadParameter(f"{part!r} is not a whole number of 1 or more", ctx, param)
        found.append(int(part))
    return tuple(sorted(set(found)))


_BUCKET_OWNER_OPTION = click.option(
    "--bucket-owner",
    metavar="ACCOUNT",
    help="The account that must own the s3:// buckets (ExpectedBucketOwner).  [default: the caller's]",
)


@assistant_group.command("index", cls=deploy_cli.JsonCommand)
@click.option(
    "--corpus",
    metavar="PATH|s3://…",
    help="The passages, JSON Lines (id, title, text, source, url, licence).  [default: the shipped corpus]",
)
@click.option(
    "--output", required=True, metavar="PATH|s3://…", help="Where to write the index (JSON): the INDEX_URI."
)
@click.option("--kms-key-id", metavar="ARN", help="KMS key for an s3:// output (SSE-KMS); required there.")
@_BUCKET_OWNER_OPTION
@_JSON_OPTION
@friendly_errors
def assistant_index_command(
    corpus: str | None, output: str, kms_key_id: str | None, bucket_owner: str | None, as_json: bool
) -> None:
    """Build the retrieval index of a passage corpus with bm25s (pip install 'launchpad[assistant]') and
    write it where the assistant's function reads it.

    Exit codes: 0 written, 2 usage, 25 a corpus or output launchpad cannot use (nothing written).
    """
    assistant_commands = _assistant()
    with deploy_cli.json_errors(as_json):
        written = assistant_commands.build_index(
            corpus, output, kms_key_id=kms_key_id, bucket_owner=bucket_owner
        )
    _echo_document(
        written,
        as_json,
        f"index of {written['passages']} passages ({written['tokens']} tokens, {written['bytes']} bytes) "
        f"written to {output}",
    )


@assistant_group.command("evaluate", cls=deploy_cli.JsonCommand)
@click.option(
    "--index",
    "index_location",
    metavar="PATH|s3://…",
    help="The index to evaluate.  [default: the shipped corpus, built now]",
)
@click.option(
    "--questions",
    metavar="PATH|s3://…",
    help="Labelled questions, JSON Lines (question, relevant: passage ids).  [default: the shipped ones]",
)
@click.option(
    "--k",
    "ks",
    multiple=True,
    callback=_cutoffs,
    metavar="K",
    help="A cutoff of recall@K; repeat it or list them (--k 1,3,5).  [default: 1, 3, 5]",
)
@click.option(
    "--min-recall",
    "floors",
    multiple=True,
    callback=_recall_floor,
    metavar="K=VALUE",
    help="Fail (exit 26) when recall@K is below VALUE, e.g. 3=0.7; repeatable.",
)
@_BUCKET_OWNER_OPTION
@_JSON_OPTION
@friendly_errors
def assistant_evaluate_command(
    index_location: str | None,
    questions: str | None,
    ks: tuple[int, ...],
    floors: dict[int, float],
    bucket_owner: str | None,
    as_json: bool,
) -> None:
    """Score an index on labelled questions through the search the assistant's function runs: recall@K
    (the share of each question's relevant passages in its top K, averaged) and MRR@10.

    Exit codes: 0 evaluated (and every --min-recall met), 2 usage, 25 an index or questions launchpad
    cannot use, 26 a --min-recall floor missed. With --json, stdout is one JSON document.
    """
    assistant_commands = _assistant()
    with deploy_cli.json_errors(as_json):
        result = assistant_commands.evaluate_index(
            index_location,
            questions,
            ks or assistant_commands.DEFAULT_KS,
            floors,
            bucket_owner=bucket_owner,
        )
    _echo_document(result, as_json, assistant_commands.evaluation_summary(result))
    if not result["passed"]:
        sys.exit(assistant_commands.BELOW_FLOOR_EXIT)


# -- the training pipeline (SageMaker Pipelines) ----------------------------------------------------------
main.add_command(pipeline_commands.group(friendly_errors))


# -- endpoints: status and traffic ---------------------------------------------------------------------
def _endpoint_options(func: F) -> F:
    func = click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")(
        func
    )
    func = click.option(
        "--region",
        type=deploy_cli.REGION,
        help="The endpoint's region.  [default: the stage config's, else the AWS environment's]",
    )(func)
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A stage config (STAGE.yaml): its endpoint_name and region name the endpoint.",
    )(func)
    return click.argument("endpoint", required=False, type=deploy_cli.ENDPOINT_NAME)(func)


def _endpoint_clients(
    endpoint: str | None, config_path: Path | None, region: str | None
) -> tuple[str, str, Any, Any]:
    """The endpoint's name and region, and SageMaker and CloudWatch clients there (AWS_* environment)."""
    return deploy_status.clients(endpoint, config_path, region)


def _echo_status(status: deploy_status.EndpointStatus, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(status.as_dict(), indent=2, sort_keys=True))
    else:
        click.echo(deploy_status.render(status))


@main.command("status", cls=deploy_cli.JsonCommand)
@_endpoint_options
@friendly_errors
def status_command(endpoint: str | None, config_path: Path | None, region: str | None, as_json: bool) -> None:
    """Show an endpoint: status, variants and their traffic shares, rollback alarms, last deployment config.

    Exit codes: 0 shown, 1 endpoint named twice or not at all, 2 usage (a name or region AWS would refuse),
    7 bad stage config, 10 AWS refused the read, 17 no such endpoint. With --json, stdout is one JSON
    document whatever the exit code.
    """
    with deploy_cli.json_errors(as_json):
        name, region, sagemaker, cloudwatch = _endpoint_clients(endpoint, config_path, region)
        shown = deploy_status.read_status(sagemaker, cloudwatch, name, region)
    _echo_status(shown, as_json)


@main.command("traffic", cls=deploy_cli.JsonCommand)
@_endpoint_options
@click.option(
    "--weights", metavar="VARIANT=WEIGHT,...", help="Set relative weights, e.g. champion=90,challenger=10."
)
@click.option(
    "--decide", is_flag=True, help="Decide PROMOTE, ABORT or WAIT from the variants' CloudWatch metrics."
)
@click.option(
    "--champion", metavar="VARIANT", help="--decide: the serving variant.  [default: the heavier one]"
)
@click.option("--challenger", metavar="VARIANT", help="--decide: the candidate.  [default: the other one]")
@click.option(
    "--window-minutes",
    type=deploy_cli.Number(low=1, high=deploy_traffic.MAX_WINDOW_MINUTES, integer=True),
    default=60,
    show_default=True,
    help="--decide: the metrics window, ending now (at most 15 days).",
)
@click.option(
    "--min-invocations",
    type=deploy_cli.Number(low=1, integer=True),
    default=100,
    show_default=True,
    help="--decide: fewer invocations on either variant means WAIT.",
)
@click.option(
    "--max-error-rate-increase",
    type=deploy_cli.Number(low=0),
    default=1.0,
    show_default=True,
    metavar="POINTS",
    help="--decide: the challenger's 5xx rate may exceed the champion's by this many percentage points.",
)
@click.option(
    "--max-latency-increase-percent",
    type=deploy_cli.Number(low=0),
    default=10.0,
    show_default=True,
    metavar="PERCENT",
    help="--decide: the challenger's latency may exceed the champion's by this much.",
)
@click.option(
    "--latency-statistic",
    type=click.Choice(deploy_traffic.LATENCY_STATISTICS),
    default="p99",
    show_default=True,
    help="--decide: the ModelLatency statistic compared.",
)
@click.option(
    "--kpi",
    type=click.Choice(deploy_traffic.KPIS),
    help="--decide: also judge this business KPI, published from feedback records (launchpad/Business).",
)
@click.option(
    "--max-kpi-decrease",
    type=deploy_cli.Number(low=0),
    default=0.0,
    show_default=True,
    metavar="AMOUNT",
    help="--kpi: ABORT only if the challenger's KPI is significantly more than this below the champion's "
    "(a rate as a fraction: 0.02 is 2 points; MeanRating in rating points).",
)
@click.option(
    "--min-kpi-samples",
    type=deploy_cli.Number(low=2, integer=True),
    default=200,
    show_default=True,
    help="--kpi: fewer feedback records on either variant means WAIT (unless errors or latency abort).",
)
@click.option(
    "--kpi-confidence",
    type=deploy_cli.Number(low=0.5, high=0.999),
    default=0.95,
    show_default=True,
    help="--kpi: the one-sided confidence that the challenger is worse before it is aborted.",
)
@click.option("--apply", is_flag=True, help="--decide: send all traffic to the winner (nothing on WAIT).")
@click.option(
    "--timeout",
    type=deploy_cli.Number(low=1),
    default=deploy_traffic.DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the new weights to show.",
)
@friendly_errors
def traffic_command(
    endpoint: str | None,
    config_path: Path | None,
    region: str | None,
    as_json: bool,
    weights: str | None,
    decide: bool,
    champion: str | None,
    challenger: str | None,
    window_minutes: int,
    min_invocations: int,
    max_error_rate_increase: float,
    max_latency_increase_percent: float,
    latency_statistic: str,
    kpi: str | None,
    max_kpi_decrease: float,
    min_kpi_samples: int,
    kpi_confidence: float,
    apply: bool,
    timeout: float,
) -> None:
    """Set the A/B weights of an endpoint's variants (--weights), or decide from metrics (--decide).

    --decide rules: WAIT if either variant has fewer than --min-invocations; ABORT if the challenger's 5xx
    rate is more than --max-error-rate-increase points above the champion's, or its latency more than
    --max-latency-increase-percent above, or (with --kpi) its business KPI is significantly worse: the
    upper bound of the one-sided --kpi-confidence interval of challenger minus champion (Wilson-based
    Newcombe interval for HelpfulRate and OutcomeRate, normal interval for MeanRating) is below
    -(--max-kpi-decrease); WAIT if either variant has fewer than --min-kpi-samples feedback records; else
    PROMOTE. --apply moves all traffic to the winner. Example: --decide --kpi HelpfulRate
    --max-kpi-decrease 0.02 --min-kpi-samples 200.

    A weight of 0 takes a variant out of the traffic (champion=1,challenger=0 stops an A/B test); the
    weights may not all end up 0. Exit codes: 0 weights set / PROMOTE, 21 ABORT, 22 WAIT, 20 bad weights
    (not VARIANT=WEIGHT, negative, not a finite number, a variant named twice or unknown, all 0) or endpoint
    not InService (nothing changed), 2 usage, 16 new weights not shown in time, 17 no such endpoint. With
    --json, stdout is one JSON document whatever the exit code.
    """
    with deploy_cli.json_errors(as_json):
        if (weights is None) == (not decide):
            raise click.UsageError("give exactly one of --weights and --decide")
        context = click.get_current_context()
        kpi_options = ("max_kpi_decrease", "min_kpi_samples", "kpi_confidence")
        given = [context.get_parameter_source(name) for name in kpi_options]
        if kpi is None and any(source is not click.core.ParameterSource.DEFAULT for source in given):
            raise click.UsageError("--max-kpi-decrease, --min-kpi-samples and --kpi-confidence need --kpi")
        name, region, sagemaker, cloudwatch = _endpoint_clients(endpoint, config_path, region)
        if weights is not None:
            wanted = deploy_traffic.parse_weights(weights)
            deploy_traffic.set_weights(sagemaker, name, wanted, timeout=timeout)
            shown = deploy_status.read_status(sagemaker, cloudwatch, name, region)
        else:
            report = deploy_traffic.decide_endpoint(
                sagemaker,
                cloudwatch,
                name,
                champion=champion,
                challenger=challenger,
                thresholds=deploy_traffic.Thresholds(
                    min_invocations,
                    max_error_rate_increase,
                    max_latency_increase_percent,
                    kpi=None
                    if kpi is None
                    else deploy_traffic.KpiRule(kpi, max_kpi_decrease, min_kpi_samples, kpi_confidence),
                ),
                window_minutes=window_minutes,
                latency_statistic=latency_statistic,
                apply=apply,
                timeout=timeout,
            )
    if weights is not None:
        _echo_status(shown, as_json)
        return
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        click.echo(deploy_traffic.render_decision(report))
    sys.exit(report.exit_code)


if __name__ == "__main__":
    main()
