"""A/B traffic between an endpoint's production variants: `launchpad traffic`.

Setting weights: ``parse_weights`` reads ``champion=9,challenger=0`` (each name a SageMaker variant name, each
weight a plain decimal number of 0 or more; one message for the first thing wrong). ``set_weights`` checks the
request against the endpoint (every variant named exists, the endpoint is InService, and the weights it would
then serve are not all 0: SageMaker takes a weight of 0, which is how an A/B test is stopped, but some variant
must serve), calls UpdateEndpointWeightsAndCapacities, then polls DescribeEndpoint until the endpoint is
InService with every named variant's CurrentWeight at the weight asked for. Weights are relative: a variant's
share of traffic is its weight over the sum.

Deciding: ``decide`` is pure (two variants' metrics and the thresholds in, a ``Verdict`` out);
``fetch_metrics`` reads the metrics with one GetMetricData call; ``decide_endpoint`` ties them together
and, with ``apply``, sends all traffic to the winner. The rules, in order:

1. WAIT: either variant had fewer than ``min_invocations`` invocations in the window (no data, or zero
   traffic, counts as 0), or a variant with enough invocations has no ModelLatency datapoint. Nothing is
   judged and nothing applied.
2. ABORT: the challenger's 5xx rate (Invocation5XXErrors / Invocations, in percent) is more than
   ``max_error_rate_increase`` percentage points above the champion's.
3. ABORT: the challenger's ModelLatency (``latency_statistic``, p99 by default) is more than
   ``max_latency_increase_percent`` percent above the champion's (a champion latency of 0 makes any
   challenger latency above 0 an infinite increase).
4. With a business KPI (``Thresholds.kpi``, a ``KpiRule``: ``--kpi HelpfulRate``, ``OutcomeRate`` or
   ``MeanRating``, published by ``launchpad.monitor.kpi.publish_kpis``), when both variants have at least
   ``min_samples`` feedback records: ABORT if the challenger's KPI is significantly worse, i.e. the upper
   bound of the one-sided ``confidence`` interval of challenger minus champion (Newcombe's hybrid Wilson
   score interval for a rate, the normal interval of a difference of means for MeanRating) is below
   ``-max_decrease``. The reasons of rules 2-4 are all given.
5. WAIT: a KPI is asked for and either variant has fewer than ``min_samples`` feedback records. Errors and
   latency abort without waiting for feedback (which may come days later); a KPI short of samples only
   holds back a promotion.
6. PROMOTE otherwise: no criterion objects. A tie, or an increase exactly at a threshold, promotes: the
   thresholds are the largest regression accepted. A KPI difference that is not significant promotes too:
   raise ``min_samples`` to see smaller differences.

4xx errors (Invocation4XXErrors) are shown but do not decide: they are the callers' bad requests, which both
variants receive alike. ``--apply`` on ABORT sets champion=1, challenger=0; on PROMOTE challenger=1,
champion=0 (other production variants keep their weights).

Metrics: namespace ``AWS/SageMaker``, dimensions ``EndpointName`` and ``VariantName``, one period covering the
whole window (a multiple of 60 s), ending now. Should CloudWatch split the window into several datapoints,
the sums are added and the latency is the largest datapoint (the pessimistic reading). A KPI is read in the
same GetMetricData call from ``launchpad/Business`` (same dimensions): its Sum and SampleCount (and the Sum
of MeanSquaredRating for MeanRating), which add up exactly over the window.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.deploy import names, watch
from launchpad.deploy.status import describe_endpoint
from launchpad.errors import (
    ChallengerRejectedError,
    DecisionPendingError,
    DeployTimeoutError,
    EndpointFailedError,
    TrafficError,
)
from launchpad.monitor import kpi as business
from launchpad.quoting import hidden_characters, shown

IN_SERVICE = "InService"
DEFAULT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 5.0
NAMESPACE = "AWS/SageMaker"
MAX_WINDOW_MINUTES = 15 * 24 * 60
LATENCY_STATISTICS = ("p99", "p90", "p50", "Average")
KPIS = tuple(business.KPIS)  # the business KPIs --kpi may judge (launchpad.monitor.kpi)
_METRICS = {
    "invocations": ("Invocations", "Sum"),
    "errors_5xx": ("Invocation5XXErrors", "Sum"),
    "errors_4xx": ("Invocation4XXErrors", "Sum"),
}
# A weight as people write one: digits, at most one decimal point. Not float()'s whole language, which also
# takes "nan", "inf", "1e400" (inf), "1_000" and the digits of other scripts.
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
_NON_FINITE = frozenset({"nan", "inf", "infinity"})
MAX_WEIGHT_DIGITS = 20
# UpdateEndpointWeightsAndCapacities names at most the endpoint's production variants: ten at most.
MAX_VARIANTS = 10
EXAMPLE = "e.g. --weights champion=90,challenger=10"


# -- weights ----------------------------------------------------------------------------------------------
def parse_weights(text: str) -> dict[str, float]:
    """``champion=90,challenger=10`` as {variant: weight}; a ``TrafficError`` says the first thing wrong.
    A weight may be 0 (that variant gets no traffic); whether all would be 0 depends on the endpoint's other
    variants, which ``set_weights`` knows."""
    hidden = hidden_characters(text)
    if hidden:
        raise TrafficError(
            f"weights: {shown(text)} holds {', '.join(hidden)} (control, format or bidi characters); write "
            f"plain VARIANT=WEIGHT pairs, {EXAMPLE}"
        )
    items = [part.strip(" ") for part in text.split(",")]
    items = [item for item in items if item]
    if not items:
        raise TrafficError(f"weights: none given; {EXAMPLE}")
    if len(items) > MAX_VARIANTS:
        raise TrafficError(
            f"weights: {len(items)} variants named; an endpoint has at most {MAX_VARIANTS} production "
            f"variants: name each of them once"
        )
    weights: dict[str, float] = {}
    for item in items:
        name, weight = _weight_item(item)
        if name in weights:
            raise TrafficError(f"weights: variant {name} is named twice; name each variant once")
        weights[name] = weight
    return weights


def _weight_item(item: str) -> tuple[str, float]:
    """One ``VARIANT=WEIGHT`` pair, checked."""
    name, separator, raw = (part.strip(" ") for part in item.partition("="))
    if not separator:
        raise TrafficError(f"weights: {shown(item)} is not VARIANT=WEIGHT; {EXAMPLE}")
    problem = names.variant_problem(name)
    if problem is not None:
        raise TrafficError(f"weights: {problem}")
    return name, _weight(name, raw)


def _weight(name: str, raw: str) -> float:
    written = f"{name}={shown(raw)}"
    unsigned = raw[1:] if raw[:1] in "+-" else raw
    if unsigned.lower() in _NON_FINITE:
        raise TrafficError(f"weights: {written} is not a finite number; write 0 or more, such as 90 or 0.5")
    if len(unsigned) > MAX_WEIGHT_DIGITS or not _DECIMAL.fullmatch(unsigned):
        raise TrafficError(
            f"weights: {written} is not a number; write digits with at most one decimal point (at most "
            f"{MAX_WEIGHT_DIGITS} characters), such as 90 or 0.5"
        )
    if raw.startswith("-") and float(unsigned) > 0:
        raise TrafficError(f"weights: {written} is negative; write 0 or more (0 sends {name} no traffic)")
    return float(unsigned)


def check_weights(weights: Mapping[str, float]) -> None:
    """Weights as ``set_weights`` takes them: some, each a finite number of 0 or more."""
    if not weights:
        raise TrafficError(f"weights: none given; {EXAMPLE}")
    for name, weight in weights.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise TrafficError(f"weights: {name}={weight!r}: a weight must be a finite number of 0 or more")


def check_variant_names(named: Iterable[str]) -> None:
    """Each of ``named`` is a SageMaker variant name (before it is looked up, or quoted back)."""
    for name in named:
        problem = names.variant_problem(name)
        if problem is not None:
            raise TrafficError(problem)


def check_variants(endpoint: str, named: Iterable[str], known: Sequence[str]) -> None:
    """Every variant in ``named`` is one of the endpoint's production variants (``known``)."""
    named = list(named)
    check_variant_names(named)
    unknown = [name for name in named if name not in known]
    if unknown:
        raise TrafficError(
            f"endpoint {endpoint} has no production variant {', '.join(unknown)}; "
            f"its variants are {', '.join(known) or 'none'}"
        )


