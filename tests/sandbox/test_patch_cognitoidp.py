"""The Cognito patch: InitiateAuth and AdminInitiateAuth sign in only through the flows the app client's
ExplicitAuthFlows enable (the default: SRP, custom and refresh, no password flow), refusing the others with
Cognito's InvalidParameterException and no tokens; SRP, which the sandbox cannot verify, is refused (501)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from tests.sandbox.support import client_error

pytestmark = pytest.mark.sandbox

USER = "ada"
PASSWORD = "Correct-Horse-9-battery"
PASSWORD_FLOW_OFF = ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
FLOW_OFF = ("InvalidParameterException", "Auth flow not enabled for this client")
WEB_CLIENT_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]


class Pool:
    """A user pool with one confirmed user (a permanent password), and its app clients."""

    def __init__(self, target: AwsTarget) -> None:
        self.target = target
        self.idp = signed_client(target)
        self.id = self.idp.create_user_pool(PoolName="people")["UserPool"]["Id"]
        self.idp.admin_create_user(UserPoolId=self.id, Username=USER, TemporaryPassword=PASSWORD)
        self.idp.admin_set_user_password(UserPoolId=self.id, Username=USER, Password=PASSWORD, Permanent=True)

    def client(self, flows: list[str] | None = None) -> str:
        extra: dict[str, Any] = {} if flows is None else {"ExplicitAuthFlows": flows}
        answer = self.idp.create_user_pool_client(UserPoolId=self.id, ClientName="app", **extra)
        return str(answer["UserPoolClient"]["ClientId"])

    def password(self, client_id: str, password: str = PASSWORD) -> dict[str, Any]:
        return dict(
            self.idp.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": USER, "PASSWORD": password},
            )
        )

    def admin_password(self, client_id: str, flow: str = "ADMIN_USER_PASSWORD_AUTH") -> dict[str, Any]:
        return dict(
            self.idp.admin_initiate_auth(
                UserPoolId=self.id,
                ClientId=client_id,
                AuthFlow=flow,
                AuthParameters={"USERNAME": USER, "PASSWORD": PASSWORD},
            )
        )

    def refresh(self, client_id: str, token: str, admin: bool = False) -> dict[str, Any]:
        parameters = {"REFRESH_TOKEN": token}
        if admin:
            return dict(
                self.idp.admin_initiate_auth(
                    UserPoolId=self.id,
                    ClientId=client_id,
                    AuthFlow="REFRESH_TOKEN_AUTH",
                    AuthParameters=parameters,
                )
            )
        return dict(
            self.idp.initiate_auth(
                ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=parameters
            )
        )

    def srp(self, client_id: str) -> dict[str, Any]:
        return dict(
            self.idp.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_SRP_AUTH",
                AuthParameters={"USERNAME": USER, "SRP_A": "a1b2c3"},
            )
        )


def signed_client(target: AwsTarget) -> Any:
    """A cognito-idp client that signs every call. botocore sends the public operations (InitiateAuth,
    RespondToAuthChallenge) unsigned, as Cognito takes them; the sandbox refuses unsigned calls."""
    client = target.new_client("cognito-idp")
    client.meta.events.register_first("choose-signer.cognito-identity-provider.*", lambda **_: "v4")
    return client


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[tuple[str, str], int]:
    """The (code, message) and HTTP status a call is refused with; it fails the test if the call succeeds."""
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return client_error(raised), raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def tokens(answer: dict[str, Any]) -> dict[str, Any]:
    result = answer["AuthenticationResult"]
    assert {"IdToken", "AccessToken"} <= set(result)
    return dict(result)


@pytest.fixture
def pool(sandbox_target: AwsTarget) -> Pool:
    return Pool(sandbox_target)


# -- InitiateAuth USER_PASSWORD_AUTH ------------------------------------------------------------------------
def test_password_sign_in_works_where_the_client_allows_it(pool: Pool) -> None:
    client = pool.client(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    result = tokens(pool.password(client))
    assert result["RefreshToken"]


def test_password_sign_in_is_refused_where_the_client_does_not_allow_it(pool: Pool) -> None:
    client = pool.client(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    assert refused(pool.password, client) == (PASSWORD_FLOW_OFF, 400)


def test_a_client_without_explicit_flows_allows_no_password_flow(pool: Pool) -> None:
    """AWS's default is ALLOW_USER_SRP_AUTH, ALLOW_CUSTOM_AUTH, ALLOW_REFRESH_TOKEN_AUTH."""
    client = pool.client()
    assert refused(pool.password, client) == (PASSWORD_FLOW_OFF, 400)
    assert refused(pool.admin_password, client) == (FLOW_OFF, 400)


