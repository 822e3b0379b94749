"""The assistant's Lambda function (launchpad.assistant.handler) against small fakes of S3, DynamoDB, KMS (a
real HMAC), SageMaker and SageMaker Runtime: every row of docs/assistant.md's contract the function answers,
what it stores, and that no log line, message or answer holds the question, the answer or a comment."""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from launchpad.assistant import handler as function
from launchpad.assistant import tokens
from launchpad.assistant.retrieval import tokenize
from launchpad.monitor import feedback, feedback_store
from tests.unit.test_assistant_tokens import KEY_ID, FakeKms

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
ENDPOINT = "medqa-prod"
VARIANT = "challenger"
MODEL = "medqa-prod-challenger-1a2b3c4d"
OWNER = "111122223333"
SUB = "4f1c2b8e-1111-4a3b-9c2d-0123456789ab"
ROLE = "arn:aws:sts::111122223333:assumed-role/triage-bot/session"
SSN = "123-45-6789"
QUESTION = f"My name is Jane Roe, SSN {SSN}, email jane@example.com. How much ibuprofen can I take for pain?"
PASSAGES = [
    ("p-0001", "Ibuprofen dosing", "Adults may take 200 to 400 mg of ibuprofen every 4 to 6 hours for pain."),
    ("p-0002", "Sunburn", "Cool the skin with a damp cloth and drink water."),
    ("p-0003", "Ibuprofen and the stomach", "Take ibuprofen with food to protect the stomach."),
]
ANSWER = "Adults may take 200 to 400 mg of ibuprofen every 4 to 6 hours. [p-0001]"
ENVIRONMENT = {
    "ENDPOINT_NAME": ENDPOINT,
    "STAGE": "prod",
    "TABLE_NAME": "medqa-queries",
    "INDEX_URI": "s3://lp-index/assistant/index.json",
    "FEEDBACK_URI": "s3://lp-feedback/feedback/",
    "FEEDBACK_KMS_KEY_ARN": "arn:aws:kms:eu-west-1:111122223333:key/feedback",
    "BUCKET_OWNER": OWNER,
    "TOKEN_KEY_ID": KEY_ID,
    "TOKEN_TTL_SECONDS": "3600",
    "RECORD_TTL_DAYS": "30",
    "TOP_K": "2",
}


def index_document() -> dict[str, Any]:
    """An exported index of PASSAGES whose scores are term counts (enough to rank by)."""
    counts = [Counter(tokenize(f"{title}\n{text}")) for _, title, text in PASSAGES]
    vocabulary = sorted({token for count in counts for token in count})
    return {
        "format": "launchpad-bm25-index",
        "format_version": 1,
        "tokenizer": {"name": "launchpad-en", "version": 1},
        "bm25": {"method": "lucene", "k1": 1.5, "b": 0.75},
        "passages": [
            {
                "id": i,
                "title": t,
                "text": x,
                "source": "MedlinePlus",
                "url": f"https://example.org/{i}",
                "licence": "PD",
            }
            for i, t, x in PASSAGES
        ],
        "vocabulary": vocabulary,
        "postings": [
            {
                "passages": [n for n, count in enumerate(counts) if token in count],
                "scores": [float(count[token]) for count in counts if token in count],
            }
            for token in vocabulary
        ],
    }


class FakeS3:
    def __init__(self) -> None:
        self.gets: list[dict[str, Any]] = []
        self.objects: dict[str, bytes] = {}
        self.puts: list[dict[str, Any]] = []
        self.index = json.dumps(index_document()).encode()

    def get_object(self, **call: Any) -> dict[str, Any]:
        self.gets.append(call)
        return {"Body": io.BytesIO(self.index)}

    def put_object(self, **call: Any) -> dict[str, Any]:
        self.puts.append(call)
        self.objects[call["Key"]] = call["Body"]
        return {}


class FakeDynamoDB:
    def __init__(self, fail: bool = False) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.puts: list[dict[str, Any]] = []
        self.fail = fail

    def put_item(self, TableName: str, Item: dict[str, Any], ConditionExpression: str) -> dict[str, Any]:
        if self.fail:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem")
        assert ConditionExpression == "attribute_not_exists(query_id)"
        key = Item["query_id"]["S"]
        if key in self.items:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem")
        self.puts.append({"TableName": TableName, "Item": Item})
        self.items[key] = Item
        return {}

    def get_item(self, TableName: str, Key: dict[str, Any], **call: Any) -> dict[str, Any]:
        assert call["ConsistentRead"] is True
        item = self.items.get(Key["query_id"]["S"])
        return {"Item": item} if item else {}


