"""The training pipeline's Processing jobs (launchpad.pipeline.entry: ValidateData and CrossValidate) run from
their bundle alone, as the scikit-learn image runs them, on a folder laid out as /opt/ml; the project's
sourcedir.tar.gz; and the declarations the jobs read from a project (project.json)."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.errors import ConfigError
from launchpad.monitor import baselines
from launchpad.pipeline import entry, jobs, source

FEATURES = ("a", "b")
PIPELINE_YAML = """\
label: y
validation:
  features: {a: Fractional, b: Integral}
  max_missing: 0.1
  facets: [{attribute: group, values: [g2]}]
cross_validation: {folds: 4}
thresholds: {bias: {DPPL: {max_abs: 0.3}}}
tuning: {ranges: {lr: {type: Continuous, min: 0.1, max: 1}}}
"""
# The project's training module: a logistic regression by gradient descent (numpy only, quick).
TRAIN_JOB = '''"""A toy project's training module."""
import numpy as np

SEED = 3
THRESHOLD = 0.5
KNOWN = {"steps", "lr"}


def fit(x, y, given, seed):
    unknown = sorted(set(given) - KNOWN)
    if unknown:
        raise ValueError(f"unknown hyperparameter {unknown[0]}")
    steps, lr = int(given.get("steps", "300")), float(given.get("lr", "0.5"))
    xb = np.c_[x, np.ones(len(x))]
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        w -= lr * xb.T @ (1 / (1 + np.exp(-xb @ w)) - y) / len(y)
    return w


def predict_proba(w, x):
    return 1 / (1 + np.exp(-np.c_[x, np.ones(len(x))] @ w))


def main():
    return 0