def test_an_allowed_flow_still_checks_the_password(pool: Pool) -> None:
    client = pool.client(["ALLOW_USER_PASSWORD_AUTH"])
    (code, _), status = refused(pool.password, client, "wrong-Password-1")
    assert (code, status) == ("NotAuthorizedException", 400)


def test_the_clients_current_flows_count(pool: Pool) -> None:
    client = pool.client(["ALLOW_USER_SRP_AUTH"])
    assert refused(pool.password, client) == (PASSWORD_FLOW_OFF, 400)
    pool.idp.update_user_pool_client(
        UserPoolId=pool.id, ClientId=client, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )
    tokens(pool.password(client))
    pool.idp.update_user_pool_client(
        UserPoolId=pool.id, ClientId=client, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
    )
    assert refused(pool.password, client) == (PASSWORD_FLOW_OFF, 400)


def test_the_web_clients_flows_let_launchpads_client_sign_in(pool: Pool) -> None:
    """modules/inference-api's web client: the web UI and ``launchpad.assistant.client`` sign in with
    USER_PASSWORD_AUTH."""
    client = pool.client(WEB_CLIENT_FLOWS)
    assert tokens(pool.password(client))["IdToken"].count(".") == 2  # a JWT
    assert refused(pool.admin_password, client) == (FLOW_OFF, 400)


