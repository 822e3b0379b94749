"""``launchpad deploy --artifact``: the local model.tar.gz goes to the stage's artifact_s3_uri, SSE-KMS, once;
a missing or broken file, a different file already there, or prod are refused before anything changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchpad.deploy import artifacts
from launchpad.deploy.engine import deploy
from launchpad.deploy.rollout import Outcome
from launchpad.deploy.seed import Seeded
from launchpad.errors import PreflightError
from tests.deploy.conftest import model_tar, snapshot

pytestmark = pytest.mark.sandbox

POLL = 0.1


def test_the_artifact_is_uploaded_sse_kms_once_and_deployed(seeded: Seeded, tmp_path: Path) -> None:
    local = model_tar(tmp_path / "model.tar.gz")
    path = seeded.write(seeded.stage_document("dev", "2.0.0"))
    first = deploy(path, seeded.target, poll_interval=POLL, artifact=local)
    assert first.rollout.outcome is Outcome.SUCCEEDED, first.rollout.message
    assert first.operations[0] == "PutObject"
    bucket, key = artifacts.split_s3_uri(seeded.artifact("2.0.0"))
    head = seeded.target.client("s3").head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and seeded.key_arn.endswith(head["SSEKMSKeyId"])
    assert head["Metadata"] == {"sha256": artifacts.sha256(local)}
    again = deploy(path, seeded.target, poll_interval=POLL, artifact=local)
    assert again.operations == ()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "model.tar.gz' does not exist; build it first (make package)"),
        ("not_a_tar", "is not a tar archive"),
        ("different_file_there", "already holds a different model.tar.gz, and artifacts are immutable"),
        ("prod", "prod deploys the latest Approved version of churn, not a local artifact"),
    ],
)
def test_bad_artifacts_are_refused_before_anything_changes(
    seeded: Seeded, tmp_path: Path, case: str, message: str
) -> None:
    local = tmp_path / "model.tar.gz"
    if case == "not_a_tar":
        local.write_text("not a tar")
    elif case != "missing":
        model_tar(local)
    stage, version = (
        ("prod", "2.0.0") if case == "prod" else ("dev", "1.0.0" if case.startswith("diff") else "2.0.0")
    )
    document = seeded.stage_document(stage, version)
    s3, uri = seeded.target.client("s3"), seeded.artifact(version)
    before = snapshot(seeded.target, document["endpoint_name"]), artifacts.remote_sha256(s3, uri)
    with pytest.raises(PreflightError) as raised:
        deploy(seeded.write(document), seeded.target, poll_interval=POLL, artifact=local)
    assert message in str(raised.value)
    after = snapshot(seeded.target, document["endpoint_name"]), artifacts.remote_sha256(s3, uri)
    assert after == before  # the account, and the object at artifact_s3_uri (absent, or the old one)
