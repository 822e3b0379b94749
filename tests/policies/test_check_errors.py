"""Defence in depth: a check that raises inside checkov, or does not load, fails `launchpad policy` loudly.

checkov 3.3.30 turns a check that raises into UNKNOWN, which its JSON report leaves out, and skips an external
check that does not import; the run still exits 0 or 1 as if every check ran. What is left of either is one
log line on stderr, which launchpad reads (``launchpad.policy.checkov.check_errors``): exit 3, the check and a
resource named, no report written. One real checkov run (~3 s) proves checkov still prints those lines, for
the fixture checks of ``raising_checks/`` (one raises, one does not import) and for launchpad's own checks
over settings they cannot read (launchpad's check before checkov switched off, to let the file through):
what `launchpad policy` reported as "8 failed" instead of 9, with exit 1, before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from launchpad import policy
from launchpad.cli import main
from launchpad.paths import repo_root
from launchpad.policy import checkov, settings
from tests.unit.policy_data import canned

CHECKOV = repo_root() / ".tools" / "checkov" / "bin" / "checkov"
RAISING_CHECKS = Path(__file__).parent / "raising_checks"
CHECKS = repo_root() / "policies" / "checks"


@pytest.fixture(autouse=True)
def _installed() -> None:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make setup`")


def test_checks_that_raise_or_do_not_load_fail_the_scan_naming_each_and_write_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wrapper = tmp_path / "checkov-with-broken-checks"  # launchpad's checks and the broken ones
    directories = f"--external-checks-dir {CHECKS} --external-checks-dir {RAISING_CHECKS}"
    wrapper.write_text(f'#!/bin/sh\nexec {CHECKOV} "$@" {directories}\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(wrapper))
    monkeypatch.setenv("LOG_LEVEL", "CRITICAL")  # launchpad switches checkov's error lines back on
    bad = tmp_path / "team-policy.yaml"
    bad.write_text("required_tags: [\n")
    monkeypatch.setenv(settings.CONFIG_ENV, str(bad))
    monkeypatch.setattr(policy, "_check_settings", lambda: None)  # let the file through to the checks
    out = tmp_path / "reports"
    app = canned.FIXTURE / "app"  # five SQS queues
    result = CliRunner().invoke(
        main, ["policy", str(app), "--controls", str(canned.CONTROLS), "--output-dir", str(out)]
    )
    assert result.exit_code == 3, result.output
    assert "checkov could not run every check over tests/unit/policy_data/tf/app" in result.output
    assert (
        "tests/policies/raising_checks/does_not_load.py did not load: ImportError: does not load on purpose"
    ) in result.output
    queue = "e.g. tests/unit/policy_data/tf/app/main.tf:aws_sqs_queue.good"
    assert (
        f"CKV_LPTEST_001 raised on 5 resource(s), {queue}: RuntimeError: raised on purpose" in result.output
    )
    assert (
        f"CKV_LP_009 raised on 5 resource(s), {queue}: _helpers.settings.SettingsError: "
        f"policy settings {bad}: not valid YAML"
    ) in result.output
    assert not out.exists()
