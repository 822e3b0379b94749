"""``launchpad bench`` hooks of the training pipeline: the tuner against a grid, and a baked project's run.

``pipeline/tuner-vs-grid`` (no sandbox, about a second): over ``tuning.SYNTHETIC_RANGES`` (the demo
project's ranges) and the smooth ``tuning.synthetic_auc``, how many trials Bayesian search needs, per seed,
to reach the best score of a grid search over the same ranges (``tuning.grid_vs_bayesian``: 5 points per
numeric range, 100 trials), and the same for Random search. ``ratio`` is Bayesian's mean trial count over
the grid's size (below 1: fewer trials than the grid, what issue 21 asks); ``*_to_grid_best_ratio`` is the
mean over the trials the grid needed to meet its own best in its order. A seed that never reaches the grid's
best within the grid's size counts as the grid's size + 1 and in ``*_missed_runs``. Trial counts, not
seconds: nothing here asserts a time.

``pipeline/baked-project`` (minutes; not named ``demo-...``, which ``--only demo`` would pick too): in a fresh
sandbox account, ``modules/training-pipeline``'s example applied as a team's Terraform would (the module's own
roles; the bench makes none), the platform's part made beside it as the module's tests make it (the artifacts
bucket, the model package group; the data key is the example's), the demo's scikit-learn project baked and
prepared (``launchpad.demo.training.prepare``: its training data, code and definition), the example updated to
that definition, and one execution started with ``MaxTrainingJobs`` (default: the project's pipeline.yaml) and
followed to its end (``training.follow``). Reported: each step's seconds from ListPipelineExecutionSteps'
StartTime to EndTime, the execution's in all (``total_s``: its CreationTime to LastModifiedTime; and the real
seconds from StartPipelineExecution to the end as polled), the training jobs the tuner ran, its best objective
and the cross-validated AUC; the setup's seconds apart (``setup_*``: apply, bake and prepare, update,
destroy). The example is destroyed afterwards, whatever happened.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import LaunchpadError
from launchpad.paths import modules_dir

TUNER_VS_GRID = "pipeline/tuner-vs-grid"
BAKED_PROJECT = "pipeline/baked-project"
SEEDS = (0, 1, 2, 3, 4)
PROJECT = "lp-churn"  # the baked project's slug; the example's ``name``: its pipeline is lp-churn-training
ANSWERS = {"project_name": "LP Churn", "framework": "sklearn"}
EXECUTION_TIMEOUT = 1800.0  # real seconds the execution may take
POLL = 0.5


# -- pipeline/tuner-vs-grid ----------------------------------------------------------------------------------
def _column(
    name: str, trials: Sequence[int], budget: int, grid_size: int, grid_to_best: int
) -> dict[str, float]:
    mean = statistics.fmean(trials)
    return {
        f"{name}_mean_trials": round(mean, 2),
        f"{name}_median_trials": float(statistics.median(trials)),
        f"{name}_max_trials": float(max(trials)),
        f"{name}_missed_runs": float(sum(t > budget for t in trials)),
        f"{name}_ratio": round(mean / grid_size, 4),
        f"{name}_to_grid_best_ratio": round(mean / grid_to_best, 4),
    }


def measure_tuner_vs_grid(
    seeds: Iterable[int] = SEEDS,
    objective: Callable[[Mapping[str, str]], float] | None = None,
    ranges: Mapping[str, Any] | None = None,
    points: int = 5,
) -> dict[str, float]:
    """Trials to the grid's best score for Bayesian and Random search, per seed and summed up (module
    docstring); ``objective`` and ``ranges`` default to ``tuning.synthetic_auc`` over its ranges."""
    from launchpad.sandbox import tuning  # numpy and scipy: not on every CLI start

    seeds = list(seeds)
    if not seeds:
        raise LaunchpadError(f"{TUNER_VS_GRID}: no seeds; give at least one")
    objective = objective or tuning.synthetic_auc
    parsed = tuning.parse_ranges(ranges if ranges is not None else tuning.SYNTHETIC_RANGES)
    compared = tuning.grid_vs_bayesian(objective, parsed, seeds, points=points)
    size, target = int(compared["grid_size"]), float(compared["grid_best"])
    to_best = int(compared["grid_trials_to_best"])
    bayesian = [int(run["trials"]) for run in compared["bayesian"]]
    random = [
        tuning.trials_to_reach(tuning.RandomStrategy(parsed, seed), objective, target, size)[0]
        for seed in seeds
    ]
    results: dict[str, float] = {
        "grid_trials": float(size),
        "grid_to_best_trials": float(to_best),
        "grid_best_objective": round(target, 4),
        "seeds": float(len(seeds)),
        "ratio": round(float(compared["ratio"]), 4),
    }
    results.update(_column("bayesian", bayesian, size, size, to_best))
    results.update(_column("random", random, size, size, to_best))
    for seed, b, r in zip(seeds, bayesian, random, strict=True):
        results[f"bayesian_seed{seed}_trials"] = float(b)
        results[f"random_seed{seed}_trials"] = float(r)
    return results


# -- pipeline/baked-project ----------------------------------------------------------------------------------
def check_max_training_jobs(value: int | None) -> None:
    """``MaxTrainingJobs`` is an Integer parameter of at least 1 (None: the pipeline's default)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise LaunchpadError(
            f"{BAKED_PROJECT}: MaxTrainingJobs {value!r} is not a whole number of at least 1; "
            "give one, or nothing for the pipeline.yaml's max_jobs"
        )


