"""Cognito user pools: sign-in only through the flows the app client enables, and no unverified SRP.

AWS (Amazon Cognito API Reference
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html,
``API_AdminInitiateAuth``, ``API_CreateUserPoolClient`` and ``API_UserPoolClientType``, their
``ExplicitAuthFlows``): an app client signs users in only with the flows its ``ExplicitAuthFlows`` enable.
``ALLOW_USER_PASSWORD_AUTH`` enables ``USER_PASSWORD_AUTH``, ``ALLOW_ADMIN_USER_PASSWORD_AUTH`` enables
``ADMIN_USER_PASSWORD_AUTH`` (and the ``ADMIN_NO_SRP_AUTH`` it replaces), ``ALLOW_USER_SRP_AUTH`` enables
``USER_SRP_AUTH``, ``ALLOW_CUSTOM_AUTH`` enables ``CUSTOM_AUTH``, ``ALLOW_REFRESH_TOKEN_AUTH`` enables
``REFRESH_TOKEN_AUTH`` (``REFRESH_TOKEN``). A client created without ``ExplicitAuthFlows`` supports
``ALLOW_REFRESH_TOKEN_AUTH``, ``ALLOW_USER_SRP_AUTH`` and ``ALLOW_CUSTOM_AUTH``: no password flow. The legacy
names, which cannot be mixed with ``ALLOW_`` ones, come from the model before flows could be switched off one
by one (SRP, refresh and custom were always on): ``USER_PASSWORD_AUTH`` adds ``USER_PASSWORD_AUTH``,
``ADMIN_NO_SRP_AUTH`` adds the admin password flow, ``CUSTOM_AUTH_FLOW_ONLY`` leaves custom authentication
(and refresh) only. The current reference only says these legacy values exist; this reading of them is the
sandbox's.

A flow the client does not enable is refused with ``InvalidParameterException`` (HTTP 400) and no tokens. The
AWS reference lists the exception but not its message; the wording here is what Cognito answers as reported
by its users: ``USER_PASSWORD_AUTH flow not enabled for this client`` for ``USER_PASSWORD_AUTH``, and
``Auth flow not enabled for this client`` for the other flows (reported for ``AdminInitiateAuth``; for
``USER_SRP_AUTH``, ``CUSTOM_AUTH`` and refresh it is the sandbox's best guess, not verified against AWS).

Stock moto ignores ``ExplicitAuthFlows`` (every flow works with every client), and its ``USER_SRP_AUTH``
never checks the SRP proof: ``RespondToAuthChallenge`` ``PASSWORD_VERIFIER`` accepts any
``PASSWORD_CLAIM_SIGNATURE``, that is any password. The sandbox does not model SRP, so once the client's
flows allow it, ``USER_SRP_AUTH`` is refused loudly (HTTP 501 ``NotImplemented``, ``launchpad sandbox:
...``), as is any ``PASSWORD_VERIFIER`` answer (``RespondToAuthChallenge`` and
``AdminRespondToAuthChallenge``), rather than signing anyone in. ``CUSTOM_AUTH`` (Lambda challenge triggers,
which moto answers with an empty body) is refused the same way. Sign in on the sandbox with
``USER_PASSWORD_AUTH`` or ``ADMIN_USER_PASSWORD_AUTH``, whose password moto does check.

``CreateUserPoolClient`` and ``UpdateUserPoolClient`` refuse ``ExplicitAuthFlows`` that mix ``ALLOW_`` and
legacy names (``UserPoolClientType``: "You can't assign these legacy ExplicitAuthFlows values to user pool
clients at the same time as values that begin with ALLOW_"), with ``InvalidParameterException`` and nothing
stored; the message is the sandbox's own (the reference gives none). Stock moto stored them.
"""

from __future__ import annotations

from typing import Any

from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolClient
from moto.core.exceptions import JsonRESTError

_MARK = "_launchpad_cognitoidp_patch"

# AuthFlow -> the ExplicitAuthFlows value (ALLOW_ names) that enables it.
ENABLED_BY = {
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
}
DEFAULT_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")

# The legacy names (no ALLOW_ prefix): what each one adds to the flows that were always on.
LEGACY_ALWAYS = frozenset({"USER_SRP_AUTH", "CUSTOM_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"})
LEGACY_ADDS = {
    "USER_PASSWORD_AUTH": frozenset({"USER_PASSWORD_AUTH"}),
    "ADMIN_NO_SRP_AUTH": frozenset({"ADMIN_NO_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH"}),
}
CUSTOM_ONLY = "CUSTOM_AUTH_FLOW_ONLY"
CUSTOM_ONLY_FLOWS = frozenset({"CUSTOM_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"})

