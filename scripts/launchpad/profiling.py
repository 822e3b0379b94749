"""What a pytest run costs, per test: wall seconds, CPU seconds (the test process's own and its child
processes': terraform, its provider, checkov, baked projects' tools) and terraform invocations by subcommand.

A pytest plugin, off unless ``--launchpad-profile=PATH``. Each test is measured from the start of its setup
to the end of its teardown, so a module-scoped apply counts against the test that triggers it and its
destroy against the last one. xdist workers measure their own tests and send the numbers with the test
reports (``user_properties``); the controller (or the lone process) adds them up by tier (the ``sandbox``
marker), by kind (fmt, validate, plan, ...), by directory, by test function and by test, and writes one JSON
document to PATH. CPU seconds do not depend on how busy the machine is the way wall seconds do, and
terraform invocation counts do not depend on it at all: compare runs by those.

Terraform is counted by a shim put first on ``PATH`` for the run: a two-line shell script that appends the
subcommand to a log of its worker and ``exec``s the real binary without the log's name (so a shim of a
profiled run inside a profiled run counts once), and children of children are counted too.
"""

from __future__ import annotations

import fnmatch
import json
import os
import resource
import shutil
import stat
import tempfile
import time
from collections.abc import Generator, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

OPTION = "--launchpad-profile"
TF_LOG_ENV = "LAUNCHPAD_PROFILE_TF_LOG"
_PROPERTY = "launchpad_profile"
_WORKER_KEY = "launchpad_profile_worker"
TOP = 30
# The kind of a test, first match of its ``path::function`` wins; a test matching none is an ``apply`` if
# it has the sandbox marker and its directory's name otherwise. New tests fall into one without an edit.
KINDS: tuple[tuple[str, str], ...] = (
    ("*::test_terraform_fmt*", "fmt"),
    ("*::test_module_validates", "validate"),
    ("*::test_bad_input*", "bad-input"),
    ("tests/modules/test_static.py::test_plan*", "plan"),
    ("tests/stacks/test_environments.py::*", "plan"),
    ("*::test_readme_table*", "docs"),
    ("tests/modules/test_static.py::test_policy*", "policy"),
    ("tests/policies/*", "policy"),
    ("tests/cookiecutter/*", "bake"),
    ("tests/unit/*", "unit"),
)
SHIM = """#!/bin/sh
for word in "$@"; do case "$word" in -*) ;; *) break ;; esac; done
[ -n "${LAUNCHPAD_PROFILE_TF_LOG:-}" ] && printf '%s\\n' "${word:-none}" >> "$LAUNCHPAD_PROFILE_TF_LOG"
LAUNCHPAD_PROFILE_TF_LOG= exec "REAL" "$@"
"""


@dataclass
class Cost:
    """What one test, or a sum of tests, cost."""

    tests: int = 0
    wall: float = 0.0
    cpu: float = 0.0  # the test process's own
    child_cpu: float = 0.0  # its children's, reaped during the test (user + system)
    terraform: dict[str, int] = field(default_factory=dict)  # invocations by subcommand

    @property
    def total_cpu(self) -> float:
        return self.cpu + self.child_cpu

    @property
    def invocations(self) -> int:
        return sum(self.terraform.values())

    def add(self, other: Cost) -> None:
        self.tests += other.tests
        self.wall += other.wall
        self.cpu += other.cpu
        self.child_cpu += other.child_cpu
        for command, count in other.terraform.items():
            self.terraform[command] = self.terraform.get(command, 0) + count

    def as_dict(self) -> dict[str, Any]:
        return {
            "tests": self.tests,
            "wall": round(self.wall, 3),
            "cpu": round(self.total_cpu, 3),
            "own_cpu": round(self.cpu, 3),
            "child_cpu": round(self.child_cpu, 3),
            "terraform": self.invocations,
            "terraform_by_command": dict(sorted(self.terraform.items())),
        }


