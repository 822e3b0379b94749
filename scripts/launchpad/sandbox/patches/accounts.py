"""Accounts: the caller's credentials decide the account, as in AWS.

AWS: every request is made by a principal of one account, and ``sts:GetCallerIdentity``
(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html) returns that account.
Stock moto puts every caller in the one default account unless the access key was issued by its own IAM.
The sandbox reads a 12-digit access key id as the account id (LocalStack's convention), so every test,
demo or user gets an account of its own on one shared server: resources never collide and "nothing was
left behind" can be checked per account.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from moto.core.responses import BaseResponse

_MARK = "_launchpad_accounts_patch"
# SigV4: "Authorization: AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/<service>/..."
_CREDENTIAL = re.compile(r"Credential=(\d{12})/")


def account_from_headers(headers: Mapping[str, str]) -> str | None:
    """The account named by a 12-digit access key id in a SigV4 Authorization header, if any."""
    match = _CREDENTIAL.search(headers.get("Authorization", ""))
    return match.group(1) if match else None


def apply() -> None:
    if getattr(BaseResponse, _MARK, False):
        return
    original = BaseResponse.get_current_account

    def get_current_account(self: BaseResponse) -> str:
        if "x-moto-account-id" not in self.headers:
            account = account_from_headers(self.headers)
            if account:
                return account
        return original(self)

    BaseResponse.get_current_account = get_current_account  # type: ignore[method-assign]
    setattr(BaseResponse, _MARK, True)
