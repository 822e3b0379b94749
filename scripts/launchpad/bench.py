"""`launchpad bench`: seconds per Terraform step for each module example and root stack, on the sandbox, and
the cost of `launchpad policy` against bare checkov.

Each example, and each root stack (``terraform/platform`` with its sandbox environment), runs init, apply,
re-plan and destroy in a fresh sandbox account, one after another (so the numbers do not compete for the 2
cores). The provider floor (init + plan of one trivial resource) is measured the same way, for comparison:
it is the cost every Terraform command pays before any work. ``policy`` times `launchpad policy` over the
repo against bare checkov over the same directories with the same settings, one directory after another (bare
checkov cannot scan several in one process: bridgecrewio/checkov#7327), in the same run, best of two each,
and reports their ratio. Results are JSON, written under ``--output-dir`` with a timestamp and as
``latest.json``. ``deploy/guarded-update`` counts the mutating API calls of one guarded update and the
seconds from a rollback alarm entering ALARM to the rollback call (sandbox). ``sandbox/authorization`` is
what the sandbox's authorization costs per call: its own timer's median and p99 (ms) over a role's calls to
an SSE-KMS bucket with a TLS-only policy, against the median round trip of those calls (their ratio is the
authorization's share of a call). ``suite/profile`` runs the test suite as `make test` does (without ruff)
with the profiler (``launchpad.profiling``) and reports its wall seconds, CPU seconds (total, per tier and
per kind of test) and terraform runs; the whole profile (by directory, function and the slowest tests) is
written beside the results as ``suite-profile.json``.

What the sandbox runs is measured too: ``sandbox/alarm-delay`` is the sandbox seconds (and real seconds) from
a breaching datapoint to the alarm's state change, for a 1-of-1 alarm and for the deploy engine's 3-of-3 5xx
rate alarm; ``sandbox/lambda-invoke`` is Invoke's round trip (p50 and p99 ms, cold and warm);
``sandbox/pipeline`` is a three-action pipeline (S3 source, a build, a test) from upload to Succeeded; and
``demo`` is `make demo` itself in a fresh account: its seconds, and each of its pipeline executions' (v1 from
the source upload to the approval and on to production, v2 until its canary rolls back). ``monitor/drift`` is
the drift job on 1,000,000 captured records of a 20-feature project against just reading and parsing them,
and its statistics' error against exact scipy (launchpad.monitor.bench_drift). ``assistant/api-load`` is the
assistant's API on loopback: a fixed rate for 60 s, then rising rates until the usage plan throttles; the
API path's p50/p95/p99 against a direct InvokeEndpoint in the same run, the error rate, the 429s and the
answers without their query log item (launchpad.assistant.bench_api). ``pipeline/tuner-vs-grid`` is the
trials Bayesian (and Random) search needs to reach a grid search's best score over the demo project's ranges,
per seed, and the ratio to the grid's trials; ``pipeline/baked-project`` runs the demo's scikit-learn
project's training pipeline on a fresh sandbox account: seconds per step and in all, its training jobs, best
objective and cross-validated AUC (launchpad.pipeline.bench; not ``demo-...``: ``--only demo`` is the demo).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from launchpad import policy
from launchpad.assistant.bench_api import measure_api_load
from launchpad.aws import AwsTarget
from launchpad.demo import Demo
from launchpad.deploy import seed
from launchpad.environments import Environment
from launchpad.errors import LaunchpadError
from launchpad.paths import modules_dir, repo_root
from launchpad.pipeline.bench import (
    BAKED_PROJECT,
    TUNER_VS_GRID,
    measure_baked_project,
    measure_tuner_vs_grid,
)
from launchpad.sandbox import control, workloads
from launchpad.sandbox.bench_alarms import measure_alarm_delay
from launchpad.sandbox.bench_lambda import measure_lambda
from launchpad.sandbox.bench_pipeline import measure_pipeline
from launchpad.terraform import terraform_version
from launchpad.workspace import Workspace

if TYPE_CHECKING:
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import ServerSideEncryptionRuleTypeDef

FLOOR_STACK = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0, < 6.0" }
  }
}
variable "name" { type = string }
variable "region" { type = string }
provider "aws" { region = var.region }
resource "aws_sqs_queue" "floor" {
  name                    = var.name
  sqs_managed_sse_enabled = true
}
"""
STEPS = ("init", "apply", "replan", "destroy")
POLICY = "policy"
MONITOR_DRIFT = "monitor/drift"
GUARDED_UPDATE = "deploy/guarded-update"
POLICY_ROUNDS = 2  # best of: a cold file cache or a busy second must not decide the ratio
AUTHORIZATION = "sandbox/authorization"
AUTHORIZATION_ROUNDS = 100  # of PutObject, GetObject and ListObjectsV2: 300 calls
STATS_ROUTE = "/_launchpad/authz/stats"
SUITE_PROFILE = "suite/profile"
SUITE_WORKERS = 3  # as `make test` (WORKERS)
SUITE_PROFILE_FILE = "suite-profile.json"
ALARM_DELAY = "sandbox/alarm-delay"
LAMBDA_INVOKE = "sandbox/lambda-invoke"
PIPELINE = "sandbox/pipeline"
DEMO = "demo"
ASSISTANT_LOAD = "assistant/api-load"


