"""The demo's second half: a model project made with ``launchpad new`` ships through the applied platform.

Bake a scikit-learn project, train v1 and v2 of its small model (synthetic data, seeds 7 and 8), run the
project's own tests and policy check, push its serving images to the project's ECR repository, and fill its
staging config in with the platform's outputs (what the project's README asks a team to do). Then release
v1 through the platform's pipeline: the source lands in the source bucket, EventBridge starts the pipeline
(as its events role), CodePipeline runs the build and the policy check (as the pipeline's and each step's
roles), and the Deploy-staging step deploys v1 with the step's own role. Each version is served from the
project's own server (``python -m launchpad_serving``, the container's entry point) registered with the
sandbox, so ``InvokeEndpoint`` answers with the model's prediction; the Integration-test step invokes the
endpoint with its role, and every request is captured to the data-capture bucket. v2 is released the same
way and deployed as a canary while its rollback alarm fires, and the endpoint ends back on v1, answering as
v1 did. On the sandbox every role works with its own credentials (``launchpad.sandbox.workloads``); on AWS
the steps run with the caller's. Everything runs in this Python (launchpad's environment has the template's
scikit-learn), and nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from launchpad import policy, scaffold, serving
from launchpad.aws import AwsTarget
from launchpad.deploy import status as deploy_status
from launchpad.deploy.engine import DeployResult, deploy
from launchpad.deploy.resources import alarm_names
from launchpad.deploy.rollout import Event
from launchpad.deploy.seed import TIME_SCALE_TAG, fire_alarm_when
from launchpad.deploy.teardown import remove_endpoint
from launchpad.errors import LaunchpadError
from launchpad.sandbox import local_servers, workloads

# The package; as "demo-model" it names the model project envs/sandbox.tfvars declares.
SLUG = "demo_model"
SEEDS = {"v1": 7, "v2": 8}
VERSIONS = {"v1": "0.1.0", "v2": "0.2.0"}
# Where the demo's organisation keeps launchpad (the template has no default). The demo runs the project with
# launchpad's own interpreter and resolves its module sources to this checkout, so nothing is fetched from
# these: the hash stands in for a release's, which the demo does not build.
DEMO_ORGANISATION = {
    "launchpad_git_url": "https://git.demo.internal/platform/launchpad",
    "launchpad_index_url": "https://pypi.demo.internal/simple",
    "launchpad_wheel_sha256": hashlib.sha256(b"the demo installs no launchpad release").hexdigest(),
    "launchpad_serving_wheel_sha256": hashlib.sha256(b"nor launchpad-serving").hexdigest(),
}
REQUEST = {"instances": [[0.5, 1.2, 2.0, -0.3, 0.0, -1.1, 0.4, 0.9]]}  # the project README's example


@dataclass(frozen=True)
class LocalServer:
    """One model version served by the project's own server process (``launchpad_serving`` on gunicorn)."""

    version: str
    url: str

    def probability(self) -> float:
        """The server's answer to ``REQUEST``, asked directly (not through SageMaker)."""
        request = urllib.request.Request(
            f"{self.url}/invocations",
            data=json.dumps(REQUEST).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return _probability(response.read())


@dataclass
class ProjectDemo:
    """Steps that need a sandbox ``target`` with terraform/platform applied (its ``outputs``)."""

    target: AwsTarget
    outputs: Mapping[str, Any]
    workdir: Path
    time_scale: float = 0.01  # the sandbox's rollout waits: 300 s of canary wait pass in 3 s
    bake_seconds: int = 2
    poll_interval: float = 0.2
    timeout: float = 300.0
    # A real account serves the project's image (``make image``, pushed to ECR); the sandbox needs none.
    image_uri: str | None = None
    project: Path | None = None
    servers: dict[str, LocalServer] = field(default_factory=dict)
    _processes: ExitStack = field(default_factory=ExitStack, init=False, repr=False)  # the servers
    # The pipeline execution of the version being released and its current build (the sandbox only).
    run: workloads.PipelineRun | None = None
    runs: dict[str, workloads.PipelineRun] = field(default_factory=dict)  # by version released
    build: workloads.Build | None = None
    captured: list[str] = field(default_factory=list)
    deploys: dict[str, DeployResult] = field(default_factory=dict)
    answers: dict[str, float] = field(default_factory=dict)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return SLUG.replace("_", "-")

    @property
    def endpoint(self) -> str:
        return f"{self.name}-staging"

    def steps(self) -> Iterator[tuple[str, Callable[[], str]]]:
        yield "bake a model project (launchpad new: scikit-learn, real-time, canary)", self.bake
        yield "train v1 and v2 of its model on its synthetic data", self.train
        yield "run the project's own tests (make test)", self.test
        yield "policy-check the project's Terraform (launchpad policy)", self.check_policy
        yield "push v1's and v2's serving images to the project's ECR repository", self.push_images
        yield (
            "release v1: its source starts the pipeline (build, policy check, Deploy-staging)",
            self.release_v1,
        )
        yield (
            "deploy v1 to staging as the Deploy-staging role (upload, register, create, roll out)",
            self.deploy_v1,
        )
        yield (
            "Integration-test: invoke the endpoint as its role (the model's own server answers)",
            self.invoke_v1,
        )
        yield "release v2 and deploy it as a canary; its 5xx rollback alarm fires mid-rollout", self.deploy_v2
        yield "invoke again: v1 answers", self.invoke_after_rollback
        yield "show the endpoint's status (as the Deploy-staging role)", self.status
        yield "tear down the model's endpoint and registered versions", self.teardown

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

    def train(self) -> str:
        lines = []
        for version, seed in SEEDS.items():
            out = self._run([sys.executable, "-m", f"{SLUG}.train", "--output", f"build/{version}",
                             "--seed", str(seed)])  # fmt: skip
            lines.append(f"{version}: {out.strip()}")
        return "; ".join(lines)

    def test(self) -> str:
        output = self._run(["make", "--no-print-directory", "test", f"PYTHON={sys.executable}"])
        return output.strip().splitlines()[-1].strip("= ")

    def check_policy(self) -> str:
        report = policy.run([self._project / "terraform"])
        if report.failed:
            failed = ", ".join(f"{f.check_id} {f.resource}" for f in report.failed)
            raise LaunchpadError(f"the baked project's Terraform fails policy checks: {failed}")
        return report.summary()

    # -- shipping --------------------------------------------------------------------------------------
    @property
    def _platform(self) -> Mapping[str, Any]:
        return self.outputs["model_projects"][self.name]

    def _image(self, version: str) -> str:
        return self.image_uri or f"{self._platform['repository_url']}:{VERSIONS[version]}"

    def push_images(self) -> str:
        """``make image`` and ``docker push`` of each version, as the project's release process does (a real
        account: the image given as ``image_uri`` is already there)."""
        if not self.target.is_sandbox:
            return f"using {self.image_uri}"
        ecr = self.target.client("ecr")
        for version, tag in VERSIONS.items():
            manifest = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                           "digest": "sha256:" + f"{SEEDS[version]:064x}"},
                "layers": [],
            }  # fmt: skip
            ecr.put_image(repositoryName=self.name, imageTag=tag, imageManifest=json.dumps(manifest))
        return ", ".join(self._image(v) for v in VERSIONS)

    def _role(self, step: str) -> AwsTarget:
        """The target a pipeline step's commands run against: its build's session on the sandbox."""
        if self.build is None or self.run is None or self.run.steps[-1].stage != step:
            raise LaunchpadError(
                f"the pipeline is not at {step} (at {self.run.steps[-1].stage if self.run else None})"
            )
        return self.build.target

    def _advance_to(self, stage: str) -> str:
        """Finish the pipeline's current action and start the next ones until ``stage`` runs."""
        assert self.run is not None
        done = []
        step = self.run.steps[-1]
        while step.stage != stage:
            if step.status == "Succeeded":
                raise LaunchpadError(f"the pipeline finished before {stage}")
            step = self.run.next()
            done.append(step.stage or "end")
        self.build = step.build
        return " -> ".join(done)

    def _release(self, version: str) -> str:
        """The project's source lands in the source bucket, EventBridge starts the pipeline (as its events
        role), and CodePipeline runs up to the Deploy-staging build."""
        if not self.target.is_sandbox:
            return "on AWS the pipeline runs on its own"
        platform = self._platform
        s3 = self.target.client("s3")
        s3.put_object(
            Bucket=platform["source_bucket_name"],
            Key=platform["source_object_key"],
            Body=f"{self.name} {VERSIONS[version]}".encode(),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.outputs["kms_key_arns"]["pipeline"],
        )
        started = workloads.deliver_event(self.target, platform["source_rule_name"])
        if not started:
            raise LaunchpadError(f"EventBridge did not start the pipeline for {version}: see the refusals")
        self.run = self.runs[version] = workloads.PipelineRun(self.target, platform["pipeline_name"])
        first = self.run.start()
        self.build = first.build
        stages = [first.stage or ""]
        stages.append(self._advance_to("Deploy-staging"))
        return f"{version}: Source -> " + " -> ".join(s for s in stages if s)

    def release_v1(self) -> str:
        return self._release("v1")

    def _as(self, stage: str) -> AwsTarget:
        return self._role(stage) if self.target.is_sandbox else self.target

    def deploy_v1(self) -> str:
        result = self._deploy("v1", self._as("Deploy-staging"))
        result.rollout.raise_for_outcome()
        self._serve("v1")
        self._serve("v2")  # its artifact is registered now so the canary's instances can answer
        return f"{result.rollout.message}; created {result.created.summary()}"

    def invoke_v1(self) -> str:
        if self.target.is_sandbox:
            self._advance_to("Integration-test")
        tester = self._as("Integration-test")
        # The project's own integration test, as the pipeline's Integration-test step runs it.
        env = {**tester.env(), "LAUNCHPAD_STAGE": "staging", "LAUNCHPAD_ENDPOINT_NAME": self.endpoint}
        tested = self._run(
            [sys.executable, "-m", "pytest", "-q", "-m", "integration", "tests/integration"], env
        )
        answer, variant = self._invoke(tester)
        self.answers["v1 via endpoint"] = answer
        direct = self.servers["v1"].probability()
        if answer != direct:
            raise LaunchpadError(f"the endpoint answered {answer}, the v1 model itself {direct}")
        approval = ""
        if self.target.is_sandbox:
            self._advance_to("Approve-production")  # the approval request goes out; nobody approves here
            approval = "; the pipeline waits for the production approval"
        summary = tested.strip().splitlines()[-1].strip("= ") if tested.strip() else "no output"
        return (
            f"integration test: {summary}; probability {answer} from variant {variant}; the v1 server "
            f"answers the same directly{approval}"
        )

    def deploy_v2(self) -> str:
        previous = self.deploys["v1"].rollout.target_config
        alarm = alarm_names(self.endpoint)[0]  # <endpoint>-rollback-5xx-rate
        started = time.monotonic()
        seen: list[str] = []

        def canary_baking(described: Mapping[str, Any]) -> bool:
            pending = described.get("PendingDeploymentSummary") or {}
            for variant in pending.get("ProductionVariants") or []:
                for status in variant.get("VariantStatus") or []:
                    if status["Status"] == "Baking":
                        seen.append(status.get("StatusMessage", "Baking"))
                        return True
            return False

        firing = fire_alarm_when(
            self.target,
            self.endpoint,
            alarm,
            canary_baking,
            reason="5xx error rate of the canary above the threshold (set by the demo: the sandbox does "
            "not evaluate metrics)",
        )
        release = self._release("v2")
        result = self._deploy("v2", self._as("Deploy-staging"), started=started)
        firing.join(timeout=5)
        fired_at = getattr(firing, "fired_at", None)
        if fired_at is not None:
            during = f" during the canary ({seen[-1]})" if seen else ""
            self.timeline.append((fired_at - started, f"alarm {alarm} set to ALARM{during}"))
            self.timeline.sort()
        if result.rollout.succeeded or not result.rollout.settled_on(previous):
            raise LaunchpadError(
                f"v2 was not rolled back to v1's config {previous}: {result.rollout.message}"
            )
        outcome = result.rollout.outcome.name.lower().replace("_", " ")
        return f"{release}; {outcome}: {result.rollout.message}"

    def invoke_after_rollback(self) -> str:
        answer, variant = self._invoke(self.target)
        v2 = self.servers["v2"].probability()
        self.answers.update({"after rollback via endpoint": answer, "v2 directly": v2})
        if answer != self.answers["v1 via endpoint"]:
            raise LaunchpadError(f"after the rollback the endpoint answered {answer}, not v1's answer")
        return f"probability {answer} from variant {variant}, v1's answer (v2 would say {v2})"

    def status(self) -> str:
        deployer = self._as("Deploy-staging")
        sagemaker, cloudwatch = deployer.client("sagemaker"), deployer.client("cloudwatch")
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
        self.removed = remove_endpoint(self.target, self.endpoint, package_group=group)
        return f"removed {len(self.removed)}: " + ", ".join(self.removed) + f"; {len(self.captured)} captured"

    def close(self) -> None:
        """Stop the local servers and forget their registrations (safe to call twice)."""
        self._processes.close()
        if self.servers and self.target.is_sandbox:
            local_servers.clear(self.target)
        self.servers.clear()

    # -- helpers ---------------------------------------------------------------------------------------
    @property
    def _project(self) -> Path:
        if self.project is None:
            raise LaunchpadError("no project baked yet")
        return self.project

    def _run(self, command: list[str], env: Mapping[str, str] | None = None) -> str:
        # PYTHONPATH as the project's Makefile sets it; ``env`` on top (a role's credentials).
        env = {**os.environ, "PYTHONPATH": str(self._project / "src"), **(env or {})}
        done = subprocess.run(command, cwd=self._project, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise LaunchpadError(
                f"{' '.join(command[:4])} failed in {self._project} (exit {done.returncode}):\n"
                f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        return done.stdout

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
        if stage != "prod":  # prod's rules want its full bake (tests run it on a fake clock)
            document["rollback"]["bake_seconds"] = self.bake_seconds
        document["tags"][TIME_SCALE_TAG] = str(self.time_scale)
        for section, value in (changes or {}).items():
            document[section] = {**document.get(section, {}), **value} if isinstance(value, dict) else value
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def _deploy(self, version: str, target: AwsTarget, started: float | None = None) -> DeployResult:
        began = started if started is not None else time.monotonic()

        def record(event: Event) -> None:
            self.timeline.append((time.monotonic() - began, f"{version}: {event.message}"))

        result = deploy(
            self.stage_config("staging", version),
            target,
            poll_interval=self.poll_interval,
            timeout=self.timeout,
            on_progress=record if version == "v2" else None,
            artifact=self._project / "build" / version / "model.tar.gz",
        )
        self.deploys[version] = result
        return result

    def _serve(self, version: str) -> None:
        try:
            url = self._processes.enter_context(
                serving.serve_in_process(
                    f"{SLUG}.inference",
                    self._project / "build" / version / "model",
                    pythonpath=[self._project / "src"],
                    log=self.workdir / f"server-{version}.log",
                )
            )
        except serving.ServerStartError as exc:  # launchpad_serving knows nothing of launchpad's errors
            raise LaunchpadError(str(exc)) from exc
        self.servers[version] = LocalServer(version, url)
        if self.target.is_sandbox:  # in AWS the image serves; the local server is the reference
            local_servers.register(self.target, url, model_data_url=self._artifact_uri(version))

    def _invoke(self, target: AwsTarget) -> tuple[float, str]:
        response = target.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=self.endpoint,
            ContentType="application/json",
            Accept="application/json",
            Body=json.dumps(REQUEST),
        )
        return _probability(response["Body"].read()), response.get("InvokedProductionVariant", "?")


def _probability(body: bytes) -> float:
    """The probability of the first prediction in the model's JSON answer."""
    return float(json.loads(body)["predictions"][0]["probability"])
