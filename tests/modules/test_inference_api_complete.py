"""inference-api example applied (sandbox tier): the API, its keys, plans and validation, the function, its
role and environment, the table, the token key and the alarms read back with boto3; an empty re-plan; then
the API served: the endpoint the function invokes answered by the extractive stand-in, people and services
asking and giving feedback through the stage, every refusal of docs/assistant.md, the web page in a browser,
and the function's and the logging role proven both ways; a destroy that leaves nothing.

One apply for the whole file (module scope), without WAF: the sandbox evaluates no WAF rules, so it serves
no stage that has a web ACL (test_inference_api.py checks the planned web ACL, its rules and its logging).
Measured on the sandbox: apply ~67 s (55 s of them the provider's fixed wait on the two buckets' lifecycle
configurations, docs/sandbox-s3-lifecycle.md), re-plan ~16 s, destroy ~15 s."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import urllib3

from launchpad.assistant import standin
from launchpad.assistant.client import Assistant, stage_url
from launchpad.assistant.handler import DISCLAIMER
from launchpad.aws import AwsTarget, Credentials
from launchpad.inventory import account_inventory
from launchpad.monitor import feedback
from launchpad.paths import modules_dir
from launchpad.sandbox import local_servers, workloads
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.testing import Stack, applied_stack, assert_replan_empty
from launchpad_serving.extractive import NOTE
from tests.chromium import ARTIFACTS
from tests.modules import assistant_browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


INDEX = Path(tempfile.gettempdir()) / f"launchpad-inference-api-index-{os.getpid()}.json"
# The web UI's origin: the browser test serves the page there (tests/modules/assistant_browser.py).
SITE_PORT = _free_port()
ORIGIN = f"https://localhost:{SITE_PORT}"
stack = applied_stack(
    modules_dir() / "inference-api" / "examples" / "complete",
    "lp-inference-api",
    tf_vars={"index_file": str(INDEX), "cors_allowed_origins": [ORIGIN], "enable_waf": False},
)
PASSWORD = "Correct-Horse-Battery-9"
ROUTES = {
    "/ask": ("COGNITO_USER_POOLS", "AskRequest"),
    "/feedback": ("COGNITO_USER_POOLS", "FeedbackRequest"),
    "/service/ask": ("AWS_IAM", "AskRequest"),
    "/service/feedback": ("AWS_IAM", "FeedbackRequest"),
}


def _write_index(path: Path) -> None:
    """The shipped passages' index, as `launchpad assistant index --output <path>` writes it."""
    from launchpad.assistant import commands

    commands.build_index(None, str(path))


@pytest.fixture(scope="module", autouse=True)
def index_file() -> Iterator[Path]:
    """Written before the stack (autouse fixtures come first in their scope), removed after."""
    _write_index(INDEX)
    yield INDEX
    INDEX.unlink(missing_ok=True)


def _api(stack: Stack) -> Any:
    return stack.client("apigateway")


def _resources(stack: Stack) -> dict[str, dict[str, Any]]:
    items = _api(stack).get_resources(restApiId=stack.outputs["api_id"], limit=500)["items"]
    return {r["path"]: r for r in items}


def test_every_route_is_a_keyed_validated_post_to_the_function(stack: Stack) -> None:
    api, api_id = _api(stack), stack.outputs["api_id"]
    resources = _resources(stack)
    assert sorted(resources) == ["/", "/ask", "/feedback", "/service", "/service/ask", "/service/feedback"]
    validators = {v["id"]: v for v in api.get_request_validators(restApiId=api_id)["items"]}
    function = stack.client("lambda").get_function_configuration(FunctionName=stack.outputs["function_name"])
    for path, (authorization, model) in ROUTES.items():
        method = api.get_method(restApiId=api_id, resourceId=resources[path]["id"], httpMethod="POST")
        assert (method["authorizationType"], method["apiKeyRequired"]) == (authorization, True), path
        assert method["requestModels"] == {"application/json": model}
        validator = validators[method["requestValidatorId"]]
        assert (validator["validateRequestBody"], validator.get("validateRequestParameters", False)) == (
            True,
            False,
        )
        integration = method["methodIntegration"]
        assert (integration["type"], integration["httpMethod"], integration["timeoutInMillis"]) == (
            "AWS_PROXY",
            "POST",
            21000,
        )
        assert function["FunctionArn"] in integration["uri"]
        # The web UI's origin is set: a CORS preflight answered by the gateway, with no key or sign-in.
        assert set(resources[path].get("resourceMethods", {})) == {"OPTIONS", "POST"}
        preflight = api.get_method(restApiId=api_id, resourceId=resources[path]["id"], httpMethod="OPTIONS")
        assert (preflight["authorizationType"], preflight["apiKeyRequired"]) == ("NONE", False)
        assert preflight["methodIntegration"]["type"] == "MOCK"
    [authorizer] = api.get_authorizers(restApiId=api_id)["items"]
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["providerARNs"][0].endswith(f"userpool/{stack.outputs['user_pool_id']}")


