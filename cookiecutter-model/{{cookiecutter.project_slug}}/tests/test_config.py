"""The deploy side: each stage config and the model card pass launchpad's own checks (the ones `launchpad
deploy` runs at preflight), and the card reports what the model really measures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from launchpad.deploy.config import load_stage_config
from launchpad.deploy.model_card import load_model_card

from {{ cookiecutter.project_slug }} import __version__

from .support import Built

PROJECT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "staging", "prod")
CARD = PROJECT / "model_card.yaml"
TOLERANCE = 0.02  # metrics move a little between library builds; a retrained model must be re-reported


@pytest.mark.parametrize("stage", STAGES)
def test_the_stage_config_passes_launchpads_checks(stage: str) -> None:
    config = load_stage_config(PROJECT / "deploy" / "config" / f"{stage}.yaml")
    assert config.stage == stage
    assert config.model_card.resolve() == CARD.resolve()
    assert f"/{__version__}/" in config.model.artifact_s3_uri
{%- if cookiecutter.__rag == 'yes' %}
    assert "/huggingface-pytorch-inference:" in config.model.image_uri  # AWS's Hugging Face container
{%- else %}
    assert config.model.image_uri.endswith(f":{__version__}")
{%- endif %}


@pytest.mark.parametrize("stage", STAGES)
def test_the_model_card_is_complete_for_the_stage(stage: str) -> None:
    load_model_card(CARD, stage)


def test_the_model_card_describes_this_version() -> None:
    card = yaml.safe_load(CARD.read_text())
    assert card["model_details"]["version"] == __version__


def test_the_model_card_reports_the_measured_metrics(trained: Built) -> None:
    card = yaml.safe_load(CARD.read_text())["evaluation"]
    measured = trained.metrics
    for reported in card["metrics"]:
        assert reported["value"] == pytest.approx(measured["metrics"][reported["name"]], abs=TOLERANCE)
        assert _meets(measured["metrics"][reported["name"]], reported)
    groups = {(g["attribute"], g["group"], g["name"]): g["value"] for g in measured["subgroups"]}
    for reported in card["subgroups"]:
        value = groups[(reported["attribute"], reported["group"], reported["name"])]
        assert reported["value"] == pytest.approx(value, abs=TOLERANCE)
        assert _meets(value, reported)


def _meets(value: float, reported: dict[str, Any]) -> bool:
    if reported["direction"] == "higher_is_better":
        return bool(value >= reported["threshold"])
    return bool(value <= reported["threshold"])