class FakeSageMaker:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:
        self.calls.append("DescribeEndpoint")
        return {"EndpointName": EndpointName, "EndpointConfigName": f"{EndpointName}-9f8e7d6c"}

    def describe_endpoint_config(self, EndpointConfigName: str) -> dict[str, Any]:
        self.calls.append("DescribeEndpointConfig")
        return {
            "ProductionVariants": [
                {"VariantName": "champion", "ModelName": "medqa-prod-champion-00aa11bb"},
                {"VariantName": VARIANT, "ModelName": MODEL},
            ]
        }


class FakeRuntime:
    """InvokeEndpoint: an answer, or the error given."""

    def __init__(self, answer: bytes | None = None, error: Exception | None = None) -> None:
        self.answer = json.dumps([{"generated_text": ANSWER}]).encode() if answer is None else answer
        self.error = error
        self.calls: list[dict[str, Any]] = []
        self.timeouts: list[int] = []

    def invoke_endpoint(self, **call: Any) -> dict[str, Any]:
        self.calls.append(call)
        if self.error is not None:
            raise self.error
        return {
            "Body": io.BytesIO(self.answer),
            "InvokedProductionVariant": VARIANT,
            "ContentType": "application/json",
        }


class Context:
    def __init__(self, remaining_ms: int = 30_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class World:
    """The function's services over fakes, and what they saw."""

    def __init__(
        self, runtime: FakeRuntime | None = None, dynamodb: FakeDynamoDB | None = None, **env: str
    ) -> None:
        self.s3, self.dynamodb, self.kms = FakeS3(), dynamodb or FakeDynamoDB(), FakeKms()
        self.sagemaker, self.runtime = FakeSageMaker(), runtime or FakeRuntime()
        self.now = NOW

        def runtime_for(seconds: int) -> FakeRuntime:
            self.runtime.timeouts.append(seconds)
            return self.runtime

        self.services = function.Services(
            settings=function.Settings.from_environment({**ENVIRONMENT, **env}),
            s3=self.s3,
            dynamodb=self.dynamodb,
            kms=self.kms,
            sagemaker=self.sagemaker,
            runtime_factory=runtime_for,
            clock=lambda: self.now,
        )

    def call(
        self, resource: str, body: Any, *, caller: str = SUB, remaining_ms: int = 30_000, method: str = "POST"
    ) -> tuple[int, dict[str, Any]]:
        service = resource.startswith("/service/")
        context: dict[str, Any] = {"requestId": "req-1", "identity": {"userArn": caller} if service else {}}
        if not service:
            context["authorizer"] = {"claims": {"sub": caller}}
        event = {
            "resource": resource,
            "path": resource,
            "httpMethod": method,
            "headers": {"Content-Type": "application/json"},
            "requestContext": context,
            "body": body if isinstance(body, str) or body is None else json.dumps(body),
            "isBase64Encoded": False,
        }
        answer = function.handle(event, Context(remaining_ms), self.services)
        assert answer["headers"]["Content-Type"] == "application/json"
        return answer["statusCode"], json.loads(answer["body"])

    def ask(self, question: str = QUESTION, **options: Any) -> tuple[int, dict[str, Any]]:
        return self.call("/ask", {"question": question}, **options)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def log_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "launchpad.assistant"]


