"""What ``launchpad pipeline definition|check|publish|run|status|list`` do, and the click group the CLI adds.

- ``definition``: the project's pipeline definition (launchpad.pipeline.definition) from its pipeline.yaml,
  model card and the platform's settings (a YAML or JSON file of ``definition.SETTING_FIELDS``, with
  ``--set KEY=VALUE`` on top), checked with ``check_definition`` before it is written.
- ``check``: ``check_definition`` of a definition file; exit 27 listing every problem.
- ``publish``: the project's ``sourcedir.tar.gz`` (SourceCode's default location) and launchpad's job bundle
  (with the project's declarations) to S3, SSE-KMS with the settings' key.
- ``run``: ``StartPipelineExecution``, after ``check_parameters`` against the pipeline's own definition
  (``DescribePipeline``): a parameter of a wrong type or an unknown name is refused before anything starts.
  ``--wait`` prints a line per step status and, when the execution fails, names the failing step with its
  FailureReason and the end of its job's log.
- ``status``: ``ListPipelineExecutionSteps`` of an execution (or a pipeline's latest) as a table or JSON.
- ``list``: ``ListPipelineExecutions`` of a pipeline.

AWS calls go where the AWS_* environment says (``AwsTarget.from_env``: the sandbox when AWS_ENDPOINT_URL is
set, as for every launchpad command). Errors are ``PipelineError`` (27) and, for an execution that ended
Failed or Stopped, ``PipelineFailedError`` (28); a bad settings file or pipeline.yaml is a ConfigError (7).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from botocore.exceptions import BotoCoreError, ClientError

from launchpad.aws import AwsTarget
from launchpad.deploy import cli_support
from launchpad.deploy.artifacts import split_s3_uri
from launchpad.deploy.schema_errors import read_yaml
from launchpad.errors import ConfigError, PipelineError, PipelineFailedError
from launchpad.pipeline import check as checks
from launchpad.quoting import shown

LOG = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
TERMINAL = ("Succeeded", "Failed", "Stopped")
DEFAULT_POLL = 5.0
DEFAULT_TIMEOUT = 6 * 3600.0
LOG_LINES = 10
_PARAMETER = re.compile(r"([A-Za-z0-9_-]{1,256})=(.*)", re.DOTALL)
_PIPELINE_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}")
_EXECUTION_ARN = re.compile(
    r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:pipeline/[^/]+/execution/[a-z0-9]+"
)
LOG_GROUPS = {"ProcessingJob": "/aws/sagemaker/ProcessingJobs", "TrainingJob": "/aws/sagemaker/TrainingJobs"}


# -- settings and the definition -----------------------------------------------------------------------------
def settings_values(settings_file: Path | None, sets: Sequence[str]) -> dict[str, Any]:
    """The platform's values: the settings file's mapping, then each ``KEY=VALUE`` (lists comma-separated)."""
    values: dict[str, Any] = dict(read_yaml(settings_file, "pipeline settings")) if settings_file else {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {shown(item)} is not KEY=VALUE")
        values[key.strip()] = value
    return values


def make_definition(project_dir: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """The project's checked definition (PipelineError if the check finds a problem: a launchpad bug)."""
    from launchpad.pipeline import definition

    built = definition.build_definition(definition.load_settings(project_dir, values))
    problems = checks.check_definition(built)
    if problems:
        raise PipelineError(
            f"the generated definition fails its check ({len(problems)} problems)", tuple(problems)
        )
    return built


