"""The drift report (launchpad.monitor.report): edge cases render, JSON strings are escaped, and the page of a
realistic baseline and three runs looks right in a real headless browser (Debian's chromium, installed by
`make setup`).

The browser test keeps its screenshot as an artifact: build/test-artifacts/monitor-report.png (build/ is
git-ignored), beside the page it rendered (monitor-report.html).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np

from launchpad.monitor import report
from tests.chromium import ARTIFACTS, FLAGS, chromium

WIDTH, HEIGHT = 1280, 2000
HOSTILE = '<script>alert("x")</script>&amp;"\''


# -- synthetic baseline and runs, in docs/monitoring.md's shapes ---------------------------------------------
def _histogram(values: np.ndarray, edges: np.ndarray) -> list[int]:
    return np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1).tolist()


def _numerical(name: str, values: np.ndarray, discrete: bool = False) -> dict[str, Any]:
    edges = np.unique(values) if discrete else np.unique(np.quantile(values, np.linspace(0, 1, 201)))
    return {
        "name": name,
        "inferred_type": "Integral" if discrete else "Fractional",
        "numerical_statistics": {
            "common": {"num_present": int(values.size), "num_missing": 3},
            "mean": float(values.mean()),
            "sum": float(values.sum()),
            "std_dev": float(values.std()),
            "min": float(values.min()),
            "max": float(values.max()),
        },
        "launchpad": {"edges": edges.tolist(), "counts": _histogram(values, edges), "discrete": discrete},
    }


def _categorical(name: str, values: list[str]) -> dict[str, Any]:
    counts = {v: values.count(v) for v in sorted(set(values))}
    return {
        "name": name,
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": len(values), "num_missing": 0},
            "distinct_count": len(counts),
            "distribution": {
                "categorical": {"buckets": [{"value": v, "count": c} for v, c in counts.items()]}
            },
        },
    }


def _shares(counts: np.ndarray) -> np.ndarray:
    return np.maximum(counts / max(counts.sum(), 1), 1e-4)


def _numerical_run(base: dict[str, Any], values: np.ndarray, threshold: float = 0.1) -> dict[str, Any]:
    edges = np.asarray(base["launchpad"]["edges"])
    counts = np.asarray(_histogram(values, edges), dtype=float)
    ref = np.asarray(base["launchpad"]["counts"], dtype=float)
    cdf = np.cumsum(counts)[:-1] / counts.sum() - np.cumsum(ref)[:-1] / ref.sum()
    wasserstein = float(np.sum(np.abs(cdf[:-1]) * np.diff(edges)))
    p, q = _shares(ref), _shares(counts)
    normed = wasserstein / base["numerical_statistics"]["std_dev"]
    return {
        "name": base["name"],
        "kind": "numerical",
        "rows": int(values.size) + 2,
        "missing": 2,
        "current": {"counts": counts.astype(int).tolist()},
        "statistics": {
            "psi": float(np.sum((q - p) * np.log(q / p))),
            "jensen_shannon": float(
                np.sqrt(0.5 * np.sum(p * np.log(2 * p / (p + q)) + q * np.log(2 * q / (p + q))))
            ),
            "ks": float(np.max(np.abs(cdf))),
            "ks_p_value": float(np.exp(-2 * values.size * np.max(np.abs(cdf)) ** 2)),
            "wasserstein": wasserstein,
            "wasserstein_normed": normed,
        },
        "decision": {
            "statistic": "wasserstein_normed",
            "value": normed,
            "threshold": threshold,
            "drifted": normed >= threshold,
        },
    }


def _categorical_run(base: dict[str, Any], values: list[str]) -> dict[str, Any]:
    buckets = base["string_statistics"]["distribution"]["categorical"]["buckets"]
    known = {b["value"]: b["count"] for b in buckets}
    seen = {v: values.count(v) for v in sorted(set(values))}
    names = sorted(set(known) | set(seen))
    p = _shares(np.asarray([known.get(n, 0) for n in names], dtype=float))
    q = _shares(np.asarray([seen.get(n, 0) for n in names], dtype=float))
    js = float(np.sqrt(0.5 * np.sum(p * np.log(2 * p / (p + q)) + q * np.log(2 * q / (p + q)))))
    return {
        "name": base["name"],
        "kind": "categorical",
        "rows": len(values),
        "missing": 0,
        "current": {"categories": seen},
        "statistics": {
            "psi": float(np.sum((q - p) * np.log(q / p))),
            "jensen_shannon": js,
            "chi_square": 12.5,
            "chi_square_p_value": 0.002,
            "l_infinity": float(np.max(np.abs(p - q))),
            "unseen_share": sum(c for n, c in seen.items() if n not in known) / len(values),
        },
        "decision": {"statistic": "jensen_shannon", "value": js, "threshold": 0.1, "drifted": js >= 0.1},
    }


PLANS = ["basic", "premium", "family"]
REGIONS = [
    f"{side}-{part}-region"
    for side in ("north", "south", "east", "west")
    for part in ("coast", "inland", "metro", "hills")
]


def _scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A churn model's baseline (4000 rows) and three hourly windows of 1000, tenure drifting away."""
    rng = np.random.default_rng(7)
    tenure = rng.gamma(2.0, 1.5, 4000)
    charges = rng.normal(70, 15, 4000)
    calls = rng.poisson(1.5, 4000)
    plans = list(rng.choice(PLANS, 4000, p=[0.5, 0.3, 0.2]))
    features = [
        _numerical("tenure_years", tenure),
        _numerical("monthly_charges", charges),
        _numerical("support_calls", calls.astype(float), discrete=True),
        _categorical("plan", plans),
        _categorical("region", list(rng.choice(REGIONS, 4000, p=np.arange(16, 0, -1) / 136))),
        _numerical("legacy_score", rng.normal(0, 1, 4000)),
    ]
    baseline = {
        "version": 0.0,
        "dataset": {"item_count": 4000},
        "launchpad": {"model_version": "0.1.0", "created": "2026-12-07T09:00:00Z", "bins": 200},
        "features": features,
    }
    runs = []
    for hour, (shift, p_value) in enumerate(((0.0, 0.4), (0.6, 0.03), (1.6, 2e-7))):
        n = 1000
        current_plans = list(
            rng.choice([*PLANS, "student"], n, p=[0.45, 0.3, 0.2 - shift / 20, 0.05 + shift / 20])
        )
        run_features = [
            _numerical_run(features[0], rng.gamma(2.0 + shift, 1.5 + shift / 3, n)),
            _numerical_run(features[1], rng.normal(70.5, 15, n)),
            _numerical_run(features[2], rng.poisson(1.5 + shift / 2, n).astype(float)),
            _categorical_run(features[3], current_plans),
            _categorical_run(features[4], list(rng.choice(REGIONS, 300, p=np.arange(1, 17) / 136))),
        ]
        region = run_features[-1]  # a small window: decided by the chi-square test's p-value
        region["statistics"]["chi_square_p_value"] = p_value
        region["decision"] = {"statistic": "chi_square_p_value", "value": p_value, "threshold": 0.05}
        region["decision"]["drifted"] = p_value < 0.05
        runs.append(
            {
                "version": 1,
                "endpoint": "churn-prod",
                "variant": "AllTraffic",
                "monitoring_schedule": "churn-prod-drift",
                "window": {
                    "start": f"2026-12-07T{10 + hour:02d}:00:00Z",
                    "end": f"2026-12-07T{11 + hour:02d}:00:00Z",
                },
                "baseline": {"model_version": "0.1.0", "created": "2026-12-07T09:00:00Z"},
                "records": {"files": 12, "lines": n + 3, "malformed": 3, "rows": n},
                "status": "ok",
                "features": run_features,
                "drifted_features": sum(1 for f in run_features if f["decision"]["drifted"]),
            }
        )
    return baseline, runs


