"""The gate and unsigned requests: Cognito user pools' public operations pass, everything else is refused.

AWS serves some Cognito user pools operations without AWS credentials (the service model marks them
``smithy.api#noAuth``; the API reference: "Amazon Cognito doesn't evaluate Identity and Access Management
(IAM) policies in requests for this API operation"): a browser signs a user in with ``InitiateAuth`` and
the user reads their own account with an access token, and Cognito's endpoint answers a browser's CORS
preflight for any origin. The sandbox lets exactly those through unsigned, into the account and region of
the pool they name, and keeps refusing every other unsigned call ("Anonymous access is not modelled").
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox.authz import gate

pytestmark = pytest.mark.sandbox

USER, PASSWORD = "alice@example.org", "Correct-Horse-Battery-9"
TARGET = "AWSCognitoIdentityProviderService."
ANONYMOUS = "Anonymous access is not modelled by the sandbox: sign the request."
ORIGIN = "https://assistant.example.org"


def unsigned(target: AwsTarget, service: str) -> Any:
    """A client that signs nothing, as a browser calling Cognito does."""
    return target.new_client(service, Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def post(target: AwsTarget, operation: str, body: dict[str, Any], **headers: str) -> tuple[int, Any, bytes]:
    """(status, headers, body) of an unsigned JSON-protocol POST, as the web page's fetch sends it."""
    request = urllib.request.Request(
        f"{target.endpoint_url}/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": operation, **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def options(target: AwsTarget, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(f"{target.endpoint_url}{path}", method="OPTIONS", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.fixture
def pool(sandbox_target: AwsTarget) -> dict[str, str]:
    """A user pool of the fresh account with a public client that allows USER_PASSWORD_AUTH, and a confirmed
    user."""
    idp = sandbox_target.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName="web-users")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=USER,
        UserAttributes=[{"Name": "email", "Value": USER}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool_id, Username=USER, Password=PASSWORD, Permanent=True)
    return {"pool_id": pool_id, "client_id": client_id}


def test_the_public_operations_are_those_the_service_model_serves_without_credentials() -> None:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    no_auth = {name for name in model.operation_names if model.operation_model(name).auth_type == "none"}
    assert no_auth == gate.PUBLIC_COGNITO
    assert {"InitiateAuth", "RespondToAuthChallenge", "GetUser", "GlobalSignOut", "RevokeToken"} <= no_auth
    assert not {"AdminInitiateAuth", "AdminCreateUser", "ListUserPools"} & no_auth


# -- what passes ---------------------------------------------------------------------------------------------
def test_an_unsigned_sign_in_reaches_the_pools_account_and_region(
    sandbox_target: AwsTarget, pool: dict[str, str]
) -> None:
    """InitiateAuth names only the client: the sandbox finds its pool's account (the fresh one, not moto's
    default) and region, as Cognito finds the pool by its client."""
    answer = unsigned(sandbox_target, "cognito-idp").initiate_auth(
        ClientId=pool["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": USER, "PASSWORD": PASSWORD},
    )
    tokens = answer["AuthenticationResult"]
    assert tokens["IdToken"] and tokens["AccessToken"]
    user = unsigned(sandbox_target, "cognito-idp").get_user(AccessToken=tokens["AccessToken"])
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email"] == USER
    unsigned(sandbox_target, "cognito-idp").global_sign_out(AccessToken=tokens["AccessToken"])
    with pytest.raises(ClientError) as raised:
        unsigned(sandbox_target, "cognito-idp").get_user(AccessToken=tokens["AccessToken"])
    assert raised.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_wrong_password_or_unknown_client_is_cognitos_answer_not_the_gates(
    sandbox_target: AwsTarget, pool: dict[str, str]
) -> None:
    idp = unsigned(sandbox_target, "cognito-idp")
    with pytest.raises(ClientError) as raised:
        idp.initiate_auth(
            ClientId=pool["client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": USER, "PASSWORD": "wrong-Password-123"},
        )
    assert raised.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as raised:
        idp.initiate_auth(
            ClientId="nosuchclient0000000000000",
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": USER, "PASSWORD": PASSWORD},
        )
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_browsers_preflight_and_sign_in_are_answered_for_any_origin(
    sandbox_target: AwsTarget, pool: dict[str, str]
) -> None:
    status, headers = options(
        sandbox_target,
        "/",
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target",
        },
    )
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "POST"
    assert {h.strip() for h in headers["Access-Control-Allow-Headers"].lower().split(",")} >= {
        "content-type",
        "x-amz-target",
    }
    status, headers, body = post(
        sandbox_target,
        TARGET + "InitiateAuth",
        {
            "ClientId": pool["client_id"],
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": USER, "PASSWORD": PASSWORD},
        },
        Origin=ORIGIN,
    )
    assert status == 200, body
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body)["AuthenticationResult"]["IdToken"]
    status, headers, body = post(
        sandbox_target, TARGET + "InitiateAuth", {"ClientId": pool["client_id"]}, Origin=ORIGIN
    )
    assert status == 400 and headers["Access-Control-Allow-Origin"] == "*"  # the page reads the error too


# -- what is still refused -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("AdminInitiateAuth", {"AuthFlow": "ADMIN_USER_PASSWORD_AUTH"}),
        ("AdminCreateUser", {"Username": "mallory@example.org"}),
        ("ListUserPools", {"MaxResults": 10}),
        ("CreateUserPool", {"PoolName": "anonymous"}),
        ("NoSuchOperation", {}),
    ],
)
def test_unsigned_administrative_cognito_calls_are_refused(
    sandbox_target: AwsTarget, pool: dict[str, str], operation: str, body: dict[str, Any]
) -> None:
    status, headers, answer = post(
        sandbox_target, TARGET + operation, {"UserPoolId": pool["pool_id"], **body}, Origin=ORIGIN
    )
    assert (status, ANONYMOUS.encode() in answer) == (403, True), answer
    assert "Access-Control-Allow-Origin" not in headers
    idp = sandbox_target.client("cognito-idp")
    assert [p["Id"] for p in idp.list_user_pools(MaxResults=10)["UserPools"]] == [pool["pool_id"]]
    assert [u["Username"] for u in idp.list_users(UserPoolId=pool["pool_id"])["Users"]] == [USER]


def test_other_unsigned_calls_are_refused(sandbox_target: AwsTarget) -> None:
    calls: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("sts", lambda c: c.get_caller_identity()),
        ("dynamodb", lambda c: c.list_tables()),
        (
            "cognito-identity",
            lambda c: c.get_id(IdentityPoolId="eu-west-1:00000000-0000-0000-0000-000000000000"),
        ),
    )
    for service, call in calls:
        with pytest.raises(ClientError) as raised:
            call(unsigned(sandbox_target, service))
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, service
        assert ANONYMOUS in str(raised.value), service
    # a public operation's name under another service's target is not Cognito's
    status, _, answer = post(sandbox_target, "DynamoDB_20120810.InitiateAuth", {})
    assert status == 403 and ANONYMOUS.encode() in answer


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (
            "/",
            {
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-amz-target",
            },
        ),
        (
            "/",
            {
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        ),
        ("/", {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target"}),
        (
            "/some-bucket/key",
            {
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-amz-target",
            },
        ),
    ],
    ids=["not-post", "no-target-header", "no-origin", "not-the-root"],
)
def test_other_preflights_are_refused(sandbox_target: AwsTarget, path: str, headers: dict[str, str]) -> None:
    status, answered = options(sandbox_target, path, headers)
    assert status == 403
    assert "Access-Control-Allow-Origin" not in answered
