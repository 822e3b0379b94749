"""Run a role's workload as AWS runs it, on the sandbox, and read the evidence of what it needed.

A role's workload runs with the role's own credentials, which an AWS service hands out after taking the role
through its trust policy: a CodeBuild build (``start_build``: the build's commands get the credentials), a
CodePipeline execution (``PipelineRun``, action by action), an EventBridge delivery (``deliver_event``), or
just a service session (``service_session``). Afterwards ``usage`` says which statement of the role allowed
which call, and ``evidence`` compares that with the role's policies: every statement entry (a statement, and
one entry of its Action element) must have been the only allow of some call.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from launchpad.aws import AwsTarget, Credentials
from launchpad.sandbox import control

SESSION_ROUTE = "/_launchpad/service-session"
BUILDS_ROUTE = "/_launchpad/codebuild/builds"
RUNS_ROUTE = "/_launchpad/codepipeline/runs"
EVENTS_ROUTE = "/_launchpad/events/deliver"
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


@dataclass
class PipelineStep:
    stage: str | None
    action: str | None
    kind: str | None
    status: str
    build: Build | None


@dataclass
class PipelineRun:
    """An execution of a pipeline, run by CodePipeline (as the pipeline's role) one action at a time."""

    target: AwsTarget
    pipeline: str
    execution: str = ""
    steps: list[PipelineStep] = field(default_factory=list)

    def _step(self, answer: dict[str, Any]) -> PipelineStep:
        self.execution = answer["execution"]
        build = _build(self.target, answer["build"]) if answer.get("build") else None
        step = PipelineStep(
            answer.get("stage"), answer.get("action"), answer.get("kind"), answer["status"], build
        )
        self.steps.append(step)
        return step

    def start(self) -> PipelineStep:
        """Run the source stage and start the first action after it."""
        document = {
            "account": self.target.account_id,
            "region": self.target.region,
            "pipeline": self.pipeline,
        }
        return self._step(control.request(self.target, "POST", RUNS_ROUTE, document))

    def next(self) -> PipelineStep:
        """Finish the current action (a build's upload; past a manual approval, the approval), start the
        next."""
        return self._step(control.request(self.target, "POST", f"{RUNS_ROUTE}/{self.execution}/next", {}))


def deliver_event(target: AwsTarget, rule: str) -> list[str]:
    """EventBridge delivers an event of ``rule`` to its targets, as each target's role."""
    document = {"account": target.account_id, "region": target.region, "rule": rule}
    return list(control.request(target, "POST", EVENTS_ROUTE, document)["delivered"])


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
