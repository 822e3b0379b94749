"""Where a baseline lives (``launchpad.monitor.baselines.baseline_prefix``), what a shippable baseline
folder is, and what counts as the same baseline; and that the deploy path stays free of numpy and scipy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from launchpad.monitor import baselines


@pytest.mark.parametrize(
    ("artifact", "prefix"),
    [
        ("s3://b/churn/1.4.0/model.tar.gz", "s3://b/churn/1.4.0/baseline/"),
        ("s3://b/a/b/c/model.tar.gz", "s3://b/a/b/c/baseline/"),
        ("s3://b/model.tar.gz", "s3://b/baseline/"),
    ],
)
def test_the_baseline_prefix_is_the_artifacts_folder_and_baseline(artifact: str, prefix: str) -> None:
    assert baselines.baseline_prefix(artifact) == prefix
    assert baselines.baseline_uri(artifact) == prefix + "statistics.json"
    assert baselines.baseline_uri(artifact, "constraints.json") == prefix + "constraints.json"


@pytest.mark.parametrize("uri", ["", "s3://", "s3://b", "s3://b/", "s3://b/dir/", "https://b/model.tar.gz"])
def test_a_uri_that_names_no_object_has_no_baseline_prefix(uri: str) -> None:
    with pytest.raises(ValueError, match="is not the s3:// URI of an artifact"):
        baselines.baseline_prefix(uri)


def stats(version: str | None = "1.0.0", created: str = "2026-12-07T12:00:00Z") -> dict[str, object]:
    return {
        "version": 0.0,
        "launchpad": {"model_version": version, "created": created, "bins": 2},
        "features": [
            {
                "name": "x",
                "inferred_type": "Fractional",
                "launchpad": {"edges": [0.0, 1.0], "counts": [1, 1, 0]},
            },
            {"name": "plan", "inferred_type": "String"},
        ],
    }


def folder_of(tmp_path: Path, **documents: object) -> Path:
    folder = tmp_path / "baseline"
    folder.mkdir()
    for name, document in documents.items():
        (folder / f"{name}.json").write_text(json.dumps(document))
    return folder


def test_a_launchpad_baseline_of_the_deployed_version_has_no_problem(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, statistics=stats(), constraints={"features": []})
    (folder / "sub").mkdir()  # subfolders are not part of it
    assert baselines.folder_problems(folder, "1.0.0") == []
    assert [p.name for p in baselines.files(folder)] == ["constraints.json", "statistics.json"]


def test_the_version_is_compared_only_when_both_state_one(tmp_path: Path) -> None:
    unstated = folder_of(tmp_path, statistics=stats(version=None), constraints={})
    assert baselines.folder_problems(unstated, "2.0.0") == []
    other = tmp_path / "other"
    other.mkdir()
    (other / "statistics.json").write_text(json.dumps(stats(version="1.0.0")))
    (other / "constraints.json").write_text("{}")
    assert baselines.folder_problems(other, None) == []
    [problem] = baselines.folder_problems(other, "2.0.0")
    assert "describes model version '1.0.0', and this deploy ships version '2.0.0'" in problem


@pytest.mark.parametrize(
    ("statistics", "says"),
    [
        ([1, 2], "statistics.json is a JSON list, not an object"),
        ({"features": []}, "no launchpad section"),
        ({"launchpad": {}, "features": []}, "it has no features"),
        (
            {"launchpad": {}, "features": [{"name": "x", "inferred_type": "Integral"}]},
            "feature 'x' has no launchpad histogram",
        ),
    ],
)
def test_a_statistics_json_launchpad_did_not_write_is_refused(
    tmp_path: Path, statistics: object, says: str
) -> None:
    folder = folder_of(tmp_path, statistics=statistics, constraints={})
    problems = baselines.folder_problems(folder)
    assert len(problems) == 1 and says in problems[0], problems


def test_the_same_baseline_written_at_another_time_compares_equal(tmp_path: Path) -> None:
    first, second, third = (tmp_path / n for n in ("first.json", "second.json", "third.json"))
    first.write_text(json.dumps(stats()))
    second.write_text(json.dumps(stats(created="2027-01-01T00:00:00Z"), indent=2))
    third.write_text(json.dumps(stats(version="1.0.1")))
    assert baselines.comparable_digest(first) == baselines.comparable_digest(second)
    assert baselines.comparable_digest(first) != baselines.comparable_digest(third)
    text = tmp_path / "notes.txt"
    text.write_bytes(b"not json")
    assert len(baselines.comparable_digest(text)) == 64


def _imported(module: str) -> list[str]:
    """The heavy packages a fresh interpreter holds after importing ``module``."""
    code = (
        f"import sys; import {module}; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'boto3'})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_deploy_path_imports_neither_numpy_nor_scipy() -> None:
    """launchpad.monitor.baselines imports none of them (the processing job ships it); the deploy engine,
    which uses it, boto3 but neither numpy nor scipy (the monitor extra)."""
    assert _imported("launchpad.monitor.baselines") == []
    assert _imported("launchpad.deploy.engine") == ["boto3"]
    # nor does the CLI's start (launchpad deploy is a CLI command): the demo and the bench import them late
    assert _imported("launchpad.cli") == ["boto3"]


def test_json_python_cannot_hold_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, constraints={})
    (folder / "statistics.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "checks.json").write_text("1" * 5000)  # past Python's digits limit for int()
    [problem] = baselines.folder_problems(folder)
    assert (
        problem
        == "statistics.json: it is not JSON launchpad can read (a number too long, or nested too deep)"
    )
    for name in ("statistics.json", "checks.json"):
        assert len(baselines.comparable_digest(folder / name)) == 64


@pytest.mark.parametrize(
    "features",
    [
        [],
        [{"name": "x", "inferred_type": "Integral"}],
        [{"name": "x", "inferred_type": "Fractional", "launchpad": {"counts": [1]}}],
        [{"name": "plan", "inferred_type": "String", "launchpad": {}}],
        [{"name": "x", "inferred_type": "Fractional", "launchpad": {"edges": [0.0]}}],
    ],
)
def test_the_drift_job_refuses_what_the_deploy_refuses(features: list[dict[str, object]]) -> None:
    """``profile.check_baseline`` (the drift job's) raises with ``statistics_problem`` (the deploy's)."""
    profile = pytest.importorskip("launchpad.monitor.profile")
    document = {"launchpad": {"bins": 2}, "features": features}
    problem = baselines.statistics_problem(document)
    if problem is None:
        profile.check_baseline(document)
    else:
        with pytest.raises(profile.ProfileError) as raised:
            profile.check_baseline(document)
        assert str(raised.value) == f"the baseline statistics.json: {problem}"
