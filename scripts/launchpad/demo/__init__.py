"""`launchpad demo`: the whole platform, working, on the local sandbox (no AWS account).

The platform steps (``platform.PlatformDemo``) bring the sandbox up and apply ``terraform/platform``; the
project steps (``project.ProjectDemo``) bake a model project and ship it through that platform, with a
canary that rolls back; the assistant steps (``assistant.AssistantDemo``) ask the medical assistant's API a
question end to end; then the platform is destroyed and the account checked empty. ``Demo.run`` times
every step and returns the summary the CLI prints: what was created, the timings, the rollback timeline.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.demo.assistant import AssistantDemo
from launchpad.demo.platform import PlatformDemo, describe_platform
from launchpad.demo.project import ProjectDemo
from launchpad.errors import LaunchpadError

__all__ = ["AssistantDemo", "Demo", "PlatformDemo", "ProjectDemo", "describe_platform"]

Step = tuple[str, Callable[[], str]]

log = logging.getLogger(__name__)


@dataclass
class Demo:
    platform: PlatformDemo = field(default_factory=PlatformDemo)
    workdir: Path | None = None  # where the model project is baked; a temporary folder by default
    project: ProjectDemo | None = None
    make_project: Callable[[AwsTarget, Mapping[str, Any], Path], ProjectDemo] = ProjectDemo
    assistant: AssistantDemo | None = None
    # None: no assistant steps (the unit tests' demo)
    make_assistant: Callable[[AwsTarget, Path], AssistantDemo] | None = AssistantDemo
    timings: list[tuple[str, float]] = field(default_factory=list)

    def steps(self) -> Iterator[Step]:
        yield from self.platform.up()
        yield "hand the platform's outputs to the model project", self._start_project
        # The project steps exist once the platform's outputs do: yielded lazily, after _start_project ran.
        yield from self._project_steps()
        yield from self._assistant_steps()
        yield from self.platform.down()

    def run(self, on_step: Callable[[int, str], None], on_result: Callable[[str, float], None]) -> list[str]:
        """Run every step (``on_step(number, title)`` before, ``on_result(result, seconds)`` after), clean
        up whatever happens, and return the summary lines."""
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="launchpad-demo-") as scratch:
            self.workdir = self.workdir or Path(scratch)
            try:
                for number, (title, action) in enumerate(self.steps(), 1):
                    on_step(number, title)
                    step_started = time.monotonic()
                    result = action()
                    seconds = time.monotonic() - step_started
                    self.timings.append((title, seconds))
                    on_result(result, seconds)
            except BaseException:
                # The step's error is the one to show: a clean-up that fails after it is only logged.
                try:
                    self.close(failed=True)
                except Exception as cleanup:
                    log.error("cleaning up after the failed step failed too: %s", cleanup)
                raise
            self.close()
        return self.summary(time.monotonic() - started)

    def close(self, failed: bool = False) -> None:
        """Stop the model servers, destroy what is still applied, stop a sandbox the demo started. After a
        failed step the project's endpoints and model versions go first (its teardown step never ran), or
        the platform's destroy would refuse the registry that still holds them."""
        try:
            if self.assistant is not None:
                self.assistant.close()
            if self.project is not None:
                if failed and not self.project.removed:
                    self.project.teardown()
                self.project.close()
                self.project.cleanup()
        finally:
            self.platform.close()

    def summary(self, seconds: float) -> list[str]:
        lines = [f"demo finished in {seconds:.0f} s"]
        lines.append("created and removed:")
        lines.append(f"  platform: {self.platform.created}")
        if self.project is not None:
            lines.append(f"  model endpoints and versions: {', '.join(self.project.removed) or 'none'}")
            lines.append("pipeline executions (stage, status, seconds):")
            for version, release in self.project.releases.items():
                lines.append(f"  {version}: {release.status}: {release.summary()}")
            lines.append("answers (probability of the README's example):")
            lines += [f"  {name}: {value}" for name, value in self.project.answers.items()]
            lines.append("rollback timeline (seconds from the v2 source upload):")
            lines += [f"  {at:6.2f}  {what}" for at, what in self.project.timeline]
            retrained = self.project.retrained
            if retrained is not None:
                lines.append(f"retraining ({retrained.execution.rsplit('/', 1)[-1]}): {retrained.summary()}")
        if self.assistant is not None and self.assistant.answer:
            lines.append(f"  assistant: {self.assistant.created}")
            lines.append(f"assistant's answer: {self.assistant.answer['answer']}")
        lines.append("timings:")
        lines += [f"  {seconds:6.1f} s  {title}" for title, seconds in self.timings]
        return lines

    def _start_project(self) -> str:
        if self.platform.target is None or self.workdir is None:
            raise LaunchpadError("the platform is not applied")
        self.project = self.make_project(self.platform.target, self.platform.outputs, self.workdir)
        return f"model project {self.project.name}: {', '.join(sorted(self.platform.outputs))}"

    def _assistant_steps(self) -> Iterator[Step]:
        if self.make_assistant is None:
            return
        if self.platform.target is None or self.workdir is None:
            raise LaunchpadError("the platform is not applied")
        self.assistant = self.make_assistant(self.platform.target, self.workdir)
        yield from self.assistant.steps()

    def _project_steps(self) -> Iterator[Step]:
        if self.project is None:
            raise LaunchpadError("the platform is not applied")
        yield from self.project.steps()
