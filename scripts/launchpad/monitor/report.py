"""The drift report: one static, self-contained HTML page of a baseline and its drift runs
(docs/monitoring.md).

``render`` takes a baseline's ``statistics.json`` and the ``drift.json`` of each run in time order (the last
is the current window) and returns the page; ``write`` writes it to a file. On top: the current window, its
records, and the features drifted first, then by value against threshold (threshold against value for a
p-value), absent ones last. Then one ``<figure>`` per feature with

- the baseline against the current distribution: a numerical feature's fine histogram (``launchpad.edges``)
  coarsened to ``DISPLAY_BINS`` equal-width bins as densities (baseline bars, current step line); one with
  at most ``MAX_VALUES`` edges, and a categorical one (``MAX_CATEGORIES`` groups at most, the rest as
  "other"), as shares per value in grouped bars, categories the baseline never saw hatched and labelled "new";
- the decision statistic over the runs (one point per run), its threshold dashed, drifted runs as diamonds;
  p-values on a log axis;
- a table of the current decision, the missing rates and every statistic the run computed, and the charts'
  numbers in tables too.

No JavaScript and nothing fetched: the CSS is inline and the SVG is drawn here (Okabe-Ito blue and vermillion,
told apart by shape too). Every string from the JSON is escaped (a category may be ``<script>``).
"""

from __future__ import annotations

import html
import itertools
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .profile import P_VALUES

log = logging.getLogger(__name__)

DISPLAY_BINS = 20
# A discrete feature with at most this many values is drawn value by value, like a categorical one.
MAX_VALUES = 24
# Categories beyond this many (by their larger share) are drawn as one "other" group.
MAX_CATEGORIES = 12
BASELINE = "#0072B2"  # Okabe-Ito blue
CURRENT = "#D55E00"  # Okabe-Ito vermillion
INK = "#1f1f1f"
VALUE = "#3d3d3d"  # the history's line: neither baseline nor current
MUTED = "#555"
GRID = "#e4e4e4"
DIST_SIZE = (570, 300)
HISTORY_SIZE = (530, 300)
FONT = "12px"
CHAR_WIDTH = 7.2  # px: a 12px label's characters, on the wide side (DejaVu Sans)
LABEL_ANGLE = 35

Json = Mapping[str, Any]


# -- reading the JSON defensively --------------------------------------------------------------------------
def _e(value: object) -> str:
    """Text for HTML (content and attribute values alike)."""
    return html.escape(str(value), quote=True)


def _map(value: object) -> Json:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _numbers(value: object) -> list[float] | None:
    items = _list(value)
    numbers = [_num(v) for v in items]
    return None if not items or any(n is None for n in numbers) else [n for n in numbers if n is not None]


# -- formatting --------------------------------------------------------------------------------------------
def _fmt(value: object) -> str:
    """A number for people: four significant digits; counts with thousands separators; "—" when absent."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = _num(value)
    if number is None:
        return "—" if value is None or isinstance(value, int | float) else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{number:.4g}"


def _pct(share: float | None) -> str:
    if share is None:
        return "—"
    percent = 100 * share
    return f"{percent:.2g}%" if 0 < percent < 1 else f"{percent:.1f}%"


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(stamp: object) -> str:
    """2026-12-07T12:00:00Z -> 12-07 12:00 (an axis label); anything else as given, shortened."""
    text = str(stamp or "")
    if len(text) >= 16 and text[4] == "-" and text[10] == "T":
        return f"{text[5:10]} {text[11:16]}"
    return _short(text, 12) or "?"


STAMP = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(\.\d+)?)?Z")


def _stamp(value: object) -> str:
    """2026-12-07T12:00:00Z -> 2026-12-07 12:00 UTC (anything else as given)."""
    match = STAMP.fullmatch(str(value or ""))
    return f"{match[1]} {match[2]} UTC" if match else str(value or "—")


def _window(start: object, end: object) -> str:
    """2026-12-07T12:00:00Z, 2026-12-07T13:00:00Z -> 2026-12-07 12:00 → 13:00 UTC (as given if not so)."""
    a, b = STAMP.fullmatch(str(start or "")), STAMP.fullmatch(str(end or ""))
    if not a or not b:
        return f"{start or '—'} → {end or '—'}"
    return f"{a[1]} {a[2]} → {'' if a[1] == b[1] else b[1] + ' '}{b[2]} UTC"


# -- the features ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Point:
    """One run of a feature's history."""

    start: str
    end: str
    value: float | None  # of the feature's current decision statistic
    statistic: str | None  # the run's own decision
    decided: float | None
    threshold: float | None
    drifted: bool | None