'''


def rows(n: int = 400, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rng.integers(0, 5, size=n)
    group = np.where(rng.random(n) < 0.4, "g2", "g1")
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * a + 0.3 * b - 0.6)))).astype(int)
    return [[f"{a[i]:.5f}", str(b[i]), str(group[i]), str(y[i])] for i in range(n)]


def csv_text(table: list[list[str]], header: tuple[str, ...] = (*FEATURES, "group", "y")) -> str:
    return "\n".join(",".join(r) for r in [list(header), *table]) + "\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "src" / "toy").mkdir(parents=True)
    (folder / "src" / "toy" / "__init__.py").write_text("")
    (folder / "src" / "toy" / "train_job.py").write_text(TRAIN_JOB)
    (folder / "pipeline.yaml").write_text(PIPELINE_YAML)
    return folder


def lay_out(root: Path, project: Path, data: str) -> Path:
    """The job's /opt/ml under ``root``: the bundle (with project.json), the data, the sourcedir."""
    code = root / "processing" / "input" / "code"
    for name, body in jobs.job_bundle(project).items():
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        (code / name).write_bytes(body)
    (root / "processing" / "input" / "data").mkdir(parents=True)
    (root / "processing" / "input" / "data" / "part-1.csv").write_text(data)
    (root / "processing" / "input" / "source").mkdir(parents=True)
    (root / "processing" / "input" / "source" / "sourcedir.tar.gz").write_bytes(
        source.build_sourcedir(project)
    )
    return code / jobs.ENTRY_POINT


def run_bundle(
    entry_point: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The bundle's entry point with ``python -I`` (no launchpad on the path: the bundle alone), from
    another folder, its root found from where it lies."""
    return subprocess.run(
        [sys.executable, "-I", str(entry_point), *arguments],
        capture_output=True,
        text=True,
        cwd=entry_point.anchor,
        env={"PATH": "", "AWS_EC2_METADATA_DISABLED": "true", **(env or {})},
        timeout=120,
    )


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stderr.strip().splitlines()[-1]


# -- the bundle ---------------------------------------------------------------------------------------------
def test_the_bundle_imports_nothing_but_numpy_scipy_boto3_and_itself(project: Path) -> None:
    allowed = {"numpy", "scipy", "boto3", "botocore", "__future__"} | set(sys.stdlib_module_names)
    files = jobs.job_bundle(project)
    for name, body in files.items():
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(body)):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed | {jobs.JOB_PACKAGE, jobs.MONITOR_PACKAGE}, (name, roots)
    assert f"{jobs.MONITOR_PACKAGE}/drift.py" in files and f"{jobs.MONITOR_PACKAGE}/bias.py" in files
    assert json.loads(files[f"{jobs.JOB_PACKAGE}/{jobs.CONFIG_FILE}"])["label"] == "y"
    assert f"{jobs.JOB_PACKAGE}/{jobs.CONFIG_FILE}" not in jobs.job_bundle()
    assert files == jobs.job_bundle(project)  # the same bytes every time: the same S3 objects


# -- ValidateData --------------------------------------------------------------------------------------------
def test_validate_writes_the_report_and_a_baseline_launchpad_can_ship(tmp_path: Path, project: Path) -> None:
    root = tmp_path / "opt" / "ml"
    done = run_bundle(lay_out(root, project, csv_text(rows())), "validate")
    assert done.returncode == 0, done.stderr
    report = json.loads((root / "processing/output/report/report.json").read_text())
    assert report["status"] == "passed" and report["rows"] == 400
    assert report["other_columns"] == ["group"] and report["drift"] is None
    assert report["bias"]["error"] is None
    baseline = root / "processing" / "output" / "baseline"
    assert sorted(p.name for p in baseline.iterdir()) == [
        "analysis.json",
        "checks.json",
        "constraints.json",
        "statistics.json",
    ]
    assert baselines.folder_problems(baseline) == []
    stats = json.loads((baseline / "statistics.json").read_text())
    assert [(f["name"], f["inferred_type"]) for f in stats["features"]] == [
        ("a", "Fractional"),
        ("b", "Integral"),
    ]
    analysis = json.loads((baseline / "analysis.json").read_text())
    assert set(analysis["pre_training_bias_metrics"]["facets"]) == {"group"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (csv_text([r[:2] + r[3:] for r in rows()], ("a", "b", "y")), "the training data has no column group"),
        (csv_text([r[1:] for r in rows()], ("b", "group", "y")), "has no column a"),
        (
            csv_text([["", *r[1:]] if i % 5 == 0 else r for i, r in enumerate(rows())]),
            "column a: 80 of 400 values missing (20.0%), above the limit of 10.0%",
        ),
        (
            csv_text([[r[0], "many", *r[2:]] if i == 3 else r for i, r in enumerate(rows())]),
            "part-1.csv line 5: 'many'",
        ),
        (
            csv_text([[*r[:3], "yes"] if i == 0 else r for i, r in enumerate(rows())]),
            "label y must be 0 or 1",
        ),
        (csv_text([[*r[:3], "1"] for r in rows()]), "label y is 1 in every row"),
        (csv_text([]), "has a header but no rows"),
        (csv_text(rows())[:-1] + ",1\n", "has 5 cells; the header has 4"),
    ],
    ids=[
        "no-facet",
        "no-feature",
        "too-many-missing",
        "text-in-a-number",
        "label-not-binary",
        "one-class",
        "no-rows",
        "ragged",
    ],
)
def test_data_the_model_cannot_train_on_fails_validate_naming_why(
    data: str, reason: str, tmp_path: Path, project: Path
) -> None:
    root = tmp_path / "opt" / "ml"
    done = run_bundle(lay_out(root, project, data), "validate")
    assert done.returncode == 2, done.stderr
    assert "ERROR ValidateData: " in last_line(done) and reason in last_line(done), last_line(done)
    assert not (root / "processing" / "output").exists()


def test_validate_reports_drift_against_the_deployed_baseline_in_s3(
    tmp_path: Path, project: Path, sandbox_target: AwsTarget
) -> None:
    """The Baseline parameter names the deployed version's baseline; the job reads it with boto3 (the
    sandbox's S3 here) and reports the drift of the new data without failing."""
    deployed = tmp_path / "deployed"
    old = tmp_path / "old"
    assert run_bundle(lay_out(old, project, csv_text(rows(seed=1))), "validate").returncode == 0
    s3 = sandbox_target.client("s3")
    s3.create_bucket(
        Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": sandbox_target.region}
    )
    for path in (old / "processing" / "output" / "baseline").iterdir():
        s3.put_object(Bucket="artifacts", Key=f"churn/1.0.0/baseline/{path.name}", Body=path.read_bytes())
    shifted = [[f"{float(r[0]) + 2:.5f}", *r[1:]] for r in rows(seed=2)]
    entry_point = lay_out(deployed, project, csv_text(shifted))
    done = run_bundle(
        entry_point,
        "validate",
        "--baseline",
        "s3://artifacts/churn/1.0.0/baseline/",
        env=sandbox_target.env(),
    )
    assert done.returncode == 0, done.stderr
    drift = json.loads((deployed / "processing/output/report/report.json").read_text())["drift"]
    assert drift["status"] == "ok" and drift["baseline"] == "s3://artifacts/churn/1.0.0/baseline/"
    drifted = {f["name"] for f in drift["features"] if f["decision"]["drifted"]}
    assert "a" in drifted and drift["drifted_features"] == len(drifted)
    absent = run_bundle(
        entry_point,
        "validate",
        "--baseline",
        "s3://artifacts/churn/9.9.9/baseline/",
        env=sandbox_target.env(),
    )
    assert absent.returncode == 2
    assert "has no statistics.json" in last_line(absent)


# -- CrossValidate -------------------------------------------------------------------------------------------
class Described:
    """DescribeTrainingJob of the best training job, as SageMaker answers it (or refuses it)."""

    def __init__(self, hyperparameters: dict[str, str] | None = None, error: str | None = None) -> None:
        self.hyperparameters = hyperparameters or {}
        self.error = error
        self.asked: list[str] = []

    def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        self.asked.append(TrainingJobName)
        if self.error:
            message = {
                "Code": self.error,
                "Message": "not authorized to perform: sagemaker:DescribeTrainingJob",
            }
            raise ClientError({"Error": message}, "DescribeTrainingJob")
        return {"TrainingJobName": TrainingJobName, "HyperParameters": self.hyperparameters}


def cross_validate(root: Path, described: Described, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    import boto3

    monkeypatch.setattr(boto3, "client", lambda service, **_: described)
    config = root / "processing" / "input" / "code" / jobs.JOB_PACKAGE / jobs.CONFIG_FILE
    arguments = [
        "cross-validate",
        "--root",
        str(root),
        "--config",
        str(config),
        "--best-training-job",
        "best-7",
    ]
    return entry.main([*arguments, *extra])


def test_cross_validate_scores_the_best_candidate_fold_by_fold(
    tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "opt" / "ml"
    lay_out(root, project, csv_text(rows()))
    tuned = {
        "lr": "0.8",
        "steps": "200",
        "sagemaker_program": "train_job.py",
        "_tuning_objective_metric": "validation:auc",
    }
    described = Described(tuned)
    assert cross_validate(root, described, monkeypatch, "--folds", "4") == 0
    assert described.asked == ["best-7"]
    output = root / "processing" / "output" / "evaluation"
    evaluation = json.loads((output / "evaluation.json").read_text())
    assert evaluation["best_training_job"] == "best-7"
    assert evaluation["hyperparameters"] == {"lr": "0.8", "steps": "200"}
    assert set(evaluation["metrics"]) == {"auc", "brier_score", "accuracy"}
    auc = evaluation["metrics"]["auc"]
    assert len(auc["folds"]) == 4 and 0.6 < auc["mean"] <= 1 and auc["std"] >= 0
    assert auc["mean"] == pytest.approx(float(np.mean(auc["folds"])), abs=1e-5)
    assert evaluation["bias"]["DPPL"] >= 0 and "DI" in evaluation["bias"] and evaluation["seed"] == 3
    report = json.loads((output / "bias.json").read_text())
    dppl = [
        m["value"]
        for g in report["post_training_bias_metrics"]["facets"]["group"]
        for m in g["metrics"]
        if m["name"] == "DPPL"
    ]
    assert evaluation["bias"]["DPPL"] == pytest.approx(abs(dppl[0]), abs=1e-6)
    # the same folds, the same scores
    assert cross_validate(root, Described(tuned), monkeypatch, "--folds", "4") == 0
    assert json.loads((output / "evaluation.json").read_text())["metrics"] == evaluation["metrics"]


def test_cross_validate_refuses_what_it_cannot_run(
    tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "opt" / "ml"
    lay_out(root, project, csv_text(rows()))
    assert cross_validate(root, Described({"depth": "3"}), monkeypatch) == 2
    assert "CrossValidate: the project's fit failed: unknown hyperparameter depth" in caplog.text
    assert cross_validate(root, Described(), monkeypatch, "--folds", "1") == 2
    assert "--folds 1: use 2 to 20" in caplog.text
    assert cross_validate(root, Described(error="AccessDeniedException"), monkeypatch) == 3
    assert "sagemaker:DescribeTrainingJob" in caplog.text
    (root / "processing" / "input" / "source" / "sourcedir.tar.gz").write_bytes(b"not a tar")
    assert cross_validate(root, Described(), monkeypatch) == 2
    assert "sourcedir.tar.gz is not a readable tar.gz" in caplog.text


def test_a_sourcedir_member_outside_its_folder_is_refused(tmp_path: Path) -> None:
    from launchpad.pipeline import crossval

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape.py")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    archive = tmp_path / "sourcedir.tar.gz"
    archive.write_bytes(raw.getvalue())
    with pytest.raises(crossval.CrossValidationError, match="lies outside"):
        crossval.unpack_source(str(archive), str(tmp_path / "code"))
    assert not (tmp_path / "escape.py").exists()


# -- the sourcedir and the declarations ---------------------------------------------------------------------
def test_the_sourcedir_is_the_package_and_its_entry_and_the_same_bytes_each_time(project: Path) -> None:
    (project / "src" / "toy" / "__pycache__").mkdir()
    (project / "src" / "toy" / "__pycache__" / "train_job.cpython-311.pyc").write_bytes(b"cache")
    built = source.build_sourcedir(project)
    with tarfile.open(fileobj=io.BytesIO(built), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        entry_text = tar.extractfile("train_job.py").read().decode()  # type: ignore[union-attr]
    assert sorted(members) == ["toy", "toy/__init__.py", "toy/train_job.py", "train_job.py"]
    assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in members.values())
    assert "from toy.train_job import main" in entry_text
    assert built == source.build_sourcedir(project)
    (project / "src" / "toy" / "train_job.py").unlink()
    with pytest.raises(ConfigError, match=r"train_job.py does not exist"):
        source.build_sourcedir(project)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (PIPELINE_YAML.replace("label: y\n", ""), "has no label"),
        (PIPELINE_YAML.replace("b: Integral", "b: Boolean"), "validation.features.b is 'Boolean'"),
        (PIPELINE_YAML.replace("b: Integral", "y: Integral"), "the label y is listed among the features"),
        (PIPELINE_YAML.replace("max_missing: 0.1", "max_missing: 2"), "max_missing is 2; use 0 to 1"),
        (
            PIPELINE_YAML.replace("  facets: [{attribute: group, values: [g2]}]\n", ""),
            "sets bias thresholds (DPPL) but names no facet",
        ),
        (PIPELINE_YAML.replace("DPPL", "XYZ"), "thresholds.bias.XYZ is not a Clarify bias metric"),
        (PIPELINE_YAML.replace("folds: 4", "folds: 1"), "cross_validation.folds is 1"),
    ],
    ids=[
        "no-label",
        "bad-type",
        "label-as-feature",
        "share-above-1",
        "thresholds-without-facets",
        "bad-metric",
        "one-fold",
    ],
)
def test_declarations_the_jobs_cannot_use_are_refused_naming_the_field(
    text: str, reason: str, project: Path
) -> None:
    (project / "pipeline.yaml").write_text(text)
    with pytest.raises(ConfigError, match=None) as raised:
        jobs.project_config(project)
    assert reason in str(raised.value)


def test_the_arguments_are_the_entry_points(project: Path) -> None:
    baseline = {"Get": "Parameters.Baseline"}
    assert jobs.validate_arguments(baseline) == ["validate", "--root", "/opt/ml", "--baseline", baseline]
    assert jobs.cross_validate_arguments("best", 5)[-2:] == ["--folds", "5"]
    assert entry.default_root("/x/opt/ml/processing/input/code/launchpad_pipeline_job.py") == "/x/opt/ml"
    assert entry.default_root("/somewhere/else.py") == "/opt/ml"
