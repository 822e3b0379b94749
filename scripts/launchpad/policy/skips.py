"""Inline skips (``#checkov:skip=CKV_AWS_144:reason``): honoured only with a reason; malformed is an error.

checkov honours ``checkov:skip=`` anywhere on a line and, for a skip without ``:reason``, reports the check as
skipped with the suppress comment ``No comment provided`` (``""`` when the reason after the colon is empty).
A reviewer cannot accept either, so such a skip becomes a failed finding. A comment checkov would misread or
ignore (no id, a lower-case id, a space instead of ``:``, ``checkov: skip``, ``bridgecrew:skip``), or one
holding characters a reviewer cannot see (a bidi override that shows the reason in another order, a control
character), stops the scan, naming every one; so does a .tf file that is not UTF-8 text or cannot be read.

The lines are the ones checkov reads (``readlines`` of the text: split at ``\n``, ``\r\n`` and ``\r`` only,
not at the form feeds and Unicode separators ``str.splitlines`` also splits at), and every pattern runs in
time linear in the line: a line may be 100 000 characters of ``#``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from launchpad.errors import PolicyError
from launchpad.policy.model import FAILED, SKIPPED, Finding
from launchpad.policy.parse import display_path
from launchpad.quoting import hidden_characters, shown

CHECK_ID = r"CKV2?_[A-Z0-9]+_\d+"  # CKV_AWS_144, CKV2_AWS_62, CKV_LP_003
COMMENT = re.compile(r"#|//")  # where a comment may start
# A skip in any spelling checkov or a person might use; it counts after a comment start.
MENTION = re.compile(r"(?:checkov|bridgecrew|cortex)\s*:\s*skip\b", re.IGNORECASE)
# The one spelling we accept: ids (comma-separated, as checkov allows), then ":" and the reason.
WELL_FORMED = re.compile(rf"checkov:skip={CHECK_ID}(?:,{CHECK_ID})*(?::.*)?")
NO_REASON = {"", "No comment provided"}  # what checkov 3.3.30 writes when a skip has no reason
SHOWN = 120  # characters of a comment a message quotes
VISIBLE_CONTROLS = {"U+0009"}  # a tab shows as space


def mention(line: str) -> str | None:
    """The skip comment on ``line``: from the first skip mention after the first comment start to the end of
    the line, trailing whitespace left out; None when there is none."""
    comment = COMMENT.search(line)
    found = MENTION.search(line, comment.start()) if comment else None
    return line[found.start() :].rstrip() if found else None


def lines(text: str) -> list[str]:
    """``text``'s lines as checkov reads them (universal newlines: ``\n``, ``\r\n``, ``\r``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def problem(comment: str) -> str | None:
    """Why checkov would misread ``comment``, or a reviewer could not read it; None if it is well-formed."""
    hidden = [c for c in hidden_characters(comment) if c not in VISIBLE_CONTROLS]
    if hidden:
        return f"{shown(comment, SHOWN)} holds characters a reviewer cannot see ({', '.join(hidden[:5])})"
    if not WELL_FORMED.fullmatch(comment):
        return shown(comment, SHOWN)
    return None


def texts(files: Iterable[Path], root: Path) -> dict[Path, str]:
    """Each .tf file's text; one PolicyError names every file that cannot be read or is not UTF-8 (checkov
    would pass over the one and misread the other)."""
    found, problems = {}, []
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as error:
            problems.append(f"{display_path(path, root)}: cannot read it ({error.strerror})")
            continue
        try:
            found[path] = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                f"{display_path(path, root)}: not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
                f"{error.start})"
            )
    if problems:
        raise PolicyError(
            f"{len(problems)} Terraform file(s) cannot be scanned; save each as UTF-8 text, as Terraform "
            "reads it:\n  " + "\n  ".join(problems)
        )
    return found


def malformed(files: Iterable[Path], root: Path) -> list[str]:
    """``file:line: comment`` of every skip comment that is not ``checkov:skip=<ID>[,<ID>...][:<reason>]``
    in plain text."""
    found = []
    for path, text in texts(files, root).items():
        for number, line in enumerate(lines(text), 1):
            comment = mention(line)
            wrong = problem(comment) if comment is not None else None
            if wrong:
                found.append(f"{display_path(path, root)}:{number}: {wrong}")
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
