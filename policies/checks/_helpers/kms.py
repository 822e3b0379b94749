"""KMS key attributes: customer-managed or AWS-managed."""

from __future__ import annotations

import re
from typing import Any

from _helpers.values import known

_AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/")
_CUSTOMER_KEY_REFERENCE = re.compile(
    r"^(\$\{)?aws_kms_(key|alias|replica_key|replica_external_key|external_key)\."
)


def key_is_customer_managed(value: Any) -> bool:
    """Whether a KMS key attribute names a customer-managed key.

    False when it is absent or names an AWS-managed key (``alias/aws/<service>`` or its ARN); True for key
    IDs, key ARNs, other aliases and references to ``aws_kms_key``/``aws_kms_alias`` resources (AWS reserves
    ``alias/aws/`` for its own keys, so an alias resource is always a customer's). Raises
    :class:`Unresolved` for other expressions (a variable may well hold ``alias/aws/s3``).
    """
    if value is None or value == "":
        return False
    text = str(value).strip()
    if _CUSTOMER_KEY_REFERENCE.match(text):
        return True
    if _AWS_MANAGED_ALIAS.search(text):
        return False
    known(text)
    return True
