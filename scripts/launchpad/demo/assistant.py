"""The demo's assistant steps: the medical assistant's API on the sandbox, asked one question end to end.

The retrieval index is built from the shipped passages (``launchpad assistant index``), the
``modules/inference-api`` example is applied into the demo's account without WAF (the sandbox evaluates no
WAF rules, so it serves no stage that has a web ACL), its endpoint is answered by the extractive stand-in
(``launchpad.assistant.standin``), and a clinician invited to the user pool asks a question through the
stage: API Gateway checks the ID token, the API key and the body, the function retrieves passages, invokes
the endpoint, and puts the query log item; the clinician's feedback becomes a feedback record in S3. Then the
example is destroyed, before the platform is.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchpad.assistant import commands, standin
from launchpad.assistant.client import Assistant, stage_url
from launchpad.aws import AwsTarget
from launchpad.deploy.artifacts import split_s3_uri
from launchpad.errors import LaunchpadError
from launchpad.paths import modules_dir
from launchpad.workspace import Workspace

QUESTION = "How is high blood pressure treated?"
PASSWORD = "Demo-Clinician-Passw0rd!"


@dataclass
class AssistantDemo:
    target: AwsTarget
    workdir: Path
    workspace: Workspace | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    person: Assistant | None = None
    endpoint: str = ""
    answer: dict[str, Any] = field(default_factory=dict)
    created: str = "nothing"
    _endpoint: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def steps(self) -> Iterator[tuple[str, Callable[[], str]]]:
        yield "assistant: build the retrieval index of the shipped passages", self.index
        yield "assistant: apply its API (modules/inference-api example, without WAF)", self.apply
        yield "assistant: serve its endpoint with the extractive stand-in, invite a clinician", self.serve
        yield "assistant: ask a question through API Gateway", self.ask
        yield "assistant: read the question's query log item (DynamoDB)", self.logged
        yield "assistant: send feedback and find its record (S3)", self.feedback
        yield "assistant: destroy it", self.destroy

    @property
    def index_file(self) -> Path:
        return self.workdir / "assistant-index.json"

    def index(self) -> str:
        built = commands.build_index(None, str(self.index_file))
        return f"{built.get('passages', '?')} passages -> {self.index_file.name}"

    def apply(self) -> str:
        variables = {
            "name": "lp-demo-assistant",
            "region": self.target.region,
            "index_file": str(self.index_file),
            "enable_waf": False,
        }
        example = modules_dir() / "inference-api" / "examples" / "complete"
        self.workspace = Workspace(example, self.target, variables, parent=self.workdir)
        self.workspace.init()
        self.outputs = self.workspace.apply()
        self.created = f"{len(self.workspace.tf.state_resources())} Terraform resources"
        return f"{self.created}; stage {self.outputs['invoke_url']}"

    def serve(self) -> str:
        endpoint = self.endpoint = _environment(self.target, self.outputs["function_name"])["ENDPOINT_NAME"]
        self._endpoint.enter_context(standin.standin_endpoint(self.target, endpoint))
        url = stage_url(self.target, self.outputs["api_id"], self.outputs["stage_name"])
        email = f"clinician-{uuid.uuid4().hex[:6]}@example.org"
        self.person = standin.person(
            self.target, url, self.outputs["api_key_values"]["web"], self.outputs, email, PASSWORD
        )
        return f"endpoint {endpoint}; {email} signed in (Cognito ID token)"

    def ask(self) -> str:
        assert self.person is not None
        reply = self.person.ask(QUESTION)
        if not reply.ok:
            raise LaunchpadError(f"the assistant answered {reply.status}: {reply.message}")
        self.answer = reply.body
        sources = ", ".join(s["id"] for s in reply.body["sources"])
        return f"200 in {reply.seconds * 1000:.0f} ms, sources {sources}: {reply.body['answer'][:90]}..."

    def logged(self) -> str:
        table = self.outputs["table_name"]
        key = {"query_id": {"S": self.answer["query_id"]}}
        item = self.target.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
        if item is None:
            raise LaunchpadError(f"query {self.answer['query_id']} has no item in {table}")
        return (
            f"{table}: query {self.answer['query_id'][:8]}..., model {item['model_version']['S']}, "
            f"{item['latency_ms']['N']} ms, passages {[p['S'] for p in item['passage_ids']['L']]}"
        )

    def feedback(self) -> str:
        assert self.person is not None
        reply = self.person.feedback(self.answer["feedback_token"], helpful=True)
        if not reply.ok:
            raise LaunchpadError(f"the feedback was answered {reply.status}: {reply.message}")
        uri = _environment(self.target, self.outputs["function_name"])["FEEDBACK_URI"]
        bucket, _ = split_s3_uri(uri)
        listed = (
            self.target.client("s3").list_objects_v2(Bucket=bucket, Prefix="feedback/").get("Contents", [])
        )
        if not listed:
            raise LaunchpadError(f"no feedback record under s3://{bucket}/feedback/")
        return f"s3://{bucket}/{listed[0]['Key']}"

    def destroy(self) -> str:
        self._endpoint.close()
        assert self.workspace is not None
        self.workspace.destroy()
        return "destroyed"

    def close(self) -> None:
        """Always: the stand-in endpoint, then whatever is still applied, then the copy."""
        try:
            self._endpoint.close()
        finally:
            if self.workspace is not None:
                self.workspace.cleanup()


def _environment(target: AwsTarget, function: str) -> dict[str, str]:
    """The function's environment: the endpoint it invokes, where it writes feedback."""
    configuration = target.client("lambda").get_function_configuration(FunctionName=function)
    return dict(configuration["Environment"]["Variables"])