def test_models_accept_exactly_the_contracts_bodies(stack: Stack) -> None:
    models = {
        m["name"]: json.loads(m["schema"])
        for m in _api(stack).get_models(restApiId=stack.outputs["api_id"])["items"]
    }
    assert models["AskRequest"]["properties"] == {
        "question": {"type": "string", "minLength": 1, "maxLength": 2000}
    }
    assert models["FeedbackRequest"]["required"] == ["feedback_token", "helpful"]
    assert {m["additionalProperties"] for m in models.values()} == {False}


def test_the_stage_logs_access_without_bodies_and_throttles(stack: Stack) -> None:
    api, api_id = _api(stack), stack.outputs["api_id"]
    stage = api.get_stage(restApiId=api_id, stageName=stack.outputs["stage_name"])
    assert stage["tracingEnabled"] is True
    fields = json.loads(stage["accessLogSettings"]["format"])
    assert fields["requestId"] == "$context.requestId" and fields["status"] == "$context.status"
    assert not [v for v in fields.values() if "$input" in v or "body" in v.lower()]
    group = stage["accessLogSettings"]["destinationArn"].rsplit(":", 1)[-1]
    assert group == stack.outputs["access_log_group_name"]
    settings = stage["methodSettings"]["*/*"]
    assert (settings["dataTraceEnabled"], settings["loggingLevel"], settings["metricsEnabled"]) == (
        False,
        "ERROR",
        True,
    )
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (50.0, 100)
    assert api.get_account()["cloudwatchRoleArn"] == stack.outputs["account_logging_role_arn"]
    logs = stack.client("logs")
    key = stack.outputs["key_arn"]
    for name in (
        stack.outputs["access_log_group_name"],
        f"API-Gateway-Execution-Logs_{api_id}/dev",
        f"/aws/lambda/{stack.outputs['function_name']}",
    ):
        [described] = [
            g
            for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            if g["logGroupName"] == name
        ]
        assert (described.get("kmsKeyId"), described.get("retentionInDays")) == (key, 365), name


def test_gateway_refusals_answer_the_contracts_messages(stack: Stack) -> None:
    responses = {
        r["responseType"]: r
        for r in _api(stack).get_gateway_responses(restApiId=stack.outputs["api_id"])["items"]
    }
    body = json.loads(responses["BAD_REQUEST_BODY"]["responseTemplates"]["application/json"])
    assert (responses["BAD_REQUEST_BODY"]["statusCode"], body) == ("400", {"message": "Invalid request body"})
    assert responses["INVALID_API_KEY"]["statusCode"] == "403"
    assert responses["QUOTA_EXCEEDED"]["statusCode"] == "429"


def test_each_client_has_its_key_on_its_usage_plan(stack: Stack) -> None:
    api = _api(stack)
    plans = {
        p["name"]: p
        for p in api.get_usage_plans(limit=500)["items"]
        if p["name"].startswith(f"{stack.name}-")
    }
    assert sorted(plans) == [f"{stack.name}-triage-tool", f"{stack.name}-web"]
    web = plans[f"{stack.name}-web"]
    assert web["throttle"] == {"rateLimit": 20.0, "burstLimit": 40}
    assert (web["quota"]["limit"], web["quota"]["period"]) == (10000, "DAY")
    assert web["apiStages"][0]["apiId"] == stack.outputs["api_id"] and web["apiStages"][0]["stage"] == "dev"
    for client, key_id in stack.outputs["api_key_ids"].items():
        [member] = api.get_usage_plan_keys(usagePlanId=plans[f"{stack.name}-{client}"]["id"])["items"]
        assert member["id"] == key_id
        key = api.get_api_key(apiKey=key_id, includeValue=True)
        assert key["enabled"] is True and key["value"] == stack.outputs["api_key_values"][client]


