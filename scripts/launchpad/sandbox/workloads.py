"""Run a role's workload as AWS runs it, on the sandbox, and read the evidence of what it needed.

A role's workload runs with the role's own credentials, which an AWS service hands out after taking the role
through its trust policy: a CodeBuild build session (``start_build``: a test's own commands get the
credentials, ``complete_build`` ends it), a CodePipeline execution that runs its builds' buildspecs
(``PipelineRun``, followed through CodePipeline's API; ``wait_for_build`` and ``build_log`` follow a build),
an EventBridge delivery (``deliver_event``), or just a service session (``service_session``). Afterwards
``usage`` says which statement of the role allowed which call, and ``evidence`` compares that with the role's
policies: every statement entry (a statement, and one entry of its Action element) must have been the only
allow of some call.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from launchpad.aws import AwsTarget, Credentials
from launchpad.errors import SandboxError
from launchpad.sandbox import control

SESSION_ROUTE = "/_launchpad/service-session"
BUILDS_ROUTE = "/_launchpad/codebuild/builds"
T = TypeVar("T")
EVENTS_ROUTE = "/_launchpad/events/deliver"
FIRE_RULE_ROUTE = "/_launchpad/events/fire"
FIRE_SCHEDULE_ROUTE = "/_launchpad/scheduler/fire"
USAGE_ROUTE = "/_launchpad/authz/usage"
REFUSALS_ROUTE = "/_launchpad/authz/refusals"


def _credentials(document: dict[str, Any]) -> Credentials:
    return Credentials(document["AccessKeyId"], document["SecretAccessKey"], document.get("SessionToken"))


def service_session(
    target: AwsTarget,
    role_arn: str,
    service: str,
    source_arn: str | None = None,
    session_name: str | None = None,
) -> AwsTarget:
    """``target`` as ``role_arn``, taken by ``service`` (its trust policy decides; ``control.Refused``)."""
    document = {
        "role_arn": role_arn,
        "service": service,
        "source_arn": source_arn,
        "source_account": target.account_id,
        "session_name": session_name,
        "region": target.region,
    }
    answer = control.request(target, "POST", SESSION_ROUTE, document)
    return target.with_credentials(_credentials(answer["Credentials"]))


@dataclass(frozen=True)
class Build:
    """A running CodeBuild build: its id, and the target its commands run against (the role's session)."""

    id: str
    target: AwsTarget
    reachable: tuple[str, ...] | None  # VPC endpoint names a build in a VPC reaches; None: everything


def _build(target: AwsTarget, document: dict[str, Any]) -> Build:
    reachable = document.get("reachable")
    credentials = _credentials(document["credentials"])
    return Build(
        document["id"],
        target.with_credentials(credentials),
        tuple(reachable) if reachable is not None else None,
    )


def start_build(
    target: AwsTarget, project: str, input_uri: str | None = None, output_uri: str | None = None
) -> Build:
    """CodeBuild starts a build of ``project`` (as its service role) and hands its commands the role's
    session."""
    document = {"account": target.account_id, "region": target.region, "project": project}
    document.update({k: v for k, v in (("input", input_uri), ("output", output_uri)) if v})
    return _build(target, control.request(target, "POST", BUILDS_ROUTE, document))


def complete_build(target: AwsTarget, build: Build) -> None:
    control.request(target, "POST", f"{BUILDS_ROUTE}/{build.id}/complete", {})


# -- CodePipeline executions and CodeBuild builds, followed through their APIs ------------------------------
RUNNING = ("InProgress", "Stopping")


@dataclass
class PipelineRun:
    """An execution of a pipeline as CodePipeline runs it on the sandbox (stage by stage, as the pipeline's
    role, every CodeBuild action's buildspec run by the sandbox's CodeBuild), followed through CodePipeline's
    API with a deadline; a manual approval is answered with ``approve`` or ``reject``."""

    target: AwsTarget
    pipeline: str
    execution: str = ""
    poll_interval: float = 0.1

    @property
    def _pipeline(self) -> Any:
        return self.target.client("codepipeline")

    def start(self, **params: Any) -> str:
        """StartPipelineExecution (as the target's caller); this run follows the new execution."""
        self.execution = self._pipeline.start_pipeline_execution(name=self.pipeline, **params)[
            "pipelineExecutionId"
        ]
        return self.execution

    def follow_latest(self, timeout: float = 30.0) -> str:
        """Follow the pipeline's most recent execution (one EventBridge or CreatePipeline started)."""

        def latest() -> str | None:
            summaries = self._pipeline.list_pipeline_executions(pipelineName=self.pipeline, maxResults=1)
            found = summaries["pipelineExecutionSummaries"]
            return str(found[0]["pipelineExecutionId"]) if found else None

        self.execution = poll(latest, timeout, self.poll_interval, f"an execution of {self.pipeline}")
        return self.execution

    def describe(self) -> dict[str, Any]:
        answer = self._pipeline.get_pipeline_execution(
            pipelineName=self.pipeline, pipelineExecutionId=self.execution
        )
        return dict(answer["pipelineExecution"])

    @property
    def status(self) -> str:
        return str(self.describe()["status"])

    def wait(self, timeout: float = 120.0) -> str:
        """The execution's status once it is over (Succeeded, Failed, Stopped, Superseded)."""

        def over() -> str | None:
            status = self.status
            return None if status in RUNNING else status

        return poll(
            over, timeout, self.poll_interval, f"execution {self.execution} of {self.pipeline} to end"
        )

    def approval_token(self, stage: str, action: str, timeout: float = 60.0) -> str:
        """The token of the approval ``action`` of ``stage`` once it waits for this execution."""

        def waiting() -> str | None:
            for detail in self.actions():
                if (detail["stageName"], detail["actionName"], detail["status"]) == (
                    stage,
                    action,
                    "InProgress",
                ):
                    token = detail["output"]["executionResult"].get("externalExecutionId")
                    return str(token) if token else None
            return None

        return poll(
            waiting, timeout, self.poll_interval, f"the approval {stage}/{action} of {self.execution}"
        )

    def approve(self, stage: str, action: str, summary: str = "Approved", timeout: float = 60.0) -> None:
        self._decide(stage, action, "Approved", summary, timeout)

    def reject(self, stage: str, action: str, summary: str = "Rejected", timeout: float = 60.0) -> None:
        self._decide(stage, action, "Rejected", summary, timeout)

    def _decide(self, stage: str, action: str, status: str, summary: str, timeout: float) -> None:
        token = self.approval_token(stage, action, timeout)
        self._pipeline.put_approval_result(
            pipelineName=self.pipeline,
            stageName=stage,
            actionName=action,
            result={"status": status, "summary": summary},
            token=token,
        )

    def actions(self) -> list[dict[str, Any]]:
        """ListActionExecutions of this execution, most recent first."""
        paginator = self._pipeline.get_paginator("list_action_executions")
        pages = paginator.paginate(pipelineName=self.pipeline, filter={"pipelineExecutionId": self.execution})
        return [detail for page in pages for detail in page["actionExecutionDetails"]]

    def action(self, stage: str, action: str) -> dict[str, Any]:
        """The latest execution of ``action`` in ``stage`` (KeyError if it has not run)."""
        for detail in self.actions():
            if (detail["stageName"], detail["actionName"]) == (stage, action):
                return detail
        raise KeyError(f"{stage}/{action} has not run in execution {self.execution}")

    def build_id(self, stage: str, action: str) -> str:
        """The build a CodeBuild action ran (its externalExecutionId)."""
        return str(self.action(stage, action)["output"]["executionResult"]["externalExecutionId"])


def poll(
    check: Callable[[], T | None],
    timeout: float,
    interval: float,
    what: str,
    between: Callable[[], object] | None = None,
) -> T:
    """``check()`` until it answers something true, at most ``timeout`` seconds (SandboxError after);
    ``between()`` runs after each answer that is not (to drive what is awaited: traffic, metric data)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise SandboxError(f"waited {timeout:g} s for {what}")
        if between is not None:
            between()
        time.sleep(interval)


def wait_for_build(
    target: AwsTarget, build_id: str, timeout: float = 120.0, interval: float = 0.1
) -> dict[str, Any]:
    """BatchGetBuilds' answer for ``build_id`` once the build is complete."""
    codebuild = target.client("codebuild")

    def complete() -> dict[str, Any] | None:
        [build] = codebuild.batch_get_builds(ids=[build_id])["builds"]
        return dict(build) if build["buildComplete"] else None

    found: dict[str, Any] = {}

    def done() -> str | None:
        build = complete()
        if build is None:
            return None
        found.update(build)
        return build["buildStatus"]

    poll(done, timeout, interval, f"build {build_id} to complete")
    return found


def build_log(target: AwsTarget, build: Mapping[str, Any]) -> list[str]:
    """The lines of a build's CloudWatch Logs stream (BatchGetBuilds' ``logs``)."""
    logs = target.client("logs")
    lines: list[str] = []
    token: str | None = None
    while True:
        where: dict[str, Any] = {
            "logGroupName": build["logs"]["groupName"],
            "logStreamName": build["logs"]["streamName"],
            "startFromHead": True,
            **({"nextToken": token} if token else {}),
        }
        page = logs.get_log_events(**where)
        lines += [event["message"] for event in page["events"]]
        if not page["events"] or page.get("nextForwardToken") in (None, token):
            return lines
        token = page["nextForwardToken"]


def deliver_event(target: AwsTarget, rule: str) -> list[str]:
    """EventBridge delivers an event of ``rule`` to its targets, as each target's role."""
    document = {"account": target.account_id, "region": target.region, "rule": rule}
    return list(control.request(target, "POST", EVENTS_ROUTE, document)["delivered"])


def fire_rule(target: AwsTarget, rule: str) -> list[str]:
    """A scheduled EventBridge rule fires now: its "Scheduled Event" to its targets; those that got it."""
    document = {"account": target.account_id, "region": target.region, "rule": rule}
    return list(control.request(target, "POST", FIRE_RULE_ROUTE, document)["delivered"])


def fire_schedule(target: AwsTarget, name: str, group: str = "default") -> list[str]:
    """An EventBridge Scheduler schedule invokes its target now, as its role; [the target] or []."""
    document = {"account": target.account_id, "region": target.region, "group": group, "name": name}
    return list(control.request(target, "POST", FIRE_SCHEDULE_ROUTE, document)["delivered"])


# -- the evidence ------------------------------------------------------------------------------------------
def usage(target: AwsTarget, role_arn: str) -> dict[str, Any]:
    """What the sandbox recorded for the sessions of ``role_arn``: calls, allowing statements, denials."""
    return control.request(target, "GET", USAGE_ROUTE, query={"role": role_arn})


def clear_usage(target: AwsTarget, role_arn: str) -> None:
    control.request(target, "DELETE", USAGE_ROUTE, query={"role": role_arn})


def refusals(target: AwsTarget) -> list[dict[str, str]]:
    """Work AWS services did for ``target``'s account that its policies refused (AWS drops it silently)."""
    return list(
        control.request(target, "GET", REFUSALS_ROUTE, query={"account": str(target.account_id)})["refusals"]
    )


@dataclass(frozen=True)
class Entry:
    """One statement entry of a role's policy: the policy, the statement and one entry of its Action."""

    policy: str
    statement: str
    action: str


@dataclass
class Evidence:
    """For each statement entry of a role: the call it alone allowed (necessary), or nothing."""

    role: str
    necessary: dict[Entry, tuple[str, str]]  # entry -> (action, resource) it was the only allow of
    redundant: list[Entry]  # allowed calls, never alone
    unused: list[Entry]  # allowed nothing
    denied: list[dict[str, str]]

    @property
    def proven(self) -> bool:
        return not self.redundant and not self.unused and not self.denied

    def describe(self) -> str:
        lines = [f"{self.role}: {len(self.necessary)} necessary"]
        lines += [f"  redundant: {e.statement} {e.action} ({e.policy})" for e in self.redundant]
        lines += [f"  unused: {e.statement} {e.action} ({e.policy})" for e in self.unused]
        lines += [f"  denied: {d['action']} on {d['resource']} {d['reason']}" for d in self.denied]
        return "\n".join(lines)


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    statements = document.get("Statement", [])
    yield from statements if isinstance(statements, list) else [statements]


def _label(statement: dict[str, Any], index: int) -> str:
    return f'Sid "{statement["Sid"]}"' if statement.get("Sid") else f"Statement[{index}]"


def _parsed(document: str | Mapping[str, Any]) -> dict[str, Any]:
    """A policy document as IAM returns it: URL-encoded JSON text, or (boto3 decodes some) a mapping."""
    return json.loads(unquote(document)) if isinstance(document, str) else dict(document)


def _documents(target: AwsTarget, role_name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The role's inline and attached managed policies, named as the sandbox names them."""
    iam = target.client("iam")
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        yield f'inline policy "{name}" of role {role_name}', _parsed(document)
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        managed = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        yield f"managed policy {arn}", _parsed(managed)


def role_entries(target: AwsTarget, role_name: str) -> list[Entry]:
    """Every Allow statement entry of the role's identity policies."""
    entries = []
    for policy, document in _documents(target, role_name):
        for index, statement in enumerate(_statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", "NotAction" if "NotAction" in statement else [])
            for action in [actions] if isinstance(actions, str) else actions:
                entries.append(Entry(policy, _label(statement, index), action))
    return entries


def evidence(target: AwsTarget, role_arn: str) -> Evidence:
    """Least privilege by evidence: the role's statement entries against what its workload needed."""
    record = usage(target, role_arn)
    necessary = {
        Entry(n["policy"], n["statement"], n["action"]): tuple(n["for"]) for n in record["necessary"]
    }
    allowed = {Entry(a["policy"], a["statement"], a["action"]) for a in record["allowed"]}
    entries = role_entries(target, role_arn.rsplit("/", 1)[1])
    return Evidence(
        role=role_arn,
        necessary={e: necessary[e] for e in entries if e in necessary},
        redundant=[e for e in entries if e in allowed and e not in necessary],
        unused=[e for e in entries if e not in allowed],
        denied=list(record["denied"]),
    )


def _policy_name(entry: Entry) -> str:
    prefix = 'inline policy "'
    if not entry.policy.startswith(prefix):
        raise ValueError(f"only an inline policy's entry can be taken out, not one of {entry.policy}")
    return entry.policy[len(prefix) :].split('"', 1)[0]


def _without_entry(document: dict[str, Any], entry: Entry) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    statements = list(_statements(changed))
    for index, statement in enumerate(statements):
        if _label(statement, index) != entry.statement:
            continue
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else list(actions or [])
        if entry.action not in actions:
            break
        rest = [a for a in actions if a != entry.action]
        if rest:
            statement["Action"] = rest
        else:
            statements.remove(statement)
        changed["Statement"] = statements
        return changed
    raise ValueError(f"{entry.policy} has no {entry.statement} allowing {entry.action}")


@contextlib.contextmanager
def without(target: AwsTarget, role_name: str, entry: Entry) -> Iterator[None]:
    """The role with ``entry`` taken out of its inline policy (the one Action entry; the statement if it
    was its only one; the policy if that was its only statement) while the block runs, then the policy as
    it was: a real re-run of a workload shows whether the record of what the entry alone allowed tells the
    truth."""
    iam = target.client("iam")
    name = _policy_name(entry)
    original = _parsed(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
    changed = _without_entry(original, entry)
    if changed["Statement"]:
        iam.put_role_policy(RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(changed))
    else:  # its only statement: IAM takes no empty policy, so the policy goes
        iam.delete_role_policy(RoleName=role_name, PolicyName=name)
    try:
        yield
    finally:
        iam.put_role_policy(RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(original))