def step_seconds(steps: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """``<StepName>_s``: each step's seconds from its StartTime to its EndTime (ListPipelineExecutionSteps;
    a step run more than once keeps its last attempt's)."""
    seconds: dict[str, float] = {}
    for step in steps:
        start, end = step.get("StartTime"), step.get("EndTime")
        if start is not None and end is not None:
            seconds[f"{step['StepName']}_s"] = round((end - start).total_seconds(), 1)
    return seconds


def execution_results(run: Any, real_seconds: float) -> dict[str, float]:
    """What the hook reports of a followed execution (``training.Retraining``)."""
    results = step_seconds(run.steps)
    description = run.description
    created, modified = description.get("CreationTime"), description.get("LastModifiedTime")
    if created is not None and modified is not None:
        results["total_s"] = round((modified - created).total_seconds(), 1)
    results["execution_real_s"] = round(real_seconds, 1)
    counters = run.tuning.get("TrainingJobStatusCounters") or {}
    results["training_jobs"] = float(sum(counters.values()))
    best = (run.tuning.get("BestTrainingJob") or {}).get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    if best.get("Value") is not None:
        results["best_objective"] = round(float(best["Value"]), 4)
    auc = (run.evaluation.get("metrics") or {}).get("auc") or {}
    if auc.get("mean") is not None:
        results["cv_auc"] = round(float(auc["mean"]), 4)
        results["cv_auc_std"] = round(float(auc.get("std", 0.0)), 4)
    return results


class _Platform:
    """What terraform/platform would hold for the pipeline in an environment: the artifacts bucket and the
    model package group (as the module's tests make them); removed again before the destroy."""

    def __init__(self, target: AwsTarget, bucket: str, group: str) -> None:
        self.target, self.bucket, self.group = target, bucket, group
        self.made: list[str] = []
        s3: Any = target.client("s3")
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
        self.made.append("bucket")
        target.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
        self.made.append("group")

    def close(self) -> None:
        sagemaker, s3 = self.target.client("sagemaker"), self.target.client("s3")
        if "group" in self.made:
            listed = sagemaker.list_model_packages(ModelPackageGroupName=self.group)
            for summary in listed["ModelPackageSummaryList"]:
                sagemaker.delete_model_package(ModelPackageName=summary["ModelPackageArn"])
            sagemaker.delete_model_package_group(ModelPackageGroupName=self.group)
        if "bucket" in self.made:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=self.bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=self.bucket)
        self.made.clear()


def measure_baked_project(
    endpoint_url: str, max_training_jobs: int | None = None, timeout: float = EXECUTION_TIMEOUT
) -> dict[str, float]:
    """The demo project's pipeline on a fresh account of the sandbox at ``endpoint_url`` (module docstring);
    ``max_training_jobs``: the execution's MaxTrainingJobs (None: the pipeline.yaml's max_jobs)."""
    check_max_training_jobs(max_training_jobs)
    from launchpad import scaffold
    from launchpad.demo import training
    from launchpad.demo.project import DEMO_ORGANISATION
    from launchpad.pipeline import commands
    from launchpad.workspace import Workspace

    target = AwsTarget.sandbox(endpoint_url)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="launchpad-bench-training-") as tmp:
        workdir = Path(tmp)
        bucket = f"lp-bench-training-{target.account_id}"
        example = modules_dir() / "training-pipeline" / "examples" / "complete"
        tf_vars = {"name": PROJECT, "region": target.region, "bucket": bucket}
        workspace = Workspace(example, target, tf_vars, parent=workdir / "terraform")
        platform: _Platform | None = None
        try:
            workspace.init()
            outputs = workspace.apply()
            results["setup_apply_s"] = workspace.timings["apply"]
            platform = _Platform(target, bucket, outputs["model_package_group_name"])
            started = time.monotonic()
            baked = scaffold.bake(
                workdir / "project", {**ANSWERS, **DEMO_ORGANISATION}, replay_dir=workdir / ".cookiecutter"
            )
            values = {
                "region": target.region,
                "serving_image": f"{target.account_id}.dkr.ecr.{target.region}.amazonaws.com/{PROJECT}:0.1.0",
                "artifact_bucket": bucket,
                "artifact_prefix": f"{PROJECT}/pipeline",
                "kms_key_arn": outputs["data_key_arn"],
                "job_role_arn": outputs["job_role_arn"],
                "model_package_group": platform.group,
                "training_data": f"s3://{bucket}/{PROJECT}/training-data/bench/",
            }
            prepared = training.prepare(target, baked, values, workdir)
            results["setup_bake_and_prepare_s"] = round(time.monotonic() - started, 1)
            workspace.set_vars({**tf_vars, "pipeline_definition": prepared.definition})
            workspace.apply()
            results["setup_update_s"] = workspace.timings["apply"]
            parameters = {} if max_training_jobs is None else {"MaxTrainingJobs": str(max_training_jobs)}
            started = time.monotonic()
            execution = commands.start(target.client("sagemaker"), prepared.pipeline, parameters)
            run = training.follow(target, execution, timeout=timeout)
            results.update(execution_results(run, time.monotonic() - started))
        finally:
            try:
                if platform is not None:
                    platform.close()
            finally:
                workspace.cleanup()
        results["setup_destroy_s"] = workspace.timings["destroy"]
    return results