# -- /ask ----------------------------------------------------------------------------------------------------
def test_a_question_is_answered_with_its_sources_model_and_token_and_stored_once(logs: Any) -> None:
    world = World()
    status, body = world.ask()
    assert status == 200
    query_id = body["query_id"]
    assert body["answer"] == ANSWER
    assert [s["id"] for s in body["sources"]] == ["p-0001", "p-0003"]
    assert body["sources"][0] == {
        "id": "p-0001",
        "title": "Ibuprofen dosing",
        "source": "MedlinePlus",
        "url": "https://example.org/p-0001",
    }
    assert body["model"] == {"endpoint": ENDPOINT, "variant": VARIANT, "version": MODEL}
    assert body["disclaimer"] == function.DISCLAIMER
    claims = tokens.verify(world.kms, KEY_ID, body["feedback_token"], caller=SUB, now=NOW)
    assert (claims.query_id, claims.expires) == (query_id, int(NOW) + 3600)

    (call,) = world.runtime.calls
    assert call["InferenceId"] == query_id and call["EndpointName"] == ENDPOINT
    assert (call["ContentType"], call["Accept"]) == ("application/json", "application/json")
    request = json.loads(call["Body"])
    assert request["parameters"] == {"max_new_tokens": 256}
    assert request["inputs"].startswith("question: My name is [NAME], SSN [SSN], email [EMAIL]. How much")
    assert f" context: [p-0001] {PASSAGES[0][2]} [p-0003] {PASSAGES[2][2]}" in request["inputs"]
    assert world.runtime.timeouts == [28]  # 30 s left, less the 2 s reserve

    (put,) = world.dynamodb.puts
    item = put["Item"]
    assert put["TableName"] == "medqa-queries"
    assert set(item) == {
        "query_id", "created_at", "expires_at", "caller", "question_masked", "answer", "passage_ids",
        "endpoint", "variant", "model_version", "latency_ms", "model_latency_ms",
    }  # fmt: skip
    assert item["query_id"] == {"S": query_id}
    assert item["created_at"] == {"S": "2027-01-15T08:00:00.000Z"}
    assert item["expires_at"] == {"N": str(int(NOW) + 30 * 86400)}
    assert item["caller"] == {"S": SUB}
    assert item["question_masked"]["S"].startswith("My name is [NAME], SSN [SSN]")
    assert item["answer"] == {"S": ANSWER}
    assert item["passage_ids"] == {"L": [{"S": "p-0001"}, {"S": "p-0003"}]}
    assert (item["endpoint"], item["variant"], item["model_version"]) == (
        {"S": ENDPOINT},
        {"S": VARIANT},
        {"S": MODEL},
    )
    assert int(item["latency_ms"]["N"]) >= int(item["model_latency_ms"]["N"]) >= 0

    (line,) = log_lines(logs)
    assert line["query_id"] == query_id and line["status"] == 200 and line["route"] == "ask"
    assert line["phi"] == {"EMAIL": 1, "NAME": 1, "SSN": 1} and line["variant"] == VARIANT
    assert isinstance(line["latency_ms"], int)


def test_the_raw_question_is_stored_only_where_store_question_is_true() -> None:
    world = World(STORE_QUESTION="true")
    assert world.ask()[0] == 200
    (put,) = world.dynamodb.puts
    assert put["Item"]["question"] == {"S": QUESTION}
    for off in ("false", "", "yes"):
        other = World(STORE_QUESTION=off)
        other.ask()
        assert "question" not in other.dynamodb.puts[0]["Item"]
        assert SSN not in json.dumps(other.dynamodb.puts[0]["Item"])


def test_no_log_line_holds_the_question_the_answer_or_a_comment(logs: Any) -> None:
    world = World()
    world.ask()
    token = world.ask()[1]["feedback_token"]
    world.call(
        "/feedback", {"feedback_token": token, "helpful": False, "comment": f"I am Jane Roe, SSN {SSN}"}
    )
    world.runtime.error = ClientError(
        {"Error": {"Code": "ModelError", "Message": f"failed on {QUESTION}"}, "OriginalMessage": QUESTION},
        "InvokeEndpoint",
    )
    world.ask()
    text = logs.text + "".join(str(r.args) for r in logs.records)
    assert len(log_lines(logs)) == 4
    # Whole values only: a fragment such as "123" may be in a random query id.
    for secret in ("Jane", "Roe", SSN, "45-6789", "jane@example.com", "ibuprofen", "200 to 400", token):
        assert secret not in text


def test_the_index_is_read_once_per_environment_from_the_owned_bucket() -> None:
    world = World()
    world.ask()
    world.ask("What helps sunburn?")
    assert world.s3.gets == [
        {"Bucket": "lp-index", "Key": "assistant/index.json", "ExpectedBucketOwner": OWNER},
    ]


def test_the_model_version_is_looked_up_once_a_minute_and_a_configs_models_once() -> None:
    world = World()
    world.ask()
    world.ask()
    assert world.sagemaker.calls == ["DescribeEndpoint", "DescribeEndpointConfig"]
    world.services.versions()._looked_up -= function.VERSION_TTL_SECONDS
    world.ask()
    assert world.sagemaker.calls == ["DescribeEndpoint", "DescribeEndpointConfig", "DescribeEndpoint"]