def _production(described: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(v["VariantName"]): v for v in described.get("ProductionVariants") or []}


def _check_in_service(endpoint: str, described: Mapping[str, Any]) -> None:
    status = described.get("EndpointStatus")
    if status != IN_SERVICE:
        raise TrafficError(
            f"endpoint {endpoint} is {status}, not InService: SageMaker changes weights only on an InService "
            f"endpoint. Wait for it (`launchpad status {endpoint}`), then try again; nothing was changed."
        )


def _check_someone_serves(endpoint: str, described: Mapping[str, Any], weights: Mapping[str, float]) -> None:
    """Every production variant's weight once ``weights`` are set (the others keep theirs) is not 0: that
    would leave the endpoint nobody to serve."""
    after = {
        name: float(v.get("DesiredWeight", v.get("CurrentWeight")) or 0)
        for name, v in _production(described).items()
    }
    after.update(weights)
    if not any(weight > 0 for weight in after.values()):
        listed = ", ".join(f"{name}={weight:g}" for name, weight in after.items())
        raise TrafficError(
            f"weights: every production variant of {endpoint} would have weight 0 ({listed}), and an "
            f"endpoint must serve: give one a weight above 0 (to stop an A/B test, e.g. "
            f"champion=1,challenger=0). Nothing was changed."
        )


