"""API Gateway's own answers on a REST API stage: gateway responses, default or as the API customised them.

AWS (API Gateway Developer Guide, "Gateway responses for REST APIs in API Gateway", "Gateway response types
for API Gateway", "Set up a gateway response for a REST API using the API Gateway console" (mapping
templates and response parameters); API Reference ``PutGatewayResponse``; Knowledge Center "How do I
troubleshoot HTTP 403 errors from API Gateway?" (messages and ``x-amzn-ErrorType`` headers)): every error
API Gateway answers itself, before or instead of the integration, is a gateway response of one type, with
its default status code and the body ``{"message": "<message>"}`` (the default template
``{"message":$context.error.messageString}``), plus ``x-amzn-RequestId`` and ``x-amzn-ErrorType``. A type
the API customised (``PutGatewayResponse``, part of the deployment) answers with its status code, its
template for ``application/json`` (else its first one) and its response parameters as headers; a type not
customised falls back to the API's ``DEFAULT_4XX`` or ``DEFAULT_5XX``, whose status code, when set, replaces
every other 4XX (5XX) type's default status.

Templates: ``$context.error.messageString`` (the message as a JSON string, quotes included),
``$context.error.message``, ``$context.error.responseType``, ``$context.requestId``,
``$context.extendedRequestId``, ``$context.apiId``, ``$context.stage``, ``$context.resourcePath``,
``$context.httpMethod``, ``$context.authorizer.<claim>`` (or ``$context.authorizer.claims.<claim>``) and
``$stageVariables.<name>`` are substituted (also in ``${...}`` form). Response parameters
``gatewayresponse.header.<name>`` take a static ``'value'``, ``method.request.header|querystring|path.<name>``
or ``stageVariables.<name>``. Not modelled: VTL directives (``#if``, ``#set``, ...) and ``$util``/``$input``
in a template: the sandbox logs a warning and leaves them as written.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
# Default status code and x-amzn-ErrorType of each gateway response type the sandbox answers with.
TYPES: dict[str, tuple[int, str]] = {
    "ACCESS_DENIED": (403, "AccessDeniedException"),
    "API_CONFIGURATION_ERROR": (500, "InternalServerErrorException"),
    "BAD_REQUEST_BODY": (400, "BadRequestException"),
    "BAD_REQUEST_PARAMETERS": (400, "BadRequestException"),
    "EXPIRED_TOKEN": (403, "ExpiredTokenException"),
    "INTEGRATION_FAILURE": (504, "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": (504, "InternalServerErrorException"),
    "INVALID_API_KEY": (403, "ForbiddenException"),
    "INVALID_SIGNATURE": (403, "InvalidSignatureException"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "MissingAuthenticationTokenException"),
    "QUOTA_EXCEEDED": (429, "LimitExceededException"),
    "REQUEST_TOO_LARGE": (413, "RequestTooLongException"),
    "RESOURCE_NOT_FOUND": (404, "NotFoundException"),
    "THROTTLED": (429, "TooManyRequestsException"),
    "UNAUTHORIZED": (401, "UnauthorizedException"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "UnsupportedMediaTypeException"),
    "DEFAULT_4XX": (403, "ForbiddenException"),
    "DEFAULT_5XX": (502, "InternalServerErrorException"),
}
_VARIABLE = re.compile(
    r"\$\{(?P<b>context|stageVariables)(?P<bp>(?:\.[A-Za-z0-9_:-]+)+)\}"
    r"|\$(?P<r>context|stageVariables)(?P<rp>(?:\.[A-Za-z0-9_:-]+)+)"
)
_UNMODELLED = re.compile(r"(^|\s)#(if|set|foreach|else|end)\b|\$(util|input)\.")


class GatewayError(Exception):
    """API Gateway answers the request itself: a gateway response of ``response_type`` with ``message``
    (``status`` overrides the type's default, as for a Lambda error's 502 under ``DEFAULT_5XX``)."""

    def __init__(self, response_type: str, message: str, status: int | None = None, why: str = "") -> None:
        super().__init__(message)
        self.response_type = response_type
        self.message = message
        self.status = status or TYPES[response_type][0]
        self.why = why  # what the sandbox logs (never sent to the caller)


@dataclass
class Answer:
    """An HTTP response of the stage: status, headers (in order), body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class Variables:
    """What a gateway response's templates and parameters may read."""

    context: Mapping[str, Any]
    stage_variables: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]
    path: Mapping[str, str]


def _lookup(root: Mapping[str, Any], dotted: str) -> Any:
    value: Any = root
    for part in dotted.strip(".").split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def render_template(template: str, variables: Variables, error: GatewayError) -> str:
    """A gateway response's mapping template with its variables substituted (module docstring)."""
    if _UNMODELLED.search(template):
        log.warning(
            "apigateway: VTL beyond variable substitution is not modelled; left as written: %r", template
        )
    context = {
        **variables.context,
        "error": {
            "message": error.message,
            "messageString": json.dumps(error.message),
            "responseType": error.response_type,
        },
    }

    def substitute(found: re.Match[str]) -> str:
        name, dotted = found["b"] or found["r"], found["bp"] or found["rp"]
        root = context if name == "context" else variables.stage_variables
        value = _lookup(root, dotted)
        if value is None and name == "context" and dotted.startswith(".authorizer."):
            value = _lookup(context, ".authorizer.claims." + dotted[len(".authorizer.") :])
        return "" if value is None else str(value)

    return _VARIABLE.sub(substitute, template)


def _parameter(expression: str, variables: Variables) -> str | None:
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    for prefix, source in (
        ("method.request.header.", variables.headers),
        ("method.request.querystring.", variables.query),
        ("method.request.path.", variables.path),
        ("stageVariables.", variables.stage_variables),
    ):
        if expression.startswith(prefix):
            name = expression[len(prefix) :]
            return source.get(name.lower() if source is variables.headers else name)
    log.warning("apigateway: gateway response parameter %r is not modelled; not sent", expression)
    return None


def _template(templates: Mapping[str, str | None] | None) -> str | None:
    if not templates:
        return None
    chosen = templates.get("application/json")
    if chosen is None:
        chosen = next(iter(templates.values()))
    return chosen


def answer(
    error: GatewayError,
    customised: Mapping[str, Mapping[str, Any]],
    variables: Variables,
    request_id: str,
) -> Answer:
    """The gateway response for ``error``: the API's own for its type, else its DEFAULT_4XX/5XX, else
    API Gateway's default (module docstring)."""
    family = "DEFAULT_5XX" if error.status >= 500 else "DEFAULT_4XX"
    own = customised.get(error.response_type) or {}
    fallback = customised.get(family) or {}
    status = int(own.get("statusCode") or fallback.get("statusCode") or error.status)
    template = _template(own.get("responseTemplates")) or _template(fallback.get("responseTemplates"))
    body = render_template(template or DEFAULT_TEMPLATE, variables, error)
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", TYPES.get(error.response_type, TYPES[family])[1]),
    ]
    parameters = {**(fallback.get("responseParameters") or {}), **(own.get("responseParameters") or {})}
    for key, expression in parameters.items():
        if not key.startswith("gatewayresponse.header."):
            continue
        value = _parameter(str(expression), variables)
        if value is not None:
            headers.append((key[len("gatewayresponse.header.") :], value))
    return Answer(status, headers, body.encode())


def forbidden(request_id: str) -> Answer:
    """What an unknown API, stage or disabled endpoint answers: no API's gateway responses apply."""
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", "ForbiddenException"),
    ]
    return Answer(403, headers, b'{"message":"Forbidden"}')