def _error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": QUESTION}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "InvokeEndpoint",
    )


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (_error("ModelError", 424), 502),
        (_error("ValidationError", 400), 502),  # "Endpoint medqa-prod of account ... not found."
        (_error("InternalFailure", 500), 502),
        (EndpointConnectionError(endpoint_url="https://runtime.sagemaker"), 502),
        (_error("ThrottlingException", 400), 503),
        (_error("ServiceUnavailable", 503), 503),
        (_error("ModelNotReadyException", 429), 503),
        (ReadTimeoutError(endpoint_url="https://runtime.sagemaker"), 504),
    ],
    ids=lambda value: (
        getattr(value, "operation_name", type(value).__name__) if not isinstance(value, int) else str(value)
    ),
)
def test_an_endpoint_that_fails_is_answered_with_its_status_and_nothing_is_stored(
    error: Exception, status: int
) -> None:
    world = World(FakeRuntime(error=error))
    got, body = world.ask()
    assert got == status
    assert set(body) == {"message"} and "Jane" not in body["message"] and SSN not in body["message"]
    assert world.dynamodb.puts == []


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"generated_text": "x"}',
        b'[{"generated_text": "  "}]',
        b'[{"text": "x"}]',
        b"[" * 5000,
    ],
    ids=["not-json", "empty", "object", "blank", "no-field", "deep"],
)
def test_an_answer_not_in_the_contracts_shape_is_502_and_nothing_is_stored(payload: bytes) -> None:
    world = World(FakeRuntime(answer=payload))
    assert world.ask() == (502, {"message": "the model failed to answer"})
    assert world.dynamodb.puts == []


def test_without_time_for_the_model_the_endpoint_is_not_called() -> None:
    world = World()
    assert world.ask(remaining_ms=2_500)[0] == 504
    assert world.runtime.calls == [] and world.dynamodb.puts == []
    assert world.ask(remaining_ms=9_900)[0] == 200
    assert world.runtime.timeouts == [7]


def test_a_failing_table_is_a_502_that_names_no_value(logs: Any) -> None:
    world = World(dynamodb=FakeDynamoDB(fail=True))
    assert world.ask() == (502, {"message": "Internal server error"})
    (line,) = log_lines(logs)
    assert line["error"] == "ProvisionedThroughputExceededException" and line["status"] == 502
    assert logs.records[-1].levelno == logging.ERROR


@pytest.mark.parametrize(
    "body",
    [
        None,
        "not json",
        "[1]",
        {"question": ""},
        {"question": "   "},
        {"question": "x" * 2001},
        {"question": 42},
        {"question": "ok", "extra": 1},
        {},
    ],
    ids=["none", "not-json", "list", "empty", "blank", "long", "number", "extra", "missing"],
)
def test_a_body_not_matching_the_model_is_400(body: Any) -> None:
    world = World()
    assert world.call("/ask", body) == (400, {"message": "Invalid request body"})
    assert world.runtime.calls == []


@pytest.mark.parametrize("resource", ["/ask", "/feedback"])
def test_a_body_over_the_functions_limit_is_413_before_it_is_read(resource: str) -> None:
    world = World()
    status, body = world.call(resource, json.dumps({"question": "a" * (16 * 1024)}))
    assert status == 413 and "16384" in body["message"]
    assert world.runtime.calls == [] and world.kms.calls == []


def test_routes_methods_and_callers() -> None:
    world = World()
    assert world.call("/other", {"question": "x"})[0] == 404
    assert world.call("/ask", {"question": "x"}, method="GET")[0] == 405
    assert world.call("/ask", {"question": "x"}, caller="")[0] == 401
    status, body = world.call("/service/ask", {"question": "What helps sunburn?"}, caller=ROLE)
    assert status == 200 and body["sources"][0]["id"] == "p-0002"
    assert world.dynamodb.puts[-1]["Item"]["caller"] == {"S": ROLE}