@dataclass(frozen=True)
class Subject:
    """A root module to measure: a module example, or a root stack with an environment's var file."""

    name: str
    source: Path
    var_file: Path | None = None
    tf_vars: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        """The short name its resources are named after: kms, platform, ..."""
        return self.name.removeprefix("stack/").split("/")[0].split("[")[0]


def examples() -> list[Path]:
    return sorted(modules_dir().glob("*/examples/*/main.tf"), key=str)


def subjects() -> list[Subject]:
    """Every module example, then the root stacks: the platform with its sandbox environment (whose buckets
    are force-destroyed: the sandbox writes access logs into them), and bootstrap."""
    found = [Subject(example_name(e), e.parent) for e in examples()]
    platform_env = Environment("sandbox")
    found.append(Subject("stack/platform[sandbox]", platform_env.stack_dir, platform_env.var_file))
    bootstrap = Environment("sandbox", stack="bootstrap").stack_dir
    found.append(Subject("stack/bootstrap", bootstrap, None, (("force_destroy", True),)))
    return found


def measure_floor(endpoint_url: str) -> dict[str, float]:
    target = AwsTarget.sandbox(endpoint_url)
    with tempfile.TemporaryDirectory(prefix="launchpad-floor-") as tmp:
        stack = Path(tmp) / "floor"
        stack.mkdir()
        (stack / "main.tf").write_text(FLOOR_STACK)
        workspace = Workspace(stack, target, {"name": "lp-floor", "region": target.region})
        try:
            workspace.init()
            workspace.plan()
        finally:
            workspace.cleanup()
    return workspace.timings


def measure(subject: Subject, endpoint_url: str) -> dict[str, float]:
    target = AwsTarget.sandbox(endpoint_url)
    tf_vars = {
        "name": f"lp-bench-{subject.label}"[:20].rstrip("-"),
        "region": target.region,
        **dict(subject.tf_vars),
    }
    workspace = Workspace(subject.source, target, tf_vars, var_file=subject.var_file)
    try:
        workspace.init()
        workspace.apply()
        code, diff = workspace.replan()
        if code != 0:
            raise LaunchpadError(
                f"{subject.name}: re-plan not empty; the numbers would be meaningless\n{diff}"
            )
        workspace.destroy()
    finally:
        workspace.cleanup()
    timings = {step: workspace.timings[step] for step in STEPS}
    timings["total"] = round(sum(timings.values()), 3)
    return timings


def example_name(example: Path) -> str:
    """``<module>/<example>`` of an example's main.tf."""
    return f"{example.parents[2].name}/{example.parent.name}"


def _seconds(action: Any) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def _bare_checkov() -> None:
    """checkov alone over the directories `launchpad policy` scans by default, one after another, with the
    same settings: no pool, no rating, no reports."""
    root = repo_root()
    binary = policy.checkov.find_checkov(root)
    for unit in policy.checkov.units(policy.default_paths(root)):
        policy.checkov.run_unit(binary, root, unit)


def measure_guarded_update(endpoint_url: str) -> dict[str, float]:
    """One guarded canary update whose 5xx rollback alarm fires during the bake, in a fresh sandbox account:
    the deploy's mutating API calls and the seconds from the alarm entering ALARM (CloudWatch's
    timestamp) to the rollback call."""
    with tempfile.TemporaryDirectory(prefix="launchpad-bench-deploy-") as tmp:
        return seed.measure_guarded_update(AwsTarget.sandbox(endpoint_url), Path(tmp))


def _authorization_workload(target: AwsTarget) -> AwsTarget:
    """An SSE-KMS bucket with a TLS-only policy and a CodeBuild role that may use it; the role's session."""
    bucket, name = f"lp-bench-authz-{target.account_id}", "lp-bench-authz"
    key = target.client("kms").create_key(Description="bench")["KeyMetadata"]["Arn"]
    s3 = target.client("s3")
    region = cast("BucketLocationConstraintType", target.region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    rule: ServerSideEncryptionRuleTypeDef = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]}))
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "codebuild.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    allowed = [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key},
    ]
    iam = target.client("iam")
    document = {"Version": "2012-10-17", "Statement": [trust]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": allowed})
    iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=policy)
    return workloads.service_session(target, arn, "codebuild.amazonaws.com")


