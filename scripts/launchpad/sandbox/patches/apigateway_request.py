"""A request to a REST API stage: what the deployment holds, the request as received, its route to a
method, and its validation against the method's request validator.

Part of ``launchpad.sandbox.patches.apigateway``, whose docstring says what is modelled (API Gateway
Developer Guide, "Deploy REST APIs in API Gateway", "Set up a proxy integration with a proxy resource",
"Request validation for REST APIs in API Gateway").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

import jsonschema
from moto.apigateway.models import RestAPI

from launchpad.sandbox.patches.apigateway_responses import GatewayError


class NotModelled(Exception):
    """What the sandbox does not serve: HTTP 501 naming it."""


# -- deployments ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """What a deployment holds of its API."""

    resources: dict[str, dict[str, Any]]  # path -> {"id": ..., "methods": {METHOD: method JSON}}
    models: dict[str, dict[str, Any]]
    validators: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]
    gateway_responses: dict[str, dict[str, Any]]
    binary_media_types: tuple[str, ...]


def take_snapshot(api: RestAPI) -> Snapshot:
    resources = {
        resource.get_path(): {
            "id": resource.id,
            "methods": {name: m.to_json() for name, m in resource.resource_methods.items()},
        }
        for resource in api.resources.values()
    }
    return copy.deepcopy(
        Snapshot(
            resources,
            {name: model.to_json() for name, model in api.models.items()},
            {key: validator.to_dict() for key, validator in api.request_validators.items()},
            {key: authorizer.to_json() for key, authorizer in api.authorizers.items()},
            {key: response.to_json() for key, response in api.gateway_responses.items()},
            tuple(api.binaryMediaTypes or ()),
        )
    )


# -- the request ---------------------------------------------------------------------------------------------
@dataclass
class Incoming:
    """A request to a stage, as the sandbox received it."""

    method: str
    path: str  # after the stage, percent-decoded, "/" at least
    raw_url: str  # as sent (for SigV4)
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]  # names as API Gateway passes them on
    body: bytes
    source_ip: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def lowered(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers}


def _headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = [
        (key[5:].replace("_", "-").title(), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            found.append((name, str(environ[key])))
    return found


def read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH")
    if stream is None or not (length or environ.get("wsgi.input_terminated")):
        return b""
    return bytes(stream.read(int(length)) if length else stream.read())


def incoming(environ: dict[str, Any], path: str) -> Incoming:
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or quote(environ.get("PATH_INFO", ""))
    if "?" not in raw and environ.get("QUERY_STRING"):
        raw = f"{raw}?{environ['QUERY_STRING']}"
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return Incoming(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=unquote(path or "/"),
        raw_url=f"http://{host}{raw}",
        query=parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True),
        headers=_headers(environ),
        body=read_body(environ),
        source_ip=str(environ.get("REMOTE_ADDR") or "127.0.0.1"),
    )


# -- routing -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    resource_path: str  # as defined: /items/{id}
    resource_id: str
    method: dict[str, Any]  # the method's JSON (GetMethod)
    parameters: dict[str, str]


def _fit(parts: list[str], segments: list[str]) -> dict[str, str] | None:
    """The path parameters if a resource path's ``parts`` match the request's ``segments``."""
    parameters: dict[str, str] = {}
    for i, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            if i != len(parts) - 1 or len(segments) <= i:
                return None
            parameters[part[1:-2]] = "/".join(segments[i:])
            return parameters
        if i >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = segments[i]
        elif part != segments[i]:
            return None
    return parameters if len(parts) == len(segments) else None


def _rank(parts: list[str]) -> tuple[int, ...]:
    """Literal segments before ``{param}`` before ``{proxy+}``, left to right."""
    return tuple(0 if p.endswith("+}") else 1 if p.startswith("{") else 2 for p in parts)


def route(resources: Mapping[str, Mapping[str, Any]], method: str, path: str) -> Route:
    """The resource and method a request reaches (403 Missing Authentication Token if none)."""
    segments = [s for s in path.split("/") if s]
    fits = []
    for resource_path in resources:
        parts = [p for p in resource_path.split("/") if p]
        parameters = _fit(parts, segments)
        if parameters is not None:
            fits.append((_rank(parts), resource_path, parameters))
    if fits:
        _, resource_path, parameters = max(fits, key=lambda fit: fit[0])
        resource = resources[resource_path]
        found = resource["methods"].get(method) or resource["methods"].get("ANY")
        if found is not None:
            return Route(resource_path, resource["id"], found, parameters)
    raise GatewayError(
        "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", why=f"no method {method} {path}"
    )


# -- request validation --------------------------------------------------------------------------------------
def _present(name: str, request: Incoming, parameters: Mapping[str, str]) -> bool:
    kind, _, key = name.removeprefix("method.request.").partition(".")
    if kind == "querystring":
        return any(k == key for k, _ in request.query)
    if kind == "header":
        return request.header(key) is not None
    if kind == "path":
        return key in parameters
    return True


def _schema(snapshot: Snapshot, name: str) -> Any:
    model = snapshot.models.get(name)
    if model is None:
        raise NotModelled(f"the request model {name!r} is not in the deployment")
    try:
        schema = json.loads(model.get("schema") or "{}")
    except ValueError as exc:
        raise NotModelled(f"the request model {name!r} is not JSON: {exc}") from None
    if "$ref" in json.dumps(schema):
        raise NotModelled(f"request model {name!r} refers to other models ($ref), which is not modelled")
    return schema


def validate(snapshot: Snapshot, found: Route, request: Incoming) -> None:
    """The method's request validator (400 BAD_REQUEST_PARAMETERS / BAD_REQUEST_BODY)."""
    method = found.method
    validator = snapshot.validators.get(str(method.get("requestValidatorId") or ""))
    if not validator:
        return
    if validator.get("validateRequestParameters"):
        required = (method.get("requestParameters") or {}).items()
        missing = [
            n.rsplit(".", 1)[-1]
            for n, needed in required
            if needed and not _present(n, request, found.parameters)
        ]
        if missing:
            raise GatewayError(
                "BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{', '.join(missing)}]"
            )
    if validator.get("validateRequestBody"):
        models = method.get("requestModels") or {}
        content_type = (request.header("Content-Type") or "application/json").split(";")[0].strip().lower()
        name = models.get(content_type) or models.get("$default")
        if not name:
            return
        schema = _schema(snapshot, name)
        try:
            document = json.loads(request.body) if request.body.strip() else None
            jsonschema.Draft4Validator(schema).validate(document)
        except (ValueError, jsonschema.ValidationError) as exc:
            why = exc.message if isinstance(exc, jsonschema.ValidationError) else "not JSON"
            raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", why=why) from None
