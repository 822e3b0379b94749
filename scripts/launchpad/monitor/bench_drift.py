"""`launchpad bench --only monitor/drift`: the drift job on 1,000,000 captured records, 20 features.

It writes a baseline (20,000 training rows: 16 numerical features, 4 categorical) and the capture of a window
(one CSV row per record, SageMaker's capture format, 100 files), with the window's numerical features shifted
a little so the statistics have something to measure. Then, each in a child process pinned to one thread
(``OMP_NUM_THREADS=1`` and friends) so their peak memory is their own:

- ``parse``: read the files and parse every record and its CSV row (the numerical cells to floats) the
  fastest way plain Python and numpy can, nothing else: the floor;
- ``job``: the drift job on the same files (summaries, statistics, violations, drift.json);
- ``evidently`` (when ``.tools/evidently`` holds evidently, a bench-only environment that
  ``make bench-evidently`` installs): the same read and parse into a DataFrame, then evidently's
  DataDriftPreset on it.

Reported: each one's wall seconds and peak RSS (MiB), ``job/parse`` and ``evidently/job`` ratios, and each
statistic's largest error over the features against exact scipy on the raw values (KS and Wasserstein from
``scipy.stats``; the binned statistics are exact by construction, so their error is against scipy on the same
bins).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from launchpad.monitor import profile
from launchpad.paths import repo_root

RECORDS = 1_000_000
FILES = 100
NUMERICAL, CATEGORICAL = 16, 4
TRAINING_ROWS = 20_000
SEED = 19
LOG = logging.getLogger(__name__)
THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
EVIDENTLY_ENV = Path(".tools", "evidently")  # under the checkout; `make bench-evidently` stamps .installed
CATEGORIES = ("north", "south", "east", "west", "unknown")

PARSE = """
import json, sys, time
from pathlib import Path
import numpy as np
%(peak)s
started = time.perf_counter()
rows = 0
for path in sorted(Path(sys.argv[1]).glob("*.jsonl")):
    records = json.loads("[" + ",".join(path.read_text().splitlines()) + "]")
    cells = ",".join(r["captureData"]["endpointInput"]["data"] for r in records).split(",")
    for column in range(%(numerical)d):
        np.asarray(cells[column::%(width)d], dtype=np.float64)
    rows += len(records)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows, "peak": peak()}))
"""
JOB = """
import json, sys, time
%(peak)s
from pathlib import Path
from launchpad.monitor import capture, drift, job
from datetime import datetime, timezone
started = time.perf_counter()
base = json.loads(Path(sys.argv[2], "statistics.json").read_text())
rules = json.loads(Path(sys.argv[2], "constraints.json").read_text())
begin, end = datetime(2026, 12, 7, 11, tzinfo=timezone.utc), datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
files = capture.iter_local(str(p) for p in sorted(Path(sys.argv[1]).glob("*.jsonl")))
summary = job.summarize_files(files, base, begin, end)
run, violations = job.result(base, rules, summary, endpoint="bench", schedule="bench", start=begin, end=end)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "rows": summary["rows"], "run": run, "peak": peak()}))
"""
EVIDENTLY = """
import json, sys, time
%(peak)s
from pathlib import Path
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
started = time.perf_counter()
names = json.loads(sys.argv[3])
rows = []
for path in sorted(Path(sys.argv[1]).glob("*.jsonl")):
    for line in path.read_bytes().splitlines():
        record = json.loads(line)
        rows.append(record["captureData"]["endpointInput"]["data"].split(","))
current = pd.DataFrame(rows, columns=names)
reference = pd.read_csv(Path(sys.argv[2], "train.csv"))
for name in names[:%(numerical)d]:
    current[name] = current[name].astype(float)
Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(current), "peak": peak()}))
"""


# The child's own peak: VmHWM starts afresh at exec (ru_maxrss would carry the parent's size at fork over).
PEAK = """
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""


def _names() -> list[str]:
    return [f"n{i:02d}" for i in range(NUMERICAL)] + [f"c{i}" for i in range(CATEGORICAL)]


