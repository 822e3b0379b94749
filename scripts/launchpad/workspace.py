"""A throwaway copy of a Terraform root module, bound to one AWS target, with every step timed.

Used by the pytest harness (apply, assert, re-plan, destroy), ``launchpad demo`` and ``launchpad bench``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.terraform import Terraform, copy_module_dir, terraform_env

ENV_VAR_FILE = "environment.auto.tfvars"


class Workspace:
    """``source`` copied under ``parent`` (a temp dir by default); Terraform runs only in the copy."""

    def __init__(
        self,
        source: Path,
        target: AwsTarget,
        tf_vars: Mapping[str, Any] | None = None,
        parent: Path | None = None,
        var_file: Path | None = None,
        backend_config: Path | None = None,
        refresh_on_destroy: bool = True,
    ) -> None:
        """``var_file``: a .tfvars file (an environment's) loaded before ``tf_vars``, which win.
        ``backend_config``: the stack's remote backend settings; without it, a stack that declares a
        backend keeps its state locally in the copy. ``refresh_on_destroy=False`` destroys from the state
        as it is (the test harness: nothing but Terraform changes what its stacks' states hold)."""
        self.source = source
        self.target = target
        self.backend_config = backend_config
        self._own_parent = parent is None
        self.parent = parent or Path(tempfile.mkdtemp(prefix="launchpad-"))
        self.dir = copy_module_dir(source, self.parent / source.name, local_backend=backend_config is None)
        if var_file is not None:  # auto-loaded, before launchpad.auto.tfvars.json (lexical order)
            shutil.copyfile(var_file, self.dir / ENV_VAR_FILE)
        self.tf = Terraform(self.dir, terraform_env(target.env()))
        self.timings: dict[str, float] = {}
        self.applied = False
        self.apply_log = ""
        self.tf_vars: dict[str, Any] = dict(tf_vars or {})
        self.tf.set_vars(self.tf_vars)
        self.refresh_on_destroy = refresh_on_destroy

    def _timed(self, step: str, func: Callable[[], Any]) -> Any:
        start = time.monotonic()
        try:
            return func()
        finally:
            self.timings[step] = round(time.monotonic() - start, 3)

    def set_vars(self, tf_vars: Mapping[str, Any]) -> None:
        self.tf_vars = dict(tf_vars)
        self.tf.set_vars(self.tf_vars)

    def init(self) -> None:
        self._timed("init", lambda: self.tf.init(self.backend_config))

    def plan(self) -> dict[str, Any]:
        return self._timed("plan", self.tf.plan)

    def apply(self, saved_plan: bool = False) -> dict[str, Any]:
        """Apply (the last ``plan()`` if ``saved_plan``) and return the outputs; the log stays in
        ``apply_log``. A failed apply still counts as applied (to be destroyed)."""
        self.applied = True
        self.apply_log = self._timed("apply", lambda: self.tf.apply(saved_plan))
        return self.tf.outputs()

    def replan(self) -> tuple[int, str]:
        return self._timed("replan", self.tf.replan_exit_code)

    def destroy(self) -> None:
        self._timed("destroy", lambda: self.tf.destroy(refresh=self.refresh_on_destroy))
        self.applied = False

    def cleanup(self) -> None:
        """Destroy what was applied (a failed destroy raises) and remove the copy."""
        try:
            if self.applied:
                self.destroy()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            if self._own_parent:
                shutil.rmtree(self.parent, ignore_errors=True)
