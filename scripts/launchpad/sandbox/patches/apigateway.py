"""API Gateway (REST APIs, v1): the data plane of deployed stages, served as API Gateway serves them.

A call to ``<sandbox>/restapis/{apiId}/{stage}/_user_request_/{path}`` is served as API Gateway serves
``https://{apiId}.execute-api.{region}.amazonaws.com/{stage}/{path}`` (stock moto answers it with a 500).
This module serves the stage; ``apigateway_request`` holds the deployment's snapshot, routing and request
validation, ``apigateway_auth`` IAM, Cognito, API keys, throttling and quotas, ``apigateway_integration`` the
Lambda proxy and MOCK integrations, ``apigateway_responses`` the gateway responses, ``apigateway_observe``
access logs and metrics. The authorization gate lets these requests through (``gate.serves_itself``): the
stage authorizes its own callers, as API Gateway does.

AWS (API Gateway Developer Guide: "Invoke REST APIs in API Gateway", "Deploy REST APIs in API Gateway",
"Set up a proxy integration with a proxy resource" (``{proxy+}``, ``ANY``), "Lambda proxy integrations in
API Gateway" (input format 1.0, output format), "Request validation for REST APIs in API Gateway",
"Amazon API Gateway quotas" (10 MB payload, 50 ms to 29 s integration timeout), "Gateway responses for
REST APIs in API Gateway", "Set up CloudWatch logging for REST APIs in API Gateway" (access logs,
``$context`` variables), "Amazon API Gateway dimensions and metrics"; Lambda Developer Guide "Invoking a
Lambda function using an Amazon API Gateway endpoint" (the function's resource-based policy for
``apigateway.amazonaws.com`` with ``aws:SourceArn`` the method's execute-api ARN)).

Modelled:

- Deployments: a stage serves what its deployment holds. moto keeps deployments but no snapshot of the API,
  so ``CreateDeployment`` here takes one (resources, methods, integrations, models, request validators,
  authorizers, gateway responses, binary media types); changes after it reach the stage only through a new
  deployment (or ``UpdateStage`` ``/deploymentId``). Stage settings (variables, method settings, access log
  settings), API keys and usage plans are read live, as on AWS. ``CreateDeployment`` naming an existing stage
  points that stage at the new deployment and keeps its settings (moto replaced the stage with a blank one).
  A deployment made before the sandbox took snapshots is served from the current API (logged).
- An unknown API id or stage, a stage without a deployment, or an API whose ``disableExecuteApiEndpoint`` is
  set: 403 ``{"message":"Forbidden"}``. A path with no resource, or a resource without the method (nor
  ``ANY``): 403 ``Missing Authentication Token``.
- Routing: exact resources first, then path parameters (``{id}``), then a greedy ``{proxy+}`` (one or more
  segments, last in its path); a method of its own before ``ANY``.
- Order of checks: routing, payload size (over 10 MB: 413 ``Request Too Long``), authorization (``NONE``,
  ``AWS_IAM``, ``COGNITO_USER_POOLS``: ``apigateway_auth``), API key, throttling, quota (``apigateway_auth``),
  request validation, then the integration.
- Request validation (the method's ``requestValidatorId``): ``validateRequestParameters`` checks the
  method's required ``requestParameters`` (400 ``Missing required request parameters: [a, b]``);
  ``validateRequestBody`` checks the body against the method's request model for its ``Content-Type``
  (``application/json`` when none; ``$default`` when the type has none) as JSON Schema draft 4 (400
  ``Invalid request body``, also for a body that is not JSON).
- ``AWS_PROXY`` to a Lambda function (``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/
  {functionArn}/invocations``, ``${stageVariables.x}`` substituted): the proxy event v1.0 is built (resource,
  path, httpMethod, headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters,
  pathParameters, stageVariables, requestContext with requestId, accountId, apiId, stage, identity with
  sourceIp, the caller's IAM identity and API key, authorizer.claims for Cognito, body, isBase64Encoded (for
  the API's binary media types)) and the function runs through the sandbox's Lambda runtime
  (``awslambda.execute``: as its execution role, in an execution environment, with its logs). API Gateway
  must be allowed to invoke it: the function's resource-based policy must allow ``apigateway.amazonaws.com``
  with ``aws:SourceArn`` ``arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}{resourcePath}``
  (the resource's path as defined, such as ``/items/{id}``), or, with integration ``credentials``, API
  Gateway takes that role (its trust policy must allow ``apigateway.amazonaws.com``) and the role must be
  allowed ``lambda:InvokeFunction``. Refused, or no such function: 500 ``Internal server error`` (the reason
  in the sandbox's log). The proxy response (``statusCode``, ``headers``, ``multiValueHeaders``, ``body``,
  ``isBase64Encoded``) becomes the answer; a malformed one, a function error or a failed invocation is 502
  ``Internal server error``; a function that runs past the integration's ``timeoutInMillis`` (29,000 by
  default) is 504 ``Endpoint request timed out`` (the function itself runs on, as on AWS).
- ``MOCK``: the status code of the ``application/json`` request template's ``statusCode``, that status's
  integration response template as the body, static ``'...'`` response parameters as headers.
- Gateway responses, default and customised (``apigateway_responses``), with ``x-amzn-RequestId`` and
  ``x-amzn-ErrorType``; every answer carries ``x-amzn-RequestId``.
- Access logging: a stage with ``accessLogSettings`` writes one line per request (its ``format`` with
  ``$context`` variables substituted, ``-`` for an empty one; never the body) to the destination log group,
  as the account's CloudWatch role (``UpdateAccount`` ``cloudwatchRoleArn``, which
  ``apigateway.amazonaws.com`` must be able to take and which needs ``logs:CreateLogStream`` and
  ``logs:PutLogEvents``); no role, a refused write or a missing group drops the line (logged, kept as a
  refusal).
- Metrics: every request publishes ``Count``, ``4XXError``, ``5XXError``, ``Latency`` and, when the
  integration ran, ``IntegrationLatency`` (milliseconds) in ``AWS/ApiGateway`` under ``ApiName`` and
  ``ApiName, Stage``, to the sandbox's CloudWatch of the API's account and region.

Not modelled, and refused loudly (HTTP 501 ``{"message": "launchpad sandbox: ..."}``): ``HTTP``,
``HTTP_PROXY`` and ``AWS`` (non-proxy) integrations, Lambda (``TOKEN``/``REQUEST``) authorizers, integration
``credentials`` of the caller (``arn:aws:iam::*:user/*``), API keys from an authorizer, REST API resource
policies, ``PRIVATE`` endpoints, a stage with a WAF web ACL, request models that ``$ref`` other models.
Documented, not refused: caching (every request reaches the integration), canary settings, mutual TLS and
custom domain names (the sandbox serves only the ``_user_request_`` path), client certificates, X-Ray,
execution logging, and mapping templates beyond ``MOCK``'s literal ones.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from moto.apigateway.models import RestAPI, apigateway_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from launchpad.sandbox.authz import gate
from launchpad.sandbox.patches import apigateway_auth as auth
from launchpad.sandbox.patches import apigateway_observe as observe
from launchpad.sandbox.patches.apigateway_integration import Served, integrate, request_context
from launchpad.sandbox.patches.apigateway_request import (
    NotModelled,
    incoming,
    read_body,
    route,
    take_snapshot,
    validate,
)
from launchpad.sandbox.patches.apigateway_responses import Answer, GatewayError, Variables, answer, forbidden

log = logging.getLogger(__name__)

DATA_PLANE = re.compile(r"/restapis/(?P<api>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?")
PAYLOAD_MAX = 10 * 1024 * 1024  # "Payload size: 10 MB" (API Gateway quotas)
_MARK = "_launchpad_apigateway_patch"


# -- deployments ---------------------------------------------------------------------------------------------
def _patch_deployments() -> None:
    original = RestAPI.create_deployment

    def create_deployment(self: RestAPI, name: str, description: str, stage_variables: Any = None) -> Any:
        existing = self.stages.get(name) if name else None
        deployment = original(self, name, description, stage_variables)
        deployment.launchpad_snapshot = take_snapshot(self)  # type: ignore[attr-defined]
        if existing is not None:  # AWS points the stage at the new deployment and keeps its settings
            existing.deployment_id = deployment.id
            existing.variables.update(stage_variables or {})
            self.stages[name] = existing
        return deployment

    RestAPI.create_deployment = create_deployment  # type: ignore[method-assign]


# -- the stage -----------------------------------------------------------------------------------------------
def find_api(api_id: str) -> tuple[str, str, Any, RestAPI] | None:
    """(account, region, backend, API) of a REST API id, in whichever account and region holds it."""
    for account, regions in list(apigateway_backends.items()):
        for region, backend in list(regions.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return account, region, backend, api
    return None


def _refuse_unmodelled(api: RestAPI, stage: Any) -> None:
    if api.policy:
        raise NotModelled(f"the resource policy of REST API {api.id} is not modelled")
    if "PRIVATE" in (api.endpoint_configuration or {}).get("types", []):
        raise NotModelled(f"REST API {api.id} is PRIVATE: private endpoints are not modelled")
    if getattr(stage, "web_acl_arn", None):
        raise NotModelled(f"stage {stage.name} has a WAF web ACL: WAF rules are not modelled")


def authorize(served: Served, backend: Any) -> None:
    """The method's authorization, then its API key, throttling and quota."""
    found, request = served.found, served.request
    assert found is not None
    method = found.method
    kind = method.get("authorizationType") or "NONE"
    if kind == "AWS_IAM":
        signed = auth.Signed(request.method, request.raw_url, request.lowered, request.body)
        principal = auth.verify(signed, served.region)
        auth.authorize(principal, served.arn(request.path), served.region)
        key = (auth._AUTHORIZATION.search(request.header("Authorization") or "") or {"key": ""})["key"]
        served.identity.update(auth.iam_identity(principal, key))
    elif kind == "COGNITO_USER_POOLS":
        authorizer = served.snapshot.authorizers.get(str(method.get("authorizerId") or ""))
        if not authorizer or authorizer.get("type") != "COGNITO_USER_POOLS":
            raise GatewayError(
                "AUTHORIZER_CONFIGURATION_ERROR", "Internal server error", 500, why="no such authorizer"
            )
        claims = auth.cognito(authorizer, request.lowered, method.get("authorizationScopes"))
        served.authorizer = {"claims": claims}
    elif kind != "NONE":
        raise NotModelled(f"{kind} authorization (Lambda authorizers) is not modelled")
    plan = key_used = None
    if method.get("apiKeyRequired"):
        if (served.api.api_key_source or "HEADER") != "HEADER":
            raise NotModelled("API keys from an authorizer (apiKeySource AUTHORIZER) are not modelled")
        key_used, plan = auth.api_key(backend, request.header("x-api-key"), served.api.id, served.stage_name)
        served.identity.update(apiKey=key_used.value, apiKeyId=key_used.id)
    settings = served.stage.method_settings or {}
    auth.meter(
        auth.Metered(
            served.api.id, served.stage_name, found.resource_path, request.method, settings, plan, key_used
        )
    )