# -- reading the page back -----------------------------------------------------------------------------------
class _Page(HTMLParser):
    """Figures, their SVGs (attributes, element classes, texts) and every script element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, Any]] = []
        self.scripts = 0
        self.texts: list[str] = []
        self._svg: dict[str, Any] | None = None
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "script":
            self.scripts += 1
        if tag == "figure":
            self.figures.append({"id": attributes.get("id"), "svgs": []})
        if tag == "svg" and self.figures:
            self._svg = {"attrs": attributes, "elements": [], "texts": [], "title": ""}
            self.figures[-1]["svgs"].append(self._svg)
        elif self._svg is not None:
            self._svg["elements"].append((tag, attributes.get("class", ""), attributes))
        self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg = None
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._svg is not None and self._in and self._in[-1] in ("text", "title"):
            key = "texts" if self._in[-1] == "text" else "title"
            if key == "texts":
                self._svg["texts"].append(data)
            else:
                self._svg["title"] += data


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


# -- rendering: structure and edge cases, without a browser --------------------------------------------------
def test_each_feature_gets_a_figure_with_two_accessible_charts_and_the_drifted_come_first() -> None:
    baseline, runs = _scenario()
    page = report.render(baseline, runs, title="churn-prod drift")
    parsed = _parse(page)
    assert len(parsed.figures) == 6
    for figure in parsed.figures:
        assert [s["attrs"]["class"].split()[1] for s in figure["svgs"]] == ["distribution", "history"]
        for svg in figure["svgs"]:
            assert svg["attrs"]["role"] == "img" and svg["attrs"]["aria-label"] and svg["title"]
    names = re.findall(r'<span class="name">([^<]*)</span>', page)
    # drifted by how far past their threshold (a p-value: threshold / value), then the rest, then the absent
    assert names == ["region", "tenure_years", "support_calls", "plan", "monthly_charges", "legacy_score"]
    assert "not in this run" in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert parsed.scripts == 0


def test_a_hostile_feature_and_category_name_render_as_text() -> None:
    baseline, runs = _scenario()
    baseline["features"][3]["name"] = HOSTILE
    for run in runs:
        run["features"][3]["name"] = HOSTILE
        run["features"][3]["current"]["categories"][HOSTILE] = 40
        run["endpoint"] = HOSTILE
    page = report.render(baseline, runs, title=HOSTILE)
    parsed = _parse(page)
    assert parsed.scripts == 0 and "<script" not in page
    assert HOSTILE in "".join(parsed.texts)  # the text a reader sees is the name itself
    assert page.count("&lt;script&gt;") >= 5


def test_no_runs_a_single_run_and_odd_features_render() -> None:
    baseline, runs = _scenario()
    assert len(_parse(report.render(baseline, [], title="none")).figures) == 6
    assert "No drift run yet." in report.render(baseline, [], title="none")
    one = report.render(baseline, runs[:1], title="one")
    assert len(_parse(one).figures) == 6
    run = json.loads(json.dumps(runs[-1]))
    tenure, charges, calls, *_ = run["features"]
    tenure.update(rows=0, missing=0, statistics={}, decision=None)  # a feature with no rows
    tenure["current"]["counts"] = [0] * len(tenure["current"]["counts"])
    charges.update(rows=1000, missing=1000, statistics={}, decision=None)  # all missing
    charges["current"]["counts"] = [0] * len(charges["current"]["counts"])
    calls["current"]["counts"] = [1, 2]  # not on the baseline's edges
    run["features"].append({"name": "new_field", "kind": "numerical", "rows": 5, "missing": 0})
    empty = {"name": "empty", "inferred_type": "Fractional", "launchpad": {"edges": [], "counts": [0]}}
    empty["numerical_statistics"] = {"common": {"num_present": 0, "num_missing": 4000}}
    baseline["features"].append(empty)  # all missing in the baseline
    baseline["features"].append(
        {"name": "broken", "inferred_type": "Fractional", "launchpad": {"edges": "x"}}
    )
    page = report.render(baseline, [*runs[:2], run], title="odd")
    assert len(_parse(page).figures) == 9
    assert "100.0%" in page and "no values" in page
    no_data = {**runs[-1], "status": "no-data", "features": [], "message": "no capture record in the window"}
    page = report.render(baseline, [*runs, no_data], title="no data")
    assert page.count("not in this run") == 2 * 8 and "no capture record in the window" in page


def test_a_long_history_thins_its_labels_and_many_categories_group_into_other() -> None:
    baseline, runs = _scenario()
    history = [json.loads(json.dumps(runs[i % 3])) for i in range(48)]
    for i, run in enumerate(history):
        start, end = divmod(i, 24), divmod(i + 1, 24)
        run["window"] = {"start": f"2026-12-{1 + start[0]:02d}T{start[1]:02d}:00:00Z"}
        run["window"]["end"] = f"2026-12-{1 + end[0]:02d}T{end[1]:02d}:00:00Z"
    figures = {f["svgs"][0]["title"]: f for f in _parse(report.render(baseline, history, title="t")).figures}
    distribution, runs_chart = figures["Distribution of region"]["svgs"]
    assert "other (5)" in distribution["texts"] and "north-coast-regi… (new)" not in distribution["texts"]
    windows = [t for t in runs_chart["texts"] if re.fullmatch(r"\d\d-\d\d \d\d:\d\d", t)]
    assert 3 <= len(windows) <= 6 and windows[0] == "12-03 00:00"  # the latest, then back in even steps
    assert {"1", "1e-2", "1e-4"} <= set(runs_chart["texts"])  # p-values on a log axis
    assert len([e for e in runs_chart["elements"] if "point" in e[1]]) == 48


def test_write_creates_the_folder(tmp_path: Path) -> None:
    baseline, runs = _scenario()
    path = report.write(tmp_path / "a" / "report.html", baseline, runs, title="t")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# -- the browser ---------------------------------------------------------------------------------------------
# Runs inside the page after layout; writes what it found into <html data-probe> for --dump-dom.
PROBE = """<script>
(() => {
  const problems = {overflow: [], outside: [], overlap: [], small: []};
  const describe = (el) => el.tagName + ":" + (el.textContent || "").trim().slice(0, 40);
  if (document.documentElement.scrollWidth > window.innerWidth) problems.overflow.push("page");
  for (const el of document.querySelectorAll("h1, h3, td, th, .card, .card *, table")) {
    if (el.scrollWidth > el.clientWidth + 1) problems.overflow.push(describe(el));
  }
  for (const svg of document.querySelectorAll("svg.chart")) {
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll("text")];
    const rects = texts.map((t) => t.getBoundingClientRect());
    texts.forEach((t, i) => {
      const r = rects[i];
      const inside = r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
      if (!inside || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) problems.outside.push(describe(t));
      if (parseFloat(getComputedStyle(t).fontSize) * scale < 11) problems.small.push(describe(t));
      texts.slice(i + 1).forEach((u, k) => {
        const s = rects[i + 1 + k];
        if (t.hasAttribute("transform") || u.hasAttribute("transform")) return;
        if (r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom)
          problems.overlap.push(describe(t) + " / " + describe(u));
      });
    });
  }
  document.documentElement.dataset.probe = JSON.stringify(problems);
})();
</script>"""


def _png(data: bytes) -> tuple[int, int, np.ndarray]:
    """(width, height, RGB pixels) of an 8-bit RGB or RGBA PNG, decoded with zlib and numpy."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks: dict[bytes, bytes] = {}
    position = 8
    while position < len(data):
        (length,), kind = (
            struct.unpack(">I", data[position : position + 4]),
            data[position + 4 : position + 8],
        )
        chunks[kind] = chunks.get(kind, b"") + data[position + 8 : position + 8 + length]
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and colour in (2, 6) and not interlace, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, width * bpp + 1)
    return width, height, _unfilter(raw[:, 0], raw[:, 1:].reshape(height, width, bpp))[:, :, :3]


