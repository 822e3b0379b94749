"""API Gateway (REST) control plane: what the AWS provider writes is kept and read back as API Gateway does.

AWS (API Gateway API Reference ``UpdateAccount``, ``GetAccount``, ``PatchOperation``): the account's
settings are changed with patch operations; ``replace`` of ``/cloudwatchRoleArn`` sets the role API Gateway
writes CloudWatch logs with, and the same operation without a ``value`` (or with an empty one) clears it, as
the AWS provider's ``aws_api_gateway_account`` does on destroy with ``reset_on_delete`` (and always from
provider 6.0). ``GetAccount`` then answers without ``cloudwatchRoleArn``. Stock moto reads ``op["value"]``
unconditionally: the reset fails with a ``KeyError`` (HTTP 500), which the provider retries until its timeout,
so every destroy of such an account setting hangs.
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import Account

_MARK = "_launchpad_apigateway_roundtrip_patch"
ROLE_PATH = "/cloudwatchRoleArn"


def apply() -> None:
    if getattr(Account, _MARK, False):
        return
    original = Account.apply_patch_operations

    def apply_patch_operations(self: Account, patch_operations: list[dict[str, Any]]) -> Account:
        rest = []
        for op in patch_operations:
            if op.get("path") == ROLE_PATH and op.get("op") == "replace" and not op.get("value"):
                self.cloudwatch_role_arn = None  # cleared: GetAccount leaves it out
            else:
                rest.append(op)
        return original(self, rest) if rest else self

    original_to_json = Account.to_json

    def to_json(self: Account) -> dict[str, Any]:
        answer = original_to_json(self)
        if answer.get("cloudwatchRoleArn") is None:
            answer.pop("cloudwatchRoleArn", None)
        return answer

    Account.apply_patch_operations = apply_patch_operations  # type: ignore[method-assign]
    Account.to_json = to_json  # type: ignore[method-assign]
    setattr(Account, _MARK, True)
