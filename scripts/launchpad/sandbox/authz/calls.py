"""An HTTP request to the sandbox as an AWS API call: service, operation, parameters, caller, transport.

The service comes from the SigV4 credential scope (and, for signing names several services share, from the
path, as AWS's endpoints tell them apart), the operation and its parameters from botocore's service model
through moto's protocol parsers, so every protocol (query, ec2, json, rest-json, rest-xml) reads the same way.

Transport. The sandbox listens on plain HTTP on 127.0.0.1, where AWS only answers HTTPS for the platform's
calls. So a call counts as made over TLS 1.3 (``aws:SecureTransport`` true, ``s3:TlsVersion`` 1.3) unless it
carries ``x-launchpad-transport: http`` (then ``aws:SecureTransport`` is false and there is no TLS version)
or ``x-launchpad-transport: tls1.0|tls1.1|tls1.2`` (that TLS version). Tests use the header to show that
TLS-only policies refuse what AWS refuses.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from botocore.exceptions import UnknownServiceError
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import Request, determine_request_protocol
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

TRANSPORT_HEADER = "x-launchpad-transport"
_TLS_VERSIONS = {"tls1.0": "1.0", "tls1.1": "1.1", "tls1.2": "1.2", "tls1.3": "1.3"}
_SCOPE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request", re.ASCII)
_QUERY_SCOPE = re.compile(r"([^/]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request", re.ASCII)
# Signing names that are not botocore's service name.
SERVICE_BY_SIGNING_NAME = {"monitoring": "cloudwatch", "states": "stepfunctions", "email": "ses"}
_RUNTIME_PATHS = ("/invocations", "/async-invocations", "/invocations-response-stream")


class CallError(ValueError):
    """A signed request the sandbox cannot read as an AWS API call."""


@dataclass(frozen=True)
class Transport:
    secure: bool = True
    tls_version: str | None = "1.3"


@dataclass(frozen=True)
class Call:
    """One AWS API call as the sandbox received it."""

    service: str  # botocore's name: s3, sagemaker, sagemaker-runtime, cloudwatch, application-autoscaling
    signing_name: str  # the SigV4 scope's service: s3, sagemaker, monitoring, ...
    operation: str  # PutObject
    params: Mapping[str, Any]
    access_key: str
    region: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lowercased names
    transport: Transport = Transport()
    protocol: str = "json"  # the protocol of the request (the client picks one its model offers)

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


def _credential_scope(environ: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(access key, region, signing name) of a SigV4-signed request (header or presigned query)."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1), match.group(3), match.group(4)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    credential = (query.get("X-Amz-Credential") or [""])[0]
    match = _QUERY_SCOPE.fullmatch(credential)
    return (match.group(1), match.group(3), match.group(4)) if match else None


def signed(environ: Mapping[str, Any]) -> bool:
    return _credential_scope(environ) is not None


def service_name(signing_name: str, path: str) -> str:
    """botocore's service for a signing name; several SageMaker and S3 APIs share one."""
    if signing_name == "sagemaker" and path.endswith(_RUNTIME_PATHS):
        return "sagemaker-runtime"
    if signing_name == "s3" and path.startswith("/v20180820/"):
        return "s3control"
    return SERVICE_BY_SIGNING_NAME.get(signing_name, signing_name)


def transport(headers: Mapping[str, str]) -> Transport:
    marked = headers.get(TRANSPORT_HEADER, "").strip().lower()
    if not marked:
        return Transport()
    if marked == "http":
        return Transport(secure=False, tls_version=None)
    if marked in _TLS_VERSIONS:
        return Transport(secure=True, tls_version=_TLS_VERSIONS[marked])
    raise CallError(f"{TRANSPORT_HEADER}: {marked!r} is not http, tls1.0, tls1.1, tls1.2 or tls1.3")


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for moto to read again."""
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH")
    if stream is None or not (length or environ.get("wsgi.input_terminated")):
        return b""  # no length and not chunked: no body (reading would wait for the client)
    data = stream.read(int(length)) if length else stream.read()
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def _operation(service: str, request: Request, protocol: str, form: Mapping[str, list[str]]) -> Any:
    model = get_service_model(service)
    if protocol == "json":
        target = request.headers.get("X-Amz-Target", "")
        return model.operation_model(target.rsplit(".", 1)[-1]), {}
    if protocol in ("query", "ec2"):
        action = (form.get("Action") or [""])[0]
        return model.operation_model(action), {}
    operation, uri_params = get_service_router(service).match(request)
    return operation, uri_params


def parse(environ: dict[str, Any]) -> Call | None:
    """The call a signed request makes, or None for an unsigned one (launchpad's and moto's own routes).

    Raises CallError when a signed request names a service or operation the sandbox cannot read."""
    scope = _credential_scope(environ)
    if scope is None:
        return None
    access_key, region, signing_name = scope
    path = environ.get("PATH_INFO", "")
    service = service_name(signing_name, path)
    data = _body(environ)
    request = Request(dict(environ, **{"wsgi.input": io.BytesIO(data)}))
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        model = get_service_model(service)
        protocol = determine_request_protocol(model, request.content_type)
        form = parse_qs(environ.get("QUERY_STRING", ""))
        if protocol in ("query", "ec2"):
            form = {**form, **parse_qs(data.decode("utf-8", "replace"))}
        operation, uri_params = _operation(service, request, protocol, form)
        parser = PROTOCOL_PARSERS[protocol](operation)
        params = parser.parse(
            {
                "method": request.method,
                "values": MultiDict({k: v[0] for k, v in form.items()})
                if protocol in ("query", "ec2")
                else request.values,
                "headers": request.headers,
                "body": data,
                "url_path": request.path,
                "url_params": uri_params,
            }
        )
    except (UnknownServiceError, NotFound, NotImplementedError, LookupError) as exc:
        raise CallError(f"cannot read {request.method} {path} as a {service} API call: {exc!r}") from exc
    except Exception as exc:  # moto's parsers raise their own types on malformed input
        raise CallError(f"cannot parse {request.method} {path} as a {service} API call: {exc!r}") from exc
    return Call(
        service=service,
        signing_name=signing_name,
        operation=operation.name,
        params=params,
        access_key=access_key,
        region=region,
        headers=headers,
        transport=transport(headers),
        protocol=protocol,
    )
