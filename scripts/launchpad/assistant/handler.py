"""The assistant's Lambda function: ``POST /ask`` answers a medical question from retrieved passages and the
model on a SageMaker endpoint; ``POST /feedback`` records a thumbs up or down on an answer
(docs/assistant.md is the contract this module keeps: its shapes, statuses, environment and item).

API Gateway (REST) calls it with the Lambda proxy integration's event, format 1.0 (API Gateway Developer
Guide, "Input format of a Lambda function for proxy integration"), after the gateway has authenticated the
caller, checked the API key and validated the body; the function routes on ``resource`` (``/ask`` and
``/feedback`` for people, ``/service/ask`` and ``/service/feedback`` for services) and takes the caller
from ``requestContext.authorizer.claims.sub`` (the Cognito user pool authorizer) for people and
``requestContext.identity.userArn`` (``AWS_IAM``, SigV4) for services. It answers
``{"statusCode", "headers", "body"}``; every error body is ``{"message": "..."}``. With
``CORS_ALLOWED_ORIGIN`` (the web page's origin) every answer carries ``Access-Control-Allow-Origin`` with it
and ``Vary: Origin``: with a proxy integration the function's headers are the answer's.

``/ask``: the question is masked (``launchpad.assistant.phi``) and only the masked text goes further: to
retrieval (``launchpad.assistant.retrieval``, over the index read from ``INDEX_URI`` once per execution
environment, ``ExpectedBucketOwner``), to the model (the Hugging Face text2text request of the contract,
``InvokeEndpoint`` with ``InferenceId`` = the query id, so data capture and feedback join on it) and to the
query log. The read timeout of ``InvokeEndpoint`` is what the function has left
(``context.get_remaining_time_in_millis()``) less ``RESERVE_SECONDS`` for storing and answering, and the
call is not retried: an endpoint too slow for that is 504, a throttled one 503 (the caller may try again),
one that refuses or fails (``ModelError``, an unknown endpoint) 502. Only a complete answer is stored, with
one conditional ``PutItem`` (``attribute_not_exists(query_id)``); the raw question only where
``STORE_QUESTION`` is true.

The model version: the name of the SageMaker model behind the variant that answered
(``InvokedProductionVariant``). ``DescribeEndpoint`` gives the endpoint's config, ``DescribeEndpointConfig``
its variants' model names; launchpad's deploy and the sagemaker-endpoint module name a model
``<endpoint>-<variant>-<hash of image, artifact, role, network>`` (``modules/sagemaker-endpoint/
definition.json``), so the name changes exactly when what serves changes, and it fits the feedback record's
``model_version``. The endpoint's config is looked up at most once a minute per execution environment
(``VERSION_TTL_SECONDS``), a config's variants once (configs are immutable). During an update SageMaker
serves the old and new fleets under one variant name, so an answer given in that window may be credited to
either model; a variant missing from the cached config forces one fresh lookup, then ``unknown``.

``/feedback``: the token is verified (``launchpad.assistant.tokens``: KMS ``VerifyMac``, expiry, the same
caller), the query's item read (404 when there is none), and a feedback record (issue 12's schema, score
kind ``helpful``) written with ``launchpad.monitor.feedback_store``: the object is named after the query and
the kind, so the same feedback sent again overwrites itself. A comment is stored masked unless
``STORE_QUESTION`` is true, as the question is.

Logs: one JSON line per request with the route, the query id, the status, the latencies, the counts of the
PHI kinds masked and, on failure, an error type or AWS error code; never the question, the answer, a
comment, a token, an exception's message or a model's error text (any of them may quote the question).
Clients are created once per execution environment, with a bounded retry (``total_max_attempts`` 2; the
endpoint's 1). Standard library and boto3 only: the function's zip is
``python -m launchpad.assistant.lambda_zip``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from launchpad.assistant import phi, tokens
from launchpad.assistant.retrieval import Index, Passage
from launchpad.monitor import feedback_store

LOG = logging.getLogger("launchpad.assistant")
LOG.setLevel(logging.INFO)

MAX_BODY_BYTES = 16 * 1024  # the function's own limit, far below the gateway's 10 MB
MAX_QUESTION_CHARS = 2000
MAX_COMMENT_CHARS = 1000
MAX_STORED_COMMENT_CHARS = 2000  # the feedback schema's limit; a masked comment may be a little longer
MAX_ANSWER_BYTES = 64 * 1024  # more than any text2text answer of max_new_tokens 256
MAX_NEW_TOKENS = 256
RESERVE_SECONDS = 2.0  # left after the model's call: the PutItem and the answer
MIN_MODEL_SECONDS = 1  # a model call with less time than this is not started: 504
MAX_MODEL_SECONDS = 60  # SageMaker real-time endpoints answer within 60 s
CONNECT_TIMEOUT = 2
VERSION_TTL_SECONDS = 60.0
UNKNOWN_VERSION = "unknown"
DEFAULT_TOKEN_TTL_SECONDS = 7 * 24 * 3600
DEFAULT_TOP_K = 3
MAX_TOP_K = 20
STAGES = ("dev", "staging", "prod")
JSON = "application/json"
# CORS_ALLOWED_ORIGIN: one https origin, as modules/inference-api's cors_allowed_origins validates it.
_ORIGIN = re.compile(r"https://[a-z0-9.-]+(:[0-9]{1,5})?")
DISCLAIMER = (
    "This answer is general information drawn from the cited sources, not medical advice, and it may be "
    "incomplete or wrong. Ask a doctor or another qualified health professional about your own situation; "
    "in an emergency, call your local emergency number."
)
ROUTES = {  # resource -> (route, whether the caller is a service)
    "/ask": ("ask", False),
    "/service/ask": ("ask", True),
    "/feedback": ("feedback", False),
    "/service/feedback": ("feedback", True),
}
SOURCES = {False: "assistant-api", True: "assistant-service"}  # the feedback record's ``source``
INVALID_BODY = "Invalid request body"  # what the gateway's request validator says
INTERNAL = "Internal server error"  # what the gateway says when a function fails


class ApiError(Exception):
    """An answer other than 200: its status, its fixed message (never a value of the request), and what the
    log line says about it."""

    def __init__(self, status: HTTPStatus, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error


# -- settings and clients ------------------------------------------------------------------------------------
def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError("an S3 location is s3://bucket/key")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError("an S3 location is s3://bucket/key")
    return bucket, key


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


@dataclass(frozen=True)
class Settings:
    """The function's environment (docs/assistant.md, "The function's environment")."""

    endpoint_name: str
    stage: str
    table_name: str
    index_uri: str
    feedback_bucket: str
    feedback_prefix: str
    feedback_kms_key_arn: str
    bucket_owner: str
    token_key_id: str
    record_ttl_days: int
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS
    store_question: bool = False
    top_k: int = DEFAULT_TOP_K
    cors_allowed_origin: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """The settings, or ValueError naming the variable that is missing or wrong."""
        missing = [
            name
            for name in (
                "ENDPOINT_NAME",
                "STAGE",
                "TABLE_NAME",
                "INDEX_URI",
                "FEEDBACK_URI",
                "FEEDBACK_KMS_KEY_ARN",
                "BUCKET_OWNER",
                "TOKEN_KEY_ID",
                "RECORD_TTL_DAYS",
            )
            if not environ.get(name)
        ]
        if missing:
            raise ValueError(f"the function's environment has no {', '.join(missing)}")
        if environ["STAGE"] not in STAGES:
            raise ValueError(f"STAGE is one of {', '.join(STAGES)}")
        bucket, prefix = split_s3_uri(environ["FEEDBACK_URI"])
        feedback_store.check_prefix(prefix)
        split_s3_uri(environ["INDEX_URI"])
        settings = cls(
            endpoint_name=environ["ENDPOINT_NAME"],
            stage=environ["STAGE"],
            table_name=environ["TABLE_NAME"],
            index_uri=environ["INDEX_URI"],
            feedback_bucket=bucket,
            feedback_prefix=prefix,
            feedback_kms_key_arn=environ["FEEDBACK_KMS_KEY_ARN"],
            bucket_owner=environ["BUCKET_OWNER"],
            token_key_id=environ["TOKEN_KEY_ID"],
            record_ttl_days=int(environ["RECORD_TTL_DAYS"]),
            token_ttl_seconds=int(environ.get("TOKEN_TTL_SECONDS") or DEFAULT_TOKEN_TTL_SECONDS),
            store_question=_flag(environ.get("STORE_QUESTION")),
            top_k=int(environ.get("TOP_K") or DEFAULT_TOP_K),
            cors_allowed_origin=cors_origin(environ),
        )
        if not 1 <= settings.top_k <= MAX_TOP_K:
            raise ValueError(f"TOP_K is 1 to {MAX_TOP_K}")
        if settings.record_ttl_days < 1 or settings.token_ttl_seconds < 1:
            raise ValueError("RECORD_TTL_DAYS and TOKEN_TTL_SECONDS are 1 or more")
        return settings


