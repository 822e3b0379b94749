"""Inline skips count only with a reason; malformed skip comments stop the scan, naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchpad import policy
from launchpad.errors import PolicyError
from launchpad.paths import repo_root
from launchpad.policy import checkov, parse, skips
from launchpad.policy.model import FAILED, SKIPPED
from tests.unit.policy_data import canned

WELL_FORMED = """\
resource "aws_s3_bucket" "a" {
  #checkov:skip=CKV_AWS_144:Replication is the caller's choice.
  # checkov:skip=CKV2_AWS_62:Notifications are consumer-specific.
  // checkov:skip=CKV_LP_003:Data capture is configured by the endpoint module.
  #checkov:skip=CKV_AWS_18,CKV_AWS_21:A scratch bucket; nothing is kept.
  #checkov:skip=CKV_AWS_145
  bucket = "a" # a comment that does not mention skipping
}
"""
MALFORMED = """\
resource "aws_s3_bucket" "b" {
  #checkov:skip=ckv_aws_144:lower-case id
  # checkov:skip CKV_AWS_18 no equals sign
  // checkov: skip=CKV_AWS_21:space after the colon
  #checkov:skip=CKV_AWS_19 reason without a colon
  #checkov:skip=:a reason but no id
  #bridgecrew:skip=CKV_AWS_20:another tool's spelling
  bucket = "b"
}
"""


def test_well_formed_skips_are_accepted_with_or_without_a_reason(tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(WELL_FORMED)
    assert skips.malformed([tf], repo_root()) == []
    skips.check_comments([tf], repo_root())


def test_every_malformed_skip_is_named_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "ok.tf").write_text(WELL_FORMED)
    bad = tmp_path / "bad.tf"
    bad.write_text(MALFORMED)
    with pytest.raises(PolicyError) as caught:
        skips.check_comments([tmp_path / "ok.tf", bad], repo_root())
    message = str(caught.value)
    assert caught.value.exit_code == 6
    assert message.startswith("6 malformed checkov skip comment(s); write #checkov:skip=<CHECK_ID>:<reason>")
    for line in range(2, 8):
        assert f"{bad}:{line}: " in message
    assert "ok.tf" not in message
    assert "checkov:skip=ckv_aws_144:lower-case id" in message


def test_a_skip_without_a_reason_becomes_a_failed_finding_that_says_so() -> None:
    found = skips.enforce_reasons(
        parse.findings([(canned.FIXTURE, canned.documents("checkov-tf.json"))], repo_root())
    )
    sqs = {f.resource: f for f in found if f.check_id == "CKV_AWS_27"}
    for resource in ("aws_sqs_queue.no_reason", "aws_sqs_queue.empty_reason"):  # "No comment provided", ""
        assert sqs[resource].result == FAILED
        assert sqs[resource].skip_reason is None
        assert sqs[resource].message == (
            "inline skip of CKV_AWS_27 has no reason, so it is not honoured: "
            "write #checkov:skip=CKV_AWS_27:<why the check does not apply here>"
        )
    honoured = sqs["aws_sqs_queue.skipped"]
    assert (honoured.result, honoured.skip_reason, honoured.message) == (
        SKIPPED,
        "The queue carries only public build notifications.",
        None,
    )


def test_run_rejects_a_malformed_skip_before_starting_checkov(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = canned.fake_checkov(tmp_path)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(fake))
    scanned = tmp_path / "stack"
    scanned.mkdir()
    (scanned / "main.tf").write_text(MALFORMED)
    with pytest.raises(PolicyError, match=r"stack/main.tf:3: 'checkov:skip CKV_AWS_18"):
        policy.run([scanned], controls_path=canned.CONTROLS)
    assert not (tmp_path / "calls.txt").exists()
