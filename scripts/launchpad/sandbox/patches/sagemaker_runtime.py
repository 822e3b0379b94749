"""SageMaker Runtime: ``InvokeEndpoint`` answers with the model's own answer, from the model's local server.

AWS (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html): the call
goes to one production variant of an ``InService`` endpoint, ``TargetVariant`` if given, else one picked by
the variants' weights; the container answers ``POST /invocations`` and its body and ``Content-Type`` come
back with the ``x-Amzn-Invoked-Production-Variant`` header. Errors: an endpoint that does not exist is
``ValidationError`` ("Endpoint <name> of account <account> not found."), as is an unknown ``TargetVariant``;
a container answering other than 200 is ``ModelError`` (HTTP 424) with ``OriginalStatusCode`` and
``OriginalMessage`` (the container's body).

The sandbox has no containers. Instead, a model's server runs on the local machine
(``python -m launchpad_serving``) and is registered with the sandbox for the model's artifact
(``ModelDataUrl``) or its image, in one account and region::

    POST /_launchpad/local-servers   {"account": "...", "region": "...", "url": "http://127.0.0.1:8081",
                                      "model_data_url": "s3://.../model.tar.gz"}   (or "image": "...")
    GET  /_launchpad/local-servers?account=...&region=...
    DELETE /_launchpad/local-servers?account=...&region=...

(``launchpad.sandbox.local_servers`` is the client.) ``InvokeEndpoint`` then forwards the body,
``Content-Type`` and ``Accept`` to ``<url>/invocations`` of the picked variant's model, artifact first.
A model with no registered server is a ``ModelError`` whose message says how to register one. The request's
``InferenceId`` (header ``X-Amzn-SageMaker-Inference-Id``) goes into its data-capture record
(``sagemaker_execution.capture``). The variant
is picked among the ones ``DescribeEndpoint`` shows. During a simulated blue/green or rolling update
(``sagemaker_rollout``), the new fleet takes its share of the requests once it bakes
(``sagemaker_rollout.new_fleet_share``: a canary's size, then all): the same variant name, answered by the
new configuration's model; the choice is deterministic per request count (request n goes to the new fleet
when floor(n x share) grows), so a test sees exactly its share.

Each request the endpoint's variant takes publishes SageMaker's invocation metrics (SageMaker Developer
Guide, "Amazon SageMaker AI metrics in Amazon CloudWatch", endpoint invocation metrics) to the sandbox's
CloudWatch of the endpoint's account and region, namespace ``AWS/SageMaker``, under both dimension sets
``{EndpointName, VariantName}`` and ``{EndpointName, EndpointConfigName, VariantName}`` (the configuration
that served it: during an update, the new fleet's for its share): ``Invocations`` (1),
``InvocationsPerInstance`` (1 / the serving variant's instance count; not for serverless variants),
``Invocation4XXErrors`` and ``Invocation5XXErrors`` ("for each 4xx/5xx response 1 is sent; otherwise 0 is
sent": the container's status; a missing or unreachable local server counts as a 503), all with unit
``None``; and, for requests the container answered, ``ModelLatency`` (its answer time) and
``OverheadLatency`` (the sandbox's own time around it), in ``Microseconds``. A request refused with
``ValidationError`` (no such endpoint or variant) publishes nothing.

Stock moto returns canned bodies queued through ``/moto-api`` and does not check that the endpoint exists.
"""

from __future__ import annotations

import copy
import json
import math
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow
from moto.sagemaker.models import FakeEndpoint, sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from launchpad.sandbox import control, routes
from launchpad.sandbox.patches import sagemaker_execution as execution
from launchpad.sandbox.patches import sagemaker_hosting as hosting
from launchpad.sandbox.patches import sagemaker_rollout as rollout

ROUTE = "/_launchpad/local-servers"
TIMEOUT_SECONDS = 60  # SageMaker gives a real-time container 60 s to answer
NAMESPACE = "AWS/SageMaker"
_MARK = "_launchpad_sagemaker_runtime_patch"
_LOCK = threading.Lock()
_SERVERS: dict[tuple[str, str, str], str] = {}  # (account, region, artifact or image) -> url
_TURNS: weakref.WeakKeyDictionary[FakeEndpoint, int] = weakref.WeakKeyDictionary()  # requests during updates


class ValidationError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


class ModelError(JsonRESTError):
    code = 424

    def __init__(self, message: str, status: int, original: str) -> None:
        super().__init__("ModelError", message)
        self.description = json.dumps(
            {
                "__type": "ModelError",
                "Message": message,
                "OriginalStatusCode": status,
                "OriginalMessage": original,
            }
        )


# -- the registry and its route -----------------------------------------------------------------------
def register(account: str, region: str, key: str, url: str) -> None:
    with _LOCK:
        _SERVERS[(account, region, key)] = url.rstrip("/")