def _unfilter(kinds: np.ndarray, filtered: np.ndarray) -> np.ndarray:
    """Pixels from PNG scanlines filtered by ``kinds`` (None, Sub, Up, Average, Paeth). Pixel (y, x) needs
    (y, x-1), (y-1, x) and (y-1, x-1), so every anti-diagonal is computed at once: skewed, pixel (y, x) sits
    at column x + y + 1 (the columns before a row's first pixel are its zero left neighbours)."""
    height, width, _ = filtered.shape
    source = np.zeros((height, width + height + 1, filtered.shape[2]), dtype=np.int16)
    for y in range(height):
        source[y, y + 1 : y + 1 + width] = filtered[y]
    skew = np.zeros_like(source)
    masks = [(kinds == k)[:, None] for k in range(5)]
    for d in range(1, width + height):
        low, high = max(0, d - width), min(height, d)
        a = skew[low:high, d - 1]
        b, c = np.zeros_like(a), np.zeros_like(a)  # up and up-left: zero above the first row
        first = 1 if low == 0 else 0
        b[first:], c[first:] = (
            skew[low + first - 1 : high - 1, d - 1],
            skew[low + first - 1 : high - 1, d - 2],
        )
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        none, sub, up, average, _ = (m[low:high] for m in masks)
        predicted = np.where(
            none, 0, np.where(sub, a, np.where(up, b, np.where(average, (a + b) >> 1, paeth)))
        )
        skew[low:high, d] = (source[low:high, d] + predicted) & 255
    return np.stack([skew[y, y + 1 : y + 1 + width] for y in range(height)]).astype(np.uint8)