def _applied(described: Mapping[str, Any], weights: Mapping[str, float]) -> bool:
    if described.get("EndpointStatus") != IN_SERVICE:
        return False
    variants = _production(described)
    for name, weight in weights.items():
        current = variants.get(name, {}).get("CurrentWeight")
        if current is None or not math.isclose(float(current), weight, rel_tol=1e-6, abs_tol=1e-9):
            return False
    return True


def set_weights(
    sagemaker: Any,
    endpoint: str,
    weights: Mapping[str, float],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, float]:
    """Check, set and wait for ``weights``; return every production variant's CurrentWeight after."""
    check_variant_names(weights)
    check_weights(weights)
    described = describe_endpoint(sagemaker, endpoint)
    check_variants(endpoint, weights, list(_production(described)))
    _check_in_service(endpoint, described)
    _check_someone_serves(endpoint, described, weights)
    try:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=endpoint,
            DesiredWeightsAndCapacities=[
                {"VariantName": name, "DesiredWeight": weight} for name, weight in weights.items()
            ],
        )
    except (ClientError, BotoCoreError) as exc:
        raise TrafficError(
            f"SageMaker refused the new weights for {endpoint}: {watch.describe_error(exc)}"
        ) from exc
    deadline = clock() + timeout
    while True:
        described = describe_endpoint(sagemaker, endpoint)
        if _applied(described, weights):
            return {name: float(v.get("CurrentWeight") or 0) for name, v in _production(described).items()}
        status = described.get("EndpointStatus")
        if status in ("Failed", "UpdateRollbackFailed"):
            reason = described.get("FailureReason") or "no FailureReason given"
            raise EndpointFailedError(f"endpoint {endpoint} is {status} after the weight change: {reason}")
        if clock() >= deadline:
            raise DeployTimeoutError(
                f"endpoint {endpoint} did not show the new weights within {timeout:g} s (it is {status}); "
                f"check `launchpad status {endpoint}`"
            )
        sleep(min(poll_interval, max(0.0, deadline - clock())))


# -- the decision -----------------------------------------------------------------------------------------
class Decision(str, Enum):
    PROMOTE = "promote"
    ABORT = "abort"
    WAIT = "wait"

    @property
    def error(self) -> type[TrafficError] | None:
        """The error whose exit code a pipeline sees for this decision (errors.py); PROMOTE is 0."""
        return {Decision.ABORT: ChallengerRejectedError, Decision.WAIT: DecisionPendingError}.get(self)

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else 0


@dataclass(frozen=True)
class VariantMetrics:
    """One variant's numbers over the window; latency in microseconds (ModelLatency's unit), None: no data."""

    variant: str
    invocations: float = 0.0
    errors_5xx: float = 0.0
    errors_4xx: float = 0.0
    latency: float | None = None
    kpi: business.KpiMetrics | None = None  # with a KpiRule: the variant's KPI over the window

    @property
    def error_rate_percent(self) -> float:
        return 100.0 * self.errors_5xx / self.invocations if self.invocations else 0.0

    @property
    def client_error_rate_percent(self) -> float:
        return 100.0 * self.errors_4xx / self.invocations if self.invocations else 0.0

    def as_dict(self) -> dict[str, Any]:
        document = {
            **asdict(self),
            "error_rate_percent": round(self.error_rate_percent, 4),
            "client_error_rate_percent": round(self.client_error_rate_percent, 4),
        }
        if self.kpi is None:
            document.pop("kpi")
        else:
            document["kpi"] = self.kpi.as_dict()
        return document