@dataclass(frozen=True)
class _Feature:
    name: str
    kind: str
    base: Json | None
    run: Json | None  # this feature in the current run
    history: tuple[_Point, ...]
    statistic: str | None
    threshold: float | None

    @property
    def decision(self) -> Json:
        return _map((self.run or {}).get("decision"))

    @property
    def drifted(self) -> bool:
        return self.decision.get("drifted") is True

    @property
    def status(self) -> str:
        if self.run is None:
            return "not in this run"
        if not self.decision:
            return "no values"
        return "drifted" if self.drifted else "no drift"

    @property
    def missing_rate(self) -> float | None:
        rows, missing = _num((self.run or {}).get("rows")), _num((self.run or {}).get("missing"))
        return missing / rows if rows and missing is not None else None

    @property
    def baseline_missing_rate(self) -> float | None:
        common = _map(_stats_block(self.base).get("common"))
        present, missing = _num(common.get("num_present")), _num(common.get("num_missing"))
        if present is None or missing is None or present + missing <= 0:
            return None
        return missing / (present + missing)

    def severity(self) -> float:
        """How far the value is into drift: value / threshold, or threshold / value for a p-value."""
        value, threshold = _num(self.decision.get("value")), _num(self.decision.get("threshold"))
        if value is None:
            return -math.inf
        if threshold is None or threshold <= 0:
            return value
        if self.decision.get("statistic") in P_VALUES:
            return threshold / value if value > 0 else math.inf
        return value / threshold


def _stats_block(base: Json | None) -> Json:
    base = base or {}
    return _map(base.get("numerical_statistics") or base.get("string_statistics"))


def _kind(base: Json | None, run: Json | None) -> str:
    kind = (run or {}).get("kind")
    if kind in ("numerical", "categorical"):
        return str(kind)
    return "categorical" if (base or {}).get("inferred_type") == "String" else "numerical"


def _by_name(features: object) -> dict[str, Json]:
    return {str(f.get("name")): f for f in _list(features) if isinstance(f, Mapping)}


def _history(name: str, runs: Sequence[Json], statistic: str | None) -> tuple[_Point, ...]:
    points = []
    for run in runs:
        feature = _by_name(run.get("features")).get(name, {})
        decision = _map(feature.get("decision"))
        window = _map(run.get("window"))
        value = _num(_map(feature.get("statistics")).get(statistic)) if statistic else None
        drifted = decision.get("drifted")
        points.append(
            _Point(
                start=str(window.get("start") or ""),
                end=str(window.get("end") or ""),
                value=value,
                statistic=str(decision["statistic"]) if decision.get("statistic") else None,
                decided=_num(decision.get("value")),
                threshold=_num(decision.get("threshold")),
                drifted=drifted if isinstance(drifted, bool) else None,
            )
        )
    return tuple(points)


def _latest_decision(name: str, runs: Sequence[Json]) -> Json:
    for run in reversed(runs):
        decision = _map(_by_name(run.get("features")).get(name, {}).get("decision"))
        if decision.get("statistic"):
            return decision
    return {}


def _features(baseline: Json, runs: Sequence[Json]) -> list[_Feature]:
    """Every feature of the baseline or of a run, drifted first, then by severity; absent ones last."""
    base = _by_name(baseline.get("features"))
    current = _by_name(runs[-1].get("features")) if runs else {}
    names = list(dict.fromkeys([*base, *(n for run in runs for n in _by_name(run.get("features")))]))
    features = []
    for name in names:
        decision = _latest_decision(name, runs)
        statistic = str(decision["statistic"]) if decision else None
        features.append(
            _Feature(
                name=name,
                kind=_kind(base.get(name), current.get(name)),
                base=base.get(name),
                run=current.get(name),
                history=_history(name, runs, statistic),
                statistic=statistic,
                threshold=_num(decision.get("threshold")),
            )
        )
    order = {"drifted": 0, "no drift": 1, "no values": 2, "not in this run": 3}
    return sorted(features, key=lambda f: (order[f.status], -f.severity()))


# -- distributions -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Dist:
    """What the distribution chart draws: densities on ``edges``, or shares per labelled value."""

    mode: str  # "density", "share" or "none"
    labels: tuple[str, ...] = ()  # per bin or value (the table's)
    ticks: tuple[str, ...] = ()  # per value (the axis's), share mode
    baseline: tuple[float, ...] | None = None
    current: tuple[float, ...] | None = None
    edges: tuple[float, ...] = ()
    unseen: tuple[bool, ...] = ()
    above: float | None = None  # the current share above the baseline's maximum (density mode)
    note: str = ""


def _counts(value: object, size: int) -> np.ndarray | None:
    numbers = _numbers(value)
    if numbers is None or len(numbers) != size:
        return None
    counts = np.asarray(numbers, dtype=np.float64)
    return counts if counts.sum() > 0 else None


def _numerical_dist(base: Json | None, run: Json | None) -> _Dist:
    extra = _map((base or {}).get("launchpad"))
    edges = _numbers(extra.get("edges"))
    if not edges or any(b <= a for a, b in itertools.pairwise(edges)):
        return _Dist("none", note="The baseline has no histogram for this feature.")
    base_counts = _counts(extra.get("counts"), len(edges) + 1)
    current_counts = _counts(_map((run or {}).get("current")).get("counts"), len(edges) + 1)
    if base_counts is None and current_counts is None:
        return _Dist("none", note="Neither the baseline nor the current window has a value of this feature.")
    if len(edges) <= MAX_VALUES:
        return _values_dist(edges, base_counts, current_counts)
    return _density_dist(edges, base_counts, current_counts, bool(extra.get("discrete")))


