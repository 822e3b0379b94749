"""inference-api example applied (sandbox tier): the API, its keys, plans and validation, the function, its
role and environment, the table, the token key, WAF and the alarms read back with boto3; an empty re-plan; a
destroy that leaves nothing.

One apply for the whole file (module scope). Measured on the sandbox: apply ~67 s (55 s of them the provider's
fixed wait on the two buckets' lifecycle configurations, docs/sandbox-s3-lifecycle.md), re-plan ~16 s,
destroy ~15 s."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchpad.inventory import account_inventory
from launchpad.paths import modules_dir
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.testing import Stack, applied_stack, assert_replan_empty

INDEX = Path(tempfile.gettempdir()) / f"launchpad-inference-api-index-{os.getpid()}.json"
stack = applied_stack(
    modules_dir() / "inference-api" / "examples" / "complete",
    "lp-inference-api",
    tf_vars={"index_file": str(INDEX)},
)
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
        assert set(resources[path].get("resourceMethods", {})) == {"POST"}, "no OPTIONS without a CORS origin"
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
        f"aws-waf-logs-{stack.name}",
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
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]


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
    assert sorted(statements) == ["CreateFunctionNetworkInterfaces", "SignAndVerifyFeedbackTokens"]
    assert sorted(as_list(statements["SignAndVerifyFeedbackTokens"]["Action"])) == [
        "kms:GenerateMac",
        "kms:VerifyMac",
    ]
    assert as_list(statements["SignAndVerifyFeedbackTokens"]["Resource"]) == [stack.outputs["token_key_arn"]]
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


def test_waf_guards_the_stage_and_redacts_secrets_in_its_log(stack: Stack) -> None:
    waf = stack.client("wafv2")
    stage_arn = f"arn:aws:apigateway:{stack.target.region}::/restapis/{stack.outputs['api_id']}/stages/dev"
    acl = waf.get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]
    assert acl["ARN"] == stack.outputs["web_acl_arn"]
    assert sorted(r["Name"] for r in acl["Rules"]) == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "rate-limit-per-ip",
    ]
    logging = waf.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
    assert sorted(f["SingleHeader"]["Name"] for f in logging["RedactedFields"]) == [
        "authorization",
        "x-api-key",
    ]


def test_alarms_notify_the_topic(stack: Stack) -> None:
    names = list(stack.outputs["alarm_names"].values())
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert len(alarms) == len(names) == 8
    assert {a["AlarmActions"][0] for a in alarms} == {stack.outputs["alarm_topic_arn"]}


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