# -- /feedback -----------------------------------------------------------------------------------------------
def test_feedback_is_one_schema_valid_record_encrypted_in_the_owned_bucket(logs: Any) -> None:
    world = World()
    body = world.ask()[1]
    world.now = NOW + 60
    status, answer = world.call("/feedback", {"feedback_token": body["feedback_token"], "helpful": True})
    assert (status, answer) == (200, {"query_id": body["query_id"], "status": "recorded"})
    (put,) = world.s3.puts
    assert put["Bucket"] == "lp-feedback" and put["ExpectedBucketOwner"] == OWNER
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == (
        "aws:kms",
        ENVIRONMENT["FEEDBACK_KMS_KEY_ARN"],
    )
    assert put["Key"].startswith("feedback/stage=prod/endpoint=medqa-prod/year=2027/month=01/day=15/hour=08/")
    (record,) = [json.loads(line) for line in put["Body"].decode().splitlines()]
    assert feedback.record_problems(record) == []
    assert record == {
        "schema_version": 1,
        "inference_id": body["query_id"],
        "stage": "prod",
        "endpoint": ENDPOINT,
        "variant": VARIANT,
        "model_version": MODEL,
        "score": {"kind": "helpful", "value": True},
        "received_at": "2027-01-15T08:01:00.000Z",
        "source": "assistant-api",
    }
    assert put["Key"] == feedback_store.record_partition(record) + feedback_store.object_name([record])
    assert log_lines(logs)[-1] == {
        "latency_ms": log_lines(logs)[-1]["latency_ms"], "query_id": body["query_id"], "request_id": "req-1",
        "route": "feedback", "status": 200,
    }  # fmt: skip


def test_the_same_feedback_again_is_recorded_once_and_a_changed_vote_replaces_it() -> None:
    world = World()
    token = world.ask()[1]["feedback_token"]
    for helpful in (True, True, False):
        assert world.call("/feedback", {"feedback_token": token, "helpful": helpful})[0] == 200
    assert len(world.s3.objects) == 1
    (body,) = world.s3.objects.values()
    assert json.loads(body)["score"] == {"kind": "helpful", "value": False}


def test_a_comment_is_stored_masked_unless_the_stage_stores_questions() -> None:
    comment = f"Wrong dose for Mr. Smith, SSN {SSN}"
    for store, expected in (("false", "Wrong dose for Mr. [NAME], SSN [SSN]"), ("true", comment)):
        world = World(STORE_QUESTION=store)
        token = world.ask()[1]["feedback_token"]
        assert (
            world.call("/feedback", {"feedback_token": token, "helpful": False, "comment": comment})[0] == 200
        )
        record = json.loads(world.s3.puts[0]["Body"])
        assert record["comment"] == expected and feedback.record_problems(record) == []


def test_a_service_callers_feedback_names_its_source() -> None:
    world = World()
    token = world.call("/service/ask", {"question": QUESTION}, caller=ROLE)[1]["feedback_token"]
    assert world.call("/service/feedback", {"feedback_token": token, "helpful": True}, caller=ROLE)[0] == 200
    assert json.loads(world.s3.puts[0]["Body"])["source"] == "assistant-service"
    assert world.call("/feedback", {"feedback_token": token, "helpful": True}, caller=SUB)[0] == 403


def test_forged_expired_and_other_callers_tokens_are_403_and_record_nothing() -> None:
    world = World()
    token = world.ask()[1]["feedback_token"]
    payload, mac = token.split(".")
    forged = f"{payload}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'AQ'}"
    cases = {
        "malformed": ("garbage", SUB, NOW, tokens.MalformedToken),
        "forged": (forged, SUB, NOW, tokens.ForgedToken),
        "expired": (token, SUB, NOW + 3600, tokens.ExpiredToken),
        "other caller": (token, "someone-else", NOW, tokens.WrongCaller),
    }
    for name, (sent, caller, now, error) in cases.items():
        world.now = now
        status, body = world.call("/feedback", {"feedback_token": sent, "helpful": True}, caller=caller)
        assert (status, body) == (403, {"message": error.message}), name
    assert world.s3.puts == []


def test_a_token_for_a_query_that_was_never_stored_is_404() -> None:
    world = World(FakeRuntime(error=_error("ModelError", 424)))
    claims = tokens.Claims("0b7a6c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b", SUB, int(NOW) + 60)
    token = tokens.issue(world.kms, KEY_ID, claims)
    status, body = world.call("/feedback", {"feedback_token": token, "helpful": True})
    assert status == 404 and set(body) == {"message"}
    assert world.s3.puts == []


@pytest.mark.parametrize(
    "body",
    [
        {"helpful": True},
        {"feedback_token": "t", "helpful": "yes"},
        {"feedback_token": "t", "helpful": 1},
        {"feedback_token": "t", "helpful": True, "comment": "x" * 1001},
        {"feedback_token": "t", "helpful": True, "rating": 5},
    ],
    ids=["no-token", "helpful-text", "helpful-number", "long-comment", "extra"],
)
def test_a_feedback_body_not_matching_the_model_is_400(body: dict[str, Any]) -> None:
    world = World()
    assert world.call("/feedback", body) == (400, {"message": "Invalid request body"})
    assert world.kms.calls == []


