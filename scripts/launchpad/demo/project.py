"""The demo's second half: a model project made with ``launchpad new`` ships through the applied platform.

Bake a scikit-learn project and fill its stage configs in with the platform's outputs (what the project's
README asks a team to do). Then release v1 the way a team does: the project's source lands in the source
bucket, S3 tells EventBridge, EventBridge starts the project's pipeline, and CodePipeline runs each step's
``buildspec.yml`` in CodeBuild (on the sandbox: local processes with each step role's own credentials, in the
project's build image): Build-and-test runs the project's tests and trains the model, Policy-check runs
``launchpad policy``, Deploy-staging ships the tested ``build/model.tar.gz`` with ``launchpad deploy``,
Integration-test calls the endpoint, and the pipeline waits for the production approval. SageMaker hosting
serves each version from the artifact the pipeline uploaded, with the project's serving image (on the
sandbox: its registered stand-in, ``python -m launchpad_serving`` on that version's code). An approver
approves v1's registered version and the pipeline's approval, and Deploy-production ships it.

v2 carries a defect its tests miss: an input guard that raises (a 500) for values outside the training range
instead of answering 400. While the demo's clients call the staging endpoint, v2 goes through the same
pipeline; its canary takes its share of the requests and answers some of them 500, SageMaker publishes the
invocation metrics, CloudWatch evaluates the 5xx rollback alarm into ALARM, SageMaker rolls the update back,
and Deploy-staging fails: the pipeline stops before the integration tests and the approval. The endpoint
answers as v1 did. Nothing is downloaded: the build image is launchpad's own environment.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import shutil
import sys
import threading
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from botocore.exceptions import ClientError

from launchpad import scaffold
from launchpad.aws import AwsTarget
from launchpad.deploy import status as deploy_status
from launchpad.deploy.resources import alarm_names
from launchpad.deploy.seed import TIME_SCALE_TAG
from launchpad.deploy.teardown import remove_endpoint
from launchpad.errors import LaunchpadError
from launchpad.paths import modules_dir, repo_root
from launchpad.policy.checkov import find_checkov
from launchpad.sandbox import build_images, images, serving_images, workloads
from launchpad.workspace import Workspace

if TYPE_CHECKING:  # numpy and scipy come with it: imported when the demo gets to the retraining
    from launchpad.demo import training as training_loop

# The package; as "demo-model" it names the model project envs/sandbox.tfvars declares.
SLUG = "demo_model"
VERSIONS = {"v1": "0.1.0", "v2": "0.2.0"}
BUILD_IMAGE_TAG = "demo"  # envs/sandbox.tfvars' build_image_tag
# Where the demo's organisation keeps launchpad (the template has no default). The demo's build image is
# launchpad's own environment and resolves module sources to this checkout, so nothing is fetched from these:
# the hashes stand in for a release's, which the demo does not build.
DEMO_ORGANISATION = {
    "launchpad_git_url": "https://git.demo.internal/platform/launchpad",
    "launchpad_index_url": "https://pypi.demo.internal/simple",
    "launchpad_wheel_sha256": hashlib.sha256(b"the demo installs no launchpad release").hexdigest(),
    "launchpad_serving_wheel_sha256": hashlib.sha256(b"nor launchpad-serving").hexdigest(),
}
REQUEST = {"instances": [[0.5, 1.2, 2.0, -0.3, 0.0, -1.1, 0.4, 0.9]]}  # the project README's example
# What the demo's clients send while v2 rolls out: the README's example, and a customer who called support
# nine times (a value past anything in the synthetic training data, which v2's guard turns into a 500).
# Production's drifted traffic: the first three features shifted by this many standard deviations.
DRIFT = 1.5
DRIFTED_REQUESTS = 200  # PSI on fewer rows passes 0.2 by chance (its null mean is ~ bins / rows)
RUNNING = ("InProgress", "Stopping")
FEATURES = len(REQUEST["instances"][0])
TRAFFIC = [REQUEST, {"instances": [[0.5, 1.2, 9.0, -0.3, 0.0, -1.1, 0.4, 0.9]]}]
# v2's change to the project: an input guard that raises the wrong error (ValueError is a 500; the serving
# contract's BadRequest would be a 400). Its tests send only in-range rows, so they pass.
V2_DEFECT = (
    "def predict_fn(data: np.ndarray, model: Model) -> np.ndarray:\n    return predict_proba(model, data)\n",
    "TRAINED_RANGE = 6.0  # v2: the model saw no value beyond this in training\n\n\n"
    "def predict_fn(data: np.ndarray, model: Model) -> np.ndarray:\n"
    "    if np.abs(data).max() > TRAINED_RANGE:\n"
    '        raise ValueError("a feature is outside the range the model was trained on")\n'
    "    return predict_proba(model, data)\n",
)
# The serving image's entry point (the template's Dockerfile), with the sandbox's model folder and port.
SERVE = (sys.executable, "-m", "launchpad_serving", "--handler", f"{SLUG}.inference")
SOURCE_EXCLUDED = {".venv", ".tools", "build", "__pycache__", ".pytest_cache", ".ruff_cache"}
STAGES_TO_APPROVAL = ("Build-and-test", "Policy-check", "Deploy-staging", "Integration-test")


@dataclass
class Release:
    """One version through the pipeline: its execution and what each action did."""

    version: str
    run: workloads.PipelineRun
    status: str = "InProgress"
    actions: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        """``stage (status, seconds)`` for each action, in the order they ran."""
        parts = []
        for detail in sorted(self.actions, key=lambda d: d["startTime"]):
            seconds = (detail["lastUpdateTime"] - detail["startTime"]).total_seconds()
            parts.append(f"{detail['stageName']} {detail['status']} {seconds:.0f} s")
        return " -> ".join(parts)

    def failed_action(self) -> dict[str, Any] | None:
        return next((d for d in self.actions if d["status"] == "Failed"), None)


@dataclass
class Traffic:
    """The demo's clients: InvokeEndpoint in a loop, alternating ``TRAFFIC``'s requests, counting answers."""

    target: AwsTarget
    endpoint: str
    interval: float = 0.05
    answers: dict[str, int] = field(default_factory=dict)  # "200" / "ModelError 500" / ... -> count
    first_error_at: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._send, name="demo-traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _send(self) -> None:
        runtime = self.target.new_client("sagemaker-runtime")
        sent = 0
        while not self._stop.wait(self.interval):
            body = json.dumps(TRAFFIC[sent % len(TRAFFIC)])
            sent += 1
            try:
                runtime.invoke_endpoint(EndpointName=self.endpoint, ContentType="application/json", Body=body)
                answer = "200"
            except ClientError as error:
                status = error.response.get("OriginalStatusCode")
                answer = f"{error.response['Error']['Code']} {status or ''}".strip()
                if self.first_error_at is None:
                    self.first_error_at = time.monotonic()
            self.answers[answer] = self.answers.get(answer, 0) + 1

    def describe(self) -> str:
        return ", ".join(f"{count} x {answer}" for answer, count in sorted(self.answers.items()))


@dataclass
class ProjectDemo:
    """Steps that need a ``target`` with terraform/platform applied (its ``outputs``)."""

    target: AwsTarget
    outputs: Mapping[str, Any]
    workdir: Path
    time_scale: float = 0.01  # the sandbox's clock for rollouts and alarms: 300 s of canary wait pass in 3 s
    bake_seconds: int = 2
    timeout: float = 600.0  # for each pipeline execution
    # A real account serves the project's image (``make image``) and builds in its build image (``make
    # push-build-image``), both pushed to ECR beforehand; the sandbox stands them in with local processes.
    image_uri: str | None = None
    project: Path | None = None
    releases: dict[str, Release] = field(default_factory=dict)
    traffic: Traffic | None = None
    answers: dict[str, float] = field(default_factory=dict)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    captured: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    drift_result: dict[str, Any] | None = None
    quality_result: dict[str, Any] | None = None
    retraining: str | None = None
    # make demo follows the retraining to its canary in production; the suite stops it once started
    retrain_fully: bool = True
    training: Workspace | None = None
    retrained: training_loop.Retraining | None = None
    shipped_retrained: Any = None

    @property
    def name(self) -> str:
        return SLUG.replace("_", "-")

    @property
    def endpoint(self) -> str:
        return f"{self.name}-staging"

    @property
    def production_endpoint(self) -> str:
        return f"{self.name}-production"

    def steps(self) -> Iterator[tuple[str, Callable[[], str]]]:
        yield "bake a model project (launchpad new: scikit-learn, real-time, canary)", self.bake
        yield "fill its stage configs in with the platform's outputs", self.configure
        yield "stand in for the project's build and serving images (no containers here)", self.images
        yield (
            "release v1: its source starts the pipeline (test, train, policy, staging, integration test)",
            self.release_v1,
        )
        yield "invoke staging: the model the pipeline trained answers", self.invoke_v1
        yield "approve v1 (its model version and the pipeline's approval): Deploy-production", self.approve_v1
        yield (
            "release v2 while clients call staging: its canary answers 500s, the alarm fires, it rolls back",
            self.release_v2,
        )
        yield "invoke again: v1 answers", self.invoke_after_rollback
        if self._platform.get("monitoring"):
            yield (
                "publish the training pipeline (data, code, definition); apply modules/training-pipeline",
                self.publish_training,
            )
            yield (
                "production's traffic drifts from v1's shipped baseline and clients give feedback",
                self.drift,
            )
            yield (
                "the scheduled job finds the drift and scores the labels; the drift alarm starts retraining",
                self.retrain,
            )
            if self.retrain_fully:
                yield (
                    "the retraining runs: validate the data, tune, cross-validate, check, register a version",
                    self.follow_retraining,
                )
                yield (
                    "approve the retrained version; Deploy-production rolls it out with its canary",
                    self.deploy_retrained,
                )
        yield "show the staging endpoint's status", self.status
        yield "tear down the model's endpoints and registered versions", self.teardown

    # -- the project -----------------------------------------------------------------------------------
    def bake(self) -> str:
        settings = {
            "project_name": "Demo Model",
            "project_slug": SLUG,
            "framework": "sklearn",
            "inference_mode": "real-time",
            "deployment_strategy": "canary",
            "aws_region": self.target.region,
            **DEMO_ORGANISATION,
        }
        self.project = scaffold.bake(self.workdir, settings, replay_dir=self.workdir / ".cookiecutter")
        files = sum(1 for p in self.project.rglob("*") if p.is_file())
        return f"{self.project} ({files} files)"

    def configure(self) -> str:
        written = [self.stage_config(stage, "v1") for stage in ("staging", "prod")]
        return ", ".join(str(path.relative_to(self._project)) for path in written)

    @property
    def _platform(self) -> Mapping[str, Any]:
        return self.outputs["model_projects"][self.name]

    def _image(self, version: str) -> str:
        return self.image_uri or f"{self._platform['repository_url']}:{VERSIONS[version]}"

    def images(self) -> str:
        """The build image the platform's pipeline pulls (``<project>-build:demo``) and v1's serving image:
        on the sandbox, an image manifest in ECR and a registered local stand-in each."""
        if not self.target.is_sandbox:
            return f"using {self.image_uri} and the build image pushed to {self.name}-build"
        build_image = f"{self._platform['build_repository_url']}:{BUILD_IMAGE_TAG}"
        images.put_image(self.target, f"{self.name}-build", BUILD_IMAGE_TAG)
        bin_dir = str(Path(sys.executable).parent)
        build_images.register(
            self.target,
            build_image,
            {
                "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
                "PYTHON": sys.executable,
                "LAUNCHPAD_CHECKOV": str(find_checkov(repo_root())),
            },
        )
        return f"{build_image} (launchpad's environment); {self._serving_image('v1')}"

    def _serving_image(self, version: str) -> str:
        """``make image`` for ``version`` on the sandbox: its code copied (as ``docker build`` copies src/),
        the image in ECR, and its stand-in registered with the container's command."""
        copy = self.workdir / "images" / VERSIONS[version]
        shutil.copytree(self._project / "src", copy / "src", dirs_exist_ok=True)
        images.put_image(self.target, self.name, VERSIONS[version], f"{self.name} {version}")
        serving_images.register(
            self.target,
            self._image(version),
            [*SERVE, "--model-dir", "{model_dir}", "--host", "127.0.0.1", "--port", "{port}"],
            environment={"PYTHONPATH": str(copy / "src")},
        )
        return self._image(version)

    # -- releases --------------------------------------------------------------------------------------
    def _source_zip(self) -> bytes:
        """The project as a source upload: every file but build output, environments and caches."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(self._project.rglob("*")):
                relative = path.relative_to(self._project)
                if path.is_file() and not SOURCE_EXCLUDED & set(relative.parts):
                    archive.write(path, relative.as_posix())
        return buffer.getvalue()

    def _upload(self, version: str) -> Release:
        """The source lands in the source bucket; EventBridge starts the pipeline (a new execution)."""
        platform = self._platform
        pipeline = platform["pipeline_name"]
        codepipeline = self.target.client("codepipeline")
        before = codepipeline.list_pipeline_executions(pipelineName=pipeline, maxResults=1)
        previous = {e["pipelineExecutionId"] for e in before["pipelineExecutionSummaries"]}
        self.target.client("s3").put_object(
            Bucket=platform["source_bucket_name"],
            Key=platform["source_object_key"],
            Body=self._source_zip(),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.outputs["kms_key_arns"]["pipeline"],
        )
        run = workloads.PipelineRun(self.target, pipeline, poll_interval=0.2)

        def started() -> str | None:
            found = codepipeline.list_pipeline_executions(pipelineName=pipeline, maxResults=1)
            ids = [e["pipelineExecutionId"] for e in found["pipelineExecutionSummaries"]]
            return ids[0] if ids and ids[0] not in previous else None

        what = f"the source upload of {version} to start {pipeline}"
        run.execution = workloads.poll(started, 60, 0.2, what)
        release = self.releases[version] = Release(version, run)
        return release

    def _follow(self, release: Release, until: Callable[[Release], bool]) -> Release:
        """Poll the execution until ``until(release)`` or it ends; its actions are kept on ``release``."""
        deadline = time.monotonic() + self.timeout
        while True:
            release.status = release.run.status
            release.actions = release.run.actions()
            if release.status not in workloads.RUNNING or until(release):
                return release
            if time.monotonic() > deadline:
                raise LaunchpadError(
                    f"{release.version}'s pipeline execution {release.run.execution} did not get on in "
                    f"{self.timeout:g} s: {release.summary()}"
                )
            time.sleep(0.5)

    def _failure(self, release: Release) -> str:
        """The failed action's error details and the end of its build's log."""
        failed = release.failed_action()
        if failed is None:
            return f"execution {release.status}"
        result = failed["output"].get("executionResult") or {}
        error = (result.get("errorDetails") or {}).get("message") or result.get("externalExecutionSummary")
        lines = [f"{failed['stageName']} failed: {error}"]
        build_id = result.get("externalExecutionId")
        if build_id and failed["input"]["actionTypeId"]["provider"] == "CodeBuild":
            [build] = self.target.client("codebuild").batch_get_builds(ids=[build_id])["builds"]
            lines += [f"  | {line.rstrip()}" for line in workloads.build_log(self.target, build)[-12:]]
        return "\n".join(lines)

    def release_v1(self) -> str:
        release = self._upload("v1")
        waiting_for_approval = self._approval_waiting
        self._follow(release, waiting_for_approval)
        if not waiting_for_approval(release):
            raise LaunchpadError(f"v1's pipeline stopped before the approval:\n{self._failure(release)}")
        return f"{release.summary()}; waiting for the production approval"

    @staticmethod
    def _approval_waiting(release: Release) -> bool:
        return any(
            d["stageName"] == "Approve-production" and d["status"] == "InProgress" for d in release.actions
        )

    def invoke_v1(self) -> str:
        answer, variant = self._invoke(self.endpoint)
        self.answers["v1 via endpoint"] = answer
        direct = self._direct("v1")
        if answer != direct:
            raise LaunchpadError(f"the endpoint answered {answer}, the v1 model itself {direct}")
        return f"probability {answer} from variant {variant}; v1's server answers the same directly"

    def approve_v1(self) -> str:
        """An approver approves v1's registered model version (prod deploys Approved versions only) and the
        pipeline's approval; Deploy-production ships v1."""
        release = self.releases["v1"]
        sagemaker = self.target.client("sagemaker")
        group = self._platform["model_package_group_name"]
        [package] = sagemaker.list_model_packages(
            ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
        )["ModelPackageSummaryList"]
        sagemaker.update_model_package(
            ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus="Approved"
        )
        release.run.approve("Approve-production", "Approve", "v1 reviewed on staging: ship it")
        self._follow(release, lambda _: False)
        if release.status != "Succeeded":
            raise LaunchpadError(f"v1 did not reach production:\n{self._failure(release)}")
        described = sagemaker.describe_endpoint(EndpointName=self.production_endpoint)
        return (
            f"{release.summary()}; {self.production_endpoint} {described['EndpointStatus']} on "
            f"{described['EndpointConfigName']}"
        )

    def release_v2(self) -> str:
        before = self._config(self.endpoint)
        self._make_v2()
        self._serving_image("v2")
        self.traffic = Traffic(self.target, self.endpoint)
        started = time.monotonic()
        self.traffic.start()
        try:
            release = self._upload("v2")
            self._follow(release, lambda _: False)
        finally:
            self.traffic.stop()
        self._record_timeline(started)
        after = self._config(self.endpoint)
        failed = release.failed_action()
        if failed is None or failed["stageName"] != "Deploy-staging" or after != before:
            raise LaunchpadError(
                f"v2 should have failed at Deploy-staging with staging back on {before}; the execution is "
                f"{release.status} and staging is on {after}:\n{self._failure(release)}"
            )
        return (
            f"{release.summary()}; staging is back on {after}; clients got {self.traffic.describe()}\n"
            f"{self._failure(release)}"
        )

    def _make_v2(self) -> None:
        """The team's change for v2: the new version number, and the input guard with its defect."""
        project = self._project
        inference = project / "src" / SLUG / "inference.py"
        text = inference.read_text()
        if V2_DEFECT[0] not in text:
            raise LaunchpadError(f"{inference} no longer has the predict_fn the demo changes for v2")
        inference.write_text(text.replace(V2_DEFECT[0], V2_DEFECT[1]))
        old, new = VERSIONS["v1"], VERSIONS["v2"]
        bumps = {
            project / "pyproject.toml": (f'version = "{old}"', f'version = "{new}"'),
            project / "src" / SLUG / "__init__.py": (f'__version__ = "{old}"', f'__version__ = "{new}"'),
            project / "model_card.yaml": (f'version: "{old}"', f'version: "{new}"'),
        }
        for path, (before, after) in bumps.items():
            text = re.sub(rf"^(\s*){re.escape(before)}", rf"\g<1>{after}", path.read_text(), flags=re.M)
            path.write_text(text)
        dev = project / "deploy" / "config" / "dev.yaml"  # the version's artifact and image, as a team writes
        dev.write_text(dev.read_text().replace(f"/{old}/", f"/{new}/").replace(f":{old}\n", f":{new}\n"))
        for stage in ("staging", "prod"):
            self.stage_config(stage, "v2")

    def _record_timeline(self, started: float) -> None:
        """When v2's clients first got an error, and the 5xx alarm's state changes (CloudWatch's history),
        in seconds from the v2 upload."""
        if self.traffic is not None and self.traffic.first_error_at is not None:
            self.timeline.append((self.traffic.first_error_at - started, "clients get the first error"))
        alarm = alarm_names(self.endpoint)[0]  # <endpoint>-rollback-5xx-rate
        history = self.target.client("cloudwatch").describe_alarm_history(
            AlarmName=alarm, HistoryItemType="StateUpdate", ScanBy="TimestampAscending"
        )["AlarmHistoryItems"]
        offset = time.time() - time.monotonic()
        for item in history:
            at = item["Timestamp"].timestamp() - offset - started
            if at >= 0:
                self.timeline.append((at, f"alarm {alarm}: {item['HistorySummary']}"))
        self.timeline.sort()

    def invoke_after_rollback(self) -> str:
        answer, variant = self._invoke(self.endpoint)
        self.answers["after rollback via endpoint"] = answer
        if answer != self.answers["v1 via endpoint"]:
            raise LaunchpadError(f"after the rollback the endpoint answered {answer}, not v1's answer")
        return f"probability {answer} from variant {variant}, v1's answer"

    # -- monitoring (docs/monitoring.md) -----------------------------------------------------------------
    def drift(self) -> str:
        """The drift job's code where the platform's schedule reads it, and production's baseline where the
        pipeline shipped it (beside v1's artifact); then drifted traffic on production (each request with an
        InferenceId, so data capture keeps it) and a labelled feedback record for each."""
        # numpy and scipy, imported when the demo gets here: not on every start of the CLI, which imports this
        from launchpad.monitor import commands as monitor_commands
        from launchpad.monitor import feedback as monitor_feedback
        from launchpad.monitor import job as monitor_job

        monitoring, keys = self._platform["monitoring"], self.outputs["kms_key_arns"]
        s3 = self.target.client("s3")
        _, prefix = monitor_job.served_baseline(self.target.client("sagemaker"), self.production_endpoint)
        written = monitor_commands.read_documents(prefix, ("statistics.json",), s3)["statistics.json"]
        monitor_commands.write_bundle(monitoring["code_uri"], kms_key_id=keys["models"], s3=s3)
        rng = random.Random(7)
        runtime = self.target.client("sagemaker-runtime")
        received = []
        for index in range(DRIFTED_REQUESTS):
            row = [round(rng.gauss(DRIFT if i < 3 else 0.0, 1.0), 4) for i in range(FEATURES)]
            inference_id = f"demo-{index:04d}"
            runtime.invoke_endpoint(
                EndpointName=self.production_endpoint,
                ContentType="text/csv",
                Accept="application/json",
                Body=",".join(map(str, row)),
                InferenceId=inference_id,
            )
            received.append(self._feedback(inference_id, rng.random() < 0.5))
        monitor_feedback.write_records(
            s3, self.outputs["bucket_names"]["feedback"], received, kms_key_id=keys["data"]
        )
        return (
            f"v1's baseline of {written['dataset']['item_count']} rows ({len(written['features'])} features) "
            f"at {prefix}; {DRIFTED_REQUESTS} "
            f"requests with the first three features shifted by {DRIFT} standard deviations, "
            f"{len(received)} labelled feedback records"
        )

    def _feedback(self, inference_id: str, retained: bool) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "inference_id": inference_id,
            "stage": "prod",
            "endpoint": self.production_endpoint,
            "variant": "AllTraffic",
            "model_version": VERSIONS["v1"],
            "score": {"kind": "outcome", "value": retained},
            "label": int(retained),
            "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": "retention-team",
        }

    def retrain(self) -> str:
        """Fire the platform's monitoring schedule (the sandbox runs it now rather than at the hour): the
        drift job runs as a Processing job under its role, publishes drifted_features, the drift alarm
        goes to ALARM on the sandbox's clock, and the retrain function starts the training pipeline."""
        from launchpad.monitor import commands as monitor_commands  # as in drift

        monitoring = self._platform["monitoring"]
        sagemaker, cloudwatch = self.target.client("sagemaker"), self.target.client("cloudwatch")
        # Capture stamps a record to the second, and a run takes the records before its scheduled time: the
        # schedule fires after the traffic's last second, or that second's records wait for the next run.
        time.sleep(1.05 - time.time() % 1.0)
        if not workloads.fire_schedule(self.target, monitoring["schedule_name"]):
            refused = "; ".join(str(r) for r in workloads.refusals(self.target))
            raise LaunchpadError(
                f"the monitoring schedule could not start its job: {refused or 'no reason kept'}"
            )

        def finished() -> Any:
            jobs = sagemaker.list_processing_jobs(NameContains=monitoring["job_name_prefix"])
            done = [j for j in jobs["ProcessingJobSummaries"] if j["ProcessingJobStatus"] not in RUNNING]
            return (
                sagemaker.describe_processing_job(ProcessingJobName=done[0]["ProcessingJobName"])
                if done
                else None
            )

        job = workloads.poll(finished, timeout=self.timeout, interval=0.2, what="the drift job")
        if job["ProcessingJobStatus"] != "Completed":
            raise LaunchpadError(
                f"the drift job {job['ProcessingJobName']} failed: {job.get('FailureReason')}"
            )
        results = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        read = monitor_commands.read_documents(
            results, ("drift.json", "model_quality/statistics.json"), self.target.client("s3")
        )
        self.drift_result, self.quality_result = read["drift.json"], read["model_quality/statistics.json"]
        drift_alarm = monitoring["alarm_names"]["drift"]

        def alarmed() -> bool:
            [alarm] = cloudwatch.describe_alarms(AlarmNames=[drift_alarm])["MetricAlarms"]
            return alarm["StateValue"] == "ALARM"

        workloads.poll(alarmed, timeout=self.timeout, interval=0.2, what=f"alarm {drift_alarm}")
        pipeline = self.training_pipeline

        def retraining() -> str | None:
            summaries = sagemaker.list_pipeline_executions(PipelineName=pipeline)[
                "PipelineExecutionSummaries"
            ]
            return str(summaries[0]["PipelineExecutionArn"]) if summaries else None

        execution = workloads.poll(retraining, timeout=self.timeout, interval=0.2, what="the retraining")
        self.retraining = execution
        if not self.retrain_fully:
            sagemaker.stop_pipeline_execution(
                PipelineExecutionArn=execution, ClientRequestToken=uuid.uuid4().hex
            )
        drifted = [f["name"] for f in self.drift_result["features"] if (f["decision"] or {}).get("drifted")]
        quality = self.drift_result["model_quality"]
        auc = self.quality_result["binary_classification_metrics"]["auc"]["value"]
        return (
            f"{job['ProcessingJobName']}: {len(drifted)} features drifted ({', '.join(drifted)}); "
            f"{quality['join']['matched']} labelled predictions scored (AUC {auc:.2f}, "
            f"{quality['violations']} of the model card's thresholds broken); "
            f"{drift_alarm} in ALARM; the retrain function started {pipeline} "
            f"({execution.rsplit('/', 1)[-1]}{'' if self.retrain_fully else ', stopped here'})"
        )

    # -- the retraining loop (docs/training-pipeline.md) ---------------------------------------------
    @property
    def training_pipeline(self) -> str:
        return f"{self.name}-training"

    def _training_settings(self) -> dict[str, Any]:
        """The project's pipeline settings filled with the platform's values (deploy/config/training.yaml)."""
        buckets, keys = self.outputs["bucket_names"], self.outputs["kms_key_arns"]
        account = self._platform["sagemaker_role_arn"].split(":")[4]
        return {
            "region": self.target.region,
            "serving_image": self._image("v1"),
            "artifact_bucket": buckets["model-artifacts"],
            "kms_key_arn": keys["models"],
            "job_role_arn": f"arn:aws:iam::{account}:role/{self.training_pipeline}-job",
            "subnets": list(self.outputs["private_subnet_ids"]),
            "security_groups": [self.outputs["model_security_group_id"]],
            "model_package_group": self._platform["model_package_group_name"],
            "training_data": f"s3://{buckets['data']}/{self.name}/training-data/",
            "training_data_kms_key_arn": keys["data"],
        }

    def publish_training(self) -> str:
        """What the project's build and its dev Terraform do for its training pipeline: the training data,
        the code and the definition (launchpad pipeline publish and definition), then modules/training-
        pipeline applied with the platform's buckets, keys and network."""
        from launchpad.demo import training as training_loop

        values = self._training_settings()
        prepared = training_loop.prepare(self.target, self._project, values, self.workdir / "training")
        buckets, keys = self.outputs["bucket_names"], self.outputs["kms_key_arns"]
        models = f"s3://{buckets['model-artifacts']}/{self.name}"
        variables = {
            "project": self.name,
            "pipeline_definition": prepared.definition,
            "model_package_group_name": self._platform["model_package_group_name"],
            "s3": {
                "training_data": values["training_data"],
                "code": prepared.code_prefix,
                "artifacts": prepared.executions_prefix,
                "baselines": f"{models}/",
            },
            "kms": {"data": [keys["data"], keys["models"]], "artifacts": keys["models"]},
            "network": {
                "subnet_ids": values["subnets"],
                "security_group_ids": values["security_groups"],
            },
        }
        source = modules_dir() / "training-pipeline"
        self.training = Workspace(source, self.target, variables, parent=self.workdir)
        self.training.init()
        outputs = self.training.apply()
        return (
            f"{outputs['pipeline_name']}: {len(prepared.uploaded)} objects uploaded (the training data, "
            f"sourcedir.tar.gz, launchpad's job bundle); roles {outputs['pipeline_role_name']}, "
            f"{outputs['job_role_name']}"
        )

    def follow_retraining(self) -> str:
        """The execution the retrain function started, followed to its end: the steps' jobs run in the
        private subnets as the job role, the registered version waits for its approval."""
        from launchpad.demo import training as training_loop

        if self.retraining is None:
            raise LaunchpadError("no retraining was started")
        self.retrained = training_loop.follow(self.target, self.retraining, timeout=self.timeout)
        return self.retrained.summary()

    def deploy_retrained(self) -> str:
        """An approver approves the retrained version (prod deploys the latest Approved version only), and
        Deploy-production's build (its role) rolls it out with the stage's canary, watched by its alarms."""
        from launchpad.deploy.engine import deploy  # the deploy engine, as the Deploy-production step runs it

        if self.retrained is None or not self.retrained.package:
            raise LaunchpadError("the retraining registered no version")
        package = self.retrained.package
        self.target.client("sagemaker").update_model_package(
            ModelPackageArn=package["ModelPackageArn"],
            ModelApprovalStatus="Approved",
            ApprovalDescription="retrained on the drifted data; cross-validation and bias reviewed",
        )
        build = workloads.start_build(
            self.target, self._platform["codebuild_project_names"]["deploy-production"]
        )
        try:
            result = deploy(self.stage_config("prod", "v1"), build.target, timeout=self.timeout)
        finally:
            workloads.complete_build(self.target, build)
        self.shipped_retrained = result
        if not result.rollout.succeeded:
            raise LaunchpadError(f"the retrained version did not reach production: {result.rollout}")
        served = self.target.client("sagemaker").describe_endpoint(EndpointName=self.production_endpoint)
        return (
            f"version {package.get('ModelPackageVersion')} Approved; {self.production_endpoint} "
            f"{served['EndpointStatus']} on {served['EndpointConfigName']} after its canary"
        )

    def status(self) -> str:
        sagemaker, cloudwatch = self.target.client("sagemaker"), self.target.client("cloudwatch")
        rendered = deploy_status.render(
            deploy_status.read_status(sagemaker, cloudwatch, self.endpoint, self.target.region)
        )
        return "; ".join(line.rstrip() for line in rendered.splitlines() if line.strip())

    def captured_records(self) -> list[str]:
        """The data-capture files of the staging endpoint (the audit trail and the drift input)."""
        bucket = self.outputs["bucket_names"]["data-capture"]
        prefix = f"{self.name}/staging/{self.endpoint}/"
        pages = (
            self.target.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return [o["Key"] for page in pages for o in page.get("Contents", [])]

    def teardown(self) -> str:
        self.captured = self.captured_records()
        self.close()
        group = self._platform["model_package_group_name"]
        self.removed = remove_endpoint(self.target, self.production_endpoint)
        self.removed += remove_endpoint(self.target, self.endpoint, package_group=group)
        if self.training is not None:
            self.training.destroy()
            self.removed.append(f"pipeline {self.training_pipeline} and its roles")
        return f"removed {len(self.removed)}: " + ", ".join(self.removed) + f"; {len(self.captured)} captured"

    def close(self) -> None:
        """Stop the demo's clients (safe to call twice); the sandbox stops the model servers with their
        endpoints."""
        if self.traffic is not None:
            self.traffic.stop()

    def cleanup(self) -> None:
        """Whatever of the training stack is still applied, then its copy (after a failure too)."""
        if self.training is not None:
            self.training.cleanup()

    # -- helpers ---------------------------------------------------------------------------------------
    @property
    def _project(self) -> Path:
        if self.project is None:
            raise LaunchpadError("no project baked yet")
        return self.project

    def _artifact_uri(self, version: str) -> str:
        bucket = self.outputs["bucket_names"]["model-artifacts"]
        return f"s3://{bucket}/{self.name}/{VERSIONS[version]}/model.tar.gz"

    def stage_config(self, stage: str, version: str, changes: Mapping[str, Any] | None = None) -> Path:
        """The baked config of ``stage`` (staging or prod) with the platform's values filled in (the README's
        step for teams), ``changes`` (top-level sections) applied; written back and returned."""
        path = self._project / "deploy" / "config" / f"{stage}.yaml"
        document = yaml.safe_load(path.read_text())
        platform = self._platform
        document.update(
            region=self.target.region,
            execution_role_arn=platform["sagemaker_role_arn"],
            model_package_group=platform["model_package_group_name"],
            vpc={
                "subnet_ids": list(self.outputs["private_subnet_ids"]),
                "security_group_ids": [self.outputs["model_security_group_id"]],
            },
        )
        document["model"] = {
            "artifact_s3_uri": self._artifact_uri(version),
            "kms_key_arn": self.outputs["kms_key_arns"]["models"],
            "image_uri": self._image(version),
        }
        capture_bucket = self.outputs["bucket_names"]["data-capture"]
        document["data_capture"]["destination_s3_uri"] = f"s3://{capture_bucket}/{self.name}/{stage}"
        document["data_capture"]["kms_key_arn"] = self.outputs["kms_key_arns"]["capture"]
        document["data_capture"]["sampling_percentage"] = 100  # the demo shows every request's record
        if stage != "prod":  # prod keeps its full bake, at the sandbox's time scale
            document["rollback"]["bake_seconds"] = self.bake_seconds
        document["tags"][TIME_SCALE_TAG] = str(self.time_scale)
        for section, value in (changes or {}).items():
            document[section] = {**document.get(section, {}), **value} if isinstance(value, dict) else value
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def _config(self, endpoint: str) -> str:
        described = self.target.client("sagemaker").describe_endpoint(EndpointName=endpoint)
        return str(described["EndpointConfigName"])

    def _direct(self, version: str) -> float:
        """``REQUEST`` answered by the server SageMaker hosting runs for ``version``'s model, asked
        directly (not through InvokeEndpoint)."""
        model = self._model_of(version)
        url = serving_images.url_for(self.target, model) if self.target.is_sandbox else None
        if url is None:
            raise LaunchpadError(f"no server runs model {model} of {version}")
        request = urllib.request.Request(
            f"{url}/invocations",
            data=json.dumps(REQUEST).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return _probability(response.read())

    def _model_of(self, version: str) -> str:
        """The SageMaker model of the staging endpoint's fleet that serves ``version``'s artifact."""
        sagemaker = self.target.client("sagemaker")
        config = sagemaker.describe_endpoint_config(EndpointConfigName=self._config(self.endpoint))
        for variant in config["ProductionVariants"]:
            model = sagemaker.describe_model(ModelName=variant["ModelName"])
            if model["PrimaryContainer"].get("ModelDataUrl") == self._artifact_uri(version):
                return str(variant["ModelName"])
        raise LaunchpadError(f"the staging endpoint does not serve {version}'s artifact")

    def _invoke(self, endpoint: str) -> tuple[float, str]:
        response = self.target.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=endpoint,
            ContentType="application/json",
            Accept="application/json",
            Body=json.dumps(REQUEST),
        )
        return _probability(response["Body"].read()), response.get("InvokedProductionVariant", "?")


def _probability(body: bytes) -> float:
    """The probability of the first prediction in the model's JSON answer."""
    return float(json.loads(body)["predictions"][0]["probability"])