def test_the_user_pool_is_invite_only_with_mfa_and_a_public_client(stack: Stack) -> None:
    idp = stack.client("cognito-idp")
    pool = idp.describe_user_pool(UserPoolId=stack.outputs["user_pool_id"])["UserPool"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 14
    client = idp.describe_user_pool_client(
        UserPoolId=stack.outputs["user_pool_id"], ClientId=stack.outputs["user_pool_client_id"]
    )["UserPoolClient"]
    assert "ClientSecret" not in client
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]


def test_the_function_has_the_contracts_environment_in_the_vpc(stack: Stack) -> None:
    lam = stack.client("lambda")
    name = stack.outputs["function_name"]
    config = lam.get_function_configuration(FunctionName=name)
    account = config["FunctionArn"].split(":")[4]
    assert (config["Runtime"], config["Handler"], config["Timeout"], config["MemorySize"]) == (
        "python3.12",
        "launchpad.assistant.handler.handler",
        20,
        512,
    )
    assert config["KMSKeyArn"] == stack.outputs["key_arn"]
    assert config["Environment"]["Variables"] == {
        "ENDPOINT_NAME": f"{stack.name}-production",
        "STAGE": "dev",
        "TABLE_NAME": stack.outputs["table_name"],
        "INDEX_URI": stack.outputs["index_s3_uri"],
        "FEEDBACK_URI": f"s3://{stack.name}-{account}-assistant/feedback/",
        "FEEDBACK_KMS_KEY_ARN": stack.outputs["key_arn"],
        "BUCKET_OWNER": account,
        "TOKEN_KEY_ID": stack.outputs["token_key_arn"],
        "TOKEN_TTL_SECONDS": "604800",
        "STORE_QUESTION": "false",
        "RECORD_TTL_DAYS": "90",
        "TOP_K": "3",
        "CORS_ALLOWED_ORIGIN": ORIGIN,
    }
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    [group_id] = config["VpcConfig"]["SecurityGroupIds"]
    [group] = stack.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert group["IpPermissions"] == []
    assert [
        (p["IpProtocol"], p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]])
        for p in group["IpPermissionsEgress"]
    ] == [("tcp", 443, ["10.42.0.0/16"])]
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    sources = sorted(s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"])
    execution = stack.outputs["execution_arn"]
    assert sources == sorted(f"{execution}/dev/POST{path}" for path in ROUTES)


def test_the_role_may_sign_with_the_token_key_which_nobody_else_may_use(stack: Stack) -> None:
    iam = stack.client("iam")
    role = stack.outputs["function_role_arn"].rsplit("/", 1)[-1]
    created = json.loads(
        json.dumps(iam.get_role_policy(RoleName=role, PolicyName=f"{role}-created")["PolicyDocument"])
    )
    statements = {s["Sid"]: s for s in created["Statement"]}
    assert sorted(statements) == ["CreateFunctionNetworkInterfaces"]  # the key policy alone grants the MACs
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert sorted(names) == sorted([role, f"{role}-created"])
    sids = [
        s["Sid"]
        for p in names[::-1]
        for s in iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]["Statement"]
    ]
    assert sorted(sids) == sorted(stack.outputs["function_role_statement_sids"])
    kms = stack.client("kms")
    key = kms.describe_key(KeyId=stack.outputs["token_key_arn"])["KeyMetadata"]
    assert (key["KeySpec"], key["KeyUsage"], key["KeyManager"]) == (
        "HMAC_256",
        "GENERATE_VERIFY_MAC",
        "CUSTOMER",
    )
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    grants = {s["Sid"]: s for s in policy["Statement"]}
    use = grants["FunctionSignsAndVerifiesTokens"]
    assert use["Principal"] == {"AWS": stack.outputs["function_role_arn"]}
    assert sorted(as_list(use["Action"])) == ["kms:GenerateMac", "kms:VerifyMac"]
    admin = as_list(grants["AccountAdministersKey"]["Action"])
    assert not [
        a for a in admin if a in ("kms:*", "kms:GenerateMac", "kms:VerifyMac", "kms:Decrypt", "kms:Encrypt")
    ]