@dataclass(frozen=True)
class KpiRule:
    """The business KPI criterion of ``decide`` (rules 4 and 5 of the module docstring)."""

    name: str  # HelpfulRate, OutcomeRate or MeanRating
    max_decrease: float = 0.0  # in the KPI's unit: 0.02 is 2 points of a rate, or 0.02 of a mean rating
    min_samples: float = 200
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.name not in business.KPIS:
            raise TrafficError(f"--kpi {shown(self.name)}: write one of {', '.join(business.KPIS)}")
        if not all(math.isfinite(v) for v in (self.max_decrease, self.min_samples, self.confidence)):
            raise TrafficError("the KPI thresholds must be finite numbers: a NaN threshold accepts anything")
        if self.max_decrease < 0:
            raise TrafficError("--max-kpi-decrease must be 0 or more")
        if self.min_samples < 2:
            raise TrafficError("--min-kpi-samples must be at least 2: no comparison without feedback")
        if not 0.5 <= self.confidence < 1:
            raise TrafficError("--kpi-confidence must be from 0.5 to below 1, e.g. 0.95")


@dataclass(frozen=True)
class Thresholds:
    min_invocations: float = 100
    max_error_rate_increase: float = 1.0  # percentage points of 5xx rate
    max_latency_increase_percent: float = 10.0
    kpi: KpiRule | None = None

    def as_dict(self) -> dict[str, Any]:
        """The thresholds; the KPI rule only when there is one (the document stays as it was without)."""
        document = asdict(self)
        if self.kpi is None:
            document.pop("kpi")
        return document

    def __post_init__(self) -> None:
        values = (self.min_invocations, self.max_error_rate_increase, self.max_latency_increase_percent)
        if not all(math.isfinite(value) for value in values):  # NaN compares false: it would promote anything
            raise TrafficError(
                "the thresholds must be finite numbers: a NaN or infinite threshold accepts any challenger"
            )
        if self.min_invocations < 1:
            raise TrafficError("--min-invocations must be at least 1: no decision without traffic")
        if self.max_error_rate_increase < 0 or self.max_latency_increase_percent < 0:
            raise TrafficError("the error-rate and latency thresholds must be 0 or more")


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reasons: tuple[str, ...]
    champion: VariantMetrics
    challenger: VariantMetrics
    thresholds: Thresholds
    error_rate_increase: float | None = None  # percentage points, challenger minus champion
    latency_increase_percent: float | None = None
    kpi: business.KpiComparison | None = None  # challenger minus champion, when both had the samples

    @property
    def exit_code(self) -> int:
        return self.decision.exit_code

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "exit_code": self.exit_code,
            "reasons": list(self.reasons),
            "champion": self.champion.as_dict(),
            "challenger": self.challenger.as_dict(),
            "thresholds": self.thresholds.as_dict(),
            "error_rate_increase_points": _rounded(self.error_rate_increase),
            "latency_increase_percent": _rounded(self.latency_increase_percent),
            "kpi": None if self.kpi is None else self.kpi.as_dict(),
        }


def _rounded(value: float | None) -> float | str | None:
    if value is None:
        return None
    return "inf" if math.isinf(value) else round(value, 4)


def latency_increase_percent(champion: float, challenger: float) -> float:
    if champion > 0:
        return 100.0 * (challenger - champion) / champion
    return math.inf if challenger > 0 else 0.0