def handle(served: Served, backend: Any) -> Answer:
    """Route, check and integrate one request (GatewayError / NotModelled when API Gateway answers)."""
    served.found = route(served.snapshot.resources, served.request.method, served.request.path)
    if len(served.request.body) > PAYLOAD_MAX:
        raise GatewayError("REQUEST_TOO_LARGE", "Request Too Long", why=f"{len(served.request.body)} bytes")
    authorize(served, backend)
    validate(served.snapshot, served.found, served.request)
    return integrate(served)


def _variables(served: Served) -> Variables:
    found = served.found
    context = {
        "requestId": served.request_id,
        "extendedRequestId": served.request_id,
        "apiId": served.api.id,
        "stage": served.stage_name,
        "httpMethod": served.request.method,
        "resourcePath": found.resource_path if found else None,
        "authorizer": served.authorizer or {},
    }
    return Variables(
        context,
        dict(served.stage.variables or {}),
        served.request.lowered,
        dict(served.request.query),
        dict(found.parameters) if found else {},
    )


def _record(served: Served, backend: Any, result: Answer) -> observe.Record:
    """What the access log and metrics read of one answered request."""
    error = served.error
    context = {
        **(
            request_context(served)
            if served.found
            else {"requestId": served.request_id, "apiId": served.api.id}
        ),
        "status": result.status,
        "responseLength": len(result.body),
        "responseLatency": int((time.perf_counter() - served.started) * 1000),
        "integrationLatency": None if served.integration_ms is None else int(served.integration_ms),
        "integrationStatus": served.integration_status,
        "integration": {"status": served.integration_status, "latency": served.integration_ms},
        "error": {
            "message": error.message if error else None,
            "messageString": json.dumps(error.message) if error else None,
            "responseType": error.response_type if error else None,
        },
    }
    context.setdefault("stage", served.stage_name)
    context.setdefault("httpMethod", served.request.method)
    return observe.Record(
        served.account,
        served.region,
        served.api.id,
        served.api.name,
        served.stage_name,
        served.stage.access_log_settings,
        backend.account.cloudwatch_role_arn,
        context,
        result.status,
        (time.perf_counter() - served.started) * 1000,
        served.integration_ms,
    )