def test_the_query_log_is_encrypted_recoverable_and_expiring(stack: Stack) -> None:
    ddb = stack.client("dynamodb")
    table = ddb.describe_table(TableName=stack.outputs["table_name"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "query_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (table["SSEDescription"]["SSEType"], table["SSEDescription"]["KMSMasterKeyArn"]) == (
        "KMS",
        stack.outputs["key_arn"],
    )
    backups = ddb.describe_continuous_backups(TableName=stack.outputs["table_name"])[
        "ContinuousBackupsDescription"
    ]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = ddb.describe_time_to_live(TableName=stack.outputs["table_name"])["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


def test_alarms_notify_the_topic(stack: Stack) -> None:
    names = list(stack.outputs["alarm_names"].values())
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert len(alarms) == len(names) == 8
    assert {a["AlarmActions"][0] for a in alarms} == {stack.outputs["alarm_topic_arn"]}


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


# -- the API served (after the re-plan) -------------------------------
@dataclass
class Served:
    """The updated stack with its endpoint answered, a signed-in person and the clients' keys."""

    stack: Stack
    url: str
    endpoint: str
    person: Assistant
    model_url: str  # the stand-in's server
    cleanup: contextlib.ExitStack  # the endpoint and its role, deleted before the destroy

    @property
    def target(self) -> AwsTarget:
        return self.stack.target

    def key(self, client_name: str) -> str:
        return str(self.stack.outputs["api_key_values"][client_name])

    def items(self) -> int:
        table = self.stack.outputs["table_name"]
        return int(self.stack.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"])

    def item(self, query_id: str) -> dict[str, Any]:
        table = self.stack.outputs["table_name"]
        got = self.stack.client("dynamodb").get_item(TableName=table, Key={"query_id": {"S": query_id}})
        return {k: next(iter(v.values())) for k, v in got["Item"].items()}

    def close(self) -> None:
        """What the test made beside the stack goes before the destroy: the endpoint, its execution role."""
        self.cleanup.close()


def _function_environment(stack: Stack) -> dict[str, str]:
    configuration = stack.client("lambda").get_function_configuration(
        FunctionName=stack.outputs["function_name"]
    )
    return dict(configuration["Environment"]["Variables"])


@pytest.fixture(scope="module")
def served(stack: Stack) -> Iterator[Served]:
    endpoint = _function_environment(stack)["ENDPOINT_NAME"]
    url = stage_url(stack.target, stack.outputs["api_id"], stack.outputs["stage_name"])
    with contextlib.ExitStack() as cleanup:
        model = cleanup.enter_context(standin.standin_endpoint(stack.target, endpoint))
        email = f"clinician-{uuid.uuid4().hex[:8]}@example.org"
        person = standin.person(
            stack.target, url, stack.outputs["api_key_values"]["web"], stack.outputs, email, PASSWORD
        )
        done = Served(stack, url, endpoint, person, model, cleanup.pop_all())
    with done.cleanup:
        yield done


def test_a_person_asks_and_gets_a_cited_answer_logged_without_the_raw_question(served: Served) -> None:
    reply = served.person.ask("What is type 2 diabetes and how is it treated?")
    assert reply.status == 200, reply.body
    body = reply.body
    assert NOTE in body["answer"]
    ids = [source["id"] for source in body["sources"]]
    assert ids and all(source["title"] and source["url"].startswith("https://") for source in body["sources"])
    assert body["model"]["endpoint"] == served.endpoint
    item = served.item(body["query_id"])
    assert item["answer"] == body["answer"]
    assert item["passage_ids"] == [{"S": i} for i in ids]
    assert item["question_masked"] == "What is type 2 diabetes and how is it treated?"
    assert "question" not in item  # the example's stage (dev) keeps the masked question only, by default
    assert (item["endpoint"], item["model_version"]) == (served.endpoint, f"{served.endpoint}-standin")
    assert float(item["latency_ms"]) > 0 and int(item["expires_at"]) > 0


def test_feedback_is_one_record_however_often_it_is_sent(served: Served) -> None:
    asked = served.person.ask("How can I lower my blood pressure?")
    assert asked.status == 200, asked.body
    for _ in range(2):
        sent = served.person.feedback(asked.body["feedback_token"], helpful=True)
        assert (sent.status, sent.body) == (200, {"query_id": asked.body["query_id"], "status": "recorded"})
    bucket = _function_environment(served.stack)["FEEDBACK_URI"].removeprefix("s3://").split("/", 1)[0]
    s3 = served.stack.client("s3")
    prefix = f"feedback/stage=dev/endpoint={served.endpoint}/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    records = [
        json.loads(line)
        for key in keys
        for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    ]
    mine = [r for r in records if r["inference_id"] == asked.body["query_id"]]
    assert len(mine) == 1, records
    assert mine[0]["score"] == {"kind": "helpful", "value": True}
    assert feedback.record_problems(mine[0]) == []


def _service_role(served: Served, allow: bool) -> tuple[AwsTarget, str]:
    """A role of the account (a triage tool) that may, or may not, invoke the service routes."""
    iam, name = served.stack.client("iam"), f"triage-{uuid.uuid4().hex[:6]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{served.target.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    account, api = served.target.account_id, served.stack.outputs["api_id"]
    resource = f"arn:aws:execute-api:{served.target.region}:{account}:{api}/dev/POST/service/*"
    action = "execute-api:Invoke" if allow else "execute-api:ManageConnections"
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    session = served.stack.client("sts").assume_role(RoleArn=arn, RoleSessionName="triage")["Credentials"]
    credentials = Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    return served.target.with_credentials(credentials), arn


BURN = "What should I do for a minor burn?"


def test_a_service_signs_its_calls_and_needs_execute_api_invoke(served: Served) -> None:
    signer, _ = _service_role(served, allow=True)
    reply = Assistant(served.url, served.key("triage-tool"), signer=signer).ask(BURN)
    assert reply.status == 200, reply.body
    assert served.item(reply.body["query_id"])["caller"].endswith("/triage")
    signer, arn = _service_role(served, allow=False)
    denied = Assistant(served.url, served.key("triage-tool"), signer=signer).ask(BURN)
    # The module's ACCESS_DENIED gateway response words it as the contract does; the gateway's reason is
    # the missing execute-api:Invoke on the method.
    assert (denied.status, denied.message) == (403, "Forbidden")
    [refusal] = workloads.usage(served.target, arn)["denied"]
    assert refusal["action"] == "execute-api:Invoke"
    assert refusal["resource"].endswith(f"{served.stack.outputs['api_id']}/dev/POST/service/ask")


def _raw(served: Served, body: bytes, headers: dict[str, str], route: str = "ask") -> tuple[int, str]:
    answer = urllib3.request("POST", f"{served.url}/{route}", body=body, headers=headers, retries=False)
    return answer.status, json.loads(answer.data or b"{}").get("message", "")


def test_bad_input_gets_its_status_and_message_and_stores_nothing(served: Served) -> None:
    person, before = served.person, served.items()
    question = json.dumps({"question": "What is asthma?"}).encode()
    assert person.id_token is not None
    good = {
        "Content-Type": "application/json",
        "x-api-key": served.key("web"),
        "Authorization": person.id_token,
    }
    forged_token = person.id_token[:-6] + ("AAAAAA" if not person.id_token.endswith("AAAAAA") else "BBBBBB")
    cases = {
        "no token": (question, {**good, "Authorization": ""}, 401, "Unauthorized"),
        "forged token": (question, {**good, "Authorization": forged_token}, 401, "Unauthorized"),
        "wrong API key": (
            question,
            {**good, "x-api-key": "not-a-key-of-this-api-0123456789"},
            403,
            "Forbidden",
        ),
        "no API key": (question, {k: v for k, v in good.items() if k != "x-api-key"}, 403, "Forbidden"),
        "not JSON": (b"{question: asthma", good, 400, "Invalid request body"),
        "another field": (b'{"question": "asthma?", "patient": "x"}', good, 400, "Invalid request body"),
        "too long": (json.dumps({"question": "a" * 2001}).encode(), good, 400, "Invalid request body"),
        "over 10 MB": (b"x" * (10 * 1024 * 1024 + 1), good, 413, ""),
    }
    got = {name: _raw(served, body, headers)[0] for name, (body, headers, _, _) in cases.items()}
    assert got == {name: case[2] for name, case in cases.items()}
    for name, (body, headers, _, message) in cases.items():
        if message:
            assert _raw(served, body, headers)[1] == message, name
    forged = person.feedback("eyJxIjoiMSJ9.c2lnbmF0dXJl", helpful=False)
    assert forged.status == 403 and "feedback token" in forged.message
    assert served.items() == before


def test_a_question_with_phi_is_masked_before_any_log_or_store(served: Served) -> None:
    ssn, email = "078-05-1120", "jane.roe@example.org"
    reply = served.person.ask(f"My SSN is {ssn} and my email {email}: is my cough asthma?")
    assert reply.status == 200, reply.body
    masked = served.item(reply.body["query_id"])["question_masked"]
    assert ssn not in masked and email not in masked and "[SSN]" in masked
    logs = served.stack.client("logs")
    function_log = f"/aws/lambda/{served.stack.outputs['function_name']}"
    groups = [function_log, served.stack.outputs["access_log_group_name"]]
    written = [
        event["message"] for group in groups for event in logs.filter_log_events(logGroupName=group)["events"]
    ]
    assert written, "the function and the stage write their logs"
    assert not [line for line in written if ssn in line or email in line or "cough" in line]


def test_over_its_rate_a_client_is_throttled(served: Served) -> None:
    """triage-tool's plan: 5 requests a second, bursts of 10. Refused bodies are enough: the gateway
    throttles before it validates."""
    assert served.person.id_token is not None
    headers = {
        "Content-Type": "application/json",
        "x-api-key": served.key("triage-tool"),
        "Authorization": served.person.id_token,
    }
    statuses = [_raw(served, b"{}", headers) for _ in range(25)]
    assert {status for status, _ in statuses} == {400, 429}
    assert {message for status, message in statuses if status == 429} == {"Too Many Requests"}


def test_an_endpoint_that_is_down_is_a_502_and_stores_nothing(served: Served) -> None:
    before = served.items()
    local_servers.clear(served.target)
    try:
        reply = served.person.ask("What are the signs of a stroke?")
    finally:
        local_servers.register(served.target, served.model_url, image=standin.IMAGE)
    assert reply.status == 502, reply.body
    assert served.items() == before


# What the API's workload calls as the function's role, each allowed by one statement entry of the role alone:
# taking that entry out must make the workload fail with AccessDenied naming it. (The token key's MACs are
# granted by its key policy: the next test.)
WORKLOAD_ACTIONS = (
    "s3:GetObject",
    "sagemaker:InvokeEndpoint",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "s3:PutObject",
)
_CONFIGURATIONS = iter(range(1, 100))


# Called once per execution environment (the index at init) or once a minute (the model version): re-run in
# a new environment.
AT_START = ("s3:GetObject", "sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig")


def _workload(served: Served, new_environment: bool = True) -> tuple[int, int]:
    """One question and its feedback; first, for a new execution environment, a configuration never used
    before (its init reads the index, its first question describes the endpoint)."""
    if new_environment:
        functions, name = served.stack.client("lambda"), served.stack.outputs["function_name"]
        memory = 512 + 64 * next(_CONFIGURATIONS)
        functions.update_function_configuration(FunctionName=name, MemorySize=memory)
    asked = served.person.ask("How is influenza spread?")
    if asked.status != 200:
        return asked.status, 0
    return asked.status, served.person.feedback(asked.body["feedback_token"], helpful=True).status


def test_the_function_role_is_proven_both_ways(served: Served) -> None:
    role_arn = served.stack.outputs["function_role_arn"]
    role = role_arn.rsplit("/", 1)[1]
    workloads.clear_usage(served.target, role_arn)
    assert _workload(served) == (200, 200)
    evidence = workloads.evidence(served.target, role_arn)
    assert not evidence.denied and not evidence.redundant, evidence.describe()
    necessary = evidence.necessary.items()
    entries = {action: entry for entry, (action, _) in necessary if action in WORKLOAD_ACTIONS}
    assert sorted(entries) == sorted(WORKLOAD_ACTIONS), evidence.describe()
    for action, entry in entries.items():
        workloads.clear_usage(served.target, role_arn)
        with workloads.without(served.target, role, entry):
            statuses = _workload(served, new_environment=action in AT_START)
        assert statuses != (200, 200), action
        denied = workloads.usage(served.target, role_arn)["denied"]
        assert action in {d["action"] for d in denied}, (action, denied)
    assert _workload(served) == (200, 200)


def test_only_the_token_keys_policy_lets_the_function_sign_tokens(served: Served) -> None:
    kms, key = served.stack.client("kms"), served.stack.outputs["token_key_arn"]
    role_arn = served.stack.outputs["function_role_arn"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    kept = [s for s in policy["Statement"] if s["Sid"] != "FunctionSignsAndVerifiesTokens"]
    assert len(kept) == len(policy["Statement"]) - 1
    workloads.clear_usage(served.target, role_arn)
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({**policy, "Statement": kept}))
    try:
        assert _workload(served) == (502, 0)
    finally:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    assert "kms:GenerateMac" in {d["action"] for d in workloads.usage(served.target, role_arn)["denied"]}
    assert _workload(served) == (200, 200)


def test_the_account_logging_role_writes_the_access_log_and_is_proven_both_ways(served: Served) -> None:
    """API Gateway writes each request's access-log line as the account's CloudWatch role: each entry that
    alone allowed a write, taken out, leaves the line unwritten with the action denied (the API still
    answers: AWS drops a log line it cannot write)."""
    target, role_arn = served.target, served.stack.outputs["account_logging_role_arn"]
    workloads.clear_usage(target, role_arn)
    assert served.person.ask("What is a migraine?").status == 200
    evidence = workloads.evidence(target, role_arn)
    assert not evidence.denied, evidence.describe()
    used = {action: entry for entry, (action, _) in evidence.necessary.items()}
    assert "logs:PutLogEvents" in used, evidence.describe()
    for action, entry in used.items():
        workloads.clear_usage(target, role_arn)
        with workloads.without(target, role_arn.rsplit("/", 1)[1], entry):
            assert served.person.ask("What is a migraine?").status == 200
        denied = workloads.usage(target, role_arn)["denied"]
        assert action in {d["action"] for d in denied}, (action, denied)


def test_in_a_browser_a_person_signs_in_asks_reads_the_sources_and_says_it_helped(
    served: Served, tmp_path: Path
) -> None:
    """The web page (modules/static-site/site) in headless Chromium, served with its response headers
    policy's CSP from the API's CORS origin; screenshots in build/test-artifacts/."""
    stack = served.stack
    config = assistant_browser.site_config(stack.target, stack.outputs)
    (tmp_path / "plan").mkdir()
    (tmp_path / "tls").mkdir()
    headers = assistant_browser.policy_headers(stack.target, config, tmp_path / "plan")
    session = assistant_browser.run_session(
        stack.target,
        stack.outputs,
        SITE_PORT,
        modules_dir() / "static-site" / "site",
        headers,
        ARTIFACTS,
        tmp_path / "tls",
    )
    assert NOTE in session.answer
    assert session.sources and all(source.startswith("p-") for source in session.sources)
    assert session.disclaimer == DISCLAIMER
    assert session.feedback_status == "Thank you: recorded as helpful."
    assert [line for line in session.console if line.startswith("error")] == []
    assert session.failures == []
    assert [p.name for p in session.screenshots] == [
        "assistant-signin.png",
        "assistant-answer.png",
        "assistant-feedback.png",
    ]


def test_destroy_leaves_nothing_behind(stack: Stack, served: Served) -> None:
    served.close()
    iam = stack.client("iam")
    for role in [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("triage-")]:
        iam.delete_role_policy(RoleName=role, PolicyName="invoke")
        iam.delete_role(RoleName=role)
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
