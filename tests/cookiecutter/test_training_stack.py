"""The baked project's side of its training pipeline: deploy/config/training.yaml (the platform's values)
makes a definition on a fresh bake, and the project's Terraform applies it in dev (terraform/training.tf, the
training_pipeline of envs/dev.tfvars) with modules/training-pipeline, refusing at plan a missing definition
or one written for another role or prefix. The plans run against the sandbox with this checkout's modules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad.aws import AwsTarget
from launchpad.pipeline import check, commands
from launchpad.policy import release_modules
from launchpad.scaffold import bake
from launchpad.terraform import LOCAL_BACKEND_OVERRIDE, Terraform, terraform_env

from .support import Bake, bake_of, child_env
from .test_matrix import ALL

TABULAR = [c for c in ALL if c["framework"] not in ("huggingface-llm", "huggingface-rag")]
# The regions launchpad knows AWS's scikit-learn and XGBoost image registries of (launchpad.prebuilt_images):
# GovCloud and China have none there yet, so no definition can be made for them (ValidateData's image).
NO_IMAGE_REGISTRY = ("us-gov-", "cn-")
DEFINITION = Path("build/pipeline/definition.json")


def _tfvars_block(text: str, name: str) -> str:
    """The ``name = { ... }`` block of a tfvars file, as text."""
    match = re.search(rf"^{name} = \{{\n.*?^\}}$", text, re.M | re.S)
    assert match, f"no {name} in the tfvars"
    return match.group(0)


# test_matrix.py's group: these read its bakes, made once per worker.
@pytest.mark.xdist_group("bake-matrix")
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in TABULAR])
def test_the_settings_file_makes_a_valid_definition_matching_the_dev_stack(case: Bake, baked: Any) -> None:
    """deploy/config/training.yaml as baked passes launchpad's settings checks and makes a definition that
    passes check_definition; its job role, code and executions prefixes are those envs/dev.tfvars gives the
    stack (the role training.tf makes, training_pipeline.s3), and no other stage's tfvars has a pipeline."""
    project = baked(case)
    values = commands.settings_values(project / "deploy" / "config" / "training.yaml", ())
    if case["aws_region"].startswith(NO_IMAGE_REGISTRY):
        with pytest.raises(Exception, match="image registry known for region"):
            commands.make_definition(project, values)
        return
    document = commands.make_definition(project, values)
    assert check.check_definition(document) == []
    text = json.dumps(document)
    assert f':role/{case.project}-training-job"' in text
    dev = (project / "terraform" / "envs" / "dev.tfvars").read_text()
    block = _tfvars_block(dev, "training_pipeline")
    prefixes = dict(re.findall(r'^\s+(training_data|code|artifacts|baselines)\s+= "([^"]+)"', block, re.M))
    assert f'"{prefixes["artifacts"]}"' in text
    assert f'"{prefixes["code"]}launchpad/"' in text
    assert f'"{prefixes["training_data"]}"' in text  # the TrainingData parameter's default
    assert values["kms_key_arn"] in re.findall(r'artifacts = "([^"]+)"', block)
    assert re.findall(r'"(subnet-[0-9a-f]+)"', block) == values["subnets"]
    assert re.findall(r'"(sg-[0-9a-f]+)"', block) == values["security_groups"]
    for stage in ("staging", "prod"):
        assert "training_pipeline" not in (project / "terraform" / "envs" / f"{stage}.tfvars").read_text()


@pytest.fixture(scope="module")
def sklearn_bake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh scikit-learn bake, its definition written by its own ``make pipeline-definition`` (the
    Makefile's default settings file), its module sources pointed at this checkout's modules/."""
    project = bake(tmp_path_factory.mktemp("training-stack"), bake_of("training-stack").settings)
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(project),
            "pipeline-definition",
            f"PYTHON={sys.executable}",
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--settings deploy/config/training.yaml" in done.stdout
    assert commands.check_file(project / DEFINITION) == []
    stack = project / "terraform"
    assert "training-pipeline" in release_modules.localize(stack)
    (stack / LOCAL_BACKEND_OVERRIDE).write_text('terraform {\n  backend "local" {}\n}\n')
    return project


def _plan(project: Path, target: AwsTarget, stage: str = "dev") -> tuple[int, list[dict[str, Any]]]:
    """``terraform plan -var-file=envs/<stage>.tfvars`` of the baked stack on the sandbox: its exit code
    and messages (planned changes, diagnostics)."""
    terraform = Terraform(project / "terraform", terraform_env(target.env()))
    if not (project / "terraform" / ".terraform").exists():
        terraform.init()
    result, messages = terraform.plan_messages(f"-var-file=envs/{stage}.tfvars")
    return result.returncode, messages


def _errors(messages: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{m['diagnostic'].get('summary')}: {m['diagnostic'].get('detail')}"
        for m in messages
        if m.get("type") == "diagnostic" and m["diagnostic"].get("severity") == "error"
    )


def test_the_dev_stack_plans_the_pipeline_from_the_definition_file(
    sklearn_bake: Path, sandbox_target: AwsTarget
) -> None:
    """dev plans module.training (the pipeline <project>-training with the file's definition, its two
    roles); staging and prod set no training_pipeline (test_the_settings_file_..., on every bake), so plan
    none."""
    code, messages = _plan(sklearn_bake, sandbox_target)
    assert code == 0, _errors(messages)
    planned = {
        m["change"]["resource"]["addr"]
        for m in messages
        if m.get("type") == "planned_change" and m["change"]["action"] == "create"
    }
    assert {
        "module.training[0].aws_sagemaker_pipeline.this",
        "module.training[0].aws_iam_role.pipeline",
        "module.training[0].aws_iam_role.job",
    } <= planned


def test_the_dev_plan_refuses_a_missing_or_foreign_definition(
    sklearn_bake: Path, sandbox_target: AwsTarget
) -> None:
    """Without the definition file the plan stops and says to run make pipeline-definition; a definition
    written for another job role and another artifact prefix stops it too, naming each setting to change."""
    definition = sklearn_bake / DEFINITION
    original = definition.read_text()
    try:
        definition.unlink()
        code, messages = _plan(sklearn_bake, sandbox_target)
        assert code != 0 and "run make pipeline-definition first" in _errors(messages)

        settings = yaml.safe_load((sklearn_bake / "deploy" / "config" / "training.yaml").read_text())
        foreign = original.replace(settings["job_role_arn"], settings["job_role_arn"] + "-old")
        definition.write_text(foreign.replace("/pipeline/", "/elsewhere/"))
        code, messages = _plan(sklearn_bake, sandbox_target)
        errors = _errors(messages)
        assert code != 0 and "set job_role_arn in deploy/config/training.yaml" in errors, errors
        assert "artifact_bucket and artifact_prefix" in errors, errors

    finally:
        definition.write_text(original)