def read_definition(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PipelineError(
            f"{path} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None


def check_file(path: Path) -> list[str]:
    """Every problem ``check_definition`` finds in the definition file (none: valid)."""
    return checks.check_definition(read_definition(path))


# -- publish -------------------------------------------------------------------------------------------------
def publish(s3: Any, project_dir: Path, values: Mapping[str, Any]) -> list[str]:
    """Upload the project's sourcedir.tar.gz and launchpad's job bundle (SSE-KMS); the URIs written."""
    from launchpad.pipeline import definition, jobs, source

    settings = definition.load_settings(project_dir, values)
    uploads = [(settings.source_uri, source.build_sourcedir(project_dir))]
    bundle = jobs.job_bundle(project_dir)
    uploads += [(settings.bundle_uri + name, body) for name, body in sorted(bundle.items())]
    written = []
    for uri, body in uploads:
        bucket, key = split_s3_uri(uri)
        try:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=settings.kms_key_arn,
            )
        except ClientError as exc:
            raise PipelineError(f"cannot upload {uri}: {exc}") from None
        LOG.debug("uploaded %s (%d bytes)", uri, len(body))
        written.append(uri)
    return written


# -- run -----------------------------------------------------------------------------------------------------
def parse_parameters(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs as StartPipelineExecution's parameters (text values, as the API takes them)."""
    out: dict[str, str] = {}
    for pair in pairs:
        match = _PARAMETER.fullmatch(pair)
        if match is None:
            raise PipelineError(f"--parameter {shown(pair)} is not NAME=VALUE")
        name, value = match.groups()
        if name in out:
            raise PipelineError(f"--parameter {name} is given twice; give each parameter once")
        out[name] = value
    return out


def _aws(action: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise PipelineError(f"{action}: {error.get('Code')}: {error.get('Message')}") from None
    except BotoCoreError as exc:
        raise PipelineError(f"{action}: {exc}") from None


def pipeline_definition(sagemaker: Any, pipeline: str) -> Any:
    described = _aws(
        f"DescribePipeline {pipeline}", lambda: sagemaker.describe_pipeline(PipelineName=pipeline)
    )
    try:
        return json.loads(described["PipelineDefinition"])
    except (KeyError, TypeError, json.JSONDecodeError):
        raise PipelineError(f"pipeline {pipeline} has no JSON definition (DescribePipeline)") from None


def start(sagemaker: Any, pipeline: str, parameters: Mapping[str, str]) -> str:
    """Start an execution after ``check_parameters`` against the pipeline's definition; its ARN."""
    problems = checks.check_parameters(pipeline_definition(sagemaker, pipeline), parameters)
    if problems:
        raise PipelineError(f"pipeline {pipeline}: parameters refused, nothing started", tuple(problems))
    started = _aws(
        f"StartPipelineExecution {pipeline}",
        lambda: sagemaker.start_pipeline_execution(
            PipelineName=pipeline,
            PipelineParameters=[{"Name": k, "Value": v} for k, v in sorted(parameters.items())],
        ),
    )
    arn: str = started["PipelineExecutionArn"]
    LOG.info("started %s", arn)
    return arn


def steps(sagemaker: Any, execution_arn: str) -> list[dict[str, Any]]:
    """The execution's steps in the order they started (ListPipelineExecutionSteps, every page)."""
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}

        def page_of(extra: dict[str, str] = extra) -> Any:
            return sagemaker.list_pipeline_execution_steps(
                PipelineExecutionArn=execution_arn, SortOrder="Ascending", **extra
            )

        page = _aws("ListPipelineExecutionSteps", page_of)
        out += page.get("PipelineExecutionSteps", [])
        token = page.get("NextToken")
        if not token:
            return out


def describe_execution(sagemaker: Any, execution_arn: str) -> dict[str, Any]:
    described: dict[str, Any] = _aws(
        "DescribePipelineExecution",
        lambda: sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn),
    )
    return described


def _job(step: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, name) of the job a step ran (ProcessingJob, TrainingJob, TuningJob), from its Metadata."""
    for kind, entry in (step.get("Metadata") or {}).items():
        if isinstance(entry, Mapping) and isinstance(entry.get("Arn"), str) and kind.endswith("Job"):
            return kind, entry["Arn"].rsplit("/", 1)[-1]
    return None


def log_end(logs: Any, kind: str, job: str, lines: int = LOG_LINES) -> list[str]:
    """The last ``lines`` of a job's CloudWatch log (its latest stream); [] when there is none to read."""
    group = LOG_GROUPS.get(kind)
    if group is None or logs is None:
        return []
    try:
        streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{job}/").get(
            "logStreams", []
        )
        if not streams:
            return []
        latest = max(streams, key=lambda s: (s.get("lastEventTimestamp") or 0, s["logStreamName"]))
        events = logs.get_log_events(
            logGroupName=group, logStreamName=latest["logStreamName"], startFromHead=False, limit=lines
        ).get("events", [])
    except (ClientError, BotoCoreError) as exc:
        LOG.debug("no log of %s %s: %s", kind, job, exc)
        return []
    return [str(e.get("message", "")).rstrip("\n") for e in events][-lines:]