def decide(champion: VariantMetrics, challenger: VariantMetrics, thresholds: Thresholds) -> Verdict:
    """The rules of the module docstring: WAIT without traffic, ABORT on errors, latency or a significantly
    worse KPI, WAIT for KPI samples, else PROMOTE."""
    short = [m for m in (champion, challenger) if m.invocations < thresholds.min_invocations]
    if short:
        waiting = tuple(
            f"{m.variant} had {m.invocations:g} invocations, fewer than the {thresholds.min_invocations:g} "
            f"needed to judge it"
            for m in short
        )
        return Verdict(Decision.WAIT, waiting, champion, challenger, thresholds)
    no_latency = [m for m in (champion, challenger) if m.latency is None]
    if no_latency:
        waiting = tuple(f"{m.variant} has invocations but no ModelLatency data yet" for m in no_latency)
        return Verdict(Decision.WAIT, waiting, champion, challenger, thresholds)
    assert champion.latency is not None and challenger.latency is not None
    errors = challenger.error_rate_percent - champion.error_rate_percent
    latency = latency_increase_percent(champion.latency, challenger.latency)
    reasons: list[str] = []
    if errors > thresholds.max_error_rate_increase:
        reasons.append(
            f"{challenger.variant}'s 5xx rate {challenger.error_rate_percent:.2f}% is {errors:.2f} points "
            f"above {champion.variant}'s {champion.error_rate_percent:.2f}% (at most "
            f"{thresholds.max_error_rate_increase:g} points allowed)"
        )
    if latency > thresholds.max_latency_increase_percent:
        reasons.append(
            f"{challenger.variant}'s latency {challenger.latency:g} us is {latency:.1f}% above "
            f"{champion.variant}'s {champion.latency:g} us (at most "
            f"{thresholds.max_latency_increase_percent:g}% allowed)"
        )
    rule = thresholds.kpi
    compared, kpi_short, kpi_why = None, [], None
    if rule is not None:
        sides = [(m, m.kpi or business.KpiMetrics(rule.name)) for m in (champion, challenger)]
        kpi_short = [
            f"{m.variant} has {k.samples:g} {rule.name} samples (feedback records), fewer than the "
            f"{rule.min_samples:g} needed to judge the KPI"
            for m, k in sides
            if k.samples < rule.min_samples
        ]
        if not kpi_short:
            (_, mine), (_, theirs) = sides
            compared = business.compare(mine, theirs, rule.confidence)
            figures = (
                f"{challenger.variant}'s {rule.name} {theirs.value:.4f} against {champion.variant}'s "
                f"{mine.value:.4f} ({compared.difference:+.4f}; {rule.confidence:g} one-sided interval "
                f"{compared.lower:+.4f} to {compared.upper:+.4f})"
            )
            if compared.worse_by_more_than(rule.max_decrease):
                reasons.append(
                    f"{figures}: significantly worse, by more than the {rule.max_decrease:g} allowed"
                )
            else:
                kpi_why = f"{figures}: not significantly worse by more than {rule.max_decrease:g}"
    verdict = partial(
        Verdict, champion=champion, challenger=challenger, thresholds=thresholds,
        error_rate_increase=errors, latency_increase_percent=latency, kpi=compared,
    )  # fmt: skip
    if reasons:
        return verdict(Decision.ABORT, tuple(reasons))
    if kpi_short:
        return verdict(Decision.WAIT, tuple(kpi_short))
    why = (
        f"{challenger.variant}'s 5xx rate is {errors:+.2f} points and its latency {latency:+.1f}% against "
        f"{champion.variant}, within the thresholds ({thresholds.max_error_rate_increase:g} points, "
        f"{thresholds.max_latency_increase_percent:g}%)"
    )
    return verdict(Decision.PROMOTE, (why,) if kpi_why is None else (why, kpi_why))


# -- metrics ----------------------------------------------------------------------------------------------
def _kpi_metrics(kpi: str | None) -> dict[str, tuple[str, str, str]]:
    """The KPI's queries per variant: {id suffix: (namespace, metric, statistic)}."""
    if kpi is None:
        return {}
    wanted = {"kpi_total": (kpi, "Sum"), "kpi_samples": (kpi, "SampleCount")}
    if kpi not in business.RATES:
        wanted["kpi_squares"] = (business.SQUARES_METRIC, "Sum")
    return {key: (business.NAMESPACE, metric, stat) for key, (metric, stat) in wanted.items()}


