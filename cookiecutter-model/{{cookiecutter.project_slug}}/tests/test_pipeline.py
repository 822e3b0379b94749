{%- set fw = cookiecutter.framework -%}
{%- set fast = {'xgboost': ['--num_round', '20'], 'pytorch': ['--epochs', '30']}.get(fw, ['--n_estimators', '20']) -%}
"""The training pipeline's side of the project: train_job.py as SageMaker script mode runs it (a train channel
of CSV files, hyperparameters as arguments, the model in SM_MODEL_DIR, the metric lines the tuner reads), its
failures (a FailureReason in the failure file, exit 1), and pipeline.yaml agreeing with the code."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from {{ cookiecutter.project_slug }} import train_job
from {{ cookiecutter.project_slug }}.columns import FEATURE_NAMES, LABEL, SEGMENT
from {{ cookiecutter.project_slug }}.data import write_csv

PROJECT = Path(__file__).resolve().parents[1]
framework = train_job.framework
FAST = {{ fast | tojson }}  # a short training: the job's behaviour, not the model's quality
HEADER = ",".join([*FEATURE_NAMES, LABEL]) + "\n"
METRIC = re.compile(r"validation:auc=([0-9.]+)")  # pipeline.yaml's objective, as the tuner reads the log


def layout(tmp_path: Path, csv_text: str | None = None, rows: int = 600) -> tuple[Path, dict[str, str]]:
    """SageMaker's /opt/ml under tmp_path, its train channel holding one CSV file; the job's environment."""
    root = tmp_path / "opt" / "ml"
    channel = root / "input" / "data" / "train"
    channel.mkdir(parents=True)
    if csv_text is None:
        write_csv(channel / "train.csv", rows=rows)
    else:
        (channel / "train.csv").write_text(csv_text)
    env = {
        "SM_CHANNEL_TRAIN": str(channel),
        "SM_MODEL_DIR": str(root / "model"),
        "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
    }
    return root, env


def test_the_job_prints_the_tuners_metric_and_saves_the_serving_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, env = layout(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert train_job.main(FAST) == 0
    lines = capsys.readouterr().out.splitlines()
    values = [float(m.group(1)) for line in lines for m in [METRIC.search(line)] if m]
    assert len(values) >= 3 and all(0 <= v <= 1 for v in values) and values[-1] > 0.6, lines
    assert re.fullmatch(r"epoch=\d+ validation:auc=[0-9.]+ train:auc=[0-9.]+", lines[0])
    assert lines[-1].startswith("final validation:auc=")
    assert len(lines) <= 40  # every few stages, not every one: the log stays small
    model = framework.load(root / "model")
    probabilities = framework.predict_proba(model, np.zeros((2, len(FEATURE_NAMES))))
    assert probabilities.shape == (2,)
    assert not (root / "output" / "failure").exists()


def test_script_mode_runs_the_sourcedir_entry_with_hyperparameters_as_arguments(tmp_path: Path) -> None:
    """The sourcedir.tar.gz launchpad uploads, unpacked as SageMaker does into /opt/ml/code and run there
    (the tuner's own _tuning_objective_metric among the arguments, as AWS passes it)."""
    from launchpad.pipeline.source import build_sourcedir

    code = tmp_path / "code"
    with tarfile.open(fileobj=io.BytesIO(build_sourcedir(PROJECT)), mode="r:gz") as archive:
        archive.extractall(code, filter="data")
    root, env = layout(tmp_path, rows=400)
    tuner = ["--_tuning_objective_metric", "validation:auc"]
    done = subprocess.run(
        [sys.executable, "train_job.py", *FAST, *tuner, "--seed", "1"],
        cwd=code,
        env={"PATH": "", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert METRIC.search(done.stdout.splitlines()[-1])
    assert any((root / "model").iterdir())


@pytest.mark.parametrize(
    ("csv_text", "arguments", "reason"),
    [
        ("a,b\n1,2\n", [], f"has no column {', '.join(FEATURE_NAMES)}, {LABEL}"),
        (None, ["--no_such_rate", "0.1"], "unknown hyperparameter no_such_rate"),
        (None, [FAST[0], "many"], f"hyperparameter {FAST[0][2:]} is 'many', not a number"),
        (HEADER + ",".join(["1"] * len(FEATURE_NAMES)) + ",2\n", [], "is not 0 or 1"),
        (HEADER + ",".join(["x"] * len(FEATURE_NAMES)) + ",1\n", [], "not a number"),
    ],
    ids=["missing-columns", "unknown-hyperparameter", "not-a-number", "label-not-binary", "text-feature"],
)
def test_bad_input_fails_the_job_with_its_reason_in_the_failure_file(
    csv_text: str | None, arguments: list[str], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, env = layout(tmp_path, csv_text)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert train_job.main(arguments) == 1
    assert reason in (root / "output" / "failure").read_text()
    assert not (root / "model").exists()


def test_too_few_rows_for_a_validation_auc_fail_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, env = layout(tmp_path, rows=4)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert train_job.main(FAST) == 1
    assert "too few" in (root / "output" / "failure").read_text()


def test_pipeline_yaml_declares_what_the_code_reads() -> None:
    config = yaml.safe_load((PROJECT / "pipeline.yaml").read_text())
    assert config["label"] == LABEL
    assert tuple(config["validation"]["features"]) == FEATURE_NAMES
    assert [f["attribute"] for f in config["validation"]["facets"]] == [SEGMENT]
    assert set(config["tuning"]["ranges"]) <= set(framework.HYPERPARAMETERS)
    for name, declared in config["tuning"]["ranges"].items():
        kind = framework.HYPERPARAMETERS[name]
        assert declared["type"] == ("Integer" if kind is int else "Continuous"), name
        assert declared["min"] < declared["max"], name


def test_launchpad_reads_the_projects_declarations() -> None:
    """What the pipeline's Processing jobs get (their project.json), and the entry of the sourcedir."""
    from launchpad.pipeline.jobs import project_config
    from launchpad.pipeline.source import build_sourcedir

    config = project_config(PROJECT)
    assert [f["name"] for f in config["features"]] == list(FEATURE_NAMES)
    assert config["facets"] == [{"name_or_index": SEGMENT, "value_or_threshold": ["b"]}]
    with tarfile.open(fileobj=io.BytesIO(build_sourcedir(PROJECT)), mode="r:gz") as archive:
        names = archive.getnames()
    assert "train_job.py" in names and "{{ cookiecutter.project_slug }}/train_job.py" in names
    assert build_sourcedir(PROJECT) == build_sourcedir(PROJECT)


def test_fit_and_predict_proba_are_what_cross_validation_calls() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, len(FEATURE_NAMES)))
    y = (x[:, 1] + rng.normal(scale=0.5, size=300) > 0).astype(np.int64)
    model = train_job.fit(x, y, {FAST[0][2:]: FAST[1]}, seed=1)
    scores = train_job.predict_proba(model, x)
    assert scores.shape == (300,) and np.all((scores >= 0) & (scores <= 1))
