"""CloudWatch Logs: a log group encrypted with a KMS key only if the key lets CloudWatch Logs use it.

AWS (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"; API Reference
``CreateLogGroup``): CloudWatch Logs uses the key as the service principal
``logs.<region>.amazonaws.com``, with the log group's ARN as the encryption context
(``kms:EncryptionContext:aws:logs:arn``), so the key policy must allow that principal ``kms:Encrypt*``,
``kms:Decrypt*``, ``kms:ReEncrypt*``, ``kms:GenerateDataKey*`` and ``kms:Describe*``. If it does not, the call
fails with ``AccessDeniedException`` "The specified KMS key does not exist or is not allowed to be used with
Arn '<log group ARN>'" and no group is created or changed.

Stock moto stores any key id without asking. The sandbox asks the key policy (through its authorization
evaluator) for ``kms:GenerateDataKey`` and ``kms:Decrypt`` as CloudWatch Logs.
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.logs.models import LogsBackend

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting, principals

_MARK = "_launchpad_logs_patch"


class AccessDeniedException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def check_key(account: str, region: str, group: str, key: str | None) -> None:
    """Refuse ``key`` for the log group ``group`` unless CloudWatch Logs may use it there."""
    if not key or not authz.enabled():
        return
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    logs = principals.service(f"logs.{region}.amazonaws.com", account)
    for operation in ("GenerateDataKey", "Decrypt"):
        params = {"KeyId": key, "EncryptionContext": {"aws:logs:arn": group_arn}}
        denied = acting.check(logs, acting.call("kms", operation, params, region))
        if denied is not None:
            raise AccessDeniedException(
                f"The specified KMS key does not exist or is not allowed to be used with Arn '{group_arn}' "
                f"({denied.message})"
            )


def apply() -> None:
    if getattr(LogsBackend, _MARK, False):
        return
    original_create = LogsBackend.create_log_group

    def create_log_group(self: LogsBackend, log_group_name: str, tags: dict[str, str], **kwargs: Any) -> Any:
        check_key(self.account_id, self.region_name, log_group_name, kwargs.get("kmsKeyId"))
        return original_create(self, log_group_name, tags, **kwargs)

    LogsBackend.create_log_group = create_log_group  # type: ignore[method-assign]
    setattr(LogsBackend, _MARK, True)