def _not_modelled(message: str, request_id: str) -> Answer:
    body = json.dumps({"message": f"launchpad sandbox: {message}"}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", "NotImplemented"),
    ]
    return Answer(501, headers, body)


def serve(api_id: str, stage_name: str, environ: dict[str, Any], path: str) -> Answer:
    request_id = str(uuid.uuid4())
    found = find_api(api_id)
    stage = found[3].stages.get(stage_name) if found else None
    deployment = (
        found[3].deployments.get(stage.deployment_id) if found and stage and stage.deployment_id else None
    )
    if found is None or deployment is None or found[3].disableExecuteApiEndpoint:
        read_body(environ)
        log.info(
            "apigateway %s/%s: Forbidden (no such API, stage or deployment, or endpoint disabled)",
            api_id,
            stage_name,
        )
        return forbidden(request_id)
    account, region, backend, api = found
    snapshot = getattr(deployment, "launchpad_snapshot", None)
    if snapshot is None:
        log.warning(
            "apigateway %s/%s: deployment %s has no snapshot; serving the current API",
            api_id,
            stage_name,
            deployment.id,
        )
        snapshot = take_snapshot(api)
    served = Served(request_id, account, region, api, stage, snapshot, incoming(environ, path))
    try:
        _refuse_unmodelled(api, stage)
        result = handle(served, backend)
    except GatewayError as error:
        served.error = error
        log.info(
            "apigateway %s/%s %s %s: %s %s (%s)",
            api_id,
            stage_name,
            served.request.method,
            served.request.path,
            error.status,
            error.message,
            error.why,
        )
        result = answer(error, snapshot.gateway_responses, _variables(served), request_id)
    except NotModelled as exc:
        log.warning("apigateway %s/%s: refused, not modelled: %s", api_id, stage_name, exc)
        result = _not_modelled(str(exc), request_id)
    observe.record(_record(served, backend, result))
    return result


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _serve_stages() -> None:
    original = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        matched = DATA_PLANE.fullmatch(environ.get("PATH_INFO", ""))
        if matched is None:
            return original(self, environ, start_response)
        try:
            result = serve(matched["api"], matched["stage"], environ, matched["path"] or "/")
        except Exception as exc:  # the sandbox's own bug: answered as one, with the cause in its log
            log.exception("apigateway data plane failed")
            result = _not_modelled(f"serving the stage failed: {exc!r}", str(uuid.uuid4()))
            result.status = 500
        start_response(f"{result.status} {_reason(result.status)}", result.headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else result.body]

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]


def apply() -> None:
    if getattr(RestAPI, _MARK, False):
        return
    _patch_deployments()
    _serve_stages()
    gate.serves_itself(DATA_PLANE.pattern)  # the stage authorizes its own callers (apigateway_auth)
    setattr(RestAPI, _MARK, True)