def test_the_report_in_headless_chromium(tmp_path: Path) -> None:
    """Renders the scenario, opens it in headless chromium once (screenshot and DOM), and checks the DOM
    (figures, chart elements, labels), the layout (no overflow, no overlapping or tiny labels) and the
    screenshot, kept as build/test-artifacts/monitor-report.png."""
    browser = chromium()
    baseline, runs = _scenario()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = report.write(ARTIFACTS / "monitor-report.html", baseline, runs, title="churn-prod: input drift")
    probed = tmp_path / "probed.html"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    screenshot = ARTIFACTS / "monitor-report.png"
    screenshot.unlink(missing_ok=True)
    command = [
        browser,
        *FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={screenshot}",
    ]
    command += [f"--window-size={WIDTH},{HEIGHT}", "--dump-dom", probed.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-2000:]

    dom = _parse(done.stdout)
    assert len(dom.figures) == 6
    for figure in dom.figures:
        distribution, history = figure["svgs"]
        for svg in (distribution, history):
            assert svg["attrs"]["role"] == "img" and svg["attrs"]["aria-label"] and svg["title"]
            ticks = [t for t in svg["texts"] if re.fullmatch(r"-?[\d.]+%?|1e-?\d+", t)]
            assert ticks or "empty" in svg["attrs"]["class"], svg["texts"]
        if figure is dom.figures[-1]:  # legacy_score: in the baseline, in no run
            assert "empty" in history["attrs"]["class"] and "No drift run" not in history["texts"][0]
            continue
        classes = [c for _, c, _ in distribution["elements"]] + [c for _, c, _ in history["elements"]]
        assert any("bar baseline" in c for c in classes) and any("current" in c for c in classes)
        assert "threshold" in classes and any("point" in c for c in classes)
        dashed = [a for tag, c, a in history["elements"] if c == "threshold"]
        assert dashed and dashed[0].get("stroke-dasharray")
    by_id = {f["svgs"][0]["title"]: f for f in dom.figures}
    tenure = by_id["Distribution of tenure_years"]
    assert "window end (UTC)" in tenure["svgs"][1]["texts"]
    assert len([c for _, c, _ in tenure["svgs"][1]["elements"] if "point drifted" in c]) >= 1
    assert len([c for _, c, _ in tenure["svgs"][0]["elements"] if c == "bar baseline"]) == report.DISPLAY_BINS
    plan = by_id["Distribution of plan"]
    assert "student (new)" in plan["svgs"][0]["texts"]
    assert any("unseen" in c for _, c, _ in plan["svgs"][0]["elements"])
    probe = json.loads(re.search(r'data-probe="([^"]*)"', done.stdout).group(1).replace("&quot;", '"'))  # type: ignore[union-attr]
    assert probe == {"overflow": [], "outside": [], "overlap": [], "small": []}

    width, height, pixels = _png(screenshot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    colours = np.unique(pixels.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    for hex_colour in (report.BASELINE, report.CURRENT):
        rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
        assert np.all(np.abs(pixels.astype(int) - rgb) <= 8, axis=2).sum() > 500, hex_colour