def registered(account: str, region: str) -> dict[str, str]:
    with _LOCK:
        return {key: url for (a, r, key), url in _SERVERS.items() if (a, r) == (account, region)}


def clear(account: str, region: str) -> None:
    with _LOCK:
        for entry in [e for e in _SERVERS if e[:2] == (account, region)]:
            del _SERVERS[entry]


def _route(environ: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    query = {**dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""))), **body}
    method = environ.get("REQUEST_METHOD", "GET")
    account, region = query.get("account"), query.get("region")
    if not account or not region:
        return 400, {"error": "name the account and the region"}
    if method == "GET":
        return 200, {"servers": registered(account, region)}
    if method == "DELETE":
        clear(account, region)
        return 200, {"servers": {}}
    key = query.get("model_data_url") or query.get("image")
    url = query.get("url", "")
    if method != "POST" or not key or not url.startswith(("http://", "https://")):
        return 400, {"error": "POST account, region, url (http://...) and model_data_url or image"}
    register(account, region, key, url)
    return 200, {"servers": registered(account, region)}


# -- InvokeEndpoint -----------------------------------------------------------------------------------
def pick_variant(variants: list[Mapping[str, Any]], target: str | None, endpoint: str) -> str:
    """``target`` if the endpoint has it, else a variant drawn by current weight."""
    names = [v["VariantName"] for v in variants]
    if target:
        if target not in names:
            known = ", ".join(names)
            raise ValidationError(f"Endpoint {endpoint} has no production variant {target}; it has {known}.")
        return target
    weights = [float(v.get("CurrentWeight", v.get("DesiredWeight", 1.0)) or 0.0) for v in variants]
    if not any(weights):
        weights = [1.0] * len(variants)
    return random.choices(names, weights=weights)[0]


def _endpoint(account: str, region: str, name: str) -> FakeEndpoint:
    endpoint = sagemaker_backends[account][region].endpoints.get(name)
    if endpoint is None:
        raise ValidationError(f"Endpoint {name} of account {account} not found.")
    rollout.advance(endpoint)  # an update may have moved on (completed, failed, or rolled back on an alarm)
    if endpoint.endpoint_status not in ("InService", "Updating", "RollingBack", "UpdateRollbackFailed"):
        raise ValidationError(f"Endpoint {name} of account {account} is {endpoint.endpoint_status}.")
    return endpoint


@dataclass(frozen=True)
class Serving:
    """The fleet that takes one request: its configuration and the variant's entry in it."""

    config: str
    variant: Mapping[str, Any]

    @property
    def instances(self) -> int:
        return int(self.variant.get("CurrentInstanceCount") or self.variant.get("DesiredInstanceCount") or 0)


def _takes_turn(endpoint: FakeEndpoint, share: float) -> bool:
    """Whether this request goes to the new fleet: request n does when floor(n x share) grows."""
    with _LOCK:
        n = _TURNS.get(endpoint, 0)
        _TURNS[endpoint] = n + 1
    return math.floor((n + 1) * share) > math.floor(n * share)


def serving(endpoint: FakeEndpoint, variant: str, now: datetime) -> Serving:
    """The old fleet, or during an update's bake, the new fleet for its share of the requests."""
    pending = rollout.new_fleet_share(endpoint, now)
    if pending is not None and _takes_turn(endpoint, pending[0]):
        new = pending[1]
        entry = next((v for v in new.get("production_variants") or [] if v["VariantName"] == variant), None)
        if entry is not None:
            return Serving(new["endpoint_config_name"], entry)
    entry = next(v for v in endpoint.production_variants or [] if v["VariantName"] == variant)
    return Serving(endpoint.endpoint_config_name, entry)


def _model_keys(account: str, region: str, config_name: str, variant: str) -> tuple[str, list[str]]:
    backend = sagemaker_backends[account][region]
    config = backend.endpoint_configs.get(config_name)
    entry = next(v for v in (config.production_variants if config else []) if v["VariantName"] == variant)
    model = backend._models.get(entry["ModelName"])
    container = (model.primary_container or {}) if model is not None else {}
    keys = [container.get("ModelDataUrl"), container.get("Image")]
    return entry["ModelName"], [k for k in keys if k]


# Local servers are on 127.0.0.1: never through a proxy the server's environment names.


def forward(url: str, body: bytes, content_type: str, accept: str) -> tuple[int, bytes, str]:
    headers = {"Content-Type": content_type} if content_type else {}
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(f"{url}/invocations", data=body, headers=headers, method="POST")
    try:
        with control.DIRECT.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


