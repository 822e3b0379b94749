"""``launchpad deploy --artifact build/model.tar.gz --baseline build/baseline``: the drift baseline goes
beside the artifact (``s3://B/<dir>/baseline/``, every file of the folder, SSE-KMS with the artifact's
key), once; the version the deploy registers names it as its DriftCheckBaselines, as DescribeModelPackage
shows. A folder that is not a launchpad baseline of the version deployed, a different baseline already
there, or --baseline without --artifact are refused before anything changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from launchpad.cli import main
from launchpad.deploy import artifacts
from launchpad.deploy.engine import deploy
from launchpad.deploy.rollout import Outcome
from launchpad.deploy.seed import Seeded
from launchpad.errors import PreflightError
from launchpad.monitor import baselines, profile
from tests.deploy.conftest import model_tar, snapshot

pytestmark = pytest.mark.sandbox

POLL = 0.1
VERSION = "1.4.0"  # the seeded model card's model_details.version


def write_baseline(
    folder: Path, version: str | None = VERSION, created: str = "2026-12-07T12:00:00Z", shift: float = 0.0
) -> Path:
    """A launchpad baseline of two features (what `launchpad monitor baseline` writes), plus an extra file."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = {"tenure": [1.0 + shift, 2.0, 3.0, 4.0], "plan": ["basic", "pro", "basic", "basic"]}
    stats = profile.statistics(columns, bins=4, metadata={"model_version": version, "created": created})
    documents = {
        baselines.STATISTICS: stats,
        baselines.CONSTRAINTS: profile.constraints(stats),
        "analysis_config.json": {"features": ["tenure", "plan"]},
    }
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document))
    return folder


def baseline_objects(seeded: Seeded, version: str) -> dict[str, str]:
    """key -> recorded sha256 of every object under the baseline prefix of ``version``'s artifact."""
    s3 = seeded.target.client("s3")
    bucket, prefix = artifacts.split_s3_uri(baselines.baseline_prefix(seeded.artifact(version)))
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        o["Key"]: s3.head_object(Bucket=bucket, Key=o["Key"])["Metadata"].get("sha256", "") for o in listed
    }


def expected_drift_check(seeded: Seeded, version: str) -> dict[str, Any]:
    prefix = f"s3://{seeded.bucket}/churn/{version}/baseline/"
    return {
        "ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"{prefix}statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": f"{prefix}constraints.json"},
        }
    }


def test_the_baseline_goes_beside_the_artifact_once_and_the_version_names_it(
    seeded: Seeded, tmp_path: Path
) -> None:
    local = model_tar(tmp_path / "model.tar.gz")
    folder = write_baseline(tmp_path / "baseline")
    path = seeded.write(seeded.stage_document("dev", "2.0.0"))
    said: list[str] = []
    first = deploy(
        path, seeded.target, poll_interval=POLL, artifact=local, baseline=folder, on_step=said.append
    )
    assert first.rollout.outcome is Outcome.SUCCEEDED, first.rollout.message
    assert first.operations[:4] == ("PutObject",) * 4  # the artifact, then the baseline's three files
    s3 = seeded.target.client("s3")
    for name in ("analysis_config.json", "constraints.json", "statistics.json"):
        head = s3.head_object(Bucket=seeded.bucket, Key=f"churn/2.0.0/baseline/{name}")
        assert head["ServerSideEncryption"] == "aws:kms" and seeded.key_arn.endswith(head["SSEKMSKeyId"])
        assert head["Metadata"]["sha256"] == artifacts.sha256(folder / name)
        assert head["ContentType"] == "application/json"
    described = seeded.target.client("sagemaker").describe_model_package(
        ModelPackageName=first.created.model_package
    )
    assert described["DriftCheckBaselines"] == expected_drift_check(seeded, "2.0.0")
    assert any("drift baseline s3://" in line for line in said), said

    again = deploy(path, seeded.target, poll_interval=POLL, artifact=local, baseline=folder)
    assert again.operations == ()