# -- the entry point and its environment ---------------------------------------------------------------------
def test_the_entry_point_uses_one_environment_and_a_misconfigured_one_is_a_502(
    monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    world = World()
    monkeypatch.setattr(function, "services", lambda: world.services)
    event = {"resource": "/ask", "httpMethod": "POST", "body": json.dumps({"question": QUESTION})}
    event["requestContext"] = {"authorizer": {"claims": {"sub": SUB}}}
    assert function.handler(event, Context())["statusCode"] == 200

    def broken() -> function.Services:
        return function.Services.from_environment({**ENVIRONMENT, "STAGE": "qa", "RECORD_TTL_DAYS": ""})

    monkeypatch.setattr(function, "services", broken)
    answer = function.handler(event, Context())
    assert (answer["statusCode"], json.loads(answer["body"])) == (502, {"message": "Internal server error"})
    assert "RECORD_TTL_DAYS" in logs.text and "Jane" not in logs.text


def test_settings_read_the_contracts_variables_and_their_defaults() -> None:
    settings = function.Settings.from_environment(
        {k: v for k, v in ENVIRONMENT.items() if k not in ("TOP_K", "TOKEN_TTL_SECONDS")}
    )
    assert (settings.feedback_bucket, settings.feedback_prefix) == ("lp-feedback", "feedback/")
    assert (settings.top_k, settings.token_ttl_seconds, settings.store_question) == (3, 7 * 86400, False)
    with pytest.raises(ValueError, match="TOP_K is 1 to 20"):
        function.Settings.from_environment({**ENVIRONMENT, "TOP_K": "0"})
    with pytest.raises(ValueError, match="prefix"):
        function.Settings.from_environment({**ENVIRONMENT, "FEEDBACK_URI": "s3://lp-feedback"})


# -- CORS ----------------------------------------------------------------------------------------------------
ORIGIN = "https://assistant.example.org"


def _event(resource: str, body: Any) -> dict[str, Any]:
    return {
        "resource": resource,
        "httpMethod": "POST",
        "body": json.dumps(body),
        "requestContext": {"requestId": "req-1", "authorizer": {"claims": {"sub": SUB}}},
    }


def test_with_an_allowed_origin_every_answer_names_it_and_varies_on_origin() -> None:
    world = World(CORS_ALLOWED_ORIGIN=ORIGIN)
    answers = [
        function.handle(_event("/ask", {"question": QUESTION}), Context(), world.services),  # 200
        function.handle(_event("/ask", {"question": ""}), Context(), world.services),  # the function's 400
        function.handle(_event("/nowhere", {}), Context(), world.services),  # 404
        function.handle(
            _event("/feedback", {"feedback_token": "x.y", "helpful": True}), Context(), world.services
        ),
    ]
    assert [a["statusCode"] for a in answers][:3] == [200, 400, 404] and answers[3]["statusCode"] >= 400
    for answer in answers:
        assert answer["headers"]["Access-Control-Allow-Origin"] == ORIGIN
        assert answer["headers"]["Vary"] == "Origin"


def test_without_an_origin_answers_carry_no_cors_headers() -> None:
    world = World(CORS_ALLOWED_ORIGIN="")
    answer = function.handle(_event("/ask", {"question": QUESTION}), Context(), world.services)
    assert answer["statusCode"] == 200
    assert "Access-Control-Allow-Origin" not in answer["headers"] and "Vary" not in answer["headers"]
    assert function.Settings.from_environment(ENVIRONMENT).cors_allowed_origin == ""


@pytest.mark.parametrize(
    "origin", ["*", "http://assistant.example.org", "https://a.example.org/path", f"{ORIGIN} {ORIGIN}"]
)
def test_an_allowed_origin_is_one_https_origin(origin: str) -> None:
    with pytest.raises(ValueError, match="CORS_ALLOWED_ORIGIN"):
        function.Settings.from_environment({**ENVIRONMENT, "CORS_ALLOWED_ORIGIN": origin})


def test_a_misconfigured_function_still_names_the_origin_on_its_502(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGIN", ORIGIN)

    def broken() -> function.Services:
        raise ValueError("the function's environment has no TABLE_NAME")

    monkeypatch.setattr(function, "services", broken)
    answer = function.handler(_event("/ask", {"question": QUESTION}), Context())
    assert answer["statusCode"] == 502
    assert (answer["headers"]["Access-Control-Allow-Origin"], answer["headers"]["Vary"]) == (ORIGIN, "Origin")
