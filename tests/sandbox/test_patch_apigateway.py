"""REST API stages in the sandbox answer as API Gateway does: the deployment's routes, IAM and Cognito
authorization, API keys, throttling and quotas, request validation, the Lambda proxy integration run
through the sandbox's Lambda, gateway responses, access logs and metrics; each refusal leaves the function
unrun."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

from launchpad.aws import SANDBOX_SECRET, AwsTarget
from launchpad.sandbox import workloads
from launchpad.sandbox.patches import apigateway_auth as auth
from tests.sandbox.support import service_role
from tests.sandbox.test_patch_lambda import create_function, execution_role, log_messages, package

pytestmark = pytest.mark.sandbox

# Answers with the proxy event it got (and prints it), or misbehaves on the paths named for it.
HANDLER = """import base64, json, time

def handler(event, context):
    print("EVENT " + json.dumps(event))
    path = event["path"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/slow":
        time.sleep(2)
    if path == "/malformed":
        return {"statusCode": 200, "body": {"not": "a string"}}
    if path == "/binary":
        return {"statusCode": 201, "headers": {"X-One": "1"}, "multiValueHeaders": {"X-Many": ["a", "b"]},
                "body": base64.b64encode(b"\\x00\\x01").decode(), "isBase64Encoded": True}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
"""
ASK_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "properties": {"question": {"type": "string", "minLength": 1, "maxLength": 2000}},
    "required": ["question"],
    "additionalProperties": False,
}
LOG_FORMAT = (
    "$context.requestId $context.httpMethod $context.resourcePath $context.status $context.error.message"
)
PASSWORD = "Correct-Horse-9"


@dataclass
class Api:
    target: AwsTarget
    api_id: str
    function: str
    slow_function: str
    pool_id: str
    client_id: str
    keys: dict[str, str]  # name -> value
    log_group: str

    def url(self, path: str, stage: str = "dev") -> str:
        return f"{self.target.endpoint_url}/restapis/{self.api_id}/{stage}/_user_request_{path}"

    def arn(self, method: str, path: str, stage: str = "dev") -> str:
        prefix = f"arn:aws:execute-api:{self.target.region}:{self.target.account_id}:{self.api_id}"
        return f"{prefix}/{stage}/{method}{path}"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def _headers(message: Any) -> dict[str, str]:
    """Response headers by lower-cased name, repeated ones joined with ", "."""
    return {name.lower(): ", ".join(message.get_all(name)) for name in set(message.keys())}


def call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return Reply(answer.status, _headers(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, _headers(error.headers), error.read())


def signed(
    url: str,
    credentials: Credentials,
    region: str,
    method: str = "POST",
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
) -> Reply:
    request = AWSRequest(method, url, {"Content-Type": "application/json", **(headers or {})}, body)
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return call(url, method, body, dict(request.headers.items()))


def runs(api: Api, function: str | None = None) -> int:
    """How many times the function has run so far (the events it printed)."""
    return sum(m.startswith("EVENT ") for m in log_messages(api.target, function or api.function))


def event_of(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    return dict(reply.json)


# -- the API, built once -------------------------------------------------------------------------------------
def _method(client: Any, api_id: str, parent: str, part: str, **method: Any) -> str:
    resource = (
        client.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"] if part else parent
    )
    http_method = method.pop("httpMethod", "GET")
    integration = method.pop("integration")
    params = {"authorizationType": "NONE", **method}
    client.put_method(restApiId=api_id, resourceId=resource, httpMethod=http_method, **params)
    client.put_integration(restApiId=api_id, resourceId=resource, httpMethod=http_method, **integration)
    return str(resource)


def resource_id(client: Any, api_id: str, path: str) -> str:
    return str(next(r["id"] for r in client.get_resources(restApiId=api_id)["items"] if r["path"] == path))


def _lambda(target: AwsTarget, arn: str, **extra: Any) -> dict[str, Any]:
    uri = f"arn:aws:apigateway:{target.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": uri, **extra}


def _cognito(target: AwsTarget) -> tuple[str, str, str]:
    idp = target.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="people")["UserPool"]
    flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web", ExplicitAuthFlows=flows)[
        "UserPoolClient"
    ]
    idp.admin_create_user(UserPoolId=pool["Id"], Username="ada", TemporaryPassword=PASSWORD)
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username="ada", Password=PASSWORD, Permanent=True)
    return pool["Id"], pool["Arn"], client["ClientId"]


def _keys(target: AwsTarget, client: Any, api_id: str) -> dict[str, str]:
    plans = {
        "main": {},
        "throttled": {"throttle": {"rateLimit": 0.001, "burstLimit": 1}},
        "quota": {"quota": {"limit": 1, "period": "DAY"}},
    }
    keys = {}
    for name, limits in plans.items():
        plan = client.create_usage_plan(name=name, apiStages=[{"apiId": api_id, "stage": "dev"}], **limits)
        key = client.create_api_key(name=name, enabled=True, value=f"{name}-key-{api_id}-0123456789")
        client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        keys[name] = key["value"]
    disabled = client.create_api_key(name="off", enabled=False, value=f"off-key-{api_id}-0123456789")
    plan = client.create_usage_plan(name="off", apiStages=[{"apiId": api_id, "stage": "dev"}])
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=disabled["id"], keyType="API_KEY")
    keys["off"] = disabled["value"]
    stray = client.create_api_key(name="stray", enabled=True, value=f"stray-key-{api_id}-0123456789")
    keys["stray"] = stray["value"]  # in no usage plan
    return keys


def _access_logs(target: AwsTarget, client: Any, api_id: str) -> str:
    group = f"/apigateway/{api_id}"
    target.client("logs").create_log_group(logGroupName=group)
    writes = {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}
    role = service_role(target, "apigateway-logs", "apigateway.amazonaws.com", [writes])
    client.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    arn = f"arn:aws:logs:{target.region}:{target.account_id}:log-group:{group}"
    client.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
            {"op": "replace", "path": "/accessLogSettings/format", "value": LOG_FORMAT},
        ],
    )
    return group


@pytest.fixture(scope="module")
def api(sandbox_url: str) -> Api:
    target = AwsTarget.sandbox(sandbox_url)
    role = execution_role(target)
    code = package(**{"app.py": HANDLER})
    function = create_function(target, "api-handler", code, role)
    slow = create_function(target, "api-slow", code, role, Timeout=5)
    other = create_function(target, "api-unpermitted", code, role)
    client = target.client("apigateway")
    api_id = client.create_rest_api(name="assistant")["id"]
    for name in (function, slow):
        target.client("lambda").add_permission(
            FunctionName=name,
            StatementId="apigateway",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{target.region}:{target.account_id}:{api_id}/*",
        )
    target.client("lambda").add_permission(  # for another API: not this one
        FunctionName=other,
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{target.region}:{target.account_id}:otherapi/*",
    )
    pool_id, pool_arn, client_id = _cognito(target)
    authorizer = client.create_authorizer(
        restApiId=api_id,
        name="people",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool_arn],
        identitySource="method.request.header.Authorization",
    )["id"]
    client.create_model(
        restApiId=api_id, name="AskRequest", contentType="application/json", schema=json.dumps(ASK_SCHEMA)
    )
    validator = client.create_request_validator(
        restApiId=api_id, name="all", validateRequestBody=True, validateRequestParameters=True
    )["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    fn = _lambda(target, function)
    _method(client, api_id, root, "open", integration=fn)
    items = client.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    _method(client, api_id, items, "{id}", integration=fn)
    files = client.create_resource(restApiId=api_id, parentId=root, pathPart="files")["id"]
    _method(client, api_id, files, "{proxy+}", httpMethod="ANY", integration=fn)
    for part in ("boom", "malformed", "binary"):
        _method(client, api_id, root, part, integration=fn)
    _method(client, api_id, root, "slow", integration=_lambda(target, slow, timeoutInMillis=300))
    _method(client, api_id, root, "unpermitted", integration=_lambda(target, other))
    _method(client, api_id, root, "metered", apiKeyRequired=True, integration=fn)
    _method(
        client,
        api_id,
        root,
        "ask",
        httpMethod="POST",
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
        apiKeyRequired=True,
        requestValidatorId=validator,
        requestModels={"application/json": "AskRequest"},
        integration=fn,
    )
    service = client.create_resource(restApiId=api_id, parentId=root, pathPart="service")["id"]
    _method(client, api_id, service, "ask", httpMethod="POST", authorizationType="AWS_IAM", integration=fn)
    _method(
        client,
        api_id,
        root,
        "search",
        requestValidatorId=validator,
        requestParameters={"method.request.querystring.q": True, "method.request.header.x-client": False},
        integration=fn,
    )
    _method(
        client,
        api_id,
        root,
        "mock",
        integration={"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
    )
    mock_resource = resource_id(client, api_id, "/mock")
    client.put_method_response(restApiId=api_id, resourceId=mock_resource, httpMethod="GET", statusCode="200")
    client.put_integration_response(
        restApiId=api_id,
        resourceId=mock_resource,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"mocked": true}'},
        responseParameters={"method.response.header.X-Mock": "'yes'"},
    )
    _method(
        client,
        api_id,
        root,
        "http",
        integration={"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "https://example.com"},
    )
    client.put_gateway_response(
        restApiId=api_id,
        responseType="UNAUTHORIZED",
        statusCode="401",
        responseParameters={"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
        responseTemplates={
            "application/json": '{"error":$context.error.messageString,"type":"$context.error.responseType"}'
        },
    )
    client.put_gateway_response(
        restApiId=api_id,
        responseType="DEFAULT_4XX",
        responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
    )
    client.create_deployment(restApiId=api_id, stageName="dev", variables={"env": "dev"})
    keys = _keys(target, client, api_id)
    log_group = _access_logs(target, client, api_id)
    return Api(target, api_id, function, slow, pool_id, client_id, keys, log_group)


def id_token(api: Api) -> str:
    answer = api.target.client("cognito-idp").admin_initiate_auth(
        UserPoolId=api.pool_id,
        ClientId=api.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def moto_signed(claims: dict[str, Any]) -> str:
    """A token signed with the user pools' key (moto's), with ``claims``."""
    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key)


def ask(
    api: Api, token: str | None, body: bytes = b'{"question": "What is sepsis?"}', key: str = "main"
) -> Reply:
    headers = {"Content-Type": "application/json", "x-api-key": api.keys[key]}
    if token is not None:
        headers["Authorization"] = token
    return call(api.url("/ask"), "POST", body, headers)


# -- routing and the proxy event -----------------------------------------------------------------------------
def test_a_path_parameter_route_hands_the_function_the_proxy_event(api: Api) -> None:
    """GET /items/{id}: the v1.0 proxy event, with the path, query, headers, stage variables and context."""
    reply = call(api.url("/items/42?x=1&x=2"), headers={"X-Trace": "t-1"})
    event = event_of(reply)
    assert reply.headers["content-type"] == "application/json" and reply.headers["x-amzn-requestid"]
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/42"
    assert event["httpMethod"] == "GET" and event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["headers"]["X-Trace"] == "t-1" and event["multiValueHeaders"]["X-Trace"] == ["t-1"]
    assert (
        event["stageVariables"] == {"env": "dev"} and event["body"] is None and not event["isBase64Encoded"]
    )
    context = event["requestContext"]
    assert context["stage"] == "dev" and context["apiId"] == api.api_id
    assert context["accountId"] == api.target.account_id and context["resourcePath"] == "/items/{id}"
    assert context["requestId"] == reply.headers["x-amzn-requestid"] and context["path"] == "/dev/items/42"
    assert context["identity"]["sourceIp"] == "127.0.0.1" and "authorizer" not in context


def test_a_greedy_proxy_resource_takes_any_method_and_the_rest_of_the_path(api: Api) -> None:
    event = event_of(call(api.url("/files/a/b/c.txt"), "DELETE"))
    assert event["resource"] == "/files/{proxy+}" and event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert event["httpMethod"] == "DELETE"
    assert call(api.url("/files"), "GET").status == 403  # {proxy+} needs one segment at least


def test_no_resource_or_no_method_is_missing_authentication_token(api: Api) -> None:
    """AWS answers a path or method the deployment lacks with 403 Missing Authentication Token (here with the
    API's DEFAULT_4XX header), and nothing runs."""
    before = runs(api)
    for reply in (call(api.url("/nowhere")), call(api.url("/open"), "POST", b"{}")):
        assert reply.status == 403 and reply.json == {"message": "Missing Authentication Token"}
        assert reply.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
        assert reply.headers["access-control-allow-origin"] == "*"
    assert runs(api) == before


def test_an_unknown_api_or_stage_is_forbidden(api: Api) -> None:
    for url in (api.url("/open", stage="prod"), api.url("/open").replace(api.api_id, "nosuchapi")):
        reply = call(url)
        assert (reply.status, reply.json) == (403, {"message": "Forbidden"})
        assert reply.headers["x-amzn-errortype"] == "ForbiddenException"


def test_a_stage_serves_its_deployment_not_later_changes(api: Api) -> None:
    """A method added after the deployment is not on the stage until a deployment holds it."""
    client = api.target.client("apigateway")
    root = resource_id(client, api.api_id, "/")
    _method(client, api.api_id, root, "later", integration=_lambda(api.target, api.function))
    assert call(api.url("/later")).status == 403
    client.create_deployment(restApiId=api.api_id, stageName="v2")
    assert event_of(call(api.url("/later", stage="v2")))["resource"] == "/later"
    assert call(api.url("/later")).status == 403  # dev still serves its own deployment


# -- integration outcomes ------------------------------------------------------------------------------------
def test_the_proxy_response_is_mapped_with_binary_bodies_and_multi_value_headers(api: Api) -> None:
    reply = call(api.url("/binary"))
    assert reply.status == 201 and reply.body == b"\x00\x01"
    assert reply.headers["x-one"] == "1" and reply.headers["x-many"] == "a, b"


def test_a_function_error_or_a_malformed_response_is_502(api: Api) -> None:
    for path in ("/boom", "/malformed"):
        reply = call(api.url(path))
        assert (reply.status, reply.json) == (502, {"message": "Internal server error"}), path


def test_a_function_slower_than_the_integration_timeout_is_504(api: Api) -> None:
    started = time.monotonic()
    reply = call(api.url("/slow"))
    assert (reply.status, reply.json) == (504, {"message": "Endpoint request timed out"})
    assert time.monotonic() - started < 1.8  # answered at the 300 ms timeout, not when the function ended


def test_api_gateway_needs_the_functions_permission(api: Api) -> None:
    """A function whose resource policy allows API Gateway only for another API is not invoked: 500."""
    reply = call(api.url("/unpermitted"))
    assert (reply.status, reply.json) == (500, {"message": "Internal server error"})
    assert runs(api, "api-unpermitted") == 0


def test_a_mock_integration_answers_its_template(api: Api) -> None:
    reply = call(api.url("/mock"))
    assert (reply.status, reply.json, reply.headers["x-mock"]) == (200, {"mocked": True}, "yes")


def test_an_http_integration_is_refused_loudly(api: Api) -> None:
    reply = call(api.url("/http"))
    assert reply.status == 501 and "HTTP_PROXY integrations are not modelled" in reply.json["message"]


def test_a_payload_over_10_mb_is_413(api: Api) -> None:
    before = runs(api)
    reply = call(api.url("/open"), "GET", b"x" * (10 * 1024 * 1024 + 1))
    assert reply.status == 413 and reply.json == {"message": "Request Too Long"}
    assert runs(api) == before


# -- Cognito -------------------------------------------------------------------------------------------------
def test_a_valid_id_token_reaches_the_function_with_its_claims(api: Api) -> None:
    event = event_of(ask(api, id_token(api)))
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:username"] == "ada" and claims["aud"] == api.client_id
    assert claims["token_use"] == "id" and isinstance(claims["exp"], str)
    assert event["requestContext"]["identity"]["apiKey"] == api.keys["main"]
    assert json.loads(event["body"]) == {"question": "What is sepsis?"}


def test_a_missing_forged_expired_or_foreign_token_is_401(api: Api) -> None:
    """401 Unauthorized, with the API's customised UNAUTHORIZED response; nothing runs."""
    token = id_token(api)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone-else"}).encode()).decode()
    past = int((datetime.now(UTC) - timedelta(hours=2)).timestamp())
    before = runs(api)
    for bad in (
        None,
        f"{header}.{forged_payload.rstrip('=')}.{signature}",
        moto_signed({**claims, "exp": past}),
        moto_signed({**claims, "iss": f"https://cognito-idp.{api.target.region}.amazonaws.com/other_pool"}),
        moto_signed({**claims, "aud": "not-a-client"}),
        moto_signed({**claims, "token_use": "access"}),
    ):
        reply = ask(api, bad)
        assert reply.status == 401, bad
        assert reply.json == {"error": "Unauthorized", "type": "UNAUTHORIZED"}
        assert reply.headers["www-authenticate"] == "Bearer"
        assert reply.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert runs(api) == before


# -- API keys, throttling, quotas ----------------------------------------------------------------------------
def test_a_method_that_requires_a_key_refuses_a_missing_disabled_or_planless_one(api: Api) -> None:
    before = runs(api)
    for headers in (
        {},
        {"x-api-key": "nonsense"},
        {"x-api-key": api.keys["off"]},
        {"x-api-key": api.keys["stray"]},
    ):
        reply = call(api.url("/metered"), headers=headers)
        assert (reply.status, reply.json) == (403, {"message": "Forbidden"}), headers
        assert reply.headers["x-amzn-errortype"] == "ForbiddenException"
    assert runs(api) == before
    assert event_of(call(api.url("/metered"), headers={"x-api-key": api.keys["main"]}))["requestContext"][
        "identity"
    ]["apiKeyId"]


def test_a_usage_plan_throttles_past_its_burst(api: Api) -> None:
    headers = {"x-api-key": api.keys["throttled"]}
    assert call(api.url("/metered"), headers=headers).status == 200
    before = runs(api)
    reply = call(api.url("/metered"), headers=headers)
    assert (reply.status, reply.json) == (429, {"message": "Too Many Requests"})
    assert reply.headers["x-amzn-errortype"] == "TooManyRequestsException"
    assert runs(api) == before


def test_a_usage_plan_quota_is_limit_exceeded(api: Api) -> None:
    headers = {"x-api-key": api.keys["quota"]}
    assert call(api.url("/metered"), headers=headers).status == 200
    reply = call(api.url("/metered"), headers=headers)
    assert (reply.status, reply.json) == (429, {"message": "Limit Exceeded"})
    assert reply.headers["x-amzn-errortype"] == "LimitExceededException"


def test_token_buckets_refill_at_their_rate_and_the_lower_limit_wins() -> None:
    """In-process, with an injected clock: burst first, then the rate; the stage's method setting and the
    plan's throttle are separate buckets, so the lower of the two limits a key."""
    now = [0.0]
    limits = auth.Limits(clock=lambda: now[0])
    assert [limits.take(("b",), 2.0, 2.0) for _ in range(3)] == [True, True, False]
    now[0] = 0.5
    assert [limits.take(("b",), 2.0, 2.0) for _ in range(2)] == [True, False]

    @dataclass
    class Plan:
        id: str = "p"
        throttle: dict[str, Any] | None = None
        quota: dict[str, Any] | None = None
        api_stages: tuple[dict[str, Any], ...] = ()

    @dataclass
    class Key:
        id: str = "k"

    plan = Plan(throttle={"rateLimit": 100, "burstLimit": 100}, quota={"limit": 2, "period": "DAY"})
    settings = {"~1ask/POST": {"throttlingRateLimit": 1.0, "throttlingBurstLimit": 1}}
    metered = auth.Metered("api", "dev", "/ask", "POST", settings, plan, Key())
    auth.meter(metered, limits)
    with pytest.raises(auth.GatewayError) as raised:
        auth.meter(metered, limits)
    assert raised.value.response_type == "THROTTLED"
    now[0] = 10.0
    auth.meter(metered, limits)
    now[0] = 20.0
    with pytest.raises(auth.GatewayError) as raised:
        auth.meter(metered, limits)
    assert raised.value.response_type == "QUOTA_EXCEEDED"


# -- request validation --------------------------------------------------------------------------------------
def test_a_body_that_does_not_match_the_model_is_invalid(api: Api) -> None:
    token, before = id_token(api), runs(api)
    for body in (b'{"question": ""}', b'{"question": "x", "extra": 1}', b"not json", b"{}"):
        reply = ask(api, token, body)
        assert (reply.status, reply.json) == (400, {"message": "Invalid request body"}), body
        assert reply.headers["x-amzn-errortype"] == "BadRequestException"
    assert runs(api) == before


def test_a_missing_required_parameter_is_refused(api: Api) -> None:
    reply = call(api.url("/search"))
    assert (reply.status, reply.json) == (400, {"message": "Missing required request parameters: [q]"})
    assert event_of(call(api.url("/search?q=fever")))["queryStringParameters"] == {"q": "fever"}


# -- AWS_IAM -------------------------------------------------------------------------------------------------
def test_iam_signed_calls_need_a_valid_signature_and_execute_api_invoke(api: Api) -> None:
    region, url = api.target.region, api.url("/service/ask")
    before = runs(api)
    unsigned = call(url, "POST", b"{}")
    assert (unsigned.status, unsigned.json) == (403, {"message": "Missing Authentication Token"})
    wrong = signed(url, Credentials(str(api.target.account_id), "not-the-secret"), region)
    assert wrong.status == 403 and wrong.headers["x-amzn-errortype"] == "InvalidSignatureException"
    unknown = signed(url, Credentials("AKIAUNKNOWNKEY000000", "x"), region)
    assert unknown.json == {"message": "The security token included in the request is invalid."}
    role = service_role(api.target, "api-caller", "codebuild.amazonaws.com")
    session = workloads.service_session(api.target, role, "codebuild.amazonaws.com")
    assert session.credentials is not None
    creds = Credentials(
        session.credentials.access_key, session.credentials.secret_key, session.credentials.token
    )
    denied = signed(url, creds, region)
    resource = api.arn("POST", "/service/ask")
    assert denied.status == 403 and denied.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert denied.json["message"].startswith("User: arn:aws:sts::")
    assert denied.json["message"].endswith(
        f"is not authorized to perform: execute-api:Invoke on resource: {resource}"
    )
    assert runs(api) == before
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": api.arn("POST", "/service/*")}
    service_role(api.target, "api-caller", "codebuild.amazonaws.com", [allow])
    identity = event_of(signed(url, creds, region))["requestContext"]["identity"]
    assert identity["userArn"].startswith(f"arn:aws:sts::{api.target.account_id}:assumed-role/api-caller/")
    assert identity["accessKey"] == creds.access_key
    admin = signed(url, Credentials(str(api.target.account_id), SANDBOX_SECRET), region)
    assert event_of(admin)["requestContext"]["identity"]["accountId"] == api.target.account_id


# -- logs and metrics ----------------------------------------------------------------------------------------
def test_each_request_leaves_an_access_log_line_and_metrics(api: Api) -> None:
    ok = call(api.url("/open"))
    missing = call(api.url("/nowhere"))
    lines = [
        e["message"]
        for e in api.target.client("logs").filter_log_events(logGroupName=api.log_group)["events"]
    ]
    assert f"{ok.headers['x-amzn-requestid']} GET /open 200 -" in lines
    assert f"{missing.headers['x-amzn-requestid']} GET - 403 Missing Authentication Token" in lines
    cloudwatch = api.target.client("cloudwatch")
    now = datetime.now(UTC)

    def total(metric: str, stage: bool) -> float:
        dimensions = [{"Name": "ApiName", "Value": "assistant"}]
        if stage:
            dimensions.append({"Name": "Stage", "Value": "dev"})
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/ApiGateway",
            MetricName=metric,
            Dimensions=dimensions,
            StartTime=now - timedelta(hours=1),
            EndTime=now + timedelta(minutes=5),
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        return float(sum(p["Sum"] for p in points))

    assert total("Count", stage=True) >= 2 and total("4XXError", stage=False) >= 1
    assert total("IntegrationLatency", stage=True) > 0
