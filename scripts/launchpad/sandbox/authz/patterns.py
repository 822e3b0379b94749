"""IAM's wildcard matching of actions and ARNs (the Action, Resource and Arn* condition elements).

IAM User Guide: "IAM JSON policy elements: Action" (``*`` and ``?`` in action names, which are not case
sensitive), "IAM JSON policy elements: Resource" (wildcards within any of the ARN's colon-separated parts;
the resource part, the sixth, may itself contain colons) and "Condition operators: ARN" (each of the six
parts is compared separately).
"""

from __future__ import annotations

import re
from functools import lru_cache

ARN_PARTS = 6


@lru_cache(maxsize=8192)
def wildcard(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``pattern`` with IAM's ``*`` (any run of characters) and ``?`` (one character), as a whole-string
    regex."""
    source = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(source, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def like(value: str, pattern: str, ignore_case: bool = False) -> bool:
    return wildcard(pattern, ignore_case).fullmatch(value) is not None


def action_like(action: str, pattern: str) -> bool:
    """Whether the action ``s3:GetObject`` matches the policy's ``s3:Get*`` (case-insensitive)."""
    return like(action, pattern, ignore_case=True)


def arn_parts(arn: str) -> list[str] | None:
    """The six parts of an ARN (the last keeps its colons), or None if ``arn`` is not one."""
    parts = arn.split(":", ARN_PARTS - 1)
    return parts if len(parts) == ARN_PARTS and parts[0] == "arn" else None


def arn_like(arn: str, pattern: str) -> bool:
    """Whether the ARN ``arn`` matches the policy's ``pattern`` (``*`` alone matches every resource)."""
    if pattern == "*":
        return True
    have, want = arn_parts(arn), arn_parts(pattern)
    if have is None or want is None:
        return like(arn, pattern)
    return all(like(h, w) for h, w in zip(have, want, strict=True))
