"""Inline skips (``#checkov:skip=CKV_AWS_144:reason``): honoured only with a reason; malformed is an error.

checkov honours ``checkov:skip=`` anywhere on a line and, for a skip without ``:reason``, reports the check as
skipped with the suppress comment ``No comment provided`` (``""`` when the reason after the colon is empty).
A reviewer cannot accept either, so such a skip becomes a failed finding. A comment checkov would misread or
ignore (no id, a lower-case id, a space instead of ``:``, ``checkov: skip``, ``bridgecrew:skip``) stops the
scan, naming every one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from launchpad.errors import PolicyError
from launchpad.policy.model import FAILED, SKIPPED, Finding
from launchpad.policy.parse import display_path

CHECK_ID = r"CKV2?_[A-Z0-9]+_\d+"  # CKV_AWS_144, CKV2_AWS_62, CKV_LP_003
# A comment (# or //) that mentions a skip in any spelling checkov or a person might use.
MENTION = re.compile(r"(?:#|//).*?((?:checkov|bridgecrew|cortex)\s*:\s*skip\b.*?)\s*$", re.IGNORECASE)
# The one spelling we accept: ids (comma-separated, as checkov allows), then ":" and the reason.
WELL_FORMED = re.compile(rf"checkov:skip={CHECK_ID}(?:,{CHECK_ID})*(?::.*)?")
NO_REASON = {"", "No comment provided"}  # what checkov 3.3.30 writes when a skip has no reason


def malformed(files: Iterable[Path], root: Path) -> list[str]:
    """``file:line: comment`` of every skip comment that is not ``checkov:skip=<ID>[,<ID>...][:<reason>]``."""
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            mention = MENTION.search(line)
            if mention and not WELL_FORMED.fullmatch(mention.group(1)):
                found.append(f"{display_path(path, root)}:{number}: {mention.group(1)}")
    return found


def check_comments(files: Iterable[Path], root: Path) -> None:
    """Raise a PolicyError naming every malformed skip comment in ``files``."""
    found = malformed(files, root)
    if found:
        raise PolicyError(
            f"{len(found)} malformed checkov skip comment(s); write #checkov:skip=<CHECK_ID>:<reason> "
            "(e.g. #checkov:skip=CKV_AWS_144:Replication is the caller's choice):\n  " + "\n  ".join(found)
        )


def has_reason(finding: Finding) -> bool:
    return (finding.skip_reason or "").strip() not in NO_REASON


def enforce_reasons(findings: Iterable[Finding]) -> list[Finding]:
    """Skipped findings without a reason become failed ones that say why."""
    return [
        f
        if f.result != SKIPPED or has_reason(f)
        else replace(
            f,
            result=FAILED,
            skip_reason=None,
            message=(
                f"inline skip of {f.check_id} has no reason, so it is not honoured: write "
                f"#checkov:skip={f.check_id}:<why the check does not apply here>"
            ),
        )
        for f in findings
    ]