def _draw(rng: np.random.Generator, rows: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    scales = np.linspace(0.5, 5.0, NUMERICAL)
    numbers = rng.normal(shift * scales, scales, size=(rows, NUMERICAL)).round(3)
    numbers[:, 1] = rng.poisson(3 + shift, rows)  # a discrete one
    shares = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    shares = np.roll(shares, 1) if shift else shares
    categories = rng.choice(len(CATEGORIES), size=(rows, CATEGORICAL), p=shares / shares.sum())
    return numbers, categories


def _write_capture(folder: Path, numbers: np.ndarray, categories: np.ndarray) -> None:
    per_file = len(numbers) // FILES
    head = '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"'
    tail = '","encoding":"CSV"}},"eventMetadata":{"eventId":"e","inferenceTime":"2026-12-07T11:30:00Z"},'
    tail += '"eventVersion":"0"}\n'
    for index in range(FILES):
        lines = []
        for row in range(index * per_file, (index + 1) * per_file):
            cells = [repr(float(v)) for v in numbers[row]] + [CATEGORIES[c] for c in categories[row]]
            lines.append(head + ",".join(cells) + tail)
        (folder / f"{index:03d}.jsonl").write_text("".join(lines))


def _child(code: str, *args: str, python: str = sys.executable) -> dict[str, Any]:
    """The child's last stdout line as JSON: its seconds, its own peak RSS (MiB) and what it measured."""
    done = subprocess.run(
        [python, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **THREADS},
    )
    if done.returncode:
        raise RuntimeError(f"{python} failed ({done.returncode}): {done.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer


def _errors(run: dict[str, Any], base: np.ndarray, current: np.ndarray) -> dict[str, float]:
    ks, wasserstein = [], []
    for index, feature in enumerate(run["features"][:NUMERICAL]):
        exact_ks = stats.ks_2samp(base[:, index], current[:, index], method="asymp").statistic
        exact_w = stats.wasserstein_distance(base[:, index], current[:, index])
        ks.append(abs(feature["statistics"]["ks"] - exact_ks))
        wasserstein.append(abs(feature["statistics"]["wasserstein"] - exact_w) / max(exact_w, 1e-12))
    return {"ks_max_abs_error": max(ks), "wasserstein_max_rel_error": max(wasserstein)}


def measure_drift(records: int = RECORDS) -> dict[str, float]:
    """The bench subject (module docstring)."""
    rng = np.random.default_rng(SEED)
    names = _names()
    base_numbers, base_categories = _draw(rng, TRAINING_ROWS, 0.0)
    numbers, categories = _draw(rng, records, 0.05)
    with tempfile.TemporaryDirectory(prefix="launchpad-bench-drift-") as scratch:
        root = Path(scratch)
        (root / "capture").mkdir()
        columns: dict[str, list[Any]] = {
            n: base_numbers[:, i].tolist() for i, n in enumerate(names[:NUMERICAL])
        }
        for i, name in enumerate(names[NUMERICAL:]):
            columns[name] = [CATEGORIES[c] for c in base_categories[:, i]]
        statistics = profile.statistics(columns)
        (root / "statistics.json").write_text(json.dumps(statistics))
        (root / "constraints.json").write_text(json.dumps(profile.constraints(statistics)))
        (root / "train.csv").write_text(
            ",".join(names)
            + "\n"
            + "".join(",".join(str(columns[n][r]) for n in names) + "\n" for r in range(TRAINING_ROWS))
        )
        _write_capture(root / "capture", numbers, categories)
        parsed = _child(
            PARSE % {"numerical": NUMERICAL, "width": NUMERICAL + CATEGORICAL, "peak": PEAK},
            str(root / "capture"),
        )
        ran = _child(JOB % {"peak": PEAK}, str(root / "capture"), str(root))
        results = {
            "records": float(ran["rows"]),
            "parse_seconds": parsed["seconds"],
            "parse_peak_mib": parsed["peak"],
            "job_seconds": ran["seconds"],
            "job_peak_mib": ran["peak"],
            "job_to_parse": ran["seconds"] / parsed["seconds"],
            **_errors(ran["run"], base_numbers, numbers),
        }
        evidently = repo_root() / EVIDENTLY_ENV / "bin" / "python"
        if (repo_root() / EVIDENTLY_ENV / ".installed").exists():
            code = EVIDENTLY % {"numerical": NUMERICAL, "peak": PEAK}
            try:
                theirs = _child(
                    code, str(root / "capture"), str(root), json.dumps(names), python=str(evidently)
                )
            except RuntimeError as exc:  # a comparison, not the subject: the job's numbers stand
                LOG.warning("evidently did not run: %s", exc)
                return results
            results.update(
                evidently_seconds=theirs["seconds"],
                evidently_peak_mib=theirs["peak"],
                evidently_to_job=theirs["seconds"] / ran["seconds"],
            )
        return results
