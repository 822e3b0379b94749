"""Least privilege by evidence: which statements of a role allowed which of its calls.

For every call a role session (or user) makes, the sandbox notes each identity statement entry (a statement
and the entry of its Action element that matched) that allowed it, and whether that entry was the only thing
that allowed it (``Decision.necessary``: without it the call is denied). After a workload, a statement entry
that was necessary for some call is needed; one that allowed calls but never alone is redundant; one that
allowed nothing is unused. Denied calls are kept with AWS's reason.

Work an AWS service does on its own and that the policies refuse (a data-capture record, a log line, a
flow-log record: AWS drops it, the customer's call does not fail) is kept as a refusal with its account.

``GET /_launchpad/authz/usage?role=<role ARN>`` answers the report, ``DELETE`` clears it;
``GET /_launchpad/authz/refusals?account=<id>`` answers the refused service work of an account;
``GET /_launchpad/authz/stats`` answers the sandbox-wide counts and the authorization time per call.
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from launchpad.sandbox.authz.evaluate import Decision
from launchpad.sandbox.authz.principals import ROLE, USER, Principal
from launchpad.sandbox.authz.requests import Check


@dataclass
class _RoleUsage:
    calls: int = 0
    allowed: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    necessary: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    denied: list[dict[str, str]] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)


class Usage:
    def __init__(self, timings: int = 20000) -> None:
        self._roles: dict[str, _RoleUsage] = {}
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self._timings: deque[float] = deque(maxlen=timings)
        self._refusals: deque[dict[str, str]] = deque(maxlen=5000)

    def note(self, principal: Principal, check: Check, decision: Decision) -> None:
        self.counts["checks"] += 1
        if not decision.allowed:
            self.counts["denied"] += 1
        if principal.kind not in (ROLE, USER):
            return
        who = principal.role_arn or principal.arn
        with self._lock:
            usage = self._roles.setdefault(who, _RoleUsage())
            usage.calls += 1
            usage.actions[check.action] += 1
            for allow in decision.identity_allows:
                usage.allowed[(allow.policy, allow.statement, allow.action_entry)] += 1
            for allow in decision.necessary:
                entry = (allow.policy, allow.statement, allow.action_entry)
                usage.necessary.setdefault(entry, [check.action, check.resource])
            if not decision.allowed:
                usage.denied.append(
                    {"action": check.action, "resource": check.resource, "reason": decision.reason}
                )

    def refuse(self, account: str, service: str, what: str, message: str) -> None:
        """Note service work the policies refused (and that AWS would silently drop)."""
        self.counts["refused service work"] += 1
        with self._lock:
            self._refusals.append({"account": account, "service": service, "what": what, "message": message})

    def refusals(self, account: str | None = None) -> list[dict[str, str]]:
        with self._lock:
            return [r for r in self._refusals if account is None or r["account"] == account]

    def count(self, what: str) -> None:
        self.counts[what] += 1

    def time(self, seconds: float) -> None:
        self._timings.append(seconds)

    def clear_timings(self) -> None:
        with self._lock:
            self._timings.clear()

    def report(self, who: str) -> dict[str, Any]:
        with self._lock:
            usage = self._roles.get(who, _RoleUsage())
            return {
                "role": who,
                "calls": usage.calls,
                "actions": dict(usage.actions),
                "allowed": [
                    {"policy": p, "statement": s, "action": a, "calls": n}
                    for (p, s, a), n in usage.allowed.items()
                ],
                "necessary": [
                    {"policy": p, "statement": s, "action": a, "for": call}
                    for (p, s, a), call in usage.necessary.items()
                ],
                "denied": list(usage.denied),
            }

    def clear(self, who: str | None = None) -> None:
        with self._lock:
            if who is None:
                self._roles.clear()
            else:
                self._roles.pop(who, None)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            timings = sorted(self._timings)
        summary: dict[str, Any] = dict(self.counts)
        if timings:
            summary["authorize_ms"] = {
                "calls": len(timings),
                "median": round(statistics.median(timings) * 1000, 3),
                "p99": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000, 3),
            }
        return summary


USAGE = Usage()