def _values_dist(edges: list[float], base: np.ndarray | None, current: np.ndarray | None) -> _Dist:
    """A few values: one group per count (values at or below the first edge, ..., above the last)."""
    labels = [f"≤ {_fmt(edges[0])}", *(_fmt(e) for e in edges[1:]), f"> {_fmt(edges[-1])}"]
    keep = len(labels) if any(c is not None and c[-1] > 0 for c in (base, current)) else len(labels) - 1
    table = [
        f"≤ {_fmt(edges[0])}",
        *(f"({_fmt(a)}, {_fmt(b)}]" for a, b in itertools.pairwise(edges)),
    ]
    table.append(f"> {_fmt(edges[-1])}")
    return _Dist(
        "share",
        labels=tuple(table[:keep]),
        ticks=tuple(labels[:keep]),
        baseline=None if base is None else tuple((base / base.sum())[:keep].tolist()),
        current=None if current is None else tuple((current / current.sum())[:keep].tolist()),
        unseen=(False,) * keep,
    )


def _coarse(edges: np.ndarray, counts: np.ndarray, bins: np.ndarray, discrete: bool) -> np.ndarray:
    """Mass per display bin: a fine bin's spread evenly over it (a discrete one's sits on its value)."""
    if discrete:
        return np.histogram(edges, bins=bins, weights=counts[:-1])[0]
    below = np.cumsum(counts[:-1])  # mass at or below each edge
    mass = np.diff(np.interp(bins, edges, below))
    mass[0] += below[0]  # at or below the first edge: the first bin
    return mass


def _density_dist(
    edges: list[float], base: np.ndarray | None, current: np.ndarray | None, discrete: bool
) -> _Dist:
    fine = np.asarray(edges)
    bins = np.linspace(fine[0], fine[-1], DISPLAY_BINS + 1)
    width = float(bins[1] - bins[0])

    def density(counts: np.ndarray | None) -> tuple[float, ...] | None:
        if counts is None:
            return None
        return tuple((_coarse(fine, counts, bins, discrete) / (counts.sum() * width)).tolist())

    labels = [f"≤ {_fmt(float(bins[1]))}"]
    labels += [f"({_fmt(float(a))}, {_fmt(float(b))}]" for a, b in itertools.pairwise(bins[1:])]
    return _Dist(
        "density",
        labels=tuple(labels),
        baseline=density(base),
        current=density(current),
        edges=tuple(bins.tolist()),
        above=None if current is None else float(current[-1] / current.sum()),
    )


def _categorical_dist(base: Json | None, run: Json | None) -> _Dist:
    buckets = _list(_map(_map(_stats_block(base).get("distribution")).get("categorical")).get("buckets"))
    known: dict[str, float] = {}
    for bucket in buckets:
        if isinstance(bucket, Mapping) and _num(bucket.get("count")) is not None:
            known[str(bucket.get("value"))] = known.get(str(bucket.get("value")), 0.0) + float(
                bucket["count"]
            )
    seen = {
        str(k): float(v)
        for k, v in _map(_map((run or {}).get("current")).get("categories")).items()
        if _num(v)
    }
    base_total, seen_total = sum(known.values()), sum(seen.values())
    if base_total <= 0 and seen_total <= 0:
        return _Dist("none", note="Neither the baseline nor the current window has a value of this feature.")

    def share(counts: dict[str, float], total: float, name: str) -> float:
        return counts.get(name, 0.0) / total if total > 0 else 0.0

    names = sorted(
        {*known, *seen}, key=lambda n: -max(share(known, base_total, n), share(seen, seen_total, n))
    )
    shown = names if len(names) <= MAX_CATEGORIES else names[: MAX_CATEGORIES - 1]
    # Seen categories by their baseline share, then the new ones; the rest in one group at the end.
    shown = sorted(
        shown, key=lambda n: (n not in known, -share(known, base_total, n), -share(seen, seen_total, n))
    )
    rest = names[len(shown) :]

    def shares(counts: dict[str, float], total: float) -> tuple[float, ...] | None:
        if total <= 0:
            return None
        values = [share(counts, total, n) for n in shown]
        return tuple(values + ([sum(share(counts, total, n) for n in rest)] if rest else []))

    unseen = [n not in known for n in shown] + ([False] if rest else [])
    labels = [*shown, *([f"other ({len(rest)})"] if rest else [])]
    ticks = [_short(n, 16) + (" (new)" if new else "") for n, new in zip(labels, unseen, strict=True)]
    return _Dist(
        "share",
        labels=tuple(labels),
        ticks=tuple(ticks),
        baseline=shares(known, base_total),
        current=shares(seen, seen_total),
        unseen=tuple(unseen),
    )


def _dist(feature: _Feature) -> _Dist:
    if feature.kind == "categorical":
        return _categorical_dist(feature.base, feature.run)
    return _numerical_dist(feature.base, feature.run)


