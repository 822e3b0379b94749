"""The SageMaker serving contract over HTTP, against the model's own server: the answers SageMaker and
the callers rely on, whatever the model. A client's mistake is a 4xx that quotes nothing of the request
(SageMaker counts 5xx, and a canary rolls back on them; a request may hold a patient's data)."""

from __future__ import annotations

import json

import pytest
from launchpad_serving import MAX_PAYLOAD_BYTES

from {{ cookiecutter.project_slug }}.{{ 'retrieval' if cookiecutter.__rag == 'yes' else 'prompt' if cookiecutter.__llm == 'yes' else 'features' }} import EXAMPLE

from .support import Server


def test_ping_answers_200_once_the_model_is_loaded(server: Server) -> None:
    assert server.get("/ping").status == 200


def test_a_valid_request_is_answered_with_200_and_json(server: Server) -> None:
    answer = server.post(json.dumps(EXAMPLE).encode())
    assert answer.status == 200, answer.body
    assert answer.content_type == "application/json"
    assert answer.json()


def test_invalid_json_is_a_400_that_says_so(server: Server) -> None:
    answer = server.post(b'{"broken": ')
    assert answer.status == 400
    assert "not valid JSON" in answer.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"broken": "PATIENT-4711',
        b"[" * 100_000,
        b"[" + b"4711" * 1100 + b"]",  # 4400 digits: past the 4300 Python converts
        b'{"instances": [[NaN, 4711]]}',
        b"[1e999, 4711]",
        b"\xff\xfePATIENT-4711",
        b'{"inputs": 4711, "instances": "PATIENT-4711"}',
    ],
    ids=["empty", "truncated", "nested", "huge-integer", "nan", "infinite", "not-utf8", "wrong-shape"],
)
def test_a_malformed_body_is_a_400_that_quotes_none_of_it(server: Server, body: bytes) -> None:
    answer = server.post(body)
    assert answer.status == 400, answer.body
    assert set(answer.json()) == {"error", "status"}
    assert "4711" not in answer.json()["error"]


{%- if cookiecutter.__llm == 'no' %}


@pytest.mark.parametrize(
    ("body", "content_type", "where"),
    [
        (b"1,2,3,4,5,6,7,8\n1,PATIENT-4711,3,4,5,6,7,8\n", "text/csv", "line 2, column 2"),
        (b'{"instances": [[1, 2, 3, 4, 5, 6, 7, "PATIENT-4711"]]}', "application/json", "row 1, column 8"),
    ],
)
def test_a_value_that_is_not_a_number_is_a_400_naming_where_not_what(
    server: Server, body: bytes, content_type: str, where: str
) -> None:
    answer = server.post(body, content_type=content_type)
    assert answer.status == 400
    assert where in answer.json()["error"] and "4711" not in answer.json()["error"]
{%- endif %}


def test_a_content_type_with_parameters_is_read(server: Server) -> None:
    answer = server.post(json.dumps(EXAMPLE).encode(), content_type="Application/JSON; charset=utf-8")
    assert answer.status == 200, answer.body


def test_a_content_type_the_model_does_not_read_is_415_without_echoing_it(server: Server) -> None:
    answer = server.post(b"hello", content_type="text/plain; patient=4711")
    assert answer.status == 415
    assert "application/json" in answer.json()["error"]
    assert "4711" not in answer.json()["error"]


def test_an_accept_the_model_cannot_write_is_406(server: Server) -> None:
    answer = server.post(json.dumps(EXAMPLE).encode(), accept="image/png")
    assert answer.status == 406


def test_a_body_over_the_payload_limit_is_413(server: Server) -> None:
    answer = server.post(b" " * (MAX_PAYLOAD_BYTES + 1))
    assert answer.status == 413