def measure_authorization(endpoint_url: str) -> dict[str, float]:
    """The sandbox's authorization per call (its own timer: median and p99, ms) over a role's calls, and the
    median round trip of those calls; ``ratio`` is the authorization's share of a call."""
    target = AwsTarget.sandbox(endpoint_url)
    role = _authorization_workload(target)
    s3, bucket = role.client("s3"), f"lp-bench-authz-{target.account_id}"
    control.request(target, "DELETE", STATS_ROUTE)
    round_trips = []
    for index in range(AUTHORIZATION_ROUNDS):
        key = f"k{index}"
        round_trips.append(_seconds(partial(s3.put_object, Bucket=bucket, Key=key, Body=b"x")))
        round_trips.append(_seconds(partial(s3.get_object, Bucket=bucket, Key=key)))
        round_trips.append(_seconds(partial(s3.list_objects_v2, Bucket=bucket, MaxKeys=1)))
    timed = control.request(target, "GET", STATS_ROUTE).get("authorize_ms")
    if not timed:
        raise LaunchpadError("the sandbox timed no authorization: is it off (LAUNCHPAD_SANDBOX_AUTHZ)?")
    call_ms = statistics.median(round_trips) * 1000
    return {
        "calls": float(timed["calls"]),
        "authorize_median_ms": timed["median"],
        "authorize_p99_ms": timed["p99"],
        "call_median_ms": round(call_ms, 3),
        "ratio": round(timed["median"] / call_ms, 3),
    }


def measure_policy() -> dict[str, float]:
    """`launchpad policy` over the repo against bare checkov over the same directories: seconds and ratio."""
    bare, ours = [], []
    for _ in range(POLICY_ROUNDS):
        bare.append(_seconds(_bare_checkov))
        ours.append(_seconds(policy.run))
    return {
        "checkov_bare": round(min(bare), 3),
        "launchpad_policy": round(min(ours), 3),
        "ratio": round(min(ours) / min(bare), 3),
    }


def measure_demo() -> dict[str, float]:
    """`make demo` in a fresh account of the running sandbox: its seconds, and the seconds of each pipeline
    execution it starts (from the first action's start to the last action's last update)."""
    demo = Demo()
    started = time.monotonic()
    demo.run(lambda _number, _title: None, lambda _result, _seconds: None)
    results = {"demo_s": round(time.monotonic() - started, 1)}
    releases = demo.project.releases if demo.project else {}
    for version, release in releases.items():
        if release.actions:
            first = min(d["startTime"] for d in release.actions)
            last = max(d["lastUpdateTime"] for d in release.actions)
            results[f"pipeline_{version}_s"] = round((last - first).total_seconds(), 1)
    return results


def suite_command(profile: Path, workers: int = SUITE_WORKERS) -> list[str]:
    """`make test`'s pytest line, profiled into ``profile``."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-n",
        str(workers),
        "--dist",
        "loadgroup",
        "-m",
        "not aws",
        f"--launchpad-profile={profile}",
    ]


def suite_results(profile: dict[str, Any]) -> dict[str, float]:
    """The numbers of a suite profile that runs are compared by: wall and CPU seconds, terraform runs, in
    total, per tier (fast, sandbox) and per kind of test (validate, plan, apply, bake, ...)."""
    results = {
        "wall_seconds": profile["wall_seconds"],
        "cpu_seconds": round(profile["cpu_minutes"] * 60, 1),
        "tests": float(profile["total"]["tests"]),
        "terraform_runs": float(profile["total"]["terraform"]),
    }
    for section in ("tiers", "kinds"):
        for name, cost in profile[section].items():
            results[f"{name}_cpu_seconds"] = round(cost["cpu"], 1)
            results[f"{name}_terraform_runs"] = float(cost["terraform"])
    return results


def measure_suite(profile_dir: Path) -> dict[str, float]:
    """Run the suite (its own sandbox, as a fresh `make test` would) with the profiler; the profile is kept
    in ``profile_dir``."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    path = (profile_dir / SUITE_PROFILE_FILE).resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("LAUNCHPAD_SANDBOX_URL", "PYTEST_ADDOPTS")}
    result = subprocess.run(suite_command(path), cwd=repo_root(), env=env, check=False)
    if result.returncode != 0:
        raise LaunchpadError(f"the suite failed (exit {result.returncode}); its profile would mislead")
    return suite_results(json.loads(path.read_text()))