def metric_queries(
    endpoint: str, variants: Sequence[str], period: int, latency_statistic: str, kpi: str | None = None
) -> list[dict[str, Any]]:
    """GetMetricData queries: per variant the three sums and the latency statistic, and with ``kpi`` its Sum
    and SampleCount (and MeanSquaredRating's Sum); ids ``v<i>_<field>``."""
    wanted = {
        key: (NAMESPACE, metric, stat)
        for key, (metric, stat) in {**_METRICS, "latency": ("ModelLatency", latency_statistic)}.items()
    }
    wanted.update(_kpi_metrics(kpi))
    return [
        {
            "Id": f"v{index}_{key}",
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace,
                    "MetricName": metric,
                    "Dimensions": business.metric_dimensions(endpoint, variant)
                    if namespace == business.NAMESPACE
                    else [
                        {"Name": "EndpointName", "Value": endpoint},
                        {"Name": "VariantName", "Value": variant},
                    ],
                },
                "Period": period,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for index, variant in enumerate(variants)
        for key, (namespace, metric, stat) in wanted.items()
    ]


def fetch_metrics(
    cloudwatch: Any,
    endpoint: str,
    variants: Sequence[str],
    *,
    window_minutes: int,
    latency_statistic: str = "p99",
    end: datetime | None = None,
    kpi: str | None = None,
) -> dict[str, VariantMetrics]:
    """Each variant's sums and latency over the ``window_minutes`` before ``end`` (default now), and with
    ``kpi`` (a name of ``launchpad.monitor.kpi.KPIS``) the KPI's sums, from the same GetMetricData call."""
    if not 1 <= window_minutes <= MAX_WINDOW_MINUTES:
        raise TrafficError(
            f"--window-minutes {window_minutes}: write 1 to {MAX_WINDOW_MINUTES} (15 days: CloudWatch keeps "
            f"1-minute datapoints that long, and one period covers the window)"
        )
    if latency_statistic not in LATENCY_STATISTICS:
        raise TrafficError(f"latency statistic must be one of {', '.join(LATENCY_STATISTICS)}")
    if kpi is not None and kpi not in business.KPIS:
        raise TrafficError(f"KPI {shown(kpi)}: write one of {', '.join(business.KPIS)}")
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    start = end - timedelta(minutes=window_minutes)
    queries = metric_queries(endpoint, variants, window_minutes * 60, latency_statistic, kpi)
    values: dict[str, list[float]] = {}
    token: str | None = None
    try:
        while True:
            extra = {"NextToken": token} if token else {}
            response = cloudwatch.get_metric_data(
                MetricDataQueries=queries, StartTime=start, EndTime=end, **extra
            )
            for result in response.get("MetricDataResults", []):
                values.setdefault(result["Id"], []).extend(
                    float(v) for v in result.get("Values", []) if v is not None
                )
            token = response.get("NextToken")
            if not token:
                break
    except (ClientError, BotoCoreError) as exc:
        error = watch.describe_error(exc)
        if "AccessDenied" in error:
            hint = "; the identity needs cloudwatch:GetMetricData"
        elif latency_statistic.startswith("p"):
            hint = (
                f"; a CloudWatch that computes no percentiles (the local sandbox) needs --latency-statistic "
                f"Average instead of {latency_statistic}"
            )
        else:
            hint = ""
        raise TrafficError(f"cannot read the metrics of {endpoint}: {error.strip()}{hint}") from exc
    metrics = {}
    for index, variant in enumerate(variants):
        sums = {key: sum(values.get(f"v{index}_{key}", [])) for key in _METRICS}
        latencies = values.get(f"v{index}_latency", [])
        found = None
        if kpi is not None:
            squares = values.get(f"v{index}_kpi_squares")
            found = business.KpiMetrics(
                kpi,
                samples=sum(values.get(f"v{index}_kpi_samples", [])),
                total=sum(values.get(f"v{index}_kpi_total", [])),
                squares=None if squares is None else sum(squares),
            )
        metrics[variant] = VariantMetrics(
            variant, latency=max(latencies) if latencies else None, kpi=found, **sums
        )
    return metrics


# -- the decision on a live endpoint ---------------------------------------------------------------------
def pick_variants(
    endpoint: str, weights: Mapping[str, float], champion: str | None, challenger: str | None
) -> tuple[str, str]:
    """Champion and challenger: as named, or with two production variants the one with more weight is the
    champion (the other the challenger)."""
    known = list(weights)
    check_variants(endpoint, [n for n in (champion, challenger) if n is not None], known)
    if champion and challenger:
        if champion == challenger:
            raise TrafficError("--champion and --challenger name the same variant")
        return champion, challenger
    if len(known) != 2:
        raise TrafficError(
            f"endpoint {endpoint} has {len(known)} production variants ({', '.join(known) or 'none'}): name "
            f"both with --champion and --challenger"
        )
    if champion:
        return champion, next(n for n in known if n != champion)
    if challenger:
        return next(n for n in known if n != challenger), challenger
    first, second = sorted(known, key=lambda name: -weights[name])
    if weights[first] == weights[second]:
        raise TrafficError(
            f"variants {first} and {second} of {endpoint} have the same weight: say which is the champion "
            f"with --champion"
        )
    return first, second


