"""Careless and hostile input at the front doors of `launchpad deploy`, `rollback`, `status` and `traffic`,
refused before any AWS client exists: one bounded message naming the option, exit 2 (usage) or the command's
own code, and with --json exactly one JSON document on stdout whatever the exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from launchpad import aws, cli
from launchpad.cli import main
from launchpad.paths import examples_dir

LONG = "a" * 100_000


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any AWS target made is recorded, and fails: input refused at the door never reaches one."""
    made: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        made.append(repr(args))
        raise AssertionError("an AWS target was made for input that should have been refused")

    monkeypatch.setattr(cli.AwsTarget, "real", refuse)
    monkeypatch.setattr(cli.AwsTarget, "from_env", refuse)
    return made


@pytest.fixture
def stage(tmp_path: Path) -> Path:
    path = tmp_path / "stage.yaml"
    path.write_text((examples_dir() / "stage-dev.yaml").read_text())
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_refused(result: Result, code: int, *fragments: str) -> None:
    """Exit ``code``, one message naming what is wrong, bounded, with nothing a terminal would act on."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert "Traceback" not in result.output
    assert len(result.output) < 2000, len(result.output)
    assert not any(c in result.stderr for c in "\x1b\u202e\x00"), result.stderr


BAD_NAMES = [
    ("churn\n", "holds U+000A"),  # the newline a $ anchor lets through
    ("churn\u202edev", "holds U+202E"),  # a bidi override
    ("churn\x1b[2J", "holds U+001B"),  # a terminal escape
    ("churn_dev", "is not a SageMaker name"),
    ("churn'dev", "is not a SageMaker name"),
    ("../churn", "is not a SageMaker name"),
    ("/etc/passwd", "is not a SageMaker name"),
    ("-churn", "is not a SageMaker name"),
    ("", "is empty"),
    (LONG, "has 100000 characters; write at most 63"),
]


@pytest.mark.parametrize(("name", "message"), BAD_NAMES, ids=range(len(BAD_NAMES)))
def test_an_endpoint_name_aws_would_refuse_is_a_usage_error(
    name: str, message: str, no_aws: list[str]
) -> None:
    for command in (["status", "--", name], ["traffic", "--weights", "a=1", "--", name]):
        result = run(*command)
        assert_refused(result, 2, "Invalid value for '[ENDPOINT]'", "endpoint name", message)
    assert no_aws == []


@pytest.mark.parametrize(("name", "message"), BAD_NAMES, ids=range(len(BAD_NAMES)))
def test_a_rollback_config_name_aws_would_refuse_is_a_usage_error(
    name: str, message: str, stage: Path, no_aws: list[str]
) -> None:
    result = run("rollback", "--config", str(stage), "--to-config", name)
    assert_refused(result, 2, "Invalid value for '--to-config'", "endpoint config name", message)
    assert no_aws == []


@pytest.mark.parametrize("region", ["eu-west-1\n", "EU-WEST-1", "eu_west_1", "x" * 5000, "eu-west-1; rm -rf"])
def test_a_region_that_is_not_an_aws_region_name_is_a_usage_error(region: str) -> None:
    assert_refused(run("status", "churn", "--region", region), 2, "is not an AWS region name")


NUMBERS = [
    ("nan", "is not a number"),
    ("inf", "is not a number"),
    ("-inf", "is not a number"),
    ("1_000", "is not a number"),
    ("\u0661\u0662", "is not a number"),  # Arabic-Indic digits: float() takes them
    ("1e3", "is not a number"),
    ("9" * 400, "(400 characters)"),
    ("-1", "is not a number"),
]


@pytest.mark.parametrize(("value", "message"), NUMBERS, ids=range(len(NUMBERS)))
def test_a_threshold_that_is_not_a_finite_number_is_a_usage_error(value: str, message: str) -> None:
    """click.FloatRange takes 'nan', which passes every range check: a NaN threshold promotes anything."""
    for option in ("--max-error-rate-increase", "--max-latency-increase-percent", "--timeout"):
        result = run("traffic", "churn", "--decide", option, value)
        assert_refused(result, 2, f"Invalid value for '{option}'", message)


@pytest.mark.parametrize(("value", "message"), NUMBERS, ids=range(len(NUMBERS)))
def test_waits_that_are_not_finite_numbers_are_usage_errors(value: str, message: str, stage: Path) -> None:
    for command in ("deploy", "rollback"):
        for option in ("--poll", "--timeout"):
            result = run(command, "--config", str(stage), option, value)
            assert_refused(result, 2, f"Invalid value for '{option}'", message)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--window-minutes", "21601", "is out of range; write 1 to 21600"),
        ("--window-minutes", "0", "is out of range"),
        ("--window-minutes", "1.5", "is not a whole number"),
        ("--min-invocations", "1e3", "is not a whole number"),
        ("--min-invocations", "\uff11\uff12", "is not a whole number"),  # fullwidth digits: int() takes them
        ("--min-invocations", "1" * 5000, "(5000 characters)"),
    ],
)
def test_counts_are_plain_whole_numbers_in_range(option: str, value: str, message: str) -> None:
    assert_refused(run("traffic", "churn", "--decide", option, value), 2, message)


@pytest.mark.parametrize("value", ["0", "1e3", "\uff11", "1" * 5000])
def test_a_package_version_is_a_plain_whole_number_of_1_or_more(value: str, stage: Path) -> None:
    result = run("rollback", "--config", str(stage), "--to-package-version", value)
    assert_refused(result, 2, "Invalid value for '--to-package-version'")


# -- --json: one document on stdout, whatever the exit code -----------------------------------------------
def only_json(result: Result) -> dict[str, Any]:
    document = json.loads(result.stdout)  # the whole of stdout: one object, nothing else
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(
    "command",
    [
        ["status", "churn\n", "--json"],
        ["traffic", "churn", "--decide", "--max-error-rate-increase", "nan", "--json"],
        ["deploy", "--json"],  # --config missing
        ["rollback", "--json", "--config", "nope.yaml"],  # no such file
    ],
)
def test_a_usage_error_with_json_prints_its_document_and_the_message_on_stderr(command: list[str]) -> None:
    result = run(*command)
    assert result.exit_code == 2
    document = only_json(result)
    assert (document["outcome"], document["error"], document["exit_code"]) == ("error", "usage", 2)
    assert document["message"] and f"Error: {document['message']}" in result.stderr


def test_a_config_error_with_json_prints_its_document_listing_every_problem(stage: Path) -> None:
    document = yaml.safe_load(stage.read_text())
    document.update(endpoint_name="churn dev", region="mars-1")
    stage.write_text(yaml.safe_dump(document))
    for command in (
        ["deploy", "--config", str(stage), "--json"],
        ["rollback", "--config", str(stage), "--json"],
    ):
        result = run(*command)
        assert result.exit_code == 7, result.output
        said = only_json(result)
        assert (said["outcome"], said["error"], said["exit_code"]) == ("error", "config", 7)
        assert len(said["problems"]) == 2 and any("endpoint_name" in p for p in said["problems"])
        assert result.stderr.startswith("error: ") and result.stderr.count("error: ") == 1


def test_both_rollback_targets_with_json_is_a_usage_error_document(stage: Path) -> None:
    result = run(
        "rollback",
        "--config",
        str(stage),
        "--json",
        "--to-config",
        "churn-dev-0a1b2c3d",
        "--to-package-version",
        "2",
    )
    assert result.exit_code == 2
    assert only_json(result)["message"] == "give at most one of --to-config and --to-package-version"


class FakeSageMaker:
    """Records every call: bad weights must be refused before the first."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            raise AssertionError(f"{name} was called")

        return call


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("champion=-1", "is negative"),
        ("champion=nan", "is not a finite number"),
        ("champion=1,champion=2", "named twice"),
        ("champion=1\n", "holds U+000A"),
        ("champion", "is not VARIANT=WEIGHT"),
    ],
)
def test_bad_weights_exit_20_with_one_message_and_no_call(
    weights: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sagemaker = FakeSageMaker()
    monkeypatch.setattr(cli, "_endpoint_clients", lambda *_: ("churn", "eu-west-1", sagemaker, object()))
    result = run("traffic", "churn", "--weights", weights, "--json")
    assert result.exit_code == 20, result.output
    said = only_json(result)
    assert (said["error"], said["exit_code"]) == ("traffic", 20) and message in said["message"]
    assert result.stderr.count("error: ") == 1 and message in result.stderr
    assert sagemaker.calls == []


@pytest.mark.parametrize("command", [["status", "churn", "--json"], ["deploy", "--json", "--config"]])
def test_an_aws_environment_boto3_cannot_use_is_one_message_not_a_traceback(
    command: list[str], stage: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real AwsTarget, in an environment naming a profile that does not exist
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws._client.cache_clear()  # a client made earlier in this process would hide the broken environment
    result = run(*command, *([str(stage)] if command[-1] == "--config" else []))
    assert result.exit_code == 10, result.output
    said = only_json(result)
    assert said["error"] == "deploy" and "cannot use the AWS environment: ProfileNotFound" in said["message"]
    assert "check AWS_PROFILE" in result.stderr and "Traceback" not in result.output
