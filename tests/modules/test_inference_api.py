"""inference-api planned (fast tier): the function role's statements, the table, the token key, the stage's
logging, the methods' authorization and keys, the validators and models, the usage plans.

The module is planned twice with literal inputs, in the suite's shared plan (tests/shared_plan.py): "prod"
(the validation cases' base: stage prod, the module's defaults) and "dev" (an existing user pool, a CORS
origin, WAF on, the raw question stored, execution logging off, the account's logging role). Its example's
inventory, fmt, validate, README table, checkov and bad input are test_static's; the example applied is
test_inference_api_complete.py's."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad import combined
from launchpad.paths import modules_dir
from launchpad.sandbox.patches.iam_policy import as_list
from tests import shared_plan

pytestmark = pytest.mark.xdist_group(shared_plan.GROUP)

MODULE = modules_dir() / "inference-api"
CASES = Path(__file__).parent / "inference-api" / "validation_cases.yaml"
BASE = yaml.safe_load(CASES.read_text())["base_vars"]
KEY = BASE["kms_key_arn"]
POOL = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbCdEfGhI"
ORIGIN = "https://assistant.example.org"

CALLS = {
    "prod": combined.Call(MODULE, BASE),
    "dev": combined.Call(
        MODULE,
        {
            **BASE,
            "name": "lp-dev",
            "stage": "dev",
            "store_raw_question": True,
            "authentication": {"user_pool_arn": POOL, "client_id": "1example23456789abcdefghij"},
            "cors_allowed_origins": [ORIGIN],
            "waf": {"enabled": True, "rate_limit": 500, "rate_window_seconds": 60},
            "execution_logging_level": "OFF",
            "manage_account_logging_role": True,
            "clients": {
                "web": {"rate_limit": 20, "burst_limit": 40},
                "batch": {"rate_limit": 1, "burst_limit": 2},
            },
            "tags": {"owner": "ml-team", "cost-center": "ml-platform", "data-classification": "phi"},
        },
    ),
}
for _name, _call in CALLS.items():
    shared_plan.register(f"inference-api:{_name}", _call)


@pytest.fixture
def planned(plan_parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each call's planned values by address (module.<...> prefixes removed)."""
    return {
        name: {c["address"]: c["change"]["after"] for c in part["resource_changes"] if c["mode"] == "managed"}
        for name, part in ((name, plan_parts[f"inference-api:{name}"]) for name in CALLS)
    }


def _statements(policy: str) -> dict[str, dict[str, Any]]:
    """A policy's statements by Sid, actions and resources as sorted lists."""
    return {
        s["Sid"]: {**s, "Action": sorted(as_list(s["Action"])), "Resource": sorted(as_list(s["Resource"]))}
        for s in json.loads(policy)["Statement"]
    }


def _gateway_responses(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["response_type"]: r for k, r in plan.items() if k.startswith("aws_api_gateway_gateway_response.")
    }


def _account(plan: dict[str, Any]) -> str:
    trust = json.loads(plan["aws_iam_role.function"]["assume_role_policy"])["Statement"][0]
    return str(trust["Condition"]["StringEquals"]["aws:SourceAccount"])


