"""The SageMaker serving contract over HTTP, against the model's own server: the answers SageMaker and
the callers rely on, whatever the model."""

from __future__ import annotations

import json

from launchpad_serving import MAX_PAYLOAD_BYTES

from {{ cookiecutter.project_slug }}.{{ 'prompt' if cookiecutter.__llm == 'yes' else 'features' }} import EXAMPLE

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


def test_a_content_type_the_model_does_not_read_is_415(server: Server) -> None:
    answer = server.post(b"hello", content_type="text/plain")
    assert answer.status == 415
    assert "text/plain" in answer.json()["error"]


def test_an_accept_the_model_cannot_write_is_406(server: Server) -> None:
    answer = server.post(json.dumps(EXAMPLE).encode(), accept="image/png")
    assert answer.status == 406


def test_a_body_over_the_payload_limit_is_413(server: Server) -> None:
    answer = server.post(b" " * (MAX_PAYLOAD_BYTES + 1))
    assert answer.status == 413
