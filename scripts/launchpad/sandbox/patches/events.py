"""EventBridge: a rule delivers to its targets as each target's role.

AWS (EventBridge User Guide, "Using IAM roles for EventBridge targets", "Amazon EventBridge targets":
CodePipeline): for a target that needs a role (a CodePipeline pipeline among them), EventBridge assumes the
target's ``RoleArn`` as ``events.amazonaws.com`` (``aws:SourceArn`` the rule, ``aws:SourceAccount`` its
account) and calls the target with it: ``codepipeline:StartPipelineExecution`` on the pipeline. A refused
delivery is dropped (EventBridge retries, then gives up) and kept as a refusal.

Stock moto delivers only to SQS, CloudWatch Logs and archives, and never to a pipeline. The sandbox does not
match events against rules yet (that is when the rule fires in AWS); a test fires a rule with::

    POST /_launchpad/events/deliver   {"account", "region", "rule"}   -> {"delivered": [target ARNs]}
"""

from __future__ import annotations

from typing import Any

from moto.codepipeline.models import codepipeline_backends
from moto.events.models import events_backends

from launchpad.sandbox import routes
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.record import USAGE

ROUTE = "/_launchpad/events/deliver"
SERVICE = "events.amazonaws.com"
_MARK = "_launchpad_events_patch"


def deliver(account: str, region: str, rule_name: str) -> list[str]:
    """Deliver an event of ``rule_name`` to each of its pipeline targets; the targets that received it."""
    bus = events_backends[account][region].event_buses.get("default")
    rule = bus.rules.get(rule_name) if bus is not None else None
    if rule is None:
        raise routes.BadRequest(f"Rule {rule_name} does not exist on EventBus default.")
    if rule.state == "DISABLED":  # "EventBridge does not match any events against the rule" (API_Rule, State)
        return []
    delivered = []
    for target in rule.targets:
        arn, role = target.get("Arn", ""), target.get("RoleArn")
        if ":codepipeline:" not in arn or not role:
            raise routes.BadRequest(f"the sandbox delivers to CodePipeline targets with a RoleArn, not {arn}")
        try:
            principal = acting.assume(role, SERVICE, region, rule.arn, account, "EventBridge")
        except acting.Refused as refused:
            USAGE.refuse(account, "events", f"delivery of {rule_name} to {arn}", str(refused))
            continue
        name = arn.rsplit(":", 1)[1]
        made = acting.call("codepipeline", "StartPipelineExecution", {"name": name}, region)
        denied = acting.check(principal, made)
        if denied is not None:
            USAGE.refuse(account, "events", f"delivery of {rule_name} to {arn}", denied.message)
            continue
        if name in codepipeline_backends[account][region].pipelines:
            delivered.append(arn)
    return delivered


def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if environ.get("REQUEST_METHOD") != "POST":
        return 404, {"error": "NotFound", "message": f"POST {ROUTE}"}
    return 200, {"delivered": deliver(body["account"], body["region"], body["rule"])}


def apply() -> None:
    if getattr(routes, _MARK, False):
        return
    routes.add(ROUTE, _route)
    setattr(routes, _MARK, True)