def failure_detail(sagemaker: Any, logs: Any, step: Mapping[str, Any]) -> list[str]:
    """Why a step failed: its FailureReason, the failed job's (for a tuning step: a failed training job's)
    reason, and the end of that job's log."""
    reason = step.get("FailureReason") or "no reason given"
    lines = [f"step {step.get('StepName')} {step.get('StepStatus')}: {reason}"]
    message = ((step.get("Metadata") or {}).get("Fail") or {}).get("ErrorMessage")
    if message and message not in lines[0]:
        lines.append(f"  {message}")
    job = _job(step)
    if job is None:
        return lines
    kind, name = job
    if kind == "TuningJob":
        try:
            failed = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name, StatusEquals="Failed"
            ).get("TrainingJobSummaries", [])
        except (ClientError, BotoCoreError):
            failed = []
        if not failed:
            return lines
        kind, name = "TrainingJob", failed[0]["TrainingJobName"]
        reason = failed[0].get("FailureReason")
        lines.append(f"  training job {name} failed: {reason or 'no reason given'}")
    ended = log_end(logs, kind, name)
    if ended:
        lines.append(f"  end of {name}'s log ({LOG_GROUPS[kind]}):")
        lines += [f"    {line}" for line in ended]
    return lines


def wait(
    sagemaker: Any,
    logs: Any,
    execution_arn: str,
    *,
    poll: float = DEFAULT_POLL,
    timeout: float = DEFAULT_TIMEOUT,
    on_line: Callable[[str], None] = lambda line: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the execution until it ends, calling ``on_line`` once per step status change; the execution's
    description when it Succeeded, else PipelineFailedError naming each failed step (PipelineError when it
    has not ended after ``timeout`` seconds: nothing is stopped)."""
    started = clock()
    seen: dict[str, str] = {}
    while True:
        described = describe_execution(sagemaker, execution_arn)
        status = described.get("PipelineExecutionStatus")
        listed = steps(sagemaker, execution_arn)
        for step in listed:
            name, step_status = str(step.get("StepName")), str(step.get("StepStatus"))
            if seen.get(name) != step_status:
                seen[name] = step_status
                job = _job(step)
                where = f" ({job[0]} {job[1]})" if job else ""
                on_line(f"[{clock() - started:7.1f} s] {name}: {step_status}{where}")
        if status in TERMINAL:
            break
        if clock() - started > timeout:
            raise PipelineError(
                f"{execution_arn} is still {status} after {timeout:g} s; it goes on: watch it with "
                f"launchpad pipeline status {execution_arn}"
            )
        sleep(poll)
    if status == "Succeeded":
        on_line(f"[{clock() - started:7.1f} s] execution Succeeded")
        return described
    failed = [s for s in listed if s.get("StepStatus") in ("Failed", "Stopped")]
    problems = tuple(line for step in failed for line in failure_detail(sagemaker, logs, step))
    named = ", ".join(str(s.get("StepName")) for s in failed) or "no step"
    reason = described.get("FailureReason")
    raise PipelineFailedError(
        f"pipeline execution {execution_arn} {status}"
        + (f": {reason}" if reason else "")
        + f" (failed: {named})"
        + ("".join(f"\n  {line}" for line in problems)),
        problems,
    )


# -- status and list -----------------------------------------------------------------------------------------
def executions(sagemaker: Any, pipeline: str, limit: int = 50) -> list[dict[str, Any]]:
    page = _aws(
        f"ListPipelineExecutions {pipeline}",
        lambda: sagemaker.list_pipeline_executions(
            PipelineName=pipeline, SortBy="CreationTime", SortOrder="Descending", MaxResults=limit
        ),
    )
    listed: list[dict[str, Any]] = page.get("PipelineExecutionSummaries", [])
    return listed


def latest_execution(sagemaker: Any, pipeline: str) -> str:
    listed = executions(sagemaker, pipeline, limit=1)
    if not listed:
        raise PipelineError(f"pipeline {pipeline} has no execution; start one with launchpad pipeline run")
    arn: str = listed[0]["PipelineExecutionArn"]
    return arn


def _plain(value: Any) -> Any:
    """A boto3 answer as JSON: datetimes as ISO text, without ResponseMetadata."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def status_document(sagemaker: Any, execution_arn: str) -> dict[str, Any]:
    return {
        "execution": _plain(describe_execution(sagemaker, execution_arn)),
        "steps": _plain(steps(sagemaker, execution_arn)),
    }


def _time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)[:19].replace("T", " ") if value else "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in lines
    )


def render_status(document: Mapping[str, Any]) -> str:
    execution = document["execution"]
    head = f"{execution.get('PipelineExecutionArn')}: {execution.get('PipelineExecutionStatus')}" + (
        f" ({execution['FailureReason']})" if execution.get("FailureReason") else ""
    )
    rows = []
    for step in document["steps"]:
        job = _job(step)
        condition = ((step.get("Metadata") or {}).get("Condition") or {}).get("Outcome")
        detail = (
            step.get("FailureReason")
            or (f"{job[0]} {job[1]}" if job else "")
            or (f"outcome {condition}" if condition else "")
        )
        rows.append(
            [
                str(step.get("StepName")),
                str(step.get("StepStatus")),
                _time(step.get("StartTime")),
                _time(step.get("EndTime")),
                str(step.get("AttemptCount", "")),
                str(detail),
            ]
        )
    return head + "\n" + table(("STEP", "STATUS", "STARTED", "ENDED", "ATTEMPTS", "DETAIL"), rows)