def client_config(read_timeout: float = 10, attempts: int = 2) -> Config:
    """A client's timeouts and its bounded retry (botocore's standard mode: throttling and transient
    errors, ``attempts`` calls at most)."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": attempts},
    )


class ModelVersions:
    """The model version each variant of the endpoint serves: the name of the variant's SageMaker model,
    from the endpoint's current config (looked up at most once per ``ttl`` seconds)."""

    def __init__(
        self,
        sagemaker: Any,
        endpoint: str,
        ttl: float = VERSION_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sagemaker = sagemaker
        self.endpoint = endpoint
        self.ttl = ttl
        self.clock = clock
        self._config: str | None = None
        self._looked_up = 0.0
        self._models: dict[str, dict[str, str]] = {}

    def refresh(self, force: bool = False) -> None:
        """Look the endpoint's config up if the last lookup is older than the ttl (or ``force``)."""
        now = self.clock()
        if not force and self._config is not None and now - self._looked_up < self.ttl:
            return
        config = self.sagemaker.describe_endpoint(EndpointName=self.endpoint)["EndpointConfigName"]
        if config not in self._models:
            described = self.sagemaker.describe_endpoint_config(EndpointConfigName=config)
            variants = [
                *described.get("ProductionVariants", []),
                *described.get("ShadowProductionVariants", []),
            ]
            self._models[config] = {v["VariantName"]: v["ModelName"] for v in variants}
        self._config, self._looked_up = config, now

    def version(self, variant: str) -> str:
        """The model name behind ``variant``; a variant the cached config lacks forces one lookup, and
        ``unknown`` if the lookup fails or the variant is still missing."""
        models = self._models.get(self._config or "", {})
        if variant not in models:
            try:
                self.refresh(force=True)
            except (ClientError, BotoCoreError) as exc:
                LOG.warning(json.dumps({"event": "model_version_lookup_failed", "error": _code(exc)}))
                return UNKNOWN_VERSION
            models = self._models.get(self._config or "", {})
        return models.get(variant, UNKNOWN_VERSION)


@dataclass
class Services:
    """What the function uses, made once per execution environment: its settings, its AWS clients, the
    index (read at the first question) and the model versions."""

    settings: Settings
    s3: Any
    dynamodb: Any
    kms: Any
    sagemaker: Any
    runtime_factory: Callable[[int], Any]
    clock: Callable[[], float] = time.time
    _index: Index | None = field(default=None, repr=False)
    _runtimes: dict[int, Any] = field(default_factory=dict, repr=False)
    _versions: ModelVersions | None = field(default=None, repr=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Services:
        settings = Settings.from_environment(environ)
        session = boto3.session.Session()
        config = client_config()

        def runtime(seconds: int) -> Any:
            return session.client("sagemaker-runtime", config=client_config(seconds, attempts=1))

        return cls(
            settings=settings,
            s3=session.client("s3", config=config),
            dynamodb=session.client("dynamodb", config=config),
            kms=session.client("kms", config=config),
            sagemaker=session.client("sagemaker", config=config),
            runtime_factory=runtime,
        )

    def index(self) -> Index:
        """The exported index, read from ``INDEX_URI`` at the first call of the execution environment."""
        if self._index is None:
            bucket, key = split_s3_uri(self.settings.index_uri)
            body = self.s3.get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=self.settings.bucket_owner)
            self._index = Index.loads(body["Body"].read())
        return self._index

    def runtime(self, read_timeout_seconds: int) -> Any:
        """A SageMaker Runtime client whose read timeout is ``read_timeout_seconds``: one per whole second,
        made when first needed (botocore fixes the timeout when a client is made)."""
        if read_timeout_seconds not in self._runtimes:
            self._runtimes[read_timeout_seconds] = self.runtime_factory(read_timeout_seconds)
        return self._runtimes[read_timeout_seconds]

    def versions(self) -> ModelVersions:
        if self._versions is None:
            self._versions = ModelVersions(self.sagemaker, self.settings.endpoint_name)
        return self._versions


@cache
def services() -> Services:
    """The execution environment's services, made at its first request."""
    return Services.from_environment(os.environ)


# -- requests and answers ------------------------------------------------------------------------------------
def cors_origin(environ: Mapping[str, str]) -> str:
    """``CORS_ALLOWED_ORIGIN``: the web page's origin (``https://<host>[:<port>]``), or "" for none;
    ValueError for anything else (a path, a wildcard, several origins)."""
    origin = (environ.get("CORS_ALLOWED_ORIGIN") or "").strip()
    if origin and not _ORIGIN.fullmatch(origin):
        raise ValueError("CORS_ALLOWED_ORIGIN is one origin, https://<host>[:<port>], or empty")
    return origin


def response(status: int, body: Mapping[str, Any], cors_allowed_origin: str = "") -> dict[str, Any]:
    """A proxy integration's answer: the function owns its headers, so the CORS ones are its own too (the
    gateway adds them to its own responses only). With an allowed origin, every answer names it (the browser
    reads no answer without it) and ``Vary: Origin`` (a cache must not serve it to another origin)."""
    headers = {"Content-Type": JSON, "Cache-Control": "no-store"}
    if cors_allowed_origin:
        headers["Access-Control-Allow-Origin"] = cors_allowed_origin
        headers["Vary"] = "Origin"
    return {
        "statusCode": int(status),
        "headers": headers,
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def read_body(event: Mapping[str, Any]) -> Any:
    """The request's JSON body; 413 over ``MAX_BODY_BYTES`` (checked before decoding), else 400 when it is
    not JSON."""
    raw = event.get("body")
    if raw is None:
        raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "no body")
    if not isinstance(raw, str):
        raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "body not text")
    too_large = ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"the request body is over {MAX_BODY_BYTES} bytes; send less",
        "body too large",
    )
    if event.get("isBase64Encoded"):
        if len(raw) > (MAX_BODY_BYTES + 2) // 3 * 4:
            raise too_large
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "body not base64") from None
    else:
        if len(raw) > MAX_BODY_BYTES:
            raise too_large
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise too_large
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "body not JSON") from None