# The flows each operation takes (moto refuses the others itself, before any client is read).
USER_FLOWS = frozenset(
    {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH", "USER_PASSWORD_AUTH"}
)
ADMIN_FLOWS = frozenset(
    {"ADMIN_NO_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}
)

NO_SRP = (
    "USER_SRP_AUTH is not modelled: the sandbox does not verify SRP proofs, so it would accept any password; "
    "sign in with USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH"
)
NO_PASSWORD_VERIFIER = (
    "the PASSWORD_VERIFIER challenge (USER_SRP_AUTH) is not modelled: the sandbox does not verify SRP "
    "proofs, so it would accept any password; sign in with USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH"
)
NO_CUSTOM_AUTH = "CUSTOM_AUTH is not modelled: the sandbox runs no Lambda challenge triggers"


class FlowNotEnabled(JsonRESTError):
    """A flow the app client's ExplicitAuthFlows do not enable: HTTP 400, as Cognito answers."""

    def __init__(self, auth_flow: str) -> None:
        prefix = "USER_PASSWORD_AUTH" if auth_flow == "USER_PASSWORD_AUTH" else "Auth"
        super().__init__("InvalidParameterException", f"{prefix} flow not enabled for this client")
        self.code = 400


class NotModelled(JsonRESTError):
    """What the sandbox does not model: HTTP 501, as other patches refuse it."""

    def __init__(self, message: str) -> None:
        super().__init__("NotImplemented", f"launchpad sandbox: {message}")
        self.code = 501


def enabled_flows(explicit: list[str] | None) -> frozenset[str]:
    """The AuthFlow values an app client with these ExplicitAuthFlows accepts."""
    values = list(explicit or DEFAULT_FLOWS)
    if any(value.startswith("ALLOW_") for value in values):
        return frozenset(flow for flow, allow in ENABLED_BY.items() if allow in values)
    if CUSTOM_ONLY in values:
        return CUSTOM_ONLY_FLOWS
    added = [LEGACY_ADDS.get(value, frozenset()) for value in values]
    return LEGACY_ALWAYS.union(*added)


MIXED_FLOW_NAMES = (
    "ExplicitAuthFlows mixes legacy values ({legacy}) with values that begin with ALLOW_: "
    "use ALLOW_ values only"
)


class MixedFlowNames(JsonRESTError):
    """ExplicitAuthFlows with both legacy and ALLOW_ names: HTTP 400, as Cognito answers."""

    def __init__(self, legacy: list[str]) -> None:
        super().__init__("InvalidParameterException", MIXED_FLOW_NAMES.format(legacy=", ".join(legacy)))
        self.code = 400


def check_flow_names(explicit: Any) -> None:
    """Refuse ExplicitAuthFlows that mix ALLOW_ and legacy names."""
    values = [v for v in explicit or [] if isinstance(v, str)]
    legacy = sorted(v for v in values if not v.startswith("ALLOW_"))
    if legacy and len(legacy) < len(values):
        raise MixedFlowNames(legacy)


def check_flow(client: CognitoIdpUserPoolClient, auth_flow: str) -> None:
    """Refuse a flow the client does not enable, then what the sandbox does not model."""
    if auth_flow not in enabled_flows(client.extended_config.get("ExplicitAuthFlows")):
        raise FlowNotEnabled(auth_flow)
    if auth_flow == "USER_SRP_AUTH":
        raise NotModelled(NO_SRP)
    if auth_flow == "CUSTOM_AUTH":
        raise NotModelled(NO_CUSTOM_AUTH)


def _client_by_id(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPoolClient | None:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool.clients[client_id]
    return None


def apply() -> None:
    if getattr(CognitoIdpBackend, _MARK, False):
        return
    original_initiate = CognitoIdpBackend.initiate_auth
    original_admin_initiate = CognitoIdpBackend.admin_initiate_auth
    original_respond = CognitoIdpBackend.respond_to_auth_challenge
    original_create_client = CognitoIdpBackend.create_user_pool_client
    original_update_client = CognitoIdpBackend.update_user_pool_client

    def create_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> CognitoIdpUserPoolClient:
        check_flow_names(extended_config.get("ExplicitAuthFlows"))
        return original_create_client(self, user_pool_id, generate_secret, extended_config)

    def update_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
    ) -> CognitoIdpUserPoolClient:
        check_flow_names(extended_config.get("ExplicitAuthFlows"))
        return original_update_client(self, user_pool_id, client_id, extended_config)

    def initiate_auth(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        client = _client_by_id(self, client_id)
        if client is not None and auth_flow in USER_FLOWS:  # else moto refuses (unknown flow or client)
            check_flow(client, auth_flow)
        return original_initiate(self, client_id, auth_flow, auth_parameters)

    def admin_initiate_auth(
        self: CognitoIdpBackend,
        user_pool_id: str,
        client_id: str,
        auth_flow: str,
        auth_parameters: dict[str, str],
    ) -> dict[str, Any]:
        pool = self.user_pools.get(user_pool_id)
        client = pool.clients.get(client_id) if pool is not None else None
        if (
            client is not None and auth_flow in ADMIN_FLOWS
        ):  # else moto refuses (unknown flow, pool or client)
            check_flow(client, auth_flow)
        return original_admin_initiate(self, user_pool_id, client_id, auth_flow, auth_parameters)

    def respond_to_auth_challenge(
        self: CognitoIdpBackend,
        session: str,
        client_id: str,
        challenge_name: str,
        challenge_responses: dict[str, str],
    ) -> dict[str, Any]:
        # AdminRespondToAuthChallenge comes here too (moto's admin method calls this one).
        if challenge_name == "PASSWORD_VERIFIER":
            raise NotModelled(NO_PASSWORD_VERIFIER)
        return original_respond(self, session, client_id, challenge_name, challenge_responses)

    CognitoIdpBackend.create_user_pool_client = create_user_pool_client  # type: ignore[method-assign]
    CognitoIdpBackend.update_user_pool_client = update_user_pool_client  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.admin_initiate_auth = admin_initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge  # type: ignore[method-assign]
    setattr(CognitoIdpBackend, _MARK, True)
