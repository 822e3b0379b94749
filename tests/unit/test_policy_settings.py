"""The policy settings (policies/config.yaml, LAUNCHPAD_POLICY_CONFIG): one schema, refused alike everywhere.

A file launchpad's checks cannot trust is refused before checkov starts, by `launchpad policy` (exit 6, no
report written, checkov never started), by `launchpad deploy` (ConfigError, the same problem lines) and by the
checks' own loader under checkov's Python (SettingsError), so the three never disagree about a file.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from launchpad.cli import main
from launchpad.deploy import config as deploy_config
from launchpad.errors import ConfigError
from launchpad.paths import repo_root
from launchpad.policy import checkov, settings
from tests.unit.policy_data import canned

POLICIES = repo_root() / "policies"
CHECKOV_PYTHON = repo_root() / ".tools" / "checkov" / "bin" / "python"
TEMPLATE = repo_root() / "cookiecutter-model" / "{{cookiecutter.project_slug}}"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
# name: (file bytes, what the message says). Each is refused by launchpad, deploy and the checks alike.
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "malformed": (b"required_tags: [\n", "is not valid YAML"),
    "not-utf8": ("required_tags: [propriétaire]\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9"),
    "not-a-mapping": (b"- owner\n", "must be a YAML mapping"),
    "alias-bomb": (BOMB.encode(), "alias"),
    "duplicate-key": (b"required_tags: [owner]\nrequired_tags: [team]\n", "duplicate key"),
    "wrong-type": (b"required_tags: owner\n", "$.required_tags: expected a list, got text; write a list"),
    "typo": (b"required_tag: [owner]\n", "$.required_tag: unknown field; did you mean required_tags?"),
    "switched-off": (b"required_tags: []\n", "$.required_tags: [] should be non-empty"),
    "trailing-newline": (b'stage_tags: ["stage\\n"]\n', "$.stage_tags[0]: 'stage\\n' is not valid"),
    "bidi": (b'non_production_stages: ["dev\\u202e"]\n', "'dev\\u202e' is not valid"),
    "reserved-tag": (b"required_tags: ['aws:owner']\n", "not starting with aws:"),
    "retention-zero": (b"minimum_log_retention_days: 0\n", "$.minimum_log_retention_days: 0 is not allowed"),
    "retention-bool": (b"minimum_log_retention_days: true\n", "expected a whole number, got true/false"),
    "instance-glob": (b"allowed_instance_types: ['*']\n", "$.allowed_instance_types[0]: '*' is not valid"),
    "over-long": (b"required_tags: [" + b"x" * 100_000 + b"]\n", "(100000 characters)"),
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    script = canned.fake_checkov(tmp_path)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(script))
    return script


def _override(monkeypatch: pytest.MonkeyPatch, folder: Path, content: bytes) -> Path:
    path = folder / "team-policy.yaml"
    path.write_bytes(content)
    monkeypatch.setenv(settings.CONFIG_ENV, str(path))
    return path


# -- the one definition --------------------------------------------------------------------------------------


def test_the_schema_is_valid_and_describes_exactly_the_keys_of_policies_config_yaml() -> None:
    schema = json.loads((POLICIES / settings.SCHEMA_FILE).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    defaults = yaml.safe_load((POLICIES / settings.DEFAULTS_FILE).read_text(encoding="utf-8"))
    assert list(schema["properties"]) == list(defaults) == schema["required"]
    assert settings.load() == defaults


def test_an_override_replaces_only_the_keys_it_writes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _override(monkeypatch, tmp_path, b"allowed_instance_types: ['ml.p4d.*', 'ml.m5*']\n")
    loaded = settings.load()
    assert loaded["allowed_instance_types"] == ["ml.p4d.*", "ml.m5*"]
    assert loaded["required_tags"] == ["owner", "cost-center", "data-classification"]
    assert deploy_config.instance_allow_list() == ("ml.p4d.*", "ml.m5*")


# -- refused before checkov starts, with one message per problem ---------------------------------------------


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_launchpad_policy_refuses_a_bad_settings_file_before_checkov_and_writes_nothing(
    case: str, fake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    content, says = BAD_FILES[case]
    path = _override(monkeypatch, tmp_path, content)
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["policy", str(canned.FIXTURE), "--controls", str(canned.CONTROLS), "--output-dir", str(out)]
    )
    assert result.exit_code == 6, result.output
    assert says in result.output and str(path) in result.output
    assert len(result.output) < 2_000  # a megabyte value is quoted, not echoed
    assert not (tmp_path / "calls.txt").exists(), "checkov ran on settings it would choke on"
    assert not out.exists()


def test_every_problem_of_a_file_is_named_at_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _override(
        monkeypatch, tmp_path, b"required_tags: owner\nrequired_tag: [x]\nminimum_log_retention_days: 0\n"
    )
    with pytest.raises(ConfigError) as caught:
        settings.load()
    assert str(caught.value).startswith(f"policy config ({settings.CONFIG_ENV}) {tmp_path}/team-policy.yaml")
    assert sorted(p.split(":")[0] for p in caught.value.problems) == [
        "$.minimum_log_retention_days",
        "$.required_tag",
        "$.required_tags",
    ]


@pytest.mark.parametrize("target", ["missing", "folder"])
def test_a_settings_path_that_is_no_file_is_named(
    target: str, fake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / target
    if target == "folder":
        path.mkdir()
    monkeypatch.setenv(settings.CONFIG_ENV, str(path))
    result = CliRunner().invoke(main, ["policy", str(canned.FIXTURE), "--controls", str(canned.CONTROLS)])
    assert result.exit_code == 6
    assert f"{path}: cannot read the policy config ({settings.CONFIG_ENV})" in result.output
    assert not (tmp_path / "calls.txt").exists()


@pytest.mark.parametrize("case", ["wrong-type", "typo", "alias-bomb", "not-utf8"])
def test_deploy_refuses_the_same_file_with_the_same_words(
    case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    content, says = BAD_FILES[case]
    _override(monkeypatch, tmp_path, content)
    with pytest.raises(ConfigError, match="policy config") as caught:
        deploy_config.instance_allow_list()
    assert caught.value.exit_code == 7 and says in str(caught.value)


def test_the_checks_loader_refuses_what_launchpad_refuses_and_takes_what_it_takes(tmp_path: Path) -> None:
    """The checks' own loader (policies/checks/_helpers/settings.py), under checkov's Python, against every
    bad file above and a good override: the checks never read a file launchpad would refuse."""
    if not CHECKOV_PYTHON.exists():
        pytest.fail("checkov is not installed in .tools/checkov: run `make setup`")
    files = {}
    for case, (content, _) in {**BAD_FILES, "good": (b"allowed_instance_types: ['ml.m5.*']\n", "")}.items():
        files[case] = tmp_path / f"{case}.yaml"
        files[case].write_bytes(content)
    probe = (
        "import json, os, sys\n"
        f"sys.path.insert(0, {str(POLICIES / 'checks')!r})\n"
        "from _helpers import settings\n"
        "verdicts = {}\n"
        "for case, path in json.loads(sys.argv[1]).items():\n"
        "    os.environ['LAUNCHPAD_POLICY_CONFIG'] = path\n"
        "    try:\n"
        "        verdicts[case] = settings.setting('allowed_instance_types')\n"
        "    except settings.SettingsError as error:\n"
        "        verdicts[case] = 'refused: ' + str(error)[:300]\n"
        "print(json.dumps(verdicts))\n"
    )
    done = subprocess.run(
        [str(CHECKOV_PYTHON), "-c", probe, json.dumps({case: str(path) for case, path in files.items()})],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != settings.CONFIG_ENV},
    )
    verdicts = json.loads(done.stdout)
    assert verdicts.pop("good") == ["ml.m5.*"]
    accepted = {case: verdict for case, verdict in verdicts.items() if not str(verdict).startswith("refused")}
    assert accepted == {}
    assert all(str(files[case]) in verdict for case, verdict in verdicts.items())


# -- what checkov is given -----------------------------------------------------------------------------------


def test_checkov_gets_the_override_as_an_absolute_path_and_its_error_lines_switched_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """checkov runs from the assets root: a relative LAUNCHPAD_POLICY_CONFIG would name another file there.
    And a caller's LOG_LEVEL=CRITICAL would hide the one line that says a check raised."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(settings.CONFIG_ENV, "team-policy.yaml")
    monkeypatch.setenv("LOG_LEVEL", "CRITICAL")
    monkeypatch.setenv("CHECKOV_CHECK_FAIL_LEVEL", "none")
    env = checkov.environment()
    assert env[settings.CONFIG_ENV] == str(tmp_path / "team-policy.yaml")
    assert (env["LOG_LEVEL"], env["CHECKOV_CHECK_FAIL_LEVEL"]) == ("WARNING", "ERROR")