def _fields(body: Any, required: Mapping[str, type], optional: Mapping[str, type]) -> dict[str, Any]:
    """The body's fields, each of its type; 400 for anything else (the gateway's models say the same)."""
    if not isinstance(body, dict) or not set(required) <= set(body) <= set(required) | set(optional):
        raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "fields")
    kinds = {**required, **optional}
    for name, value in body.items():
        if type(value) is not kinds[name]:  # bool is not int here, and no subclass of str
            raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "field type")
    return dict(body)


def caller_of(event: Mapping[str, Any], service: bool) -> str:
    """The Cognito ``sub`` (people) or the IAM caller's ARN (services) the gateway authenticated."""
    context = event.get("requestContext") or {}
    if service:
        caller = (context.get("identity") or {}).get("userArn")
    else:
        caller = ((context.get("authorizer") or {}).get("claims") or {}).get("sub")
    if not isinstance(caller, str) or not 0 < len(caller) <= tokens.MAX_CALLER_CHARS:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized", "no caller")
    return caller


def _code(error: Exception) -> str:
    return feedback_store.error_code(error)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the model -----------------------------------------------------------------------------------------------
def model_request(question: str, passages: list[Passage]) -> dict[str, Any]:
    """The Hugging Face text2text request of the contract: the masked question and the passages, each after
    its id in brackets."""
    context = " ".join(f"[{p.id}] {p.text}" for p in passages)
    return {
        "inputs": f"question: {question} context: {context}",
        "parameters": {"max_new_tokens": MAX_NEW_TOKENS},
    }


