"""`launchpad demo`'s glue (``launchpad.demo.Demo``) with stand-ins for its two halves: the steps run in
order, the project half starts from the platform's outputs, a failure still cleans up, and the summary has
every step's timing and the rollback timeline. The halves themselves run for real in
tests/stacks/test_platform.py (the project steps on the applied platform) and in `make demo`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from launchpad.demo import Demo, PlatformDemo
from launchpad.errors import LaunchpadError

Step = tuple[str, Callable[[], str]]


@dataclass
class FakePlatform(PlatformDemo):
    log: list[str] = field(default_factory=list)

    def up(self) -> Iterator[Step]:
        def apply() -> str:
            self.target = "target"  # type: ignore[assignment]
            self.outputs = {"vpc_id": "vpc-1"}
            self.log.append("apply")
            return "applied"

        yield "apply", apply

    def down(self) -> Iterator[Step]:
        yield "destroy", lambda: self.log.append("destroy") or "destroyed"

    def close(self) -> None:
        self.log.append("platform closed")


class FakeRelease:
    status = "Failed"

    def summary(self) -> str:
        return "Source Succeeded 1 s -> Deploy-staging Failed 9 s"


@dataclass
class FakeProject:
    target: Any
    outputs: Any
    workdir: Path
    log: list[str]
    fail: bool = False
    name: str = "demo-model"
    deploys: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, float] = field(default_factory=lambda: {"v1 via endpoint": 0.5})
    timeline: list[tuple[float, str]] = field(default_factory=lambda: [(0.25, "alarm fired")])
    removed: list[str] = field(default_factory=lambda: ["demo-model-staging"])
    releases: dict[str, Any] = field(default_factory=lambda: {"v2": FakeRelease()})
    retrained: Any = None

    def steps(self) -> Iterator[Step]:
        def ship() -> str:
            self.log.append(f"ship with {sorted(self.outputs)} in {self.workdir.name}")
            if self.fail:
                raise LaunchpadError("deploy refused")
            return "shipped"

        yield "ship", ship

    def close(self) -> None:
        self.log.append("project closed")

    def cleanup(self) -> None:
        self.log.append("project cleaned up")


def _demo(log: list[str], fail: bool = False) -> Demo:
    return Demo(
        platform=FakePlatform(log=log),
        make_project=lambda target, outputs, workdir: FakeProject(target, outputs, workdir, log, fail),  # type: ignore[arg-type,return-value]
        make_assistant=None,
    )


def test_the_steps_run_in_order_and_the_summary_times_each_one() -> None:
    log: list[str] = []
    titles: list[str] = []
    summary = _demo(log).run(lambda n, title: titles.append(f"{n} {title}"), lambda result, s: None)
    assert titles == ["1 apply", "2 hand the platform's outputs to the model project", "3 ship", "4 destroy"]
    assert log[:2] == ["apply", "ship with ['vpc_id'] in " + log[1].rsplit(" ", 1)[1]]
    assert log[1].rsplit(" ", 1)[1].startswith("launchpad-demo-")  # a temporary folder of its own
    assert log[2:] == ["destroy", "project closed", "project cleaned up", "platform closed"]
    assert summary[0].startswith("demo finished in ")
    assert "    0.25  alarm fired" in summary and "  v1 via endpoint: 0.5" in summary
    assert "  v2: Failed: Source Succeeded 1 s -> Deploy-staging Failed 9 s" in summary
    assert "  model endpoints and versions: demo-model-staging" in summary
    timed = [line for line in summary if line.endswith((" apply", " ship", " destroy"))]
    assert len(timed) == 3 and all(line.strip().split()[1] == "s" for line in timed)


def test_a_failed_step_still_cleans_up_and_skips_the_rest() -> None:
    log: list[str] = []
    with pytest.raises(LaunchpadError, match="deploy refused"):
        _demo(log, fail=True).run(lambda n, title: None, lambda result, s: None)
    assert "destroy" not in log  # the platform's close() destroys what is left instead
    assert log[-3:] == ["project closed", "project cleaned up", "platform closed"]