# -- SVG ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Frame:
    """A plot area inside an SVG of ``width`` x ``height``, mapping data ranges to pixels."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x0: float
    x1: float
    y0: float
    y1: float

    def x(self, value: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return self.left + (value - self.x0) / span * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        span = self.y1 - self.y0 or 1.0
        return self.height - self.bottom - (value - self.y0) / span * (self.height - self.top - self.bottom)


def _svg(size: tuple[int, int], title: str, label: str, body: Iterable[str], kind: str) -> str:
    width, height = size
    return (
        f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(label)}">'
        f"<title>{_e(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "middle", cls: str = "", extra: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}{extra}>{_e(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if not high > low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _tick_text(value: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    if max(abs(t) for t in ticks) >= 1e5 or 0 < step < 1e-3:
        return f"{value:.2g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (
        1 if round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5 else 0
    )
    return f"{value:.{decimals}f}"


def _y_axis(frame: _Frame, ticks: Sequence[float], texts: Sequence[str], label: str) -> list[str]:
    parts = []
    for tick, text in zip(ticks, texts, strict=True):
        y = frame.y(tick)
        parts.append(_line(frame.left, y, frame.width - frame.right, y, f'stroke="{GRID}"'))
        parts.append(_text(frame.left - 6, y + 4, text, anchor="end", cls="tick"))
    middle = (frame.top + frame.height - frame.bottom) / 2
    parts.append(
        _text(14, middle, label, cls="axis-label", extra=f' transform="rotate(-90 14 {middle:.1f})"')
    )
    return parts


def _x_baseline(frame: _Frame) -> str:
    y = frame.height - frame.bottom
    return _line(frame.left, y, frame.width - frame.right, y, f'stroke="{INK}"')


def _legend(items: Sequence[tuple[str, str]], y: float = 14, x: float = 56) -> list[str]:
    """(swatch SVG drawn at the origin, label) pairs in a row."""
    parts = []
    for swatch, label in items:
        parts.append(f'<g class="legend-item" transform="translate({x:.0f} {y - 9:.0f})">{swatch}')
        parts.append(_text(22, 9, label, anchor="start", cls="legend") + "</g>")
        x += 34 + 7.2 * len(label)
    return parts


BAR_SWATCH = f'<rect width="16" height="10" fill="{BASELINE}" fill-opacity="0.35" stroke="{BASELINE}"/>'
STEP_SWATCH = f'<line x1="0" y1="5" x2="16" y2="5" stroke="{CURRENT}" stroke-width="3"/>'
SOLID_SWATCHES = (
    f'<rect width="16" height="10" fill="{BASELINE}"/>',
    f'<rect width="16" height="10" fill="{CURRENT}"/>',
)


def _density_chart(dist: _Dist, title: str, label: str) -> str:
    series = [s for s in (dist.baseline, dist.current) if s is not None]
    top = max(max(s) for s in series) * 1.12 or 1.0
    frame = _Frame(
        *DIST_SIZE, left=64, right=16, top=44, bottom=52, x0=dist.edges[0], x1=dist.edges[-1], y0=0, y1=top
    )
    y_ticks = _nice_ticks(0, top, 4)
    parts = _y_axis(frame, y_ticks, [_tick_text(t, y_ticks) for t in y_ticks], "density")
    if dist.baseline is not None:
        for (a, b), height in zip(zip(dist.edges, dist.edges[1:], strict=False), dist.baseline, strict=True):
            x, y = frame.x(a), frame.y(height)
            parts.append(
                f'<rect class="bar baseline" x="{x:.1f}" y="{y:.1f}" width="{frame.x(b) - x:.1f}" '
                f'height="{frame.y(0) - y:.1f}" fill="{BASELINE}" fill-opacity="0.35" stroke="{BASELINE}"/>'
            )
    if dist.current is not None:
        points = [f"{frame.x(dist.edges[0]):.1f},{frame.y(0):.1f}"]
        for (a, b), height in zip(zip(dist.edges, dist.edges[1:], strict=False), dist.current, strict=True):
            points += [f"{frame.x(a):.1f},{frame.y(height):.1f}", f"{frame.x(b):.1f},{frame.y(height):.1f}"]
        points.append(f"{frame.x(dist.edges[-1]):.1f},{frame.y(0):.1f}")
        parts.append(
            f'<polyline class="step current" points="{" ".join(points)}" fill="none" stroke="{CURRENT}" '
            'stroke-width="2.5" stroke-linejoin="round"/>'
        )
    parts.append(_x_baseline(frame))
    x_ticks = [
        t for t in _nice_ticks(dist.edges[0], dist.edges[-1], 6) if dist.edges[0] <= t <= dist.edges[-1]
    ]
    for tick in x_ticks:
        x = frame.x(tick)
        parts.append(_line(x, frame.y(0), x, frame.y(0) + 5, f'stroke="{INK}"'))
        parts.append(_text(x, frame.y(0) + 19, _tick_text(tick, x_ticks), cls="tick"))
    parts.append(
        _text((frame.left + frame.width - frame.right) / 2, frame.height - 10, label, cls="axis-label")
    )
    legend = [(BAR_SWATCH, "baseline")] if dist.baseline is not None else []
    legend += [(STEP_SWATCH, "current window")] if dist.current is not None else []
    parts += _legend(legend)
    if dist.above:
        note = f"{_pct(dist.above)} of current values above the baseline's maximum"
        parts.append(_text(frame.width - frame.right, 34, note, anchor="end", cls="note"))
    return _svg(DIST_SIZE, title, _dist_label(dist, title), parts, "distribution")


def _hatch(index: int) -> str:
    return (
        f'<defs><pattern id="new-{index}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<rect width="3" height="6" fill="{CURRENT}"/></pattern></defs>'
    )


def _band_margins(ticks: Sequence[str]) -> tuple[int, int, bool]:
    """(left, bottom, rotated) for the labels under bands: turned by LABEL_ANGLE when they do not fit side
    by side, with room for the first one on the left and for the longest below."""
    width = DIST_SIZE[0] - 64 - 16
    longest = max(len(t) for t in ticks) * CHAR_WIDTH
    if longest <= width / len(ticks) - 6:
        return 64, 52, False
    angle = math.radians(LABEL_ANGLE)
    left = max(64, math.ceil(longest * math.cos(angle) - width / len(ticks) / 2 + 8))
    return left, math.ceil(longest * math.sin(angle)) + 40, True


def _share_chart(dist: _Dist, title: str, index: int) -> str:
    series = [s for s in (dist.baseline, dist.current) if s is not None]
    top = min(1.0, max(max(s) for s in series) * 1.12) or 1.0
    left, bottom, rotate = _band_margins(dist.ticks)
    frame = _Frame(
        *DIST_SIZE, left=left, right=16, top=40, bottom=bottom, x0=0, x1=len(dist.ticks), y0=0, y1=top
    )
    y_ticks = _nice_ticks(0, top, 4)
    parts = [
        _hatch(index),
        *_y_axis(
            frame, y_ticks, [f"{100 * t:.{_pct_decimals(y_ticks)}f}%" for t in y_ticks], "share of values"
        ),
    ]
    group = frame.x(1) - frame.x(0)
    bar = min(group * 0.38, 40)
    for i, tick in enumerate(dist.ticks):
        middle = frame.x(i + 0.5)
        for j, values in enumerate((dist.baseline, dist.current)):
            if values is None:
                continue
            fill = f"url(#new-{index})" if j == 1 and dist.unseen[i] else (BASELINE, CURRENT)[j]
            x, y = middle - bar + j * bar, frame.y(values[i])
            parts.append(
                f'<rect class="bar {("baseline", "current")[j]}{" unseen" if dist.unseen[i] and j else ""}" '
                f'x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{frame.y(0) - y:.1f}" fill="{fill}" '
                f'stroke="{(BASELINE, CURRENT)[j]}"/>'
            )
        baseline_y = frame.y(0) + 16
        if rotate:
            extra = f' transform="rotate(-{LABEL_ANGLE} {middle:.1f} {baseline_y:.1f})"'
            parts.append(_text(middle, baseline_y, tick, anchor="end", cls="tick", extra=extra))
        else:
            parts.append(_text(middle, baseline_y, tick, cls="tick"))
    parts.append(_x_baseline(frame))
    legend = [(SOLID_SWATCHES[0], "baseline")] if dist.baseline is not None else []
    legend += [(SOLID_SWATCHES[1], "current window")] if dist.current is not None else []
    if any(dist.unseen):
        swatch = f'<rect width="16" height="10" fill="url(#new-{index})" stroke="{CURRENT}"/>'
        legend.append((swatch, "new: not in the baseline"))
    parts += _legend(legend)
    return _svg(DIST_SIZE, title, _dist_label(dist, title), parts, "distribution")


def _pct_decimals(ticks: Sequence[float]) -> int:
    step = 100 * (ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    return 0 if step >= 1 else 1 if step >= 0.1 else 2


def _empty_chart(size: tuple[int, int], title: str, message: str, kind: str) -> str:
    width, height = size
    body = [
        f'<rect x="1" y="1" width="{width - 2}" height="{height - 2}" fill="#fafafa" stroke="{GRID}"/>',
        _text(width / 2, height / 2, message, cls="note"),
    ]
    return _svg(size, title, f"{title}: {message}", body, f"{kind} empty")


def _dist_label(dist: _Dist, title: str) -> str:
    what = "densities over equal-width bins" if dist.mode == "density" else "shares per value"
    present = [n for n, s in (("baseline", dist.baseline), ("current window", dist.current)) if s is not None]
    new = sum(dist.unseen)
    extra = f"; {new} categories not in the baseline" if new else ""
    groups = f"{len(dist.labels)} groups{extra}"
    return f"{title}: {' and '.join(present)}, {what}, {groups}. Numbers in the table below."


def _dist_chart(feature: _Feature, dist: _Dist, index: int) -> str:
    title = f"Distribution of {feature.name}"
    if dist.mode == "none":
        return _empty_chart(DIST_SIZE, title, dist.note, "distribution")
    if dist.mode == "density":
        return _density_chart(dist, title, feature.name)
    return _share_chart(dist, title, index)


def _log_scale(values: Sequence[float]) -> tuple[Callable[[float], float], list[float], list[str]]:
    """A p-value axis: log10, from the decade below the smallest value to 1."""
    floor = min([v for v in values if v > 0] or [1e-3])
    low = max(-300, math.floor(math.log10(floor)) - (1 if floor < 1 else 0))
    step = max(1, math.ceil(-low / 5))
    ticks = [float(k) for k in range(0, low - 1, -step)]
    return (
        (lambda v: math.log10(v) if v > 0 else float(low)),
        ticks,
        [f"1e{int(t)}" if t else "1" for t in ticks],
    )


DASH = f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="6 4"'
VALUE_STYLE = f'fill="#fff" stroke="{VALUE}" stroke-width="2"'
HISTORY_LEGEND = (
    (
        f'<line x1="0" y1="5" x2="16" y2="5" stroke="{VALUE}" stroke-width="2"/>'
        f'<circle cx="8" cy="5" r="3.5" {VALUE_STYLE}/>',
        "value",
    ),
    (f'<path d="M8 -1 L14 5 L8 11 L2 5 Z" fill="{CURRENT}"/>', "drifted"),
)


def _y_scale(
    statistic: str, values: Sequence[float]
) -> tuple[Callable[[float], float], list[float], list[str]]:
    """(value to axis, ticks, their texts): log10 for a p-value, linear from 0 otherwise."""
    if statistic in P_VALUES:
        return _log_scale(values)
    top = max(values) * 1.15 or 1.0
    ticks = _nice_ticks(0, top, 4)
    if ticks[-1] < top:
        ticks.append(2 * ticks[-1] - ticks[-2] if len(ticks) > 1 else top)
    return float, ticks, [_tick_text(t, ticks) for t in ticks]


def _run_ticks(frame: _Frame, history: Sequence[_Point]) -> list[str]:
    """Window ends under at most six runs, evenly spaced, the latest always."""
    count = len(history)
    step = max(1, math.ceil(count / 6))
    shown = [i for i in range(count - 1, -1, -step)]
    parts = []
    for i in shown:
        x = frame.x(i)
        parts.append(_line(x, frame.y(frame.y0), x, frame.y(frame.y0) + 5, f'stroke="{INK}"'))
        parts.append(_text(x, frame.y(frame.y0) + 19, _when(history[i].end), cls="tick"))
    middle = (frame.left + frame.width - frame.right) / 2
    return [*parts, _text(middle, frame.height - 10, "window end (UTC)", cls="axis-label")]


def _history_chart(feature: _Feature) -> str:
    title = f"{feature.statistic or 'Decision statistic'} of {feature.name} per run"
    values = [p.value for p in feature.history if p.value is not None]
    if not values or feature.statistic is None:
        return _empty_chart(HISTORY_SIZE, title, _no_history(feature), "history")
    threshold = feature.threshold
    scale, ticks, texts = _y_scale(
        feature.statistic, [*values, *([threshold] if threshold is not None else [])]
    )
    count = len(feature.history)
    low, high = min(ticks), max(ticks)
    frame = _Frame(
        *HISTORY_SIZE, left=64, right=24, top=40, bottom=52, x0=-0.5, x1=count - 0.5, y0=low, y1=high
    )
    axis = f"{feature.statistic} (log scale)" if feature.statistic in P_VALUES else feature.statistic
    parts = [
        *_y_axis(frame, ticks, texts, axis),
        _x_baseline(frame),
        *_run_ticks(frame, feature.history),
    ]
    legend = list(HISTORY_LEGEND)
    if threshold is not None:
        y = frame.y(scale(threshold))
        parts.append(_line(frame.left, y, frame.width - frame.right, y, f'class="threshold" {DASH}'))
        legend.append((f'<line x1="0" y1="5" x2="16" y2="5" {DASH}/>', f"threshold {_fmt(threshold)}"))
    parts += [*_history_marks(frame, feature.history, scale), *_legend(legend)]
    drifted = sum(1 for p in feature.history if p.drifted)
    label = (
        f"{title}: {len(values)} of {count} runs with a value, {drifted} drifted; "
        f"threshold {_fmt(threshold)}; latest value {_fmt(values[-1])}. Numbers in the table below."
    )
    return _svg(HISTORY_SIZE, title, label, parts, "history")


def _no_history(feature: _Feature) -> str:
    if not feature.history:
        return "No drift run yet."
    if all(p.statistic is None and p.value is None for p in feature.history) and feature.run is None:
        return "This feature is in no drift run."
    return "No run has a decision for this feature yet."


def _history_marks(frame: _Frame, history: Sequence[_Point], scale: Callable[[float], float]) -> list[str]:
    """The values joined by a line (broken where a run has none), drifted runs as diamonds."""
    parts: list[str] = []
    segment: list[str] = []
    for i, point in enumerate([*history, None]):
        if point is not None and point.value is not None:
            segment.append(f"{frame.x(i):.1f},{frame.y(scale(point.value)):.1f}")
            continue
        if len(segment) > 1:
            points = " ".join(segment)
            parts.append(
                f'<polyline class="values" points="{points}" fill="none" stroke="{VALUE}" stroke-width="2"/>'
            )
        segment = []
    for i, point in enumerate(history):
        if point.value is None:
            continue
        x, y = frame.x(i), frame.y(scale(point.value))
        if point.drifted:
            diamond = f"M{x:.1f} {y - 7:.1f} L{x + 7:.1f} {y:.1f} L{x:.1f} {y + 7:.1f} L{x - 7:.1f} {y:.1f} Z"
            parts.append(f'<path class="point drifted" d="{diamond}" fill="{CURRENT}"/>')
        else:
            parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" {VALUE_STYLE}/>')
    return parts


# -- HTML --------------------------------------------------------------------------------------------------
def _table(
    head: Sequence[str], rows: Iterable[Sequence[str]], cls: str, *, text: int = 1, caption: str = ""
) -> str:
    """A table (scrolling sideways if it must); ``head`` and ``rows`` are HTML already escaped; the first
    ``text`` columns are text, the others numbers (right-aligned)."""

    def cells(row: Sequence[str], tag: str, scope: str = "") -> str:
        number = ' class="n"'
        return "".join(f"<{tag}{scope}{'' if i < text else number}>{c}</{tag}>" for i, c in enumerate(row))

    cap = f"<caption>{caption}</caption>" if caption else ""
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return (
        f'<div class="scroll"><table class="{cls}">{cap}'
        f"<thead><tr>{cells(head, 'th', ' scope=col')}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _badge(status: str) -> str:
    symbol = {"drifted": "▲ ", "no drift": "✓ "}.get(status, "")
    return f'<span class="badge {status.replace(" ", "-")}">{symbol}{_e(status)}</span>'


def _statistics_table(feature: _Feature) -> str:
    decision = feature.decision
    statistics = _map((feature.run or {}).get("statistics"))
    head = ["statistic", "value", "threshold", "drifted", "missing (current)", "missing (baseline)", "rows"]
    head += [_e(name) for name in statistics if name != decision.get("statistic")]
    row = [
        _e(decision.get("statistic") or "—"),
        _e(_fmt(decision.get("value"))),
        _e(_fmt(decision.get("threshold"))),
        _e(_fmt(decision.get("drifted")) if decision else "—"),
        _e(_pct(feature.missing_rate)),
        _e(_pct(feature.baseline_missing_rate)),
        _e(_fmt((feature.run or {}).get("rows"))),
    ]
    row += [_e(_fmt(v)) for name, v in statistics.items() if name != decision.get("statistic")]
    return _table(head, [row], "statistics")


def _dist_table(dist: _Dist) -> str:
    what = "density" if dist.mode == "density" else "share"
    head = ["bin" if dist.mode == "density" else "value", f"baseline {what}", f"current {what}"]
    head += ["in baseline"] if dist.mode == "share" else []

    def cell(values: tuple[float, ...] | None, i: int) -> str:
        if values is None:
            return "—"
        return _fmt(values[i]) if dist.mode == "density" else _pct(values[i])

    rows = []
    for i, label in enumerate(dist.labels):
        row = [_e(label), _e(cell(dist.baseline, i)), _e(cell(dist.current, i))]
        row += [_e("no (new)" if dist.unseen[i] else "yes")] if dist.mode == "share" else []
        rows.append(row)
    if dist.above is not None:
        rows.append(
            [
                _e("above the baseline's maximum"),
                "—",
                _e(_pct(dist.above)),
                *([] if dist.mode == "density" else ["—"]),
            ]
        )
    return _table(head, rows, "data distribution", caption="Baseline and current window")


def _history_table(feature: _Feature) -> str:
    head = [
        "window start",
        "window end",
        "decided by",
        _e(feature.statistic or "value"),
        "value",
        "threshold",
    ]
    head.append("drifted")
    rows = [
        [_e(p.start or "—"), _e(p.end or "—"), _e(p.statistic or "—")]
        + [_e(_fmt(v)) for v in (p.value, p.decided, p.threshold, p.drifted)]
        for p in feature.history
    ]
    return _table(head, rows, "data history", text=3, caption="Runs, oldest first")


def _figure(feature: _Feature, index: int) -> str:
    dist = _dist(feature)
    details = _dist_table(dist) if dist.mode != "none" else f"<p>{_e(dist.note)}</p>"
    mixed = {p.statistic for p in feature.history if p.statistic} - {feature.statistic}
    note = (
        f'<p class="note">Some runs were decided by {_e(", ".join(sorted(mixed)))} (their sample size); '
        f"the chart shows {_e(feature.statistic)} for every run.</p>"
        if mixed
        else ""
    )
    return (
        f'<figure class="feature" id="feature-{index}" aria-labelledby="feature-{index}-name">'
        f'<figcaption><h3 id="feature-{index}-name"><span class="name">{_e(feature.name)}</span> '
        f'<span class="kind">{_e(feature.kind)}</span> {_badge(feature.status)}</h3></figcaption>'
        f'<div class="charts">{_dist_chart(feature, dist, index)}{_history_chart(feature)}</div>{note}'
        f"{_statistics_table(feature)}"
        f"<details><summary>The charts' numbers</summary>{details}{_history_table(feature)}</details>"
        "</figure>"
    )


def _summary_table(features: Sequence[_Feature]) -> str:
    head = ["feature", "kind", "status", "statistic", "value", "threshold", "missing", "rows"]
    rows = [
        [
            f'<a href="#feature-{i}">{_e(f.name)}</a>',
            _e(f.kind),
            _badge(f.status),
            _e(f.decision.get("statistic") or "—"),
            _e(_fmt(f.decision.get("value"))),
            _e(_fmt(f.decision.get("threshold"))),
            _e(_pct(f.missing_rate)),
            _e(_fmt((f.run or {}).get("rows"))),
        ]
        for i, f in enumerate(features)
    ]
    return _table(
        head, rows, "summary", text=4, caption="Features, drifted first, then by value against threshold"
    )


def _card(label: str, value: str, detail: str = "") -> str:
    extra = f'<div class="detail">{detail}</div>' if detail else ""
    return (
        f'<div class="card"><div class="label">{_e(label)}</div><div class="value">{value}</div>{extra}</div>'
    )


def _records(records: Json) -> str:
    lines, malformed = _num(records.get("lines")), _num(records.get("malformed"))
    share = _pct(malformed / lines if lines and malformed is not None else None)
    files = f"{_fmt(records.get('lines'))} lines in {_fmt(records.get('files'))} files"
    return f"{files}; {_fmt(records.get('malformed'))} malformed ({share})"


def _summary(baseline: Json, runs: Sequence[Json], features: Sequence[_Feature]) -> str:
    """The cards on top: endpoint, window, records, features drifted, baseline; a run's message if any."""
    current = runs[-1] if runs else {}
    window, meta = _map(current.get("window")), _map(baseline.get("launchpad"))
    endpoint = " / ".join(str(v) for v in (current.get("endpoint"), current.get("variant")) if v) or "—"
    drifted = [f for f in features if f.drifted]
    first = _stamp(_map(runs[0].get("window")).get("start")) if runs else ""
    history = f"{len(runs)} run{'s' * (len(runs) != 1)} since {first}" if runs else "no drift run yet"
    names = ", ".join(f.name for f in drifted[:5]) + (" …" if len(drifted) > 5 else "")
    rows = _fmt(_map(baseline.get("dataset")).get("item_count"))
    cards = [
        _card("Endpoint", _e(endpoint), _e(f"schedule {current.get('monitoring_schedule') or '—'}")),
        _card("Current window", _e(_window(window.get("start"), window.get("end"))), _e(history)),
        _card(
            "Records read",
            _e(_fmt(_map(current.get("records")).get("rows"))),
            _e(_records(_map(current.get("records")))),
        ),
        _card(
            "Features drifted",
            f'<span class="{"bad" if drifted else "good"}">{len(drifted)} of {len(features)}</span>',
            _e(names),
        ),
        _card(
            "Baseline",
            _e(f"model {meta.get('model_version') or '—'}"),
            _e(f"{rows} rows, created {_stamp(meta.get('created'))}"),
        ),
    ]
    message = current.get("message")
    status = f'<p class="note">Run status: {_e(current.get("status"))}. {_e(message)}</p>' if message else ""
    return f'<section class="cards" aria-label="Summary">{"".join(cards)}</section>{status}'