# -- AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH -------------------------------------------------------------
def test_admin_password_sign_in_works_where_the_client_allows_it(pool: Pool) -> None:
    client = pool.client(["ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    tokens(pool.admin_password(client))


def test_admin_password_sign_in_is_refused_where_the_client_does_not_allow_it(pool: Pool) -> None:
    client = pool.client(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    assert refused(pool.admin_password, client) == (FLOW_OFF, 400)
    assert refused(pool.admin_password, client, "ADMIN_NO_SRP_AUTH") == (FLOW_OFF, 400)


def test_the_admin_flow_does_not_open_the_user_flow(pool: Pool) -> None:
    client = pool.client(["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    assert refused(pool.password, client) == (PASSWORD_FLOW_OFF, 400)


# -- REFRESH_TOKEN_AUTH ---------------------------------------------------------------------------------
def test_refresh_works_where_the_client_allows_it(pool: Pool) -> None:
    client = pool.client(
        ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )
    token = tokens(pool.password(client))["RefreshToken"]
    tokens(pool.refresh(client, token))
    tokens(pool.refresh(client, token, admin=True))


def test_refresh_is_refused_where_the_client_does_not_allow_it(pool: Pool) -> None:
    client = pool.client(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    token = tokens(pool.password(client))["RefreshToken"]
    assert refused(pool.refresh, client, token) == (FLOW_OFF, 400)
    assert refused(pool.refresh, client, token, admin=True) == (FLOW_OFF, 400)


# -- the legacy names -----------------------------------------------------------------------------------
def test_legacy_user_password_auth_allows_the_user_flow_only(pool: Pool) -> None:
    client = pool.client(["USER_PASSWORD_AUTH"])
    tokens(pool.password(client))
    assert refused(pool.admin_password, client) == (FLOW_OFF, 400)


def test_legacy_admin_no_srp_auth_allows_the_admin_flows_only(pool: Pool) -> None:
    client = pool.client(["ADMIN_NO_SRP_AUTH"])
    tokens(pool.admin_password(client))
    tokens(pool.admin_password(client, "ADMIN_NO_SRP_AUTH"))
    assert refused(pool.password, client) == (PASSWORD_FLOW_OFF, 400)


def test_legacy_custom_auth_flow_only_allows_no_password_flow(pool: Pool) -> None:
    client = pool.client(["CUSTOM_AUTH_FLOW_ONLY"])
    assert refused(pool.password, client) == (PASSWORD_FLOW_OFF, 400)
    assert refused(pool.admin_password, client) == (FLOW_OFF, 400)


# -- SRP: not modelled, refused rather than accepting any password --------------------------------------
def test_srp_is_refused_as_not_modelled_where_the_client_allows_it(pool: Pool) -> None:
    for client in (pool.client(), pool.client(WEB_CLIENT_FLOWS)):
        (code, message), status = refused(pool.srp, client)
        assert (code, status) == ("NotImplemented", 501)
        assert message.startswith("launchpad sandbox: USER_SRP_AUTH is not modelled")


def test_srp_where_the_client_does_not_allow_it_is_refused_as_aws_does(pool: Pool) -> None:
    client = pool.client(["ALLOW_USER_PASSWORD_AUTH"])
    assert refused(pool.srp, client) == (FLOW_OFF, 400)


def test_a_password_verifier_answer_is_refused_not_accepted(pool: Pool) -> None:
    """Stock moto signs anyone in with any PASSWORD_CLAIM_SIGNATURE; the sandbox refuses the challenge."""
    client = pool.client(WEB_CLIENT_FLOWS)
    responses = {
        "USERNAME": USER,
        "PASSWORD_CLAIM_SIGNATURE": "anything",
        "PASSWORD_CLAIM_SECRET_BLOCK": "anything",
        "TIMESTAMP": "Mon Jan 1 00:00:00 UTC 2024",
    }
    public = pool.idp.respond_to_auth_challenge
    admin = pool.idp.admin_respond_to_auth_challenge
    for (code, message), status in (
        refused(public, ClientId=client, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses),
        refused(
            admin,
            UserPoolId=pool.id,
            ClientId=client,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=responses,
        ),
    ):
        assert (code, status) == ("NotImplemented", 501)
        assert message.startswith("launchpad sandbox: the PASSWORD_VERIFIER challenge")


def test_custom_auth_is_refused_as_not_modelled(pool: Pool) -> None:
    client = pool.client()
    (code, message), status = refused(
        pool.idp.initiate_auth, ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": USER}
    )
    assert (code, status) == ("NotImplemented", 501)
    assert "CUSTOM_AUTH is not modelled" in message
    assert refused(
        pool.idp.initiate_auth,
        ClientId=pool.client(["ALLOW_USER_PASSWORD_AUTH"]),
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": USER},
    ) == (FLOW_OFF, 400)


def test_flows_mixing_legacy_and_allow_names_are_refused_and_nothing_is_stored(
    sandbox_target: AwsTarget,
) -> None:
    pool = Pool(sandbox_target)
    mixed = ["USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    with pytest.raises(ClientError) as created:
        pool.idp.create_user_pool_client(UserPoolId=pool.id, ClientName="mixed", ExplicitAuthFlows=mixed)
    code, message = client_error(created)
    assert code == "InvalidParameterException" and "legacy values (USER_PASSWORD_AUTH)" in message
    assert pool.idp.list_user_pool_clients(UserPoolId=pool.id)["UserPoolClients"] == []
    client_id = pool.client(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(ClientError) as updated:
        pool.idp.update_user_pool_client(UserPoolId=pool.id, ClientId=client_id, ExplicitAuthFlows=mixed)
    assert client_error(updated)[0] == "InvalidParameterException"
    described = pool.idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=client_id)["UserPoolClient"]
    assert described["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    legacy = pool.client(["USER_PASSWORD_AUTH"])  # legacy names alone are accepted
    assert "AuthenticationResult" in pool.password(legacy)