def test_checkov_runs_with_that_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen = tmp_path / "env.json"
    script = canned.fake_checkov(tmp_path)
    text = script.read_text().replace(
        "sys.stdout.write(out)\n",
        f"import json, os\nopen({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
        "sys.stdout.write(out)\n",
    )
    script.write_text(text)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(script))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "team-policy.yaml").write_text("allowed_instance_types: ['ml.m5.*']\n")
    monkeypatch.setenv(settings.CONFIG_ENV, "team-policy.yaml")
    CliRunner().invoke(main, ["policy", str(canned.FIXTURE), "--controls", str(canned.CONTROLS)])
    env = json.loads(seen.read_text())
    assert env[settings.CONFIG_ENV] == str(tmp_path / "team-policy.yaml")
    assert env["CHECKOV_CHECK_FAIL_LEVEL"] == "ERROR"


# -- the baked project's entry point -------------------------------------------------------------------------


def test_the_baked_projects_policy_check_refuses_a_bad_settings_file_too(
    fake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = repo_root() / "cookiecutter-model" / "{{cookiecutter.project_slug}}" / "scripts"
    project = tmp_path / "churn-model"
    (project / "scripts").mkdir(parents=True)
    (project / "terraform").mkdir()
    (project / "terraform" / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    for name in ("policy_check.py", "_launchpad.py"):  # the script and the helper it imports
        source = (scripts / name).read_text(encoding="utf-8")
        assert "{{" not in source and "{%" not in source, "the script is templated now: bake it instead"
        (project / "scripts" / name).write_text(source)
    _override(monkeypatch, tmp_path, b"required_tags: owner\n")
    monkeypatch.setattr(sys, "argv", [str(project / "scripts" / "policy_check.py")])
    monkeypatch.syspath_prepend(str(project / "scripts"))  # as `python scripts/policy_check.py` does
    monkeypatch.delitem(sys.modules, "_launchpad", raising=False)
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(project / "scripts" / "policy_check.py"), run_name="__main__")
    assert exited.value.code == 6
    assert "$.required_tags: expected a list, got text" in capsys.readouterr().err
    assert not (project / "build").exists() and not (tmp_path / "calls.txt").exists()
