"""Names typed on the command line (endpoints, endpoint configs, variants, regions), checked as AWS checks
them, before any AWS call.

A SageMaker name is what its API shape says (``EndpointName``, ``EndpointConfigName``, ``VariantName`` of the
service model botocore ships): at most 63 characters matching ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`` as a
whole. The whole: AWS anchors the pattern at both ends, so a value is checked with ``fullmatch`` (a ``$``
anchor would let a trailing newline through), its length before the pattern (so a megabyte of input costs
one ``len``), and the message quotes it with ``launchpad.quoting.shown`` (bounded, control characters and
bidi overrides escaped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import botocore.loaders
from botocore.model import ServiceModel, StringShape

from launchpad.quoting import hidden_characters, shown

SAGEMAKER_NAME_RULE = (
    "write 1 to 63 ASCII letters, digits and hyphens, starting and ending with a letter or digit"
)
# Region names as AWS spells them (eu-west-1, us-gov-west-1, ap-southeast-5); the stage config's schema says
# the same.
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}", re.ASCII)
_REGION_MAX = 32


@dataclass(frozen=True)
class NameRule:
    """An API shape's constraints: its pattern (matched whole) and its longest value."""

    pattern: re.Pattern[str]
    max_length: int


@cache
def sagemaker_model() -> ServiceModel:
    """SageMaker's API model as botocore ships it, read from botocore's own data, not through a session: a
    session reads the AWS environment (AWS_PROFILE), and a broken one must not break checking a name."""
    return ServiceModel(botocore.loaders.Loader().load_service_model("sagemaker", "service-2"), "sagemaker")


@cache
def sagemaker_rule(shape: str) -> NameRule:
    """``shape`` of the SageMaker API model botocore ships (``EndpointName``, ``VariantName``, ...)."""
    found = sagemaker_model().shape_for(shape)
    assert isinstance(found, StringShape)
    return NameRule(re.compile(found.metadata["pattern"], re.ASCII), int(found.metadata["max"]))


@cache
def hosting_instance_types() -> tuple[str, ...]:
    """SageMaker's hosting instance types: the ``ProductionVariantInstanceType`` enum of the API model
    botocore ships (what CreateEndpointConfig accepts): the stage rules and the sandbox both check it."""
    shape = sagemaker_model().shape_for("ProductionVariantInstanceType")
    assert isinstance(shape, StringShape)
    return tuple(shape.enum)


def name_problem(kind: str, value: str, shape: str) -> str | None:
    """What is wrong with ``value`` as the SageMaker ``shape`` (``kind`` names it in the message), or None."""
    rule = sagemaker_rule(shape)
    if not value:
        return f"{kind} is empty; {SAGEMAKER_NAME_RULE}"
    if len(value) > rule.max_length:
        return f"{kind} {shown(value)} has {len(value)} characters; write at most {rule.max_length}"
    hidden = hidden_characters(value)
    if hidden:
        return (
            f"{kind} {shown(value)} holds {', '.join(hidden)}, which no name may hold (control, format or "
            f"bidi characters); {SAGEMAKER_NAME_RULE}"
        )
    if rule.pattern.fullmatch(value) is None:
        return f"{kind} {shown(value)} is not a SageMaker name; {SAGEMAKER_NAME_RULE}"
    return None


def endpoint_problem(value: str) -> str | None:
    return name_problem("endpoint name", value, "EndpointName")


def endpoint_config_problem(value: str) -> str | None:
    return name_problem("endpoint config name", value, "EndpointConfigName")


def variant_problem(value: str) -> str | None:
    return name_problem("variant name", value, "VariantName")


def region_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an AWS region name, or None."""
    if len(value) <= _REGION_MAX and _REGION.fullmatch(value):
        return None
    return f"region {shown(value)} is not an AWS region name; write one such as eu-west-1 or us-east-1"