def test_the_function_role_holds_exactly_what_the_function_calls(planned: dict[str, dict[str, Any]]) -> None:
    plan = planned["prod"]
    account = _account(plan)
    arn = f"arn:aws:{{}}:eu-west-1:{account}"
    sagemaker, function_arn = (
        arn.format("sagemaker"),
        arn.format("lambda") + ":function:lp-assistant-assistant",
    )
    statements = _statements(plan["aws_iam_role_policy.function"]["policy"])
    via = {"s3": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}}
    expected = {
        "InvokeEndpoint": (["sagemaker:InvokeEndpoint"], [f"{sagemaker}:endpoint/lp-assistant-production"]),
        "DescribeServedModel": (
            ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig"],
            [
                f"{sagemaker}:endpoint-config/lp-assistant-production-*",
                f"{sagemaker}:endpoint/lp-assistant-production",
            ],
        ),
        "WriteAndReadQueryLog": (
            ["dynamodb:GetItem", "dynamodb:PutItem"],
            [arn.format("dynamodb") + ":table/lp-assistant-queries"],
        ),
        "DecryptQueryLogThroughDynamoDB": (["kms:Decrypt"], [KEY]),
        "ReadIndex": (
            ["s3:GetObject"],
            ["arn:aws:s3:::lp-platform-111122223333-data/assistant/index/index.json"],
        ),
        "WriteFeedback": (["s3:PutObject"], ["arn:aws:s3:::lp-platform-111122223333-feedback/feedback/*"]),
        "DecryptIndexThroughS3": (["kms:Decrypt"], [KEY]),
        "EncryptFeedbackThroughS3": (["kms:GenerateDataKey"], [KEY]),
        "DecryptOwnEnvironment": (["kms:Decrypt"], [KEY]),
        "WriteOwnLogs": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [arn.format("logs") + ":log-group:/aws/lambda/lp-assistant-assistant:*"],
        ),
        "DescribeNetwork": (["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], ["*"]),
        "ManageFunctionNetworkInterfaces": (
            ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"],
            [arn.format("ec2") + ":network-interface/*"],
        ),
    }
    assert list(statements) == list(expected)
    assert {sid: (s["Action"], s["Resource"]) for sid, s in statements.items()} == expected
    assert all(s["Effect"] == "Allow" for s in statements.values())
    assert statements["DecryptQueryLogThroughDynamoDB"]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": "dynamodb.eu-west-1.amazonaws.com",
            "kms:EncryptionContext:aws:dynamodb:tableName": "lp-assistant-queries",
        }
    }
    assert statements["DecryptIndexThroughS3"]["Condition"] == via["s3"]
    assert statements["EncryptFeedbackThroughS3"]["Condition"] == via["s3"]
    assert statements["WriteFeedback"]["Condition"] == {
        "StringEquals": {
            "s3:x-amz-server-side-encryption": "aws:kms",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY,
        }
    }
    assert statements["DecryptOwnEnvironment"]["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:lambda:FunctionArn": function_arn}
    }
    # no reads of feedback, no listing, no deletes, no scans, nothing on "*" but what EC2 cannot narrow
    actions = {a for s in statements.values() for a in s["Action"]}
    forbidden = {"s3:ListBucket", "s3:DeleteObject", "dynamodb:Scan", "dynamodb:Query", "dynamodb:DeleteItem"}
    assert not actions & forbidden
    assert [sid for sid, s in statements.items() if s["Resource"] == ["*"]] == ["DescribeNetwork"]
    trust = json.loads(plan["aws_iam_role.function"]["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": function_arn}
    assert plan["aws_iam_role.function"]["name"] == "lp-assistant-assistant"
    # the statements on the token key and the security group, whose ARNs exist only after apply
    assert plan["aws_iam_role_policy.function_created"]["name"] == "lp-assistant-assistant-created"


def test_the_function_runs_in_the_vpc_behind_its_own_security_group(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["prod"]
    function = plan["aws_lambda_function.assistant"]
    assert (function["runtime"], function["handler"]) == ("python3.12", "launchpad.assistant.handler.handler")
    assert (function["timeout"], function["memory_size"], function["reserved_concurrent_executions"]) == (
        20,
        512,
        10,
    )
    assert function["kms_key_arn"] == KEY
    shipped = (MODULE / "lambda" / "assistant.zip").read_bytes()
    assert function["source_code_hash"] == base64.b64encode(hashlib.sha256(shipped).digest()).decode()
    [vpc] = function["vpc_config"]
    assert sorted(vpc["subnet_ids"]) == sorted(BASE["network"]["subnet_ids"])
    # the environment names the token key, whose ARN exists after apply: test_inference_api_complete reads it
    group = plan["aws_security_group.function"]
    assert group.get("ingress", []) == []  # none declared (computed: absent from the plan)
    egress = sorted(
        (e["from_port"], e["to_port"], e["protocol"], tuple(e["cidr_blocks"]), tuple(e["prefix_list_ids"]))
        for e in group["egress"]
    )
    assert egress == [(443, 443, "tcp", (), ("pl-6da54004",)), (443, 443, "tcp", ("10.0.0.0/16",), ())]
    logs = plan["aws_cloudwatch_log_group.function"]
    assert (logs["name"], logs["kms_key_id"], logs["retention_in_days"]) == (
        "/aws/lambda/lp-assistant-assistant",
        KEY,
        365,
    )
    permissions = {k: v for k, v in plan.items() if k.startswith("aws_lambda_permission.api")}
    assert sorted(p["statement_id"] for p in permissions.values()) == [
        "AllowApiGateway-ask",
        "AllowApiGateway-feedback",
        "AllowApiGateway-service-ask",
        "AllowApiGateway-service-feedback",
    ]
    assert {(p["principal"], p["source_account"]) for p in permissions.values()} == {
        ("apigateway.amazonaws.com", _account(plan))
    }


def test_the_query_log_is_encrypted_recoverable_expiring_and_protected(
    planned: dict[str, dict[str, Any]],
) -> None:
    table = planned["prod"]["aws_dynamodb_table.queries"]
    assert (table["name"], table["billing_mode"], table["hash_key"]) == (
        "lp-assistant-queries",
        "PAY_PER_REQUEST",
        "query_id",
    )
    assert table["attribute"] == [{"name": "query_id", "type": "S"}]
    assert table["server_side_encryption"] == [{"enabled": True, "kms_key_arn": KEY}]
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["ttl"] == [{"attribute_name": "expires_at", "enabled": True}]
    assert table["deletion_protection_enabled"] is True
    assert planned["prod"]["aws_cognito_user_pool.this[0]"]["deletion_protection"] == "ACTIVE"


def test_the_web_client_is_public_and_signs_in_with_a_password_or_srp(
    planned: dict[str, dict[str, Any]],
) -> None:
    """USER_PASSWORD_AUTH for the web UI and launchpad's client, SRP for clients that implement it, refresh;
    no admin or custom flow, no OAuth (the sandbox refuses a flow the client does not enable, as Cognito)."""
    web = planned["prod"]["aws_cognito_user_pool_client.web[0]"]
    assert sorted(web["explicit_auth_flows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert web["generate_secret"] is False
    assert not web.get("allowed_oauth_flows")


def test_the_token_key_is_hmac_and_only_the_function_may_use_it(planned: dict[str, dict[str, Any]]) -> None:
    plan = planned["prod"]
    key = plan["aws_kms_key.token"]
    assert (key["customer_master_key_spec"], key["key_usage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    assert key["enable_key_rotation"] is False
    assert plan["aws_kms_alias.token"]["name"] == "alias/lp-assistant-feedback-token"
    # the key policy names the role, whose ARN exists only after apply: test_inference_api_complete reads it


def test_every_method_is_a_keyed_validated_post_with_its_authorizer(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["prod"]
    methods = {k.split('"')[1]: m for k, m in plan.items() if k.startswith("aws_api_gateway_method.route")}
    shapes = {
        k: (m["http_method"], m["authorization"], m["api_key_required"], m["request_models"])
        for k, m in methods.items()
    }
    assert shapes == {
        "ask": ("POST", "COGNITO_USER_POOLS", True, {"application/json": "AskRequest"}),
        "feedback": ("POST", "COGNITO_USER_POOLS", True, {"application/json": "FeedbackRequest"}),
        "service-ask": ("POST", "AWS_IAM", True, {"application/json": "AskRequest"}),
        "service-feedback": ("POST", "AWS_IAM", True, {"application/json": "FeedbackRequest"}),
    }
    validator = plan["aws_api_gateway_request_validator.body"]
    assert (validator["validate_request_body"], validator["validate_request_parameters"]) == (True, False)
    integrations = [i for k, i in plan.items() if k.startswith("aws_api_gateway_integration.route")]
    assert {(i["type"], i["integration_http_method"], i["timeout_milliseconds"]) for i in integrations} == {
        ("AWS_PROXY", "POST", 21000)
    }
    authorizer = plan["aws_api_gateway_authorizer.users"]
    assert (authorizer["type"], authorizer["identity_source"]) == (
        "COGNITO_USER_POOLS",
        "method.request.header.Authorization",
    )
    assert planned["dev"]["aws_api_gateway_authorizer.users"]["provider_arns"] == [POOL]
    assert not [k for k in plan if "options" in k], "no CORS without an origin"
    models = {
        m["name"]: json.loads(m["schema"]) for k, m in plan.items() if k.startswith("aws_api_gateway_model.")
    }
    assert models["AskRequest"] == {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "AskRequest",
        "type": "object",
        "properties": {"question": {"type": "string", "minLength": 1, "maxLength": 2000}},
        "required": ["question"],
        "additionalProperties": False,
    }
    feedback = models["FeedbackRequest"]
    assert feedback["properties"] == {
        "feedback_token": {"type": "string", "minLength": 1, "maxLength": 2048},
        "helpful": {"type": "boolean"},
        "comment": {"type": "string", "maxLength": 1000},
    }
    assert (feedback["required"], feedback["additionalProperties"]) == (["feedback_token", "helpful"], False)


def test_the_gateways_own_answers_are_the_contracts_messages(planned: dict[str, dict[str, Any]]) -> None:
    responses = _gateway_responses(planned["prod"])
    fixed = {
        t: (r["status_code"], json.loads(r["response_templates"]["application/json"])["message"])
        for t, r in responses.items()
        if not t.startswith("DEFAULT")
    }
    assert fixed == {
        "UNAUTHORIZED": ("401", "Unauthorized"),
        "INVALID_API_KEY": ("403", "Forbidden"),
        "MISSING_AUTHENTICATION_TOKEN": ("403", "Forbidden"),
        "ACCESS_DENIED": ("403", "Forbidden"),
        "THROTTLED": ("429", "Too Many Requests"),
        "QUOTA_EXCEEDED": ("429", "Limit Exceeded"),
        "BAD_REQUEST_BODY": ("400", "Invalid request body"),
        "REQUEST_TOO_LARGE": ("413", "Request too large"),
        "INTEGRATION_FAILURE": ("502", "Internal server error"),
        "INTEGRATION_TIMEOUT": ("504", "Endpoint request timed out"),
    }
    for default in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert responses[default]["response_templates"] == {
            "application/json": '{"message":$context.error.messageString}'
        }
    dev = _gateway_responses(planned["dev"])
    assert dev["WAF_FILTERED"]["status_code"] == "403"
    assert (
        dev["UNAUTHORIZED"]["response_parameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
        == f"'{ORIGIN}'"
    )


def test_the_stage_logs_who_and_how_never_the_body(planned: dict[str, dict[str, Any]]) -> None:
    plan = planned["prod"]
    stage = plan["aws_api_gateway_stage.this"]
    assert (stage["stage_name"], stage["xray_tracing_enabled"]) == ("prod", True)
    [access] = stage["access_log_settings"]
    fields = json.loads(access["format"])
    assert {
        "requestId",
        "ip",
        "caller",
        "httpMethod",
        "resourcePath",
        "status",
        "latency",
        "integrationStatus",
    } <= set(fields)
    assert not [
        v
        for v in fields.values()
        if any(w in v for w in ("$input", "body", "requestOverride", "querystring"))
    ]
    [settings] = plan["aws_api_gateway_method_settings.all"]["settings"]
    assert (settings["data_trace_enabled"], settings["logging_level"], settings["metrics_enabled"]) == (
        False,
        "ERROR",
        True,
    )
    assert (settings["throttling_rate_limit"], settings["throttling_burst_limit"]) == (100, 200)
    group = plan["aws_cloudwatch_log_group.access"]
    assert (group["name"], group["kms_key_id"]) == ("/aws/apigateway/lp-assistant/prod/access", KEY)
    assert "aws_cloudwatch_log_group.execution[0]" in plan
    assert not [k for k in plan if k.startswith(("aws_api_gateway_account", "aws_wafv2"))], "both are opt-in"
    dev = planned["dev"]
    assert "aws_cloudwatch_log_group.execution[0]" not in dev  # execution logging OFF
    assert dev["aws_api_gateway_method_settings.all"]["settings"][0]["logging_level"] == "OFF"
    assert dev["aws_api_gateway_account.this[0]"]["reset_on_delete"] is True
    logs_role = _statements(dev["aws_iam_role_policy.api_gateway_logs[0]"]["policy"])
    assert logs_role["WriteApiGatewayLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{_account(dev)}:log-group:*"
    ]


def test_each_client_has_a_key_and_a_usage_plan_on_the_stage(planned: dict[str, dict[str, Any]]) -> None:
    dev = planned["dev"]
    plans = {k.split('"')[1]: p for k, p in dev.items() if k.startswith("aws_api_gateway_usage_plan.client")}
    assert {k: (p["name"], p["throttle_settings"], p["quota_settings"]) for k, p in plans.items()} == {
        "web": ("lp-dev-web", [{"rate_limit": 20, "burst_limit": 40}], []),
        "batch": ("lp-dev-batch", [{"rate_limit": 1, "burst_limit": 2}], []),
    }
    assert [p["api_stages"][0]["stage"] for p in plans.values()] == ["dev", "dev"]
    keys = {k.split('"')[1]: p for k, p in dev.items() if k.startswith("aws_api_gateway_api_key.client")}
    assert {k: (p["name"], p["enabled"]) for k, p in keys.items()} == {
        "web": ("lp-dev-web", True),
        "batch": ("lp-dev-batch", True),
    }
    assert len([k for k in dev if k.startswith("aws_api_gateway_usage_plan_key.client")]) == 2
    prod = planned["prod"]['aws_api_gateway_usage_plan.client["web"]']
    assert prod["quota_settings"] == [{"limit": 10000, "period": "DAY", "offset": 0}]


def test_waf_and_cors_when_asked(planned: dict[str, dict[str, Any]]) -> None:
    dev = planned["dev"]
    acl = dev["aws_wafv2_web_acl.this[0]"]
    assert acl["scope"] == "REGIONAL"
    names = sorted(r["name"] for r in acl["rule"])
    assert names == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "rate-limit-per-ip",
    ]
    [rate] = [r for r in acl["rule"] if r["name"] == "rate-limit-per-ip"]
    assert rate["statement"][0]["rate_based_statement"][0]["limit"] == 500
    logging = dev["aws_wafv2_web_acl_logging_configuration.this[0]"]
    assert sorted(f["single_header"][0]["name"] for f in logging["redacted_fields"]) == [
        "authorization",
        "x-api-key",
    ]
    assert dev["aws_cloudwatch_log_group.waf[0]"]["name"] == "aws-waf-logs-lp-dev"
    options = {k.split('"')[1]: m for k, m in dev.items() if k.startswith("aws_api_gateway_method.options")}
    assert {(m["http_method"], m["authorization"], m["api_key_required"]) for m in options.values()} == {
        ("OPTIONS", "NONE", False)
    }
    assert len(options) == 4
    assert not [k for k in dev if k.startswith(("aws_cognito_user_pool.", "aws_cognito_user_pool_client."))]


def test_alarms_watch_the_api_the_function_and_the_table(planned: dict[str, dict[str, Any]]) -> None:
    plan = planned["prod"]
    alarms = {a["alarm_name"]: a for k, a in plan.items() if k.startswith("aws_cloudwatch_metric_alarm.")}
    kinds = ["api-4xx", "api-5xx", "api-latency-p99", "function-errors", "function-throttles"]
    kinds += ["function-duration-p99", "function-concurrency", "table-throttles"]
    assert sorted(alarms) == sorted(f"lp-assistant-{k}" for k in kinds)
    assert {a["alarm_actions"][0] for a in alarms.values()} == {BASE["sns_topic_arn"]}
    assert {a["treat_missing_data"] for a in alarms.values()} == {"notBreaching"}
    assert alarms["lp-assistant-api-5xx"]["dimensions"] == {"ApiName": "lp-assistant", "Stage": "prod"}
    assert alarms["lp-assistant-function-duration-p99"]["threshold"] == 16000  # 80% of 20 s
    assert alarms["lp-assistant-function-concurrency"]["threshold"] == 8  # 80% of 10
    table = alarms["lp-assistant-table-throttles"]
    queried = sorted(q["metric"][0]["dimensions"]["Operation"] for q in table["metric_query"] if q["metric"])
    assert queried == ["GetItem", "PutItem"]
    dashboard = json.loads(plan["aws_cloudwatch_dashboard.this[0]"]["dashboard_body"])
    assert len(dashboard["widgets"][0]["properties"]["alarms"]) == 8