def publish_metrics(
    account: str,
    region: str,
    endpoint: str,
    served: Serving,
    status: int,
    latency: tuple[float, float] | None = None,
) -> None:
    """SageMaker's invocation metrics of one request (module docstring); ``latency``: the model's and the
    sandbox's own seconds, when the container answered."""
    name = served.variant["VariantName"]
    values: list[tuple[str, float, str]] = [
        ("Invocations", 1.0, "None"),
        ("Invocation4XXErrors", 1.0 if 400 <= status < 500 else 0.0, "None"),
        ("Invocation5XXErrors", 1.0 if status >= 500 else 0.0, "None"),
    ]
    if served.instances:
        values.append(("InvocationsPerInstance", 1.0 / served.instances, "None"))
    if latency is not None:
        values += [
            ("ModelLatency", latency[0] * 1e6, "Microseconds"),
            ("OverheadLatency", latency[1] * 1e6, "Microseconds"),
        ]
    by_variant = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": name}]
    by_config = [*by_variant[:1], {"Name": "EndpointConfigName", "Value": served.config}, by_variant[1]]
    now = utcnow()
    data = [
        {"MetricName": metric, "Dimensions": dimensions, "Value": value, "Unit": unit, "Timestamp": now}
        for dimensions in (by_variant, by_config)
        for metric, value, unit in values
    ]
    cloudwatch_backends[account][region].put_metric_data(NAMESPACE, data)


def _server_url(account: str, region: str, keys: list[str]) -> str | None:
    """The local server registered for the model's artifact (first) or image."""
    servers = registered(account, region)
    return next((servers[k] for k in keys if k in servers), None)


def _capture_view(endpoint: FakeEndpoint, served: Serving) -> FakeEndpoint:
    """The endpoint as data capture sees it: on the configuration that served the request."""
    if served.config == endpoint.endpoint_config_name:
        return endpoint
    view = copy.copy(endpoint)
    view.endpoint_config_name = served.config
    return view


def invoke(
    account: str,
    region: str,
    name: str,
    target: str | None,
    body: bytes,
    content_type: str,
    accept: str,
    inference_id: str | None = None,
) -> tuple[bytes, str, str]:
    """The model's answer: (body, content type, variant); ``inference_id`` goes to the capture record."""
    started = time.perf_counter()
    endpoint = _endpoint(account, region, name)
    variant = pick_variant(list(endpoint.production_variants or []), target, name)
    served = serving(endpoint, variant, utcnow())
    model, keys = _model_keys(account, region, served.config, variant)
    # An explicitly registered local server first, then the serving image's stand-in hosting started.
    url = _server_url(account, region, keys) or hosting.url_for(account, region, model)
    if url is None:
        publish_metrics(account, region, name, served, 503)
        message = (
            f'Received server error (503) from primary with message "the sandbox has no local server for '
            f"model {model} of variant {variant} ({', '.join(keys)}): start it with `python -m "
            f"launchpad_serving` and register it with launchpad.sandbox.local_servers.register, or register "
            f"its image's stand-in with launchpad.sandbox.serving_images.register\"."
        )
        raise ModelError(message, 503, "no local server registered")
    asked = time.perf_counter()
    try:
        status, answer, answer_type = forward(url, body, content_type, accept)
    except OSError as exc:
        publish_metrics(account, region, name, served, 503)
        message = f'Received server error (503) from primary with message "{url} did not answer: {exc}".'
        raise ModelError(message, 503, str(exc)) from exc
    answered = time.perf_counter()
    publish_metrics(account, region, name, served, status, (answered - asked, asked - started))
    if status != 200:
        text = answer.decode(errors="replace")
        kind = "client" if status < 500 else "server"
        raise ModelError(
            f'Received {kind} error ({status}) from primary with message "{text}".', status, text
        )
    answer_type = answer_type or "application/json"
    backend = sagemaker_backends[account][region]
    execution.capture(
        backend,
        _capture_view(endpoint, served),
        variant,
        body,
        content_type,
        answer,
        answer_type,
        inference_id,
    )
    return answer, answer_type, variant


def apply() -> None:
    if getattr(SageMakerRuntimeResponse, _MARK, False):
        return

    def invoke_endpoint(self: SageMakerRuntimeResponse) -> Any:
        answer, answer_type, variant = invoke(
            self.current_account,
            self.region,
            self._get_param("EndpointName") or self.path.split("/")[2],
            self.headers.get("X-Amzn-SageMaker-Target-Variant"),
            self.body if isinstance(self.body, bytes) else str(self.body or "").encode(),
            self.headers.get("Content-Type", ""),
            self.headers.get("Accept", ""),
            self.headers.get("X-Amzn-SageMaker-Inference-Id"),
        )
        return 200, {"Content-Type": answer_type, "x-Amzn-Invoked-Production-Variant": variant}, answer

    SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint  # type: ignore[method-assign]
    routes.add(ROUTE, _route)
    setattr(SageMakerRuntimeResponse, _MARK, True)