def test_a_rebuilt_baseline_of_the_same_data_is_the_one_already_there(seeded: Seeded, tmp_path: Path) -> None:
    """`make baseline` stamps launchpad.created: a pipeline re-run of the same version rebuilds a baseline
    that differs only there. It is not refused, and the baseline there is kept."""
    local = model_tar(tmp_path / "model.tar.gz")
    path = seeded.write(seeded.stage_document("dev", "2.0.0"))
    first = write_baseline(tmp_path / "first")
    assert deploy(path, seeded.target, poll_interval=POLL, artifact=local, baseline=first).rollout.succeeded
    kept = baseline_objects(seeded, "2.0.0")
    rebuilt = write_baseline(tmp_path / "rebuilt", created="2026-12-08T09:30:00Z")
    assert artifacts.sha256(rebuilt / "statistics.json") != artifacts.sha256(first / "statistics.json")
    again = deploy(path, seeded.target, poll_interval=POLL, artifact=local, baseline=rebuilt)
    assert again.operations == ()
    assert baseline_objects(seeded, "2.0.0") == kept


def test_a_baseline_already_beside_the_artifact_is_registered_without_one_given(seeded: Seeded) -> None:
    """A deploy without --baseline registers the baseline that sits beside the artifact (1.0.0: put there
    by hand), and none where there is none (1.1.0)."""
    s3 = seeded.target.client("s3")
    for name in baselines.REQUIRED:
        s3.put_object(Bucket=seeded.bucket, Key=f"churn/1.0.0/baseline/{name}", Body=b"{}")
    sagemaker = seeded.target.client("sagemaker")
    with_one = deploy(seeded.write(seeded.stage_document("dev", "1.0.0")), seeded.target, poll_interval=POLL)
    assert with_one.rollout.succeeded, with_one.rollout.message
    described = sagemaker.describe_model_package(ModelPackageName=with_one.created.model_package)
    assert described["DriftCheckBaselines"] == expected_drift_check(seeded, "1.0.0")
    without = deploy(seeded.write(seeded.stage_document("dev", "1.1.0")), seeded.target, poll_interval=POLL)
    assert without.rollout.succeeded, without.rollout.message
    described = sagemaker.describe_model_package(ModelPackageName=without.created.model_package)
    assert "DriftCheckBaselines" not in described


def _missing(folder: Path) -> None:
    pass


def _without_constraints(folder: Path) -> None:
    write_baseline(folder)
    (folder / "constraints.json").unlink()


def _not_json(folder: Path) -> None:
    write_baseline(folder)
    (folder / "statistics.json").write_text("{not json")


def _model_monitors(folder: Path) -> None:
    write_baseline(folder)
    stats = json.loads((folder / "statistics.json").read_text())
    stats.pop("launchpad")
    for feature in stats["features"]:
        feature.pop("launchpad", None)
    (folder / "statistics.json").write_text(json.dumps(stats))


def _other_version(folder: Path) -> None:
    write_baseline(folder, version="9.9.9")


def _bad_name(folder: Path) -> None:
    write_baseline(folder)
    (folder / "notes from me.txt").write_text("hello")