CSS = f"""
:root {{ color-scheme: light; }}
body {{ margin: 0; background: #f6f6f4; color: {INK};
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 20px 24px 40px; }}
h1 {{ font-size: 24px; margin: 4px 0 14px; overflow-wrap: anywhere; }}
h2 {{ font-size: 18px; margin: 26px 0 10px; }}
h3 {{ font-size: 17px; margin: 0 0 10px; overflow-wrap: anywhere; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; }}
.card {{ background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 0; }}
.card .label {{ font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: {MUTED}; }}
.card .value {{ font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }}
.card .detail {{ font-size: 13px; color: {MUTED}; overflow-wrap: anywhere; }}
.bad {{ color: #b34700; }} .good {{ color: #1d6b3a; }}
.scroll {{ max-width: 100%; overflow-x: auto; margin: 8px 0; }}
table {{ border-collapse: collapse; background: #fff; font-size: 13px; font-variant-numeric: tabular-nums; }}
table.statistics {{ width: 100%; }}
caption {{ text-align: left; font-weight: 600; padding: 4px 0; }}
th, td {{ border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f0f0ee; font-weight: 600; }}
.n {{ text-align: right; }} td.n {{ white-space: nowrap; }}
td:first-child {{ overflow-wrap: break-word; max-width: 24em; }}
.badge {{ display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600;
  border: 1px solid #bbb; color: {MUTED}; white-space: nowrap; vertical-align: middle; }}
.badge.drifted {{ background: #b34700; border-color: #b34700; color: #fff; }}
.badge.no-drift {{ color: #1d6b3a; border-color: #1d6b3a; }}
figure.feature {{ background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 0 0 18px;
  padding: 14px 16px; }}
.kind {{ font-size: 13px; font-weight: 400; color: {MUTED}; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 16px; }}
svg.chart {{ max-width: 100%; height: auto; font-size: {FONT}; fill: {INK}; }}
svg .tick {{ font-size: 12px; fill: #333; }}
svg .axis-label, svg .legend {{ font-size: 13px; fill: {INK}; }}
svg .note {{ font-size: 12px; fill: #8a3a00; }}
p.note {{ color: #8a3a00; font-size: 13px; margin: 6px 0; }}
details {{ margin-top: 6px; }} summary {{ cursor: pointer; color: {MUTED}; }}
footer {{ color: {MUTED}; font-size: 12px; margin-top: 24px; }}
"""


def render(baseline: Mapping[str, Any], runs: Sequence[Mapping[str, Any]], *, title: str) -> str:
    """The drift report of ``baseline`` (statistics.json) and ``runs`` (drift.json each, oldest first)."""
    features = _features(baseline, runs)
    figures = "".join(_figure(feature, i) for i, feature in enumerate(features))
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{_e(title)}</h1>{_summary(baseline, runs, features)}"
        f"<h2>Features</h2>{_summary_table(features)}{figures}"
        "<footer>Blue: the baseline; vermillion: the current window. Densities are per unit of the feature; "
        "shares are of the present values. Written by launchpad (docs/monitoring.md).</footer>"
        "</main></body></html>\n"
    )
    log.info("drift report %r: %d features, %d runs", title, len(features), len(runs))
    return page


def write(
    path: str | Path, baseline: Mapping[str, Any], runs: Sequence[Mapping[str, Any]], *, title: str
) -> Path:
    """Render the report and write it to ``path`` (its folder created); the path written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(baseline, runs, title=title), encoding="utf-8")
    log.info("wrote %s", target)
    return target
