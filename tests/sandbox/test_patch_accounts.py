"""The accounts patch: a 12-digit access key id is the caller's account, so accounts are isolated."""

from __future__ import annotations

from launchpad.aws import AwsTarget
from launchpad.sandbox.patches.accounts import account_from_headers


def test_sts_reports_the_account_named_by_the_access_key(sandbox_target: AwsTarget) -> None:
    identity = sandbox_target.client("sts").get_caller_identity()
    assert identity["Account"] == sandbox_target.account_id


def test_resources_in_one_account_are_invisible_in_another(sandbox_url: str) -> None:
    first, second = AwsTarget.sandbox(sandbox_url), AwsTarget.sandbox(sandbox_url)
    key = first.client("kms").create_key(Description="first only")["KeyMetadata"]
    assert key["Arn"].split(":")[4] == first.account_id
    assert [k["KeyId"] for k in first.client("kms").list_keys()["Keys"]] == [key["KeyId"]]
    assert second.client("kms").list_keys()["Keys"] == []


def test_other_access_keys_keep_moto_default_account() -> None:
    assert (
        account_from_headers({"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE1234567890/x"}) is None
    )
    assert account_from_headers({}) is None
    header = "AWS4-HMAC-SHA256 Credential=210987654321/20261121/eu-west-1/kms/aws4_request"
    assert account_from_headers({"Authorization": header}) == "210987654321"
