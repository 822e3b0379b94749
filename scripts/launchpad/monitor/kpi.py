"""Business KPIs from feedback records: CloudWatch metrics per endpoint and variant, and the statistics that
compare two variants' KPI (``launchpad traffic --decide --kpi``).

Metrics, namespace ``launchpad/Business`` (AWS refuses namespaces starting with ``AWS/``), dimensions
``EndpointName`` and ``VariantName``, one datum per minute of ``received_at``:

- ``FeedbackCount``: records of any kind (a plain value; its Sum counts them).
- ``HelpfulRate`` (kind helpful), ``OutcomeRate`` (kind outcome): a statistic set over the 0/1 values,
  ``SampleCount`` the records, ``Sum`` the true ones.
- ``MeanRating`` (kind rating): a statistic set over the ratings; ``MeanSquaredRating``: over their squares.

Why statistic sets: CloudWatch adds statistic sets exactly, so over any period and window ``Sum`` and
``SampleCount`` are the exact numerator and denominator (and ``Average`` the exact rate or mean), however the
data was published. An average of per-minute rates would weigh a minute with 2 records as one with 2000; a
numerator and a denominator published as two metrics could be half-published. One GetMetricData call reads
Sum and SampleCount of the KPI (and of ``MeanSquaredRating``, whose Sum gives a rating's variance) beside the
variant's invocation metrics.

Comparing two variants (higher is better for every KPI): a one-sided interval, at ``confidence``, for
``challenger - champion``; the challenger is "significantly worse" when the interval's upper bound is below
``-max_decrease``.

- A rate: Newcombe's hybrid score interval (method 10 of Newcombe 1998, "Interval estimation for the
  difference between independent proportions"), built from each variant's Wilson score interval. Unlike
  the Wald z-interval it stays sensible at rates of 0 or 1 and at small counts.
- A mean rating: the normal (Welch) interval, ``d + z * sqrt(s1^2/n1 + s2^2/n2)``, the sample variances
  from Sum, SampleCount and the Sum of squares.

``z`` is the standard normal quantile of ``confidence`` (1.6449 at 0.95: a one-sided test at the 5% level).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.deploy import watch
from launchpad.monitor.feedback import FeedbackError, check_records
from launchpad.monitor.labels import parse_time

log = logging.getLogger(__name__)

NAMESPACE = "launchpad/Business"
# SageMaker's own names for them (AWS/SageMaker's invocation metrics), so one GetMetricData reads both alike.
ENDPOINT_DIMENSION, VARIANT_DIMENSION = "EndpointName", "VariantName"
COUNT_METRIC = "FeedbackCount"
SQUARES_METRIC = "MeanSquaredRating"
# KPI metric -> the score kind it is computed from
KPIS = {"HelpfulRate": "helpful", "OutcomeRate": "outcome", "MeanRating": "rating"}
RATES = frozenset({"HelpfulRate", "OutcomeRate"})
MAX_AGE = timedelta(days=14)  # CloudWatch refuses datapoints older than two weeks
MAX_AHEAD = timedelta(hours=2)  # ... and more than two hours ahead
BATCH = 500  # metric data per PutMetricData (AWS takes 1000, and 1 MB)


# -- publishing -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    """What ``publish_kpis`` sent: records counted, records left out as too old or too new for CloudWatch,
    metric data sent and PutMetricData calls made."""

    records: int
    skipped: int
    data: int
    calls: int


def metric_dimensions(endpoint: str, variant: str) -> list[dict[str, str]]:
    """The dimensions of a KPI metric."""
    return [{"Name": ENDPOINT_DIMENSION, "Value": endpoint}, {"Name": VARIANT_DIMENSION, "Value": variant}]


def _statistic_set(values: Sequence[float]) -> dict[str, float]:
    return {
        "SampleCount": float(len(values)),
        "Sum": float(math.fsum(values)),
        "Minimum": float(min(values)),
        "Maximum": float(max(values)),
    }


def metric_data(
    records: Iterable[Mapping[str, Any]], *, now: datetime | None = None
) -> tuple[list[dict[str, Any]], int]:
    """PutMetricData's MetricData for checked records, one datum per metric, endpoint, variant and minute
    of ``received_at``; and the number of records left out (older than 14 days or over 2 hours ahead)."""
    now = now or datetime.now(UTC)
    groups: dict[tuple[str, str, datetime], list[Mapping[str, Any]]] = {}
    skipped = 0
    for record in records:
        when = parse_time(record["received_at"])
        assert when is not None
        if not now - MAX_AGE < when <= now + MAX_AHEAD:
            skipped += 1
            continue
        minute = when.replace(second=0, microsecond=0)
        groups.setdefault((record["endpoint"], record["variant"], minute), []).append(record)
    data: list[dict[str, Any]] = []
    for (endpoint, variant, minute), group in sorted(groups.items()):
        dimensions = metric_dimensions(endpoint, variant)

        def datum(name: str, dimensions: list[dict[str, str]] = dimensions, minute: datetime = minute,
                  **value: Any) -> dict[str, Any]:  # fmt: skip
            return {"MetricName": name, "Dimensions": dimensions, "Timestamp": minute, **value}

        data.append(datum(COUNT_METRIC, Value=float(len(group)), Unit="Count"))
        for metric, kind in KPIS.items():
            values = [float(r["score"]["value"]) for r in group if r["score"]["kind"] == kind]
            if not values:
                continue
            data.append(datum(metric, StatisticValues=_statistic_set(values), Unit="None"))
            if metric == "MeanRating":
                squares = [v * v for v in values]
                data.append(datum(SQUARES_METRIC, StatisticValues=_statistic_set(squares), Unit="None"))
    return data, skipped


def publish_kpis(
    cloudwatch_client: Any,
    records: Iterable[Any],
    *,
    namespace: str = NAMESPACE,
    now: datetime | None = None,
) -> Published:
    """Check the records (``feedback.check_records``) and publish their KPIs (the module docstring). Only
    counts and scores are sent: no comment, label or inference id."""
    if not namespace or namespace.startswith("AWS/") or len(namespace) > 255:
        raise FeedbackError(
            "namespace: write 1-255 characters not starting with AWS/ (AWS keeps those), "
            "e.g. launchpad/Business"
        )
    checked = check_records(records)
    data, skipped = metric_data(checked, now=now)
    calls = 0
    for first in range(0, len(data), BATCH):
        try:
            cloudwatch_client.put_metric_data(Namespace=namespace, MetricData=data[first : first + BATCH])
        except (ClientError, BotoCoreError) as exc:
            raise FeedbackError(
                f"CloudWatch refused the KPI metrics ({first} of {len(data)} data sent before): "
                f"{watch.describe_error(exc).strip()}"
            ) from exc
        calls += 1
    if skipped:
        log.warning("%d feedback record(s) older than 14 days or over 2 hours ahead: not published", skipped)
    return Published(len(checked), skipped, len(data), calls)


# -- one variant's KPI, as read back ----------------------------------------------------------------------
@dataclass(frozen=True)
class KpiMetrics:
    """One variant's KPI over the window: ``samples`` (SampleCount), ``total`` (Sum) and, for MeanRating,
    ``squares`` (the Sum of MeanSquaredRating)."""

    name: str
    samples: float = 0.0
    total: float = 0.0
    squares: float | None = None

    @property
    def value(self) -> float | None:
        """The rate or mean rating; None without samples."""
        return self.total / self.samples if self.samples else None

    @property
    def variance(self) -> float:
        """The sample variance of the values (a rate's p(1-p)); 0 with fewer than two samples."""
        n = self.samples
        if n < 2 or self.value is None:
            return 0.0
        if self.name in RATES:
            return self.value * (1 - self.value)
        squares = self.squares if self.squares is not None else self.total * self.value
        return max(0.0, (squares - self.total * self.total / n) / (n - 1))

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        return {
            "name": self.name,
            "samples": self.samples,
            "total": self.total,
            "value": None if value is None else round(value, 6),
        }


# -- the comparison ---------------------------------------------------------------------------------------
def z_value(confidence: float) -> float:
    """The one-sided standard normal quantile: 1.6449 at 0.95."""
    return NormalDist().inv_cdf(confidence)


def wilson_interval(successes: float, samples: float, z: float) -> tuple[float, float]:
    """Wilson's score interval for a rate (``z`` per side)."""
    if samples <= 0:
        return 0.0, 1.0
    p = successes / samples
    denominator = 1 + z * z / samples
    centre = (p + z * z / (2 * samples)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / samples + z * z / (4 * samples * samples))
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_difference_interval(champion: KpiMetrics, challenger: KpiMetrics, z: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for challenger's rate minus champion's (``z`` per side)."""
    p1, p2 = challenger.total / challenger.samples, champion.total / champion.samples
    low1, high1 = wilson_interval(challenger.total, challenger.samples, z)
    low2, high2 = wilson_interval(champion.total, champion.samples, z)
    d = p1 - p2
    return d - math.hypot(p1 - low1, high2 - p2), d + math.hypot(high1 - p1, p2 - low2)


def mean_difference_interval(champion: KpiMetrics, challenger: KpiMetrics, z: float) -> tuple[float, float]:
    """The normal (Welch) interval for challenger's mean minus champion's (``z`` per side)."""
    d = challenger.total / challenger.samples - champion.total / champion.samples
    error = math.sqrt(challenger.variance / challenger.samples + champion.variance / champion.samples)
    return d - z * error, d + z * error


@dataclass(frozen=True)
class KpiComparison:
    """Challenger minus champion, and its interval at ``confidence`` (each bound one-sided)."""

    name: str
    difference: float
    lower: float
    upper: float
    confidence: float
    method: str

    def worse_by_more_than(self, max_decrease: float) -> bool:
        """Significantly worse: the whole interval lies below ``-max_decrease``."""
        return self.upper < -max_decrease

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "difference": round(self.difference, 6),
            "interval": [round(self.lower, 6), round(self.upper, 6)],
            "confidence": self.confidence,
            "method": self.method,
        }


def compare(champion: KpiMetrics, challenger: KpiMetrics, confidence: float) -> KpiComparison:
    """The KPI of two variants that both have samples, compared (the module docstring)."""
    z = z_value(confidence)
    if champion.name in RATES:
        lower, upper = rate_difference_interval(champion, challenger, z)
        method = "Newcombe hybrid score interval (Wilson), one-sided"
    else:
        lower, upper = mean_difference_interval(champion, challenger, z)
        method = "normal (Welch) interval of the difference of means, one-sided"
    difference = challenger.total / challenger.samples - champion.total / champion.samples
    return KpiComparison(champion.name, difference, lower, upper, confidence, method)
