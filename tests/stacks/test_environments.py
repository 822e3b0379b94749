"""Fast tier for terraform/platform's environments: every envs/<env>.tfvars plans against the sandbox, and
the plans show where prod differs (retention, deletion protection, approval gate, instance counts, VPC
builds). `launchpad plan --env` runs the same plan from the command line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from launchpad import __version__, combined, environments
from launchpad.aws import DEFAULT_REGION
from launchpad.cli import main
from launchpad.environments import Environment
from launchpad.errors import LaunchpadError
from launchpad.paths import STATE_DIR_ENV
from tests import shared_plan

ENVIRONMENTS = ["dev", "staging", "prod", "sandbox"]
# One worker makes the plans: every environment is planned at once, in the suite's shared plan (below).
pytestmark = pytest.mark.xdist_group(shared_plan.GROUP)


_REGION = re.compile(r"^region\s*=.*$", re.MULTILINE)
# prod with a model project that deploys with Terraform (an asynchronous endpoint) and a DynamoDB lock table:
# prod.tfvars with these two settings given as arguments instead of its own blocks.
PROD_ASYNC = "prod-async"
_BLOCKS = re.compile(r"^(?:model_projects|terraform_state) = \{.*?^\}\n", re.MULTILINE | re.DOTALL)
STATE_BUCKET = "arn:aws:s3:::launchpad-111122223333-tfstate"
LOCK_TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/launchpad-tflock"
PROD_ASYNC_ARGUMENTS = {
    "model_projects": {
        "claims-triage": {
            "repository": "acme/claims-triage",
            "build_image_tag": "deps-00000000000000aa",
            "deploys_with_terraform": True,
        }
    },
    "terraform_state": {
        "bucket_arn": STATE_BUCKET,
        "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000",
        "lock_table_arn": LOCK_TABLE,
    },
}


def _environment_calls() -> dict[str, combined.Call]:
    """Each environment's call of the stack, and PROD_ASYNC's: the stack with the environment's .tfvars, and
    ``region`` from the target (which wins over the file's, as ``Workspace`` gives it). An environment without
    its .tfvars is left out (test_every_environment_has_a_var_file_and_a_backend says so)."""
    calls = {
        env: combined.Call(
            Environment(env).stack_dir,
            {"region": DEFAULT_REGION},  # the sandbox target's
            body=_REGION.sub("", Environment(env).var_file.read_text()),
        )
        for env in ENVIRONMENTS
        if Environment(env).var_file.is_file()
    }
    if "prod" in calls:
        prod = calls["prod"]
        calls[PROD_ASYNC] = combined.Call(
            prod.root, {**prod.arguments, **PROD_ASYNC_ARGUMENTS}, body=_BLOCKS.sub("", prod.body)
        )
    return calls


# Every environment's plan, and PROD_ASYNC's, made together with the other root modules of the suite's shared
# plan (tests/shared_plan.py: one init, one plan, one ``show -json`` for all), in one fresh sandbox account.
for _env, _call in _environment_calls().items():
    shared_plan.register(f"terraform/platform:{_env}", _call)


@pytest.fixture
def plans(plan_parts: dict[str, dict[str, Any]]) -> Callable[[str], list[dict[str, Any]]]:
    """An environment's planned managed resources."""

    def of(env: str) -> list[dict[str, Any]]:
        name = f"terraform/platform:{env}"
        if name not in plan_parts:
            pytest.fail(f"{env} was not planned: terraform/platform has no envs/{env}.tfvars")
        return [c for c in plan_parts[name]["resource_changes"] if c["mode"] == "managed"]

    return of


def _of_type(plan: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    """The planned values of every resource of one type."""
    return [c["change"]["after"] for c in plan if c["type"] == resource_type]


def _pipeline_stages(plan: list[dict[str, Any]]) -> list[str]:
    [pipeline] = _of_type(plan, "aws_codepipeline")
    return [stage["name"] for stage in pipeline["stage"]]


def test_every_environment_has_a_var_file_and_a_backend() -> None:
    assert environments.names() == sorted(ENVIRONMENTS)
    for env in ENVIRONMENTS:
        Environment(env).check()  # raises with what is missing
    assert Environment("sandbox").backend_file is None


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_plans_the_whole_platform(env: str, plans: Any) -> None:
    plan = plans(env)
    counts = {t: len(_of_type(plan, t)) for t in ("aws_kms_key", "aws_codepipeline", "aws_codebuild_project")}
    assert counts == {"aws_kms_key": 5, "aws_codepipeline": 1, "aws_codebuild_project": 5}
    assert len(_of_type(plan, "aws_sagemaker_model_package_group")) == 1
    assert {after["tags_all"]["Environment"] for after in _of_type(plan, "aws_kms_key")} == {env}


def test_prod_keeps_logs_six_years_and_the_others_less(plans: Any) -> None:
    retention = {
        env: {g["retention_in_days"] for g in _of_type(plans(env), "aws_cloudwatch_log_group")}
        for env in ENVIRONMENTS
    }
    assert retention == {"dev": {90}, "staging": {365}, "prod": {2192}, "sandbox": {30}}


def test_prod_protects_keys_buckets_and_repositories_from_deletion(plans: Any) -> None:
    prod, dev = plans("prod"), plans("dev")
    assert {k["deletion_window_in_days"] for k in _of_type(prod, "aws_kms_key")} == {30}
    assert {k["deletion_window_in_days"] for k in _of_type(dev, "aws_kms_key")} == {7}
    assert {b["force_destroy"] for b in _of_type(prod, "aws_s3_bucket")} == {False}
    assert {b["force_destroy"] for b in _of_type(dev, "aws_s3_bucket")} == {True}
    assert {r["force_delete"] for r in _of_type(prod, "aws_ecr_repository")} == {False}
    assert {r["force_delete"] for r in _of_type(dev, "aws_ecr_repository")} == {True}


def test_prod_and_staging_gate_production_behind_an_approval_and_dev_does_not(plans: Any) -> None:
    assert "Approve-production" in _pipeline_stages(plans("prod"))
    assert "Approve-production" in _pipeline_stages(plans("staging"))
    assert "Approve-production" not in _pipeline_stages(plans("dev"))
    prod_subscriptions = {s["endpoint"] for s in _of_type(plans("prod"), "aws_sns_topic_subscription")}
    assert {
        "ml-leads@acme.example",
        "clinical-safety@acme.example",
        "ml-oncall@acme.example",
    } <= prod_subscriptions


def test_prod_runs_builds_in_the_vpc_with_more_instances_and_zones(plans: Any) -> None:
    def min_instances(env: str) -> set[str]:
        return {
            v["value"]
            for p in _of_type(plans(env), "aws_codebuild_project")
            for v in p["environment"][0]["environment_variable"]
            if v["name"] == "LP_MIN_INSTANCE_COUNT"
        }

    assert min_instances("prod") == {"2"} and min_instances("dev") == {"1"}
    assert all(p["vpc_config"] for p in _of_type(plans("prod"), "aws_codebuild_project"))
    assert not any(p["vpc_config"] for p in _of_type(plans("dev"), "aws_codebuild_project"))
    assert len(_of_type(plans("prod"), "aws_subnet")) == 3
    assert len(_of_type(plans("dev"), "aws_subnet")) == 2


def test_prod_builds_install_this_launchpad_release_from_the_platform_and_dev_from_the_index(
    plans: Any,
) -> None:
    """prod's VPC builds have no internet: they get LAUNCHPAD_RELEASE_URI (the model-artifacts bucket's
    releases/launchpad/<launchpad_version>/, known after apply), for the version this checkout releases."""

    def release_variables(env: str) -> list[dict[str, Any]]:
        return [
            v
            for p in _of_type(plans(env), "aws_codebuild_project")
            for v in p["environment"][0]["environment_variable"]
            if v["name"] == "LAUNCHPAD_RELEASE_URI"
        ]

    assert len(release_variables("prod")) == 5
    # ... and they run the project's own buildspec.yml, the one that installs from that folder.
    buildspecs = {p["source"][0]["buildspec"] for p in _of_type(plans("prod"), "aws_codebuild_project")}
    assert buildspecs == {"buildspec.yml"}
    assert release_variables("dev") == [] and release_variables("staging") == []
    tfvars = Environment("prod").var_file.read_text(encoding="utf-8")
    pinned = re.search(r'^launchpad_version\s*=\s*"([^"]+)"', tfvars, re.M)
    assert pinned and pinned[1] == __version__, "prod.tfvars launchpad_version: the version released here"


def test_prod_and_the_sandbox_build_in_the_projects_image_from_the_platforms_ecr_and_pull_it_alone(
    plans: Any,
) -> None:
    """Builds without internet run in the project's build image (launchpad, its dependencies and checkov
    installed): an image of <project>-build, the repository the platform makes, pulled by each step's own
    role (SERVICE_ROLE), whose build-image policy may pull from that repository and no other. dev and staging
    keep AWS's curated image, pulled with CodeBuild's own credentials, and no such policy."""
    projects = {"prod": ("fraud-detector", "deps-0123456789abcdef"), "sandbox": ("demo-model", "demo")}
    for env, (project, tag) in projects.items():
        plan = plans(env)
        [repository] = [r for r in _of_type(plan, "aws_ecr_repository") if r["name"] == f"{project}-build"]
        assert repository["image_tag_mutability"] == "IMMUTABLE"
        images = {
            (p["environment"][0]["image"], p["environment"][0]["image_pull_credentials_type"])
            for p in _of_type(plan, "aws_codebuild_project")
        }
        [(image, pulled_as)] = images
        assert re.fullmatch(rf"[0-9]{{12}}\.dkr\.ecr\.eu-west-1\.amazonaws\.com/{project}-build:{tag}", image)
        assert pulled_as == "SERVICE_ROLE"
        account = image.split(".", 1)[0]
        policies = [p for p in _of_type(plan, "aws_iam_role_policy") if p["name"].endswith("-build-image")]
        assert len(policies) == 5, "one per step"
        for policy in policies:
            statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
            assert statements["PullBuildImage"]["Resource"] == (
                f"arn:aws:ecr:eu-west-1:{account}:repository/{project}-build"
            )
            assert statements["GetRegistryToken"] == {
                "Sid": "GetRegistryToken",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            }
            assert set(statements) == {"PullBuildImage", "GetRegistryToken"}
    for env in ("dev", "staging"):
        builds = _of_type(plans(env), "aws_codebuild_project")
        assert {
            (p["environment"][0]["image"], p["environment"][0]["image_pull_credentials_type"]) for p in builds
        } == {("aws/codebuild/amazonlinux2-x86_64-standard:5.0", "CODEBUILD")}
        assert not [
            p for p in _of_type(plans(env), "aws_iam_role_policy") if p["name"].endswith("-build-image")
        ]
        assert not [r for r in _of_type(plans(env), "aws_ecr_repository") if r["name"].endswith("-build")]


def test_every_environments_deploy_steps_outlast_the_prod_configs_worst_case(plans: Any) -> None:
    """The deploy steps wait for the rollout, its bake and a guard rollback (the baked prod config: 3600 s +
    900 s + 3600 s), so they get 180 minutes; the other steps 60. Each step knows its own."""
    for env in ENVIRONMENTS:
        for project in _of_type(plans(env), "aws_codebuild_project"):
            variables = {v["name"]: v.get("value") for v in project["environment"][0]["environment_variable"]}
            expected = 180 if variables["LAUNCHPAD_STEP"].startswith("deploy-") else 60
            assert project["build_timeout"] == expected, (env, variables["LAUNCHPAD_STEP"])
            assert variables["LAUNCHPAD_BUILD_TIMEOUT_MINUTES"] == str(expected)


def test_a_project_that_deploys_with_terraform_reaches_its_own_state_from_the_vpc(plans: Any) -> None:
    """The platform passes terraform/bootstrap's store to the project's pipeline, with the baked project's
    state keys (<project>/staging.tfstate, <project>/prod.tfstate): each deploy role reaches its own stage's
    state and lock. Its VPC builds get the endpoints the refresh and the lock table need (ec2, dynamodb);
    prod's real-time project deploys with launchpad deploy: no such policy, no such endpoint."""
    plan = plans(PROD_ASYNC)
    policies = {
        p["name"]: p for p in _of_type(plan, "aws_iam_role_policy") if p["name"].endswith("-terraform")
    }
    keys = {"staging": "claims-triage/staging.tfstate", "production": "claims-triage/prod.tfstate"}
    assert set(policies) == {f"acme-ml-prod-claims-triage-deploy-{stage}-terraform" for stage in keys}
    for stage, key in keys.items():
        statements = {
            s["Sid"]: s
            for s in json.loads(policies[f"acme-ml-prod-claims-triage-deploy-{stage}-terraform"]["policy"])[
                "Statement"
            ]
        }
        assert statements["ListOwnState"]["Resource"] == STATE_BUCKET
        assert statements["ListOwnState"]["Condition"] == {"StringEquals": {"s3:prefix": key}}
        assert sorted(statements["ReadWriteOwnState"]["Resource"]) == [
            f"{STATE_BUCKET}/{key}",
            f"{STATE_BUCKET}/{key}.tflock",
        ]
        assert statements["LockOwnState"]["Resource"] == LOCK_TABLE

    def endpoints(env: str) -> set[str]:
        return {e["service_name"].rsplit(".", 1)[-1] for e in _of_type(plans(env), "aws_vpc_endpoint")}

    assert {"ec2", "dynamodb"} <= endpoints(PROD_ASYNC)
    assert not {"ec2", "dynamodb"} & endpoints("prod")
    assert not [p for p in _of_type(plans("prod"), "aws_iam_role_policy") if p["name"].endswith("-terraform")]


def test_git_environments_use_the_connection_and_the_sandbox_an_s3_source(plans: Any) -> None:
    def source_provider(env: str) -> str:
        [pipeline] = _of_type(plans(env), "aws_codepipeline")
        return pipeline["stage"][0]["action"][0]["provider"]

    assert {env: source_provider(env) for env in ENVIRONMENTS} == {
        "dev": "CodeStarSourceConnection",
        "staging": "CodeStarSourceConnection",
        "prod": "CodeStarSourceConnection",
        "sandbox": "S3",
    }


# -- the command line -------------------------------------------------------------------------------
def test_unknown_environment_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", "--env", "qa"], env={STATE_DIR_ENV: str(tmp_path)})
    assert result.exit_code == 1
    assert "environment 'qa' has no terraform/platform/envs/qa.tfvars" in result.output
    assert "dev, prod, sandbox, staging" in result.output
    assert not (tmp_path / "stacks").exists(), "nothing was copied or planned"


def test_real_environment_without_credentials_asks_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(LaunchpadError, match="no AWS credentials for environment 'prod'"):
        Environment("prod").target()


def test_plan_summary_lists_each_change_and_the_totals() -> None:
    plan = {
        "resource_changes": [
            {"address": "a.x", "mode": "managed", "change": {"actions": ["create"]}},
            {"address": "a.y", "mode": "managed", "change": {"actions": ["delete", "create"]}},
            {"address": "a.z", "mode": "managed", "change": {"actions": ["no-op"]}},
            {"address": "data.d", "mode": "data", "change": {"actions": ["read"]}},
        ]
    }
    assert environments.summarize_plan(plan) == ["  + a.x", "-/+ a.y", "2 to add, 0 to change, 1 to destroy"]
    assert environments.has_changes(plan)
    assert not environments.has_changes({"resource_changes": [plan["resource_changes"][2]]})