def _different_there(folder: Path) -> None:
    write_baseline(folder, shift=0.5)


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing": (_missing, "baseline '{folder}': does not exist or is not a folder; write it with"),
    "no-constraints": (_without_constraints, "baseline '{folder}': has no constraints.json"),
    "not-json": (_not_json, "baseline '{folder}': statistics.json: it is not JSON"),
    "model-monitors": (_model_monitors, "statistics.json: it has no launchpad section"),
    "other-version": (
        _other_version,
        "statistics.json describes model version '9.9.9', and this deploy ships version '1.4.0'",
    ),
    "bad-name": (_bad_name, "file 'notes from me.txt': a baseline file's name is letters, digits"),
    "different-there": (
        _different_there,
        "s3://{bucket}/churn/2.0.0/baseline/statistics.json already holds a different statistics.json, and "
        "a baseline is immutable with its artifact",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_baseline_is_refused_before_anything_changes(seeded: Seeded, tmp_path: Path, case: str) -> None:
    make, message = BAD[case]
    if case == "different-there":  # a first deploy put 2.0.0's baseline there
        path = seeded.write(seeded.stage_document("dev", "2.0.0"), "first.yaml")
        first = write_baseline(tmp_path / "first")
        local = model_tar(tmp_path / "model.tar.gz")
        assert deploy(
            path, seeded.target, poll_interval=POLL, artifact=local, baseline=first
        ).rollout.succeeded
    local = model_tar(tmp_path / "model.tar.gz")
    folder = tmp_path / "baseline"
    make(folder)
    document = seeded.stage_document("dev", "2.0.0")
    before = snapshot(seeded.target, "churn-dev"), baseline_objects(seeded, "2.0.0")
    with pytest.raises(PreflightError) as raised:
        deploy(seeded.write(document), seeded.target, poll_interval=POLL, artifact=local, baseline=folder)
    assert raised.value.exit_code == 18
    assert message.format(folder=folder, bucket=seeded.bucket) in str(raised.value), str(raised.value)
    after = snapshot(seeded.target, "churn-dev"), baseline_objects(seeded, "2.0.0")
    assert after == before  # no package, model or endpoint, and no baseline object put or replaced


def test_a_refused_baseline_leaves_the_artifact_unuploaded(seeded: Seeded, tmp_path: Path) -> None:
    local = model_tar(tmp_path / "model.tar.gz")
    folder = tmp_path / "baseline"
    _other_version(folder)
    with pytest.raises(PreflightError):
        deploy(
            seeded.write(seeded.stage_document("dev", "3.0.0")),
            seeded.target,
            poll_interval=POLL,
            artifact=local,
            baseline=folder,
        )
    assert artifacts.remote_sha256(seeded.target.client("s3"), seeded.artifact("3.0.0")) is None


def test_a_baseline_that_names_no_model_version_is_not_compared(seeded: Seeded, tmp_path: Path) -> None:
    """A baseline whose model_version is unset (written without --model-card) is not compared."""
    local = model_tar(tmp_path / "model.tar.gz")
    folder = write_baseline(tmp_path / "baseline", version=None)
    path = seeded.write(seeded.stage_document("dev", "2.0.0"))
    result = deploy(path, seeded.target, poll_interval=POLL, artifact=local, baseline=folder)
    assert result.rollout.succeeded, result.rollout.message
    assert len(baseline_objects(seeded, "2.0.0")) == 3


# -- the command line --------------------------------------------------------------------------------------
@pytest.fixture
def cli(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in seeded.target.env().items():
        monkeypatch.setenv(key, value)
    return lambda *args: CliRunner().invoke(main, list(args))


def test_baseline_without_artifact_is_a_usage_error(seeded: Seeded, tmp_path: Path, cli: Any) -> None:
    folder = write_baseline(tmp_path / "baseline")
    path = seeded.write(seeded.stage_document("dev", "1.0.0"))
    before = snapshot(seeded.target, "churn-dev")
    result = cli("deploy", "--config", str(path), "--baseline", str(folder), "--json")
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert (document["error"], document["exit_code"]) == ("usage", 2)
    assert "--baseline goes with --artifact" in document["message"]
    assert snapshot(seeded.target, "churn-dev") == before


def test_the_command_line_ships_the_baseline(seeded: Seeded, tmp_path: Path, cli: Any) -> None:
    local = model_tar(tmp_path / "model.tar.gz")
    folder = write_baseline(tmp_path / "baseline")
    path = seeded.write(seeded.stage_document("dev", "2.0.0"))
    result = cli(
        "deploy", "--config", str(path), "--artifact", str(local), "--baseline", str(folder), "--poll", "0.1"
    )
    assert result.exit_code == 0, result.output
    assert f"uploaded the baseline {folder} to s3://{seeded.bucket}/churn/2.0.0/baseline/" in result.stderr
    assert len(baseline_objects(seeded, "2.0.0")) == 3