@dataclass(frozen=True)
class Measured:
    """One test's cost, with what it is grouped by."""

    nodeid: str
    sandbox: bool
    cost: Cost

    @property
    def function(self) -> str:
        """``path::function`` without parameters or xdist's ``@group`` suffix."""
        return self.nodeid.split("@")[0].split("[")[0]

    @property
    def directory(self) -> str:
        parts = self.nodeid.split("::")[0].split("/")
        return "/".join(parts[:2]) if len(parts) > 2 else parts[0]

    @property
    def tier(self) -> str:
        return "sandbox" if self.sandbox else "fast"

    @property
    def kind(self) -> str:
        return kind_of(self.function, self.sandbox)


def kind_of(function: str, sandbox: bool) -> str:
    for pattern, kind in KINDS:
        if fnmatch.fnmatchcase(function, pattern):
            return kind
    parts = function.split("::")[0].split("/")
    if sandbox and len(parts) > 2 and parts[1] in ("modules", "stacks"):
        return "apply"
    return parts[1] if len(parts) > 2 else parts[0]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def count_commands(lines: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        command = line.strip()
        if command:
            counts[command] = counts.get(command, 0) + 1
    return counts


def summarize(
    measured: list[Measured], wall_seconds: float, outside_tests: Mapping[str, float], workers: int
) -> dict[str, Any]:
    """The profile document: totals, then costs by tier, kind, directory and function (every one, most CPU
    first), and the ``TOP`` tests that cost the most CPU."""

    def grouped(key: str) -> dict[str, Any]:
        groups: dict[str, Cost] = {}
        for item in measured:
            groups.setdefault(getattr(item, key), Cost()).add(item.cost)
        ranked = sorted(groups.items(), key=lambda pair: (-pair[1].total_cpu, pair[0]))
        return {name: cost.as_dict() for name, cost in ranked}

    total = Cost()
    for item in measured:
        total.add(item.cost)
    slowest = sorted(measured, key=lambda item: (-item.cost.total_cpu, item.nodeid))[:TOP]
    outside = round(sum(outside_tests.values()), 3)
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 1),
        "workers": workers,
        "cpus": os.cpu_count(),
        "total": total.as_dict(),
        # CPU spent outside any test: collection and start-up of each worker, the sandbox server.
        "outside_tests_cpu": {name: round(value, 3) for name, value in sorted(outside_tests.items())},
        "cpu_minutes": round((total.total_cpu + outside) / 60, 2),
        "tiers": grouped("tier"),
        "kinds": grouped("kind"),
        "directories": grouped("directory"),
        "functions": grouped("function"),
        "slowest": [{"test": item.nodeid, **item.cost.as_dict()} for item in slowest],
    }


def markdown(document: Mapping[str, Any], section: str = "kinds", limit: int | None = None) -> str:
    """A Markdown table of one section of a profile (CPU minutes, wall seconds summed over tests, terraform
    invocations)."""
    rows = [
        f"| {section[:-1]} | tests | CPU s | of which children | terraform runs | wall s (summed) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    items = list(document[section].items())[:limit]
    for name, cost in items:
        rows.append(
            f"| {name} | {cost['tests']} | {cost['cpu']:.0f} | {cost['child_cpu']:.0f} | {cost['terraform']} "
            f"| {cost['wall']:.0f} |"
        )
    return "\n".join(rows)


# -- the plugin ---------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("launchpad").addoption(
        OPTION,
        metavar="PATH",
        default=None,
        help="Measure each test (wall, CPU of the process and its children, terraform runs by subcommand) "
        "and write the run's profile as JSON to PATH.",
    )


def write_shim(folder: Path, real: str) -> Path:
    """A ``terraform`` in ``folder`` that logs its subcommand to ``$LAUNCHPAD_PROFILE_TF_LOG`` and runs
    ``real``."""
    shim = folder / "terraform"
    shim.write_text(SHIM.replace("REAL", real))
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return shim


