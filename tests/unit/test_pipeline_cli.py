"""``launchpad pipeline``: argument errors, ``check``'s exit codes, ``definition`` to a file, ``run``
refusing a wrong-typed or unknown parameter before StartPipelineExecution (a pipeline made through the
sandbox), and ``--wait``'s report of a failed step (its reason and the end of its job's log)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from launchpad.aws import AwsTarget
from launchpad.cli import main
from launchpad.errors import PipelineFailedError
from launchpad.pipeline import commands, definition
from tests.sandbox.support import service_role
from tests.unit.test_pipeline_definition import VALUES, project


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["pipeline", *args])


def settings_file(tmp_path: Path, **values: Any) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({**VALUES, **values}))
    return path


def test_definition_writes_the_checked_definition(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    source = project(tmp_path / "project")
    output = tmp_path / "build" / "pipeline.json"
    result = invoke(
        "definition", "--project", str(source), "--settings", str(settings_file(tmp_path)), "-o", str(output)
    )
    assert result.exit_code == 0, result.output
    expected = definition.build_definition(definition.load_settings(source, VALUES))
    assert output.read_text() == definition.render(expected)
    assert invoke("check", str(output)).exit_code == 0


def test_definition_without_the_platforms_settings_exits_7(tmp_path: Path) -> None:
    result = invoke("definition", "--project", str(project(tmp_path)), "--set", "region=eu-west-1")
    assert result.exit_code == 7
    assert "serving_image: missing" in result.output and "job_role_arn: missing" in result.output


def test_check_lists_every_problem_and_exits_27(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "Version": "2020-12-01",
                "Steps": [
                    {"Name": "A", "Type": "Fail", "Arguments": {}, "DependsOn": ["B"]},
                    {"Name": "C", "Type": "Fail", "Arguments": {}, "DependsOn": ["D"]},
                ],
            }
        )
    )
    result = invoke("check", str(bad))
    assert result.exit_code == 27
    assert (
        "has 2 problems" in result.output
        and "DependsOn B" in result.output
        and "DependsOn D" in result.output
    )
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json")
    result = invoke("check", str(garbled))
    assert result.exit_code == 27 and "is not JSON" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["status"], "give an EXECUTION_ARN, or --pipeline NAME or --project DIR"),
        (["status", "not-an-arn"], "is not a pipeline execution ARN"),
        (["run"], "give --pipeline NAME or --project DIR"),
        (["list", "--pipeline", "a", "--project", "."], "give --pipeline NAME or --project DIR"),
        (["run", "--pipeline", "bad_name!"], "is not a pipeline name"),
        (["run", "--pipeline", "p", "--parameter", "no-equals-sign"], "is not NAME=VALUE"),
        (["run", "--pipeline", "p", "--parameter", "A=1", "--parameter", "A=2"], "given twice"),
        (["list", "--pipeline", "p", "--limit", "0"], "out of range"),
    ],
)
def test_argument_errors_exit_2_before_any_call(args: list[str], expected: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert expected in result.output


# -- the sandbox: a pipeline made through the API ----------------------------------------------------------
@pytest.fixture
def pipeline(sandbox_target: AwsTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The generated definition of a baked-like project, created as ``churn-model-training`` in a fresh
    sandbox account, with the CLI's environment pointing at that account."""
    target = sandbox_target
    role = service_role(target, "churn-model-pipeline", "sagemaker.amazonaws.com", [])
    values = {
        **VALUES,
        "job_role_arn": role,
        "kms_key_arn": f"arn:aws:kms:eu-west-1:{target.account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    document = definition.build_definition(definition.load_settings(project(tmp_path), values))
    target.client("sagemaker").create_pipeline(
        PipelineName="churn-model-training", PipelineDefinition=definition.render(document), RoleArn=role
    )
    for name, value in target.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return "churn-model-training"


@pytest.mark.sandbox
def test_run_refuses_a_wrong_parameter_before_starting_anything(
    pipeline: str, sandbox_target: AwsTarget, tmp_path: Path
) -> None:
    result = invoke(
        "run", "--pipeline", pipeline, "--parameter", "MaxTrainingJobs=many", "--parameter", "Epochs=3"
    )
    assert result.exit_code == 27, result.output
    assert "parameters refused, nothing started" in result.output
    assert "MaxTrainingJobs" in result.output and "Epochs" in result.output
    listed = sandbox_target.client("sagemaker").list_pipeline_executions(PipelineName=pipeline)
    assert listed["PipelineExecutionSummaries"] == []
    result = invoke("list", "--project", str(tmp_path))  # the model card's churn-model: its pipeline
    assert result.exit_code == 0 and f"pipeline {pipeline} has no execution" in result.output
    result = invoke("status", "--pipeline", pipeline)
    assert result.exit_code == 27 and "has no execution" in result.output
    result = invoke("run", "--pipeline", "no-such-pipeline", "--json")
    assert result.exit_code == 27
    assert json.loads(result.stdout)["exit_code"] == 27


# -- --wait, on a stand-in client --------------------------------------------------------------------------
class FakeSageMaker:
    """An execution whose ValidateData step runs, then fails (a processing job's AlgorithmError)."""

    def __init__(self) -> None:
        self.polls = 0

    def describe_pipeline_execution(self, PipelineExecutionArn: str) -> dict[str, Any]:
        self.polls += 1
        status = "Executing" if self.polls < 2 else "Failed"
        return {"PipelineExecutionArn": PipelineExecutionArn, "PipelineExecutionStatus": status}

    def list_pipeline_execution_steps(self, **_: Any) -> dict[str, Any]:
        job = "arn:aws:sagemaker:eu-west-1:123456789012:processing-job/pipelines-abc-validatedata-x1"
        step: dict[str, Any] = {
            "StepName": "ValidateData",
            "StartTime": datetime(2026, 12, 8, tzinfo=UTC),
            "StepStatus": "Executing" if self.polls < 2 else "Failed",
            "Metadata": {"ProcessingJob": {"Arn": job}},
            "AttemptCount": 1,
        }
        if self.polls >= 2:
            step["FailureReason"] = "AlgorithmError: ValidateData: label churned has 12% missing values"
        return {"PipelineExecutionSteps": [step]}


class FakeLogs:
    def describe_log_streams(self, logGroupName: str, logStreamNamePrefix: str) -> dict[str, Any]:
        assert logGroupName == "/aws/sagemaker/ProcessingJobs"
        return {"logStreams": [{"logStreamName": f"{logStreamNamePrefix}algo-1-1", "lastEventTimestamp": 1}]}

    def get_log_events(self, **_: Any) -> dict[str, Any]:
        return {"events": [{"message": "reading data"}, {"message": "label churned: 12% missing"}]}


def test_wait_names_the_failed_step_its_reason_and_log_end() -> None:
    lines: list[str] = []
    with pytest.raises(PipelineFailedError) as caught:
        commands.wait(
            FakeSageMaker(), FakeLogs(), "arn:exec", poll=0, on_line=lines.append, sleep=lambda _: None
        )
    assert [line.split("] ", 1)[1].split(" (")[0] for line in lines] == [
        "ValidateData: Executing",
        "ValidateData: Failed",
    ]
    message = str(caught.value)
    assert caught.value.exit_code == 28
    assert "Failed (failed: ValidateData)" in message
    assert "12% missing values" in message
    assert "end of pipelines-abc-validatedata-x1's log" in message and "label churned: 12% missing" in message