@dataclass(frozen=True)
class DecisionReport:
    endpoint: str
    verdict: Verdict
    window_minutes: int
    latency_statistic: str
    applied: dict[str, float] | None = None  # the weights after --apply; None when nothing was applied
    weights_before: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "window_minutes": self.window_minutes,
            "latency_statistic": self.latency_statistic,
            **self.verdict.as_dict(),
            "weights_before": self.weights_before,
            "applied_weights": self.applied,
        }


def decide_endpoint(
    sagemaker: Any,
    cloudwatch: Any,
    endpoint: str,
    *,
    champion: str | None = None,
    challenger: str | None = None,
    thresholds: Thresholds | None = None,
    window_minutes: int = 60,
    latency_statistic: str = "p99",
    apply: bool = False,
    end: datetime | None = None,
    **wait: Any,
) -> DecisionReport:
    """Read the variants' metrics, decide, and with ``apply`` move all traffic to the winner (``wait``:
    ``set_weights``' timeout, poll_interval, clock and sleep)."""
    thresholds = thresholds or Thresholds()
    described = describe_endpoint(sagemaker, endpoint)
    weights = {name: float(v.get("CurrentWeight") or 0) for name, v in _production(described).items()}
    champion, challenger = pick_variants(endpoint, weights, champion, challenger)
    if apply:
        _check_in_service(endpoint, described)
    metrics = fetch_metrics(
        cloudwatch,
        endpoint,
        [champion, challenger],
        window_minutes=window_minutes,
        latency_statistic=latency_statistic,
        end=end,
        kpi=thresholds.kpi.name if thresholds.kpi else None,
    )
    verdict = decide(metrics[champion], metrics[challenger], thresholds)
    applied = None
    if apply and verdict.decision is not Decision.WAIT:
        promote = verdict.decision is Decision.PROMOTE
        new = {champion: 0.0, challenger: 1.0} if promote else {champion: 1.0, challenger: 0.0}
        applied = set_weights(sagemaker, endpoint, new, **wait)
    return DecisionReport(endpoint, verdict, window_minutes, latency_statistic, applied, weights)


def render_decision(report: DecisionReport) -> str:
    """The numbers behind the decision, as a table, then the decision and its reasons."""
    verdict = report.verdict
    latency_title = f"LATENCY {report.latency_statistic}"
    rule = verdict.thresholds.kpi
    kpi_title: tuple[str, ...] = () if rule is None else (f"{rule.name} (N)",)
    rows: list[tuple[str, ...]] = [
        ("VARIANT", "ROLE", "INVOCATIONS", "5XX", "5XX RATE", "4XX", latency_title, *kpi_title)
    ]
    for role, m in (("champion", verdict.champion), ("challenger", verdict.challenger)):
        latency = "-" if m.latency is None else f"{m.latency:g} us"
        kpi: tuple[str, ...] = ()
        if rule is not None:
            value = m.kpi.value if m.kpi else None
            samples = m.kpi.samples if m.kpi else 0
            kpi = (f"{'-' if value is None else f'{value:.4f}'} ({samples:g})",)
        rows.append(
            (
                m.variant,
                role,
                f"{m.invocations:g}",
                f"{m.errors_5xx:g}",
                f"{m.error_rate_percent:.2f}%",
                f"{m.errors_4xx:g}",
                latency,
                *kpi,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"endpoint {report.endpoint}, last {report.window_minutes} min"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append(f"decision: {verdict.decision.value.upper()}")
    lines += [f"  - {reason}" for reason in verdict.reasons]
    if report.applied is not None:
        lines.append("applied weights: " + ", ".join(f"{k}={v:g}" for k, v in report.applied.items()))
    elif verdict.decision is not Decision.WAIT:
        lines.append("not applied (add --apply to move the traffic)")
    return "\n".join(lines)