def render_executions(listed: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            str(e.get("PipelineExecutionArn", "")).rsplit("/", 1)[-1],
            str(e.get("PipelineExecutionStatus")),
            _time(e.get("StartTime")),
            str(e.get("PipelineExecutionDisplayName") or ""),
            str(e.get("PipelineExecutionFailureReason") or ""),
        ]
        for e in listed
    ]
    return table(("EXECUTION", "STATUS", "STARTED", "DISPLAY NAME", "FAILURE"), rows)


# -- the command line ----------------------------------------------------------------------------------------
def _pipeline_name(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> str | None:
    if value is not None and not _PIPELINE_NAME.fullmatch(value):
        raise click.BadParameter(f"{shown(value)} is not a pipeline name (letters, digits, -; 1-256)")
    return value


def pipeline_of(pipeline: str | None, project_dir: Path | None) -> str:
    """The pipeline ``--pipeline`` names, or the project's: ``<model card's model_details.name>-training``."""
    if (pipeline is None) == (project_dir is None):
        raise click.UsageError("give --pipeline NAME or --project DIR (its <project>-training pipeline)")
    if pipeline is not None:
        return pipeline
    from launchpad.pipeline import definition

    card = read_yaml(Path(str(project_dir)) / definition.CARD_FILE, "model card")
    name = str((card.get("model_details") or {}).get("name") or "")
    if not _PIPELINE_NAME.fullmatch(f"{name}-training"):
        raise ConfigError(
            f"{project_dir}: the model card's model_details.name {shown(name)} names no pipeline"
        )
    return f"{name}-training"


def _client(region: str | None, service: str) -> Any:
    return AwsTarget.from_env(region).client(service)


def group(friendly_errors: Callable[[Callable[..., Any]], Any]) -> click.Group:
    """The ``pipeline`` command group, its commands wrapped in the CLI's ``friendly_errors``."""

    @click.group("pipeline")
    def pipeline_group() -> None:
        """The project's SageMaker training pipeline: generate, check, publish, run and watch it."""

    region_option = click.option("--region", type=cli_support.REGION, help="[default: the AWS environment's]")
    json_option = click.option(
        "--json", "as_json", is_flag=True, help="Print a JSON document instead of text."
    )
    project_option = click.option(
        "--project",
        "project_dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="Instead of --pipeline: the baked project's <project>-training pipeline.",
    )
    settings_options = [
        click.option(
            "--project",
            "project_dir",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            default=Path("."),
            show_default=True,
            help="The baked project (its pipeline.yaml and model_card.yaml).",
        ),
        click.option(
            "--settings",
            "settings_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A YAML or JSON mapping of the platform's values: region, serving_image, artifact_bucket, "
            "kms_key_arn, job_role_arn, subnets, security_groups, model_package_group, ...",
        ),
        click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A setting (repeatable)."),
    ]

    def with_settings(func: F) -> F:
        for option in reversed(settings_options):
            func = option(func)
        return func

    @pipeline_group.command("definition")
    @with_settings
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write here.  [default: stdout]",
    )
    @friendly_errors
    def definition_command(
        project_dir: Path, settings_file: Path | None, sets: tuple[str, ...], output: Path | None
    ) -> None:
        """Write the project's pipeline definition (JSON, sorted keys), checked. Exit 7 on a bad
        pipeline.yaml, model card or settings."""
        from launchpad.pipeline import definition

        text = definition.render(make_definition(project_dir, settings_values(settings_file, sets)))
        if output is None:
            click.echo(text, nl=False)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)

    @pipeline_group.command("check")
    @click.argument("definition_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @friendly_errors
    def check_command(definition_file: Path) -> None:
        """Check a pipeline definition file: schema, references, cycles. Exit 27 listing every problem."""
        problems = check_file(definition_file)
        if problems:
            raise PipelineError(
                f"{definition_file} has {len(problems)} problem{'s' if len(problems) > 1 else ''}:"
                + "".join(f"\n  - {p}" for p in problems),
                tuple(problems),
            )
        click.echo(f"{definition_file}: valid")

    @pipeline_group.command("publish")
    @with_settings
    @region_option
    @friendly_errors
    def publish_command(
        project_dir: Path, settings_file: Path | None, sets: tuple[str, ...], region: str | None
    ) -> None:
        """Upload the project's sourcedir.tar.gz and launchpad's job bundle where the pipeline reads them."""
        values = settings_values(settings_file, sets)
        written = publish(_client(region or values.get("region"), "s3"), project_dir, values)
        click.echo(f"uploaded {len(written)} objects: {written[0]} and the job bundle")

    @pipeline_group.command("run", cls=cli_support.JsonCommand)
    @click.option("--pipeline", callback=_pipeline_name, help="The pipeline, e.g. churn-model-training.")
    @project_option
    @click.option("--parameter", "pairs", multiple=True, metavar="NAME=VALUE", help="A pipeline parameter.")
    @click.option("--wait", "wait_for", is_flag=True, help="Follow the execution until it ends.")
    @click.option("--poll", type=cli_support.Number(low=0.01), default=DEFAULT_POLL, show_default=True)
    @click.option("--timeout", type=cli_support.Number(low=1), default=DEFAULT_TIMEOUT, show_default=True)
    @region_option
    @json_option
    @friendly_errors
    def run_command(
        pipeline: str | None,
        project_dir: Path | None,
        pairs: tuple[str, ...],
        wait_for: bool,
        poll: float,
        timeout: float,
        region: str | None,
        as_json: bool,
    ) -> None:
        """Start an execution; parameters are checked against the pipeline's definition first (exit 27,
        nothing started). --wait: a line per step; exit 28 naming the failed step, its reason and log end."""
        with cli_support.json_errors(as_json):
            try:
                parameters = parse_parameters(pairs)
            except PipelineError as exc:
                raise click.BadParameter(str(exc), param_hint="'--parameter'") from None
            name = pipeline_of(pipeline, project_dir)
            target = AwsTarget.from_env(region)
            sagemaker = target.client("sagemaker")
            arn = start(sagemaker, name, parameters)
            click.echo(f"started {arn}", err=True)
            if wait_for:
                wait(
                    sagemaker,
                    target.client("logs"),
                    arn,
                    poll=poll,
                    timeout=timeout,
                    on_line=lambda line: click.echo(line, err=True),
                )
        if as_json:
            cli_support.echo_json(
                status_document(sagemaker, arn) if wait_for else {"PipelineExecutionArn": arn}
            )
        else:
            click.echo(arn)

    @pipeline_group.command("status", cls=cli_support.JsonCommand)
    @click.argument("execution_arn", required=False)
    @click.option("--pipeline", callback=_pipeline_name, help="Its latest execution.")
    @project_option
    @region_option
    @json_option
    @friendly_errors
    def status_command(
        execution_arn: str | None,
        pipeline: str | None,
        project_dir: Path | None,
        region: str | None,
        as_json: bool,
    ) -> None:
        """An execution's steps (ListPipelineExecutionSteps): status, times, attempts, job or failure."""
        with cli_support.json_errors(as_json):
            if (execution_arn is None) == (pipeline is None and project_dir is None):
                raise click.UsageError(
                    "give an EXECUTION_ARN, or --pipeline NAME or --project DIR (its latest execution)"
                )
            if execution_arn is not None and not _EXECUTION_ARN.fullmatch(execution_arn):
                raise click.BadParameter(f"{shown(execution_arn)} is not a pipeline execution ARN")
            sagemaker = _client(region, "sagemaker")
            arn = execution_arn or latest_execution(sagemaker, pipeline_of(pipeline, project_dir))
            document = status_document(sagemaker, arn)
        click.echo(json.dumps(document, indent=2, sort_keys=True) if as_json else render_status(document))

    @pipeline_group.command("list", cls=cli_support.JsonCommand)
    @click.option("--pipeline", callback=_pipeline_name, help="The pipeline.")
    @project_option
    @click.option(
        "--limit", type=cli_support.Number(low=1, high=100, integer=True), default=20, show_default=True
    )
    @region_option
    @json_option
    @friendly_errors
    def list_command(
        pipeline: str | None, project_dir: Path | None, limit: float, region: str | None, as_json: bool
    ) -> None:
        """A pipeline's executions, newest first (ListPipelineExecutions)."""
        with cli_support.json_errors(as_json):
            pipeline = pipeline_of(pipeline, project_dir)
            listed = executions(_client(region, "sagemaker"), pipeline, int(limit))
        if as_json:
            click.echo(json.dumps(_plain({"executions": listed}), indent=2, sort_keys=True))
        else:
            click.echo(render_executions(listed) if listed else f"pipeline {pipeline} has no execution")

    return pipeline_group