def run(
    endpoint_url: str, only: tuple[str, ...] = (), profile_dir: Path = Path("bench-results")
) -> Iterator[tuple[str, dict[str, float]]]:
    """Yield (name, timings) for the floor, every module example and root stack, the policy run and the
    suite profile (those whose name contains one of ``only``, if given)."""

    def wanted(name: str) -> bool:
        return not only or any(text in name for text in only)

    sandbox_measures: dict[str, Callable[[str], dict[str, float]]] = {
        GUARDED_UPDATE: measure_guarded_update,
        AUTHORIZATION: measure_authorization,
        ALARM_DELAY: measure_alarm_delay,
        LAMBDA_INVOKE: measure_lambda,
        PIPELINE: measure_pipeline,
        DEMO: lambda _url: measure_demo(),
        ASSISTANT_LOAD: measure_api_load,
        TUNER_VS_GRID: lambda _url: measure_tuner_vs_grid(),
        BAKED_PROJECT: measure_baked_project,
    }
    every = subjects()
    selected = [s for s in every if wanted(s.name)]
    others = [*sandbox_measures, MONITOR_DRIFT, POLICY, SUITE_PROFILE]
    if not selected and not any(wanted(n) for n in others):
        names = ", ".join([*(s.name for s in every), *others])
        raise LaunchpadError(f"nothing matches {' or '.join(only)}; choose from: {names}")
    if selected:
        yield "provider-floor", measure_floor(endpoint_url)
    for subject in selected:
        yield subject.name, measure(subject, endpoint_url)
    for name, measure_one in sandbox_measures.items():
        if wanted(name):
            yield name, measure_one(endpoint_url)
    if wanted(MONITOR_DRIFT):
        from launchpad.monitor.bench_drift import measure_drift  # numpy and scipy: not on every CLI start

        yield MONITOR_DRIFT, measure_drift()
    if wanted(POLICY):
        yield POLICY, measure_policy()
    if wanted(SUITE_PROFILE):
        yield SUITE_PROFILE, measure_suite(profile_dir)


def report(results: dict[str, dict[str, float]], started: float) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "terraform": ".".join(map(str, terraform_version())),
        },
        "unit": "seconds",
        "results": results,
    }


def write(document: dict[str, Any], output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = document["generated_at"].replace(":", "").replace("-", "")
    path = output_dir / f"bench-{stamp}.json"
    text = json.dumps(document, indent=2, sort_keys=True)
    path.write_text(text)
    (output_dir / "latest.json").write_text(text)
    return path


UNITLESS = frozenset(
    {
        "ratio",
        "time_scale",
        "job_to_parse",
        "evidently_to_job",
        "ks_max_abs_error",
        "wasserstein_max_rel_error",
    }
)
COUNTS = frozenset({"mutating_calls", "calls", "tests", "records", "ok_answers", "lost", "seeds"})
# assistant/api-load: counts per step, rates, ratios of the API path to the direct one
COUNT_SUFFIXES = ("_runs", "_sent", "_throttled", "_errors", "_requests", "_trials", "_jobs")
# pipeline/*: mean trial counts, ratios, objectives and AUCs
UNITLESS_SUFFIXES = ("_rps", "_error_rate", "_mean_trials", "_ratio", "_objective", "_auc", "_auc_std")
UNITLESS_PREFIXES = ("api_to_direct_",)


def format_value(name: str, value: float) -> str:
    """``apply   12.3s``; below a second, milliseconds (``alarm_to_rollback_seconds   12ms``); a value
    measured in milliseconds (``*_ms``) with three decimals; a ratio and a count have no unit."""
    if name in UNITLESS or name.endswith(UNITLESS_SUFFIXES) or name.startswith(UNITLESS_PREFIXES):
        return f"{name} {value:5.2f}" if value >= 0.01 or value == 0 else f"{name} {value:.2e}"
    if name in COUNTS or name.endswith(COUNT_SUFFIXES):
        return f"{name} {value:4.0f}"
    if name.endswith("_ms"):
        return f"{name} {value:7.3f}ms"
    if name.endswith("_mib"):
        return f"{name} {value:7.1f}MiB"
    if value < 1:
        return f"{name} {value * 1000:5.0f}ms"
    return f"{name} {value:6.1f}s"


def compare(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Lines of `name step: old -> new (+x%)` for steps present in both documents."""
    lines = []
    for name, timings in current["results"].items():
        old = previous.get("results", {}).get(name, {})
        for step, seconds in timings.items():
            if old.get(step):
                change = (seconds - old[step]) / old[step] * 100
                before, after = (format_value(step, v).split()[-1] for v in (old[step], seconds))
                lines.append(f"{name} {step}: {before} -> {after} ({change:+.0f}%)")
    return lines
