"""launchpad as others install it: the wheels and sdists of ``launchpad`` and ``launchpad-serving`` built from
a copy of this checkout, that copy deleted, the wheels (each built from its sdist) installed in a fresh
virtualenv outside the repository, and the commands run there with no path back to the checkout: a
package-data file the wheel lacks fails here.

Dependencies install offline from a wheelhouse of the locked versions (``support.wheelhouse``), filled from
the package index once per machine.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from launchpad.aws import AwsTarget
from launchpad.deploy.seed import seed
from tests.cookiecutter.support import ORGANISATION

from .support import Installed

pytestmark = [pytest.mark.distribution, pytest.mark.xdist_group(name="distribution")]
POLL = "0.05"


def test_launchpad_help_lists_the_commands_and_nothing_reads_the_checkout(installed: Installed) -> None:
    """``launchpad --help`` and every user command's help; the package and its assets are the venv's, and
    the base install has no sandbox (no moto) yet imports the whole CLI."""
    result = installed.launchpad("--help")
    for command in ("new", "policy", "deploy", "rollback", "status", "traffic", "doctor", "sandbox"):
        assert re.search(rf"^  {command}\b", result.stdout, re.MULTILINE), result.stdout
    for command in ("deploy", "rollback", "status", "traffic", "policy", "new"):
        assert installed.launchpad(command, "--help").stdout.startswith(f"Usage: launchpad {command} ")
    where = installed.python(
        "import launchpad, launchpad_serving, launchpad.serving\n"
        "from launchpad import paths\n"
        "print(paths.assets_root(), launchpad_serving.__file__, paths.installed_from_checkout())"
    ).stdout.split()
    assert all(Path(path).is_relative_to(installed.venv) for path in where[:2]), where
    assert where[2] == "False"
    moto = installed.python("import importlib.util; print(importlib.util.find_spec('moto'))")
    assert moto.stdout == "None\n"


def test_commands_without_their_extra_or_checkout_say_what_to_install(installed: Installed) -> None:
    """``sandbox up`` without the sandbox extra: exit 4 naming ``pip install 'launchpad[sandbox]'``, and
    nothing made (no state folder); ``plan`` (a root stack of the checkout): exit 3 saying it needs one."""
    sandbox = installed.launchpad("sandbox", "up", check=False)
    assert sandbox.returncode == 4, sandbox.stderr
    assert "pip install 'launchpad[sandbox]'" in sandbox.stderr
    assert not (installed.cwd / ".launchpad").exists()
    assert not (Path(installed.env["XDG_STATE_HOME"]) / "launchpad").exists()
    plan = installed.launchpad("plan", "--env", "dev", check=False)
    assert plan.returncode == 3, plan.stderr
    assert "needs a launchpad checkout" in plan.stderr


def test_new_then_policy_then_the_projects_own_make_test(installed: Installed, checkov: Path) -> None:
    """``launchpad new`` bakes from the packaged template; ``launchpad policy`` over the baked stack resolves
    its pinned modules to the packaged ones and runs the packaged checks; the project's ``make test`` (ruff,
    training, the serving contract over gunicorn) passes against the installed wheels."""
    # Where the organisation keeps launchpad, and the SHA256SUMS of the wheels built here (as a release's).
    sums = installed.cwd / "SHA256SUMS"
    built = sorted((installed.venv.parent / "dist").glob("*.whl"))
    sums.write_text("".join(f"{hashlib.sha256(w.read_bytes()).hexdigest()}  {w.name}\n" for w in built))
    where = [f"{key}={ORGANISATION[key]}" for key in ("launchpad_git_url", "launchpad_index_url")]
    baked = installed.launchpad(
        "new", "--output-dir", str(installed.cwd / "projects"), "--no-input", "--release-sums", str(sums),
        *(arg for answer in where for arg in ("--set", answer)),
    )  # fmt: skip
    project = Path(re.search(r"^baked (.+)$", baked.stdout, re.MULTILINE)[1])  # type: ignore[index]
    pinned = "".join((project / f"requirements-{n}.txt").read_text() for n in ("launchpad", "serving"))
    for wheel in built:
        assert f"--hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}" in pinned, wheel.name
    assert f"next: cd {project} && make setup && make test" in baked.stdout

    report = installed.cwd / "policy"
    policy = installed.launchpad(
        "policy", str(project / "terraform"), "--output-dir", str(report), "--format", "json",
        env={"LAUNCHPAD_CHECKOV": str(checkov)},
        check=False,
    )  # fmt: skip
    assert policy.returncode == 0, policy.stdout + policy.stderr
    findings = json.loads((report / "policy.json").read_text())["findings"]
    files = {finding["file"] for finding in findings if finding["result"] == "passed"}
    assert any(file.startswith(str(project / "terraform")) for file in files), files
    assert any(file.startswith("modules/sagemaker-endpoint/") for file in files), files
    assert any(finding["check_id"].startswith("CKV_LP_") for finding in findings), "no launchpad check ran"

    tested = installed.run(["make", "--no-print-directory", "-C", str(project), "test"], check=False)
    output = tested.stdout + tested.stderr
    assert tested.returncode == 0, "\n".join(output.splitlines()[-60:])
    assert re.search(r"=+ \d+ passed", tested.stdout) and "All checks passed" in tested.stdout


@pytest.mark.sandbox
def test_the_installed_launchpad_deploys_to_the_sandbox(
    installed: Installed, sandbox_target: AwsTarget, tmp_path: Path
) -> None:
    """One real ``launchpad deploy`` and ``status`` from the installed wheel, against this run's sandbox (the
    account seeded from here): the endpoint is in service with the packaged policy's rules applied."""
    seeded = seed(sandbox_target, tmp_path)
    config = seeded.write(seeded.stage_document("dev"))
    env = sandbox_target.env()
    deployed = installed.launchpad("deploy", "--config", str(config), "--json", "--poll", POLL, env=env)
    document = json.loads(deployed.stdout)
    assert (document["outcome"], document["created"]["endpoint"]) == ("succeeded", "churn-dev")
    status = json.loads(installed.launchpad("status", "--config", str(config), "--json", env=env).stdout)
    assert status["status"] == "InService"


