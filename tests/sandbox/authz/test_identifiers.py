"""Identifiers the sandbox parses from a request: a trailing newline (which ``$`` lets through) or a digit
from another script is not an account key or a role ARN, as it is not one for AWS."""

from __future__ import annotations

import pytest

from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.principals import Keys, UnknownCredentials

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/churn-dev-sagemaker-execution"


@pytest.mark.parametrize(
    "key", [f"{ACCOUNT}\n", f"{ACCOUNT[:-1]}\u0663", f" {ACCOUNT}", f"{ACCOUNT}\u202e"], ids=repr
)
def test_only_twelve_ascii_digits_are_an_account_key(key: str) -> None:
    keys = Keys()
    assert keys.identify(ACCOUNT).account == ACCOUNT
    with pytest.raises(UnknownCredentials):
        keys.identify(key)


@pytest.mark.parametrize(
    "arn",
    [f"{ROLE}\n", ROLE.replace("1111", "\u0661111", 1), f"{ROLE}\u202e", f"{ROLE}\r\n"],
    ids=repr,
)
def test_a_role_arn_with_a_trailing_newline_or_foreign_digits_is_refused(arn: str) -> None:
    with pytest.raises(acting.Refused, match="is not an IAM role ARN"):
        acting.assume(arn, "sagemaker.amazonaws.com", "eu-west-1")