class Profiler:
    """Per process: measures this process's tests; the controller also adds up every test's numbers."""

    def __init__(self, config: pytest.Config, path: Path | None) -> None:
        self.config = config
        self.path = path
        self.worker_id: str | None = getattr(config, "workerinput", {}).get("workerid")
        self.measured: list[Measured] = []
        self.tested_cpu = 0.0  # this process's own CPU inside its tests
        self.outside: dict[str, float] = {}
        self.started = time.monotonic()
        self.folder: Path | None = None
        if self.worker_id is None:
            self._install_shim()
        # Each process logs to a file of its own in the controller's folder (workers inherit its PATH).
        self.tf_log = Path(os.environ[TF_LOG_ENV]).parent / f"{self.worker_id or 'main'}.log"
        self.tf_log.touch()
        os.environ[TF_LOG_ENV] = str(self.tf_log)

    def _install_shim(self) -> None:
        real = shutil.which("terraform")
        self.folder = Path(tempfile.mkdtemp(prefix="launchpad-profile-"))
        if real is not None:
            write_shim(self.folder, real)
            os.environ["PATH"] = f"{self.folder}{os.pathsep}{os.environ.get('PATH', '')}"
        os.environ[TF_LOG_ENV] = str(self.folder / "main.log")

    def _tf_offset(self) -> int:
        return self.tf_log.stat().st_size

    def _tf_since(self, offset: int) -> dict[str, int]:
        with self.tf_log.open() as log:
            log.seek(offset)
            return count_commands(log.read().splitlines())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        item.stash[_START] = (time.monotonic(), time.process_time(), _children_cpu(), self._tf_offset())
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        if call.when != "teardown" or _START not in item.stash:
            return
        wall, cpu, children, offset = item.stash[_START]
        cost = Cost(
            tests=1,
            wall=time.monotonic() - wall,
            cpu=time.process_time() - cpu,
            child_cpu=_children_cpu() - children,
            terraform=self._tf_since(offset),
        )
        self.tested_cpu += cost.cpu
        sandbox = item.get_closest_marker("sandbox") is not None
        outcome.get_result().user_properties.append((_PROPERTY, {"sandbox": sandbox, **asdict(cost)}))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.worker_id is not None or report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == _PROPERTY and isinstance(value, dict):
                measured = dict(value)
                sandbox = bool(measured.pop("sandbox"))
                self.measured.append(Measured(report.nodeid, sandbox, Cost(**measured)))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker_id is not None:  # the worker's CPU outside its tests: start-up and collection
            outside = max(_self_cpu() - self.tested_cpu, 0.0)
            session.config.workeroutput[_WORKER_KEY] = {"outside_cpu": outside}  # type: ignore[attr-defined]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist, in the controller
        data = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if data is not None:
            self.outside[f"worker {node.workerinput.get('workerid', '?')}"] = data["outside_cpu"]

    def finish(self) -> dict[str, Any] | None:
        if self.worker_id is not None or self.path is None:
            return None
        if not self.outside:  # no xdist: this process ran the tests
            self.outside["main"] = max(_self_cpu() - self.tested_cpu, 0.0)
        else:
            self.outside["controller"] = _self_cpu()
        box = getattr(self.config, "_launchpad_sandbox", None)
        sandbox_cpu = _process_cpu(box) if box is not None else None
        if sandbox_cpu is not None:
            self.outside["sandbox server"] = sandbox_cpu
        workers = len([name for name in self.outside if name.startswith("worker")])
        document = summarize(self.measured, time.monotonic() - self.started, self.outside, workers)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(document, indent=2))
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        return document


_START = pytest.StashKey[tuple[float, float, float, int]]()
_PROFILER = pytest.StashKey[Profiler]()


def _process_cpu(box: Any) -> float | None:
    """CPU seconds of the run's sandbox server so far, from /proc (Linux); None where it cannot be read."""
    try:
        info = box.status()
        fields = Path(f"/proc/{info.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (AttributeError, OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption(OPTION, default=None)
    if path is None:
        return
    profiler = Profiler(config, Path(path))
    config.stash[_PROFILER] = profiler
    config.pluginmanager.register(profiler, "launchpad-profiler")


@pytest.hookimpl(tryfirst=True)  # before launchpad.testing stops the sandbox
def pytest_unconfigure(config: pytest.Config) -> None:
    profiler = config.stash.get(_PROFILER, None)
    if profiler is not None:
        document = profiler.finish()
        if document is not None:
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                total = document["total"]
                reporter.write_line(
                    f"launchpad profile: {document['cpu_minutes']} CPU-min, {total['terraform']} terraform "
                    f"runs, {document['wall_seconds']} s wall -> {profiler.path}"
                )