def test_deploy_checks_a_stage_config_against_the_packaged_rules(installed: Installed) -> None:
    """The packaged example stage config with an instance type off the allow-list of the packaged
    ``policies/config.yaml``: ``deploy`` exits 7 naming the rule, before it would call AWS."""
    example = installed.python(
        "from launchpad.paths import examples_dir; print((examples_dir() / 'stage-dev.yaml').read_text())"
    ).stdout
    assert "instance_type: ml.m5.large" in example
    config = installed.cwd / "stage-dev.yaml"
    config.write_text(example.replace("instance_type: ml.m5.large", "instance_type: ml.p5.48xlarge"))
    result = installed.launchpad("deploy", "--config", str(config), check=False)
    assert result.returncode == 7, result.stdout + result.stderr
    assert "ml.p5.48xlarge is not in the platform's instance allow-list" in result.stderr


def test_the_serving_wheel_alone_serves_without_launchpad(installed_serving: Installed) -> None:
    """launchpad-serving installed alone (as the serving image installs it): gunicorn, no launchpad, no
    moto, and ``python -m launchpad_serving`` refuses a handler it cannot import with its one line."""
    absent = installed_serving.python(
        "import importlib.util as u; print([m for m in ('launchpad', 'moto', 'boto3') if u.find_spec(m)])"
    )
    assert absent.stdout == "[]\n"
    assert installed_serving.python("import gunicorn; print(gunicorn.__version__)").stdout == "27.0.1\n"
    result = installed_serving.run(
        [str(installed_serving.bin / "python"), "-m", "launchpad_serving", "--handler", "absent"], check=False
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "error: cannot load the model: No module named 'absent'",
    )


def test_a_wheel_without_its_assets_is_refused_by_paths(installed: Installed) -> None:
    """The check this module relies on can fail: with the packaged assets moved away (and no checkout to
    fall back on), every asset lookup raises the error that says so."""
    moved = installed.python(
        "import shutil\n"
        "from launchpad import paths\n"
        "shutil.move(paths.PACKAGED_ASSETS, paths.PACKAGED_ASSETS.with_name('_moved'))\n"
        "try:\n"
        "    paths.template_dir()\n"
        "except paths.AssetsMissingError as exc:\n"
        "    print(exc)\n"
        "finally:\n"
        "    shutil.move(paths.PACKAGED_ASSETS.with_name('_moved'), paths.PACKAGED_ASSETS)\n"
    )
    assert "launchpad's assets are missing" in moved.stdout, moved.stdout


def test_subprocess_runs_are_outside_the_checkout(installed: Installed) -> None:
    """No run here sees the checkout: not as the working directory, not on PYTHONPATH."""
    shown = installed.python("import os, sys; print(os.getcwd()); print(os.environ.get('PYTHONPATH'))")
    cwd, pythonpath = shown.stdout.splitlines()
    assert not Path(cwd).is_relative_to(installed.checkout) and pythonpath == "None"
