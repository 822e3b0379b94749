"""The sandbox's time scale: how many real seconds one simulated AWS second takes, and which one applies.

The sandbox plays an endpoint update in AWS seconds times a scale (``sandbox.patches.sagemaker_rollout``), so
a prod rehearsal's ten-minute canary passes in seconds. A deploy's own waits are AWS seconds too (the bake
window after InService, in which the rollback alarms are watched), so on the sandbox the engine waits them at
the same scale; otherwise a prod-like config rehearsed on the sandbox would still bake 300 s or more in real
time. ``applying`` is the one rule both follow, the sandbox server for its rollouts and the engine for its
bake:

1. the endpoint's tag ``launchpad:sandbox:time-scale``, else
2. ``LAUNCHPAD_SANDBOX_TIME_SCALE`` in the environment (the server's for its rollouts, the deploying process's
   for the engine: set it for both, or use the tag, which both read from the endpoint), else
3. 0: the sandbox completes a rollout within its UpdateEndpoint call, and the engine bakes no time.

On AWS nothing is scaled: the engine reads no tag and waits AWS's own seconds (``UNSCALED``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from launchpad.quoting import shown

TIME_SCALE_ENV = "LAUNCHPAD_SANDBOX_TIME_SCALE"
TIME_SCALE_TAG = "launchpad:sandbox:time-scale"
UNSCALED = 1.0
# A scale above this makes a day's bake last years; one above 1 already slows a rollout down.
MAX_SCALE = 1000.0
# Digits, one decimal point, an exponent (1e-3): what a scale is written as. Not float()'s whole language,
# which also takes "nan", "1_000" and digits of other scripts.
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?", re.ASCII)
_MAX_TEXT = 32


class TimeScaleError(ValueError):
    """A time scale that is not a number from 0 to ``MAX_SCALE``; the message says where it was written."""


def parse(value: str, source: str) -> float:
    """``value`` (from ``source``: the tag or the environment variable) as a scale, or ``TimeScaleError``."""
    text = value.strip()
    scale = float(text) if len(text) <= _MAX_TEXT and _NUMBER.fullmatch(text) else math.nan
    if not 0 <= scale <= MAX_SCALE:  # also NaN: not a number
        raise TimeScaleError(
            f"{source} must be a non-negative number (real seconds per simulated AWS second), got "
            f"{shown(value)}; write 0 to {MAX_SCALE:g}, e.g. 0.01"
        )
    return scale


def applying(tags: Iterable[Mapping[str, Any]], environ: Mapping[str, str]) -> float:
    """The scale for an endpoint with ``tags`` (``[{"Key": ..., "Value": ...}]``): its time-scale tag, else
    ``environ``'s LAUNCHPAD_SANDBOX_TIME_SCALE, else 0."""
    for tag in tags:
        if tag.get("Key") == TIME_SCALE_TAG:
            return parse(str(tag.get("Value", "")), f"Tag {TIME_SCALE_TAG}")
    value = environ.get(TIME_SCALE_ENV, "").strip()
    return parse(value, TIME_SCALE_ENV) if value else 0.0


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """A stage config's ``tags`` as SageMaker takes them, for ``applying`` before the endpoint exists."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def at_scale(seconds: float, scale: float) -> str:
    """ "" on AWS; `` (3 s at the sandbox's time scale 0.01)`` for 300 AWS seconds on a scaled sandbox."""
    return "" if scale == UNSCALED else f" ({seconds * scale:g} s at the sandbox's time scale {scale:g})"