_BUSY_CODES = frozenset(
    {"ThrottlingException", "ServiceUnavailable", "ServiceUnavailableException", "ModelNotReadyException"}
)


def endpoint_failure(error: Exception) -> ApiError:
    """What the caller is told when the endpoint does not answer: 503 busy, 504 too slow, 502 otherwise."""
    if isinstance(error, ReadTimeoutError | ConnectTimeoutError):
        return ApiError(
            HTTPStatus.GATEWAY_TIMEOUT, "the model did not answer in time; try again", _code(error)
        )
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if _code(error) in _BUSY_CODES or status in (429, 503):
            return ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE, "the model is busy; try again shortly", _code(error)
            )
    return ApiError(HTTPStatus.BAD_GATEWAY, "the model failed to answer", _code(error))


def read_answer(payload: bytes) -> str:
    """The ``generated_text`` of ``[{"generated_text": "..."}]``; 502 for anything else."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        document = None
    first = document[0] if isinstance(document, list) and document else None
    answer = first.get("generated_text") if isinstance(first, dict) else None
    if not isinstance(answer, str) or not answer.strip():
        raise ApiError(HTTPStatus.BAD_GATEWAY, "the model failed to answer", "answer malformed")
    return answer.strip()


def invoke(services: Services, context: Any, query_id: str, request: Mapping[str, Any]) -> tuple[str, str]:
    """(answer, variant) of one ``InvokeEndpoint``, within the time the function has left."""
    seconds = int(context.get_remaining_time_in_millis() / 1000 - RESERVE_SECONDS)
    if seconds < MIN_MODEL_SECONDS:
        raise ApiError(HTTPStatus.GATEWAY_TIMEOUT, "the model did not answer in time; try again", "no time")
    runtime = services.runtime(min(seconds, MAX_MODEL_SECONDS))
    try:
        answered = runtime.invoke_endpoint(
            EndpointName=services.settings.endpoint_name,
            ContentType=JSON,
            Accept=JSON,
            InferenceId=query_id,
            Body=json.dumps(request, ensure_ascii=False).encode("utf-8"),
        )
        payload = answered["Body"].read(MAX_ANSWER_BYTES + 1)
    except (ClientError, BotoCoreError) as exc:
        raise endpoint_failure(exc) from None
    if len(payload) > MAX_ANSWER_BYTES:
        raise ApiError(HTTPStatus.BAD_GATEWAY, "the model failed to answer", "answer too large")
    variant = answered.get("InvokedProductionVariant") or UNKNOWN_VERSION
    return read_answer(payload), variant


# -- the routes ----------------------------------------------------------------------------------------------
def ask(
    services: Services, event: Mapping[str, Any], context: Any, caller: str, note: dict[str, Any]
) -> dict[str, Any]:
    started = time.monotonic()
    settings = services.settings
    question = _fields(read_body(event), {"question": str}, {})["question"]
    if not 0 < len(question) <= MAX_QUESTION_CHARS or not question.strip():
        raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "question length")
    masked = phi.mask(question)
    note["phi"] = dict(sorted(masked.kinds.items()))
    index = services.index()
    passages = [index.passage(hit.id) for hit in index.search(masked.text, settings.top_k)]
    note["passages"] = len(passages)

    query_id = str(uuid.uuid4())
    note["query_id"] = query_id
    now = services.clock()
    token = tokens.issue(
        services.kms,
        settings.token_key_id,
        tokens.Claims(query_id, caller, int(now) + settings.token_ttl_seconds),
    )
    versions = services.versions()
    versions.refresh()

    model_started = time.monotonic()
    answer, variant = invoke(services, context, query_id, model_request(masked.text, passages))
    model_latency_ms = round((time.monotonic() - model_started) * 1000)
    version = versions.version(variant)
    note.update(variant=variant, model_latency_ms=model_latency_ms)

    item: dict[str, Any] = {
        "query_id": {"S": query_id},
        "created_at": {"S": _iso(now)},
        "expires_at": {"N": str(int(now) + settings.record_ttl_days * 86400)},
        "caller": {"S": caller},
        "question_masked": {"S": masked.text},
        "answer": {"S": answer},
        "passage_ids": {"L": [{"S": p.id} for p in passages]},
        "endpoint": {"S": settings.endpoint_name},
        "variant": {"S": variant},
        "model_version": {"S": version},
        "latency_ms": {"N": str(round((time.monotonic() - started) * 1000))},
        "model_latency_ms": {"N": str(model_latency_ms)},
    }
    if settings.store_question:
        item["question"] = {"S": question}
    services.dynamodb.put_item(
        TableName=settings.table_name, Item=item, ConditionExpression="attribute_not_exists(query_id)"
    )
    return {
        "query_id": query_id,
        "answer": answer,
        "sources": [{"id": p.id, "title": p.title, "source": p.source, "url": p.url} for p in passages],
        "model": {"endpoint": settings.endpoint_name, "variant": variant, "version": version},
        "feedback_token": token,
        "disclaimer": DISCLAIMER,
    }


def feedback(
    services: Services, event: Mapping[str, Any], caller: str, service: bool, note: dict[str, Any]
) -> dict[str, Any]:
    settings = services.settings
    body = _fields(read_body(event), {"feedback_token": str, "helpful": bool}, {"comment": str})
    if len(body.get("comment", "")) > MAX_COMMENT_CHARS:
        raise ApiError(HTTPStatus.BAD_REQUEST, INVALID_BODY, "comment length")
    now = services.clock()
    try:
        claims = tokens.verify(
            services.kms, settings.token_key_id, body["feedback_token"], caller=caller, now=now
        )
    except tokens.TokenError as exc:
        raise ApiError(HTTPStatus.FORBIDDEN, exc.message, type(exc).__name__) from None
    note["query_id"] = claims.query_id
    found = services.dynamodb.get_item(
        TableName=settings.table_name,
        Key={"query_id": {"S": claims.query_id}},
        ConsistentRead=True,
        ProjectionExpression="#c, #e, #v, #m",
        ExpressionAttributeNames={"#c": "caller", "#e": "endpoint", "#v": "variant", "#m": "model_version"},
    ).get("Item")
    if not found:
        raise ApiError(HTTPStatus.NOT_FOUND, "no answer is stored for this feedback token", "no query")
    if found.get("caller", {}).get("S") != caller:
        raise ApiError(HTTPStatus.FORBIDDEN, tokens.WrongCaller.message, "WrongCaller")
    record: dict[str, Any] = {
        "schema_version": 1,
        "inference_id": claims.query_id,
        "stage": settings.stage,
        "endpoint": found["endpoint"]["S"],
        "variant": found["variant"]["S"],
        "model_version": found["model_version"]["S"],
        "score": {"kind": "helpful", "value": body["helpful"]},
        "received_at": _iso(now),
        "source": SOURCES[service],
    }
    comment = body.get("comment")
    if comment:
        masked = phi.mask(comment)
        note["phi"] = dict(sorted(masked.kinds.items()))
        record["comment"] = (comment if settings.store_question else masked.text)[:MAX_STORED_COMMENT_CHARS]
    feedback_store.put_records(
        services.s3,
        settings.feedback_bucket,
        [record],
        kms_key_id=settings.feedback_kms_key_arn,
        prefix=settings.feedback_prefix,
        expected_owner=settings.bucket_owner,
    )
    return {"query_id": claims.query_id, "status": "recorded"}


def handle(event: Mapping[str, Any], context: Any, services: Services) -> dict[str, Any]:
    """One request: routed, answered, and logged as one JSON line."""
    started = time.monotonic()
    resource = event.get("resource")
    request_context = event.get("requestContext") or {}
    note: dict[str, Any] = {"request_id": request_context.get("requestId")}
    origin = services.settings.cors_allowed_origin
    try:
        if resource not in ROUTES:
            raise ApiError(HTTPStatus.NOT_FOUND, "Not Found", "route")
        route, service = ROUTES[resource]
        note["route"] = route
        if event.get("httpMethod") != "POST":
            raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", "method")
        caller = caller_of(event, service)
        if route == "ask":
            answer = response(HTTPStatus.OK, ask(services, event, context, caller, note), origin)
        else:
            answer = response(HTTPStatus.OK, feedback(services, event, caller, service, note), origin)
    except ApiError as exc:
        note["error"] = exc.error
        answer = response(exc.status, {"message": exc.message}, origin)
    except Exception as exc:  # a dependency or a bug: its message may quote the request, so its type only
        note["error"] = _code(exc)
        answer = response(HTTPStatus.BAD_GATEWAY, {"message": INTERNAL}, origin)
    note["status"] = answer["statusCode"]
    note["latency_ms"] = round((time.monotonic() - started) * 1000)
    line = {key: value for key, value in note.items() if value is not None}
    LOG.log(logging.ERROR if answer["statusCode"] >= 500 else logging.INFO, json.dumps(line, sort_keys=True))
    return answer


def _configured_origin() -> str:
    """The allowed origin when the rest of the environment is wrong: the page still reads the 502."""
    try:
        return cors_origin(os.environ)
    except ValueError:
        return ""


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (``launchpad.assistant.handler.handler``)."""
    try:
        environment = services()
    except ValueError as exc:  # a misconfigured function: the message names variables, never a request
        LOG.error(json.dumps({"event": "configuration", "error": str(exc)[:500], "status": 502}))
        return response(HTTPStatus.BAD_GATEWAY, {"message": INTERNAL}, _configured_origin())
    except Exception as exc:
        LOG.error(json.dumps({"event": "configuration", "error": _code(exc), "status": 502}))
        return response(HTTPStatus.BAD_GATEWAY, {"message": INTERNAL}, _configured_origin())
    return handle(event, context, environment)
