"""The model card: complete enough for the stage it is deployed to.

``schemas/model-card.schema.json`` says the shape of every field; what each stage needs is data here:
``STAGE_REQUIREMENTS`` (one row per stage: the fields it needs and the checks it adds) and ``CONDITIONS``
(fields that what the card says makes necessary, e.g. a GDPR lawful basis once the training data holds
personal data). ``validate_model_card`` raises one ConfigError listing every problem, each named by its path.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchpad.deploy.schema_errors import (
    at,
    load_schema,
    raise_problems,
    read_yaml,
    schema_at,
    schema_problems,
)
from launchpad.deploy.stage_rules import STAGES
from launchpad.errors import ConfigError


@dataclass(frozen=True)
class CardRequirements:
    """What a stage needs of a model card."""

    fields: tuple[str, ...]  # dotted paths that must be present and not empty
    thresholds_required: bool  # every evaluation metric (and subgroup result) has a threshold
    thresholds_met: bool  # ... and meets it
    approval_required: bool  # an approval for this stage and model_details.version


@dataclass(frozen=True)
class Condition:
    """``requires`` must be present from ``from_stage`` on whenever ``when`` holds one of ``values``."""

    when: str
    values: frozenset[str]
    requires: str
    from_stage: str
    why: str


_DEV = (
    "model_details.name",
    "model_details.version",
    "model_details.owners",
    "intended_use.primary_uses",
    "risk.classification",
    "training_data.data_classification",
)
_STAGING = (
    *_DEV,
    "model_details.description",
    "model_details.architecture",
    "model_details.license",
    "intended_use.out_of_scope_uses",
    "risk.rationale",
    "training_data.sources",
    "training_data.retention",
    "evaluation.datasets",
    "evaluation.metrics",
    "limitations",
)
_PROD = (
    *_STAGING,
    "model_details.references",
    "intended_use.primary_users",
    "intended_use.instructions_for_use",
    "training_data.preprocessing",
    "evaluation.subgroups",
    "ethical_considerations",
    "human_oversight.measures",
    "human_oversight.stop_procedure",
    "monitoring.drift",
    "monitoring.business_metrics",
    "monitoring.incident_contact",
    "approvals",
)

# The one place the per-stage requirements live.
STAGE_REQUIREMENTS: Mapping[str, CardRequirements] = {
    "dev": CardRequirements(_DEV, thresholds_required=False, thresholds_met=False, approval_required=False),
    "staging": CardRequirements(
        _STAGING, thresholds_required=True, thresholds_met=False, approval_required=False
    ),
    "prod": CardRequirements(_PROD, thresholds_required=True, thresholds_met=True, approval_required=True),
}

_PERSONAL = frozenset({"pii", "phi"})
CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "training_data.data_classification",
        _PERSONAL,
        "training_data.lawful_basis",
        "dev",
        "GDPR Art. 6: processing personal data needs a lawful basis",
    ),
    Condition(
        "training_data.data_classification",
        frozenset({"phi"}),
        "training_data.special_category_condition",
        "dev",
        "GDPR Art. 9: health data needs an Art. 9(2) condition",
    ),
    Condition(
        "training_data.data_classification",
        frozenset({"phi"}),
        "training_data.hipaa_basis",
        "dev",
        "HIPAA: PHI is used only as the Privacy Rule permits",
    ),
    Condition(
        "risk.classification",
        frozenset({"high"}),
        "human_oversight.measures",
        "staging",
        "EU AI Act Art. 14: high-risk systems are overseen by people",
    ),
    Condition(
        "risk.classification",
        frozenset({"high"}),
        "evaluation.subgroups",
        "staging",
        "EU AI Act Art. 10 and 15: high-risk systems are checked for bias",
    ),
    Condition(
        "risk.classification",
        frozenset({"limited"}),
        "risk.transparency_disclosure",
        "staging",
        "EU AI Act Art. 50: people are told they deal with an AI system",
    ),
)


def load_model_card(path: Path | str, stage: str) -> dict[str, Any]:
    """Read a model card file and check it is complete for ``stage``; returns the card."""
    path = Path(path)
    card = read_yaml(path, "model card")
    validate_model_card(card, stage, source=path)
    return card


def validate_model_card(card: Mapping[str, Any], stage: str, *, source: Path | None = None) -> None:
    """Raise ConfigError listing every field of ``card`` missing or wrong for ``stage``."""
    if stage not in STAGE_REQUIREMENTS:
        raise ConfigError(f"unknown stage {stage!r} for the model card: write one of {', '.join(STAGES)}")
    subject = f"model card {source}" if source else "the model card"
    if not isinstance(card, Mapping):
        raise ConfigError(f"{subject} must be a mapping, not {type(card).__name__}")
    schema = load_schema("model-card")
    written = _dates_as_text(card)
    problems, accepted = schema_problems(schema, written)
    problems += _requirements(schema, written, accepted or {}, stage)
    raise_problems(problems, f"{subject} (for {stage})")


def _dates_as_text(value: Any) -> Any:
    """The card with dates (a YAML loader's datetime.date) as ISO strings, as the schema expects them."""
    if isinstance(value, Mapping):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()[:10]
    return value


def _get(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        document = document.get(part) if isinstance(document, Mapping) else None
    return document


def _missing(document: Any, dotted: str) -> bool:
    """Absent, or an empty list or mapping (an empty string is the schema's to report)."""
    value = _get(document, dotted)
    return value is None or (isinstance(value, list | dict) and not value)


def _requirements(
    schema: Mapping[str, Any], written: Mapping[str, Any], accepted: Mapping[str, Any], stage: str
) -> Iterator[str]:
    needs = STAGE_REQUIREMENTS[stage]
    rank = STAGES.index(stage)
    for field in needs.fields:
        if _missing(written, field):
            yield _missing_message(schema, field, f"required for {stage}")
    for condition in CONDITIONS:
        value = _get(accepted, condition.when)
        if (
            rank >= STAGES.index(condition.from_stage)
            and value in condition.values
            and condition.requires not in needs.fields
            and _missing(written, condition.requires)
        ):
            reason = f"required as {condition.when} is {value} ({condition.why})"
            yield _missing_message(schema, condition.requires, reason)
    if _get(accepted, "risk.classification") == "prohibited":
        yield (
            "$.risk.classification: a prohibited AI practice (EU AI Act Art. 5) may not be put into service; "
            "launchpad deploys no such model"
        )
    yield from _threshold_problems(accepted, stage, needs)
    yield from _approval_problems(accepted, stage, needs)


def _missing_message(schema: Mapping[str, Any], field: str, reason: str) -> str:
    path = field.split(".")
    fix = schema_at(schema, path).get("x-fix")
    return f"{at(path)}: missing, {reason}" + (f"; {fix}" if fix else "")


def _threshold_problems(accepted: Mapping[str, Any], stage: str, needs: CardRequirements) -> Iterator[str]:
    for section in ("metrics", "subgroups"):
        results = _get(accepted, f"evaluation.{section}")
        for index, result in enumerate(results if isinstance(results, list) else []):
            if not isinstance(result, Mapping):
                continue
            path = ["evaluation", section, index]
            threshold, value, direction = (
                result.get("threshold"),
                result.get("value"),
                result.get("direction"),
            )
            if threshold is None and "threshold" not in result and needs.thresholds_required:
                yield (
                    f"{at([*path, 'threshold'])}: missing, required for {stage} (every result is judged "
                    "against a threshold); write the value it must reach, and its direction"
                )
            if not needs.thresholds_met or threshold is None or value is None or direction is None:
                continue
            met = value >= threshold if direction == "higher_is_better" else value <= threshold
            if not met:
                name = result.get("name", "the metric")
                group = (
                    f" for {result.get('attribute')} {result.get('group')}" if section == "subgroups" else ""
                )
                comparison = "below" if direction == "higher_is_better" else "above"
                yield (
                    f"{at([*path, 'value'])}: {name} {value}{group} is {comparison} its threshold "
                    f"{threshold}; {stage} deploys only a model that meets every threshold (retrain, or "
                    "revise the threshold with the approvers' sign-off)"
                )


def _approval_problems(accepted: Mapping[str, Any], stage: str, needs: CardRequirements) -> Iterator[str]:
    listed = accepted.get("approvals")
    listed = listed if isinstance(listed, list) else []
    approvals = [approval for approval in listed if isinstance(approval, Mapping)]
    for index, approval in enumerate(listed):
        date = approval.get("date") if isinstance(approval, Mapping) else None
        if date is not None:
            try:
                datetime.date.fromisoformat(date)
            except ValueError:
                where = at(["approvals", index, "date"])
                yield f"{where}: {date!r} is not a date; write the date as YYYY-MM-DD"
    version = _get(accepted, "model_details.version")
    if not needs.approval_required or not approvals or version is None:
        return
    if not any(a.get("stage") == stage and a.get("version") == version for a in approvals):
        yield (
            f"$.approvals: no approval of version {version} for {stage}; add one with stage: {stage}, "
            f"version: {version!r}, approver, role and date (who signed off, when)"
        )
