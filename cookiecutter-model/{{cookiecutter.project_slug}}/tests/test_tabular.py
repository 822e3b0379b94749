"""The model and its input schema: it trains on the synthetic data, answers one probability per row, meets its
metric floors, and refuses malformed requests with a message that says what to send."""

from __future__ import annotations

import json

import numpy as np
import pytest
from launchpad_serving import BadRequest, NotAcceptable, UnsupportedMediaType

from {{ cookiecutter.project_slug }} import inference
from {{ cookiecutter.project_slug }}.features import EXAMPLE, MAX_ROWS, N_FEATURES

from .support import Built, Server

AUC_FLOOR = 0.8
BRIER_CEILING = 0.2
ROWS = json.dumps(EXAMPLE).encode()


def test_metrics_meet_their_floors(trained: Built) -> None:
    metrics = trained.metrics["metrics"]
    assert metrics["auc"] >= AUC_FLOOR
    assert metrics["brier_score"] <= BRIER_CEILING
    assert all(group["value"] >= AUC_FLOOR - 0.05 for group in trained.metrics["subgroups"])


def test_predictions_are_one_probability_per_row(trained: Built) -> None:
    model = inference.model_fn(str(trained.model_dir))
    probabilities = inference.predict_fn(inference.input_fn(ROWS, "application/json"), model)
    assert probabilities.shape == (len(EXAMPLE["instances"]),)
    assert probabilities.dtype == np.float64
    assert np.all((probabilities >= 0) & (probabilities <= 1))


def test_json_and_csv_requests_get_the_same_answer(trained: Built) -> None:
    model = inference.model_fn(str(trained.model_dir))
    csv = "\n".join(",".join(str(v) for v in row) for row in EXAMPLE["instances"]).encode()
    from_json = inference.predict_fn(inference.input_fn(ROWS, "application/json; charset=utf-8"), model)
    from_csv = inference.predict_fn(inference.input_fn(csv, "text/csv"), model)
    np.testing.assert_allclose(from_json, from_csv)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"instances": [[1, 2, 3]]}', "row 1 has 3 values"),
        (b'{"instances": [[1, 2, 3, 4, 5, 6, 7, "x"]]}', "row 1, column 8"),
        (b'{"instances": [[1, 2, 3, 4, 5, 6, 7, NaN]]}', "not a finite number"),
        (b'{"instances": [[1, 2, 3, 4, 5, 6, 7, true]]}', "not a finite number"),
        (b'{"instances": []}', "no rows"),
        (b'{"rows": [[1, 2, 3, 4, 5, 6, 7, 8]]}', "send only"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_malformed_json_request_is_a_bad_request(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        inference.input_fn(body, "application/json")


def test_more_rows_than_the_limit_is_a_bad_request() -> None:
    body = json.dumps([[0.0] * N_FEATURES] * (MAX_ROWS + 1)).encode()
    with pytest.raises(BadRequest, match=f"at most {MAX_ROWS}"):
        inference.input_fn(body, "application/json")


def test_a_csv_cell_that_is_not_a_number_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="line 2, column 3"):
        inference.input_fn(b"1,2,3,4,5,6,7,8\n1,2,x,4,5,6,7,8\n", "text/csv")


def test_other_media_types_are_refused() -> None:
    with pytest.raises(UnsupportedMediaType):
        inference.input_fn(ROWS, "application/x-www-form-urlencoded")
    with pytest.raises(NotAcceptable):
        inference.output_fn(np.array([0.5]), "text/html")


def test_the_served_answer_is_the_models(trained: Built, server: Server) -> None:
    model = inference.model_fn(str(trained.model_dir))
    expected = inference.predict_fn(inference.input_fn(ROWS, "application/json"), model)
    answer = server.post(ROWS)
    assert answer.status == 200
    served = [p["probability"] for p in answer.json()["predictions"]]
    np.testing.assert_allclose(served, expected, atol=1e-6)


def test_csv_is_answered_as_csv_when_asked(server: Server) -> None:
    answer = server.post(b"0,0,0,0,0,0,0,0\n", content_type="text/csv", accept="text/csv")
    assert answer.status == 200
    assert answer.content_type == "text/csv"
    assert 0 <= float(answer.body.decode()) <= 1


def test_a_bad_row_over_http_is_a_400_naming_the_row(server: Server) -> None:
    answer = server.post(b'{"instances": [[1, 2]]}')
    assert answer.status == 400
    assert "row 1 has 2 values" in answer.json()["error"]
