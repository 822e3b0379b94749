"""training-pipeline planned, then its example applied for real.

The plan (fast tier, the suite's shared plan): the pipeline's name, definition and parallelism, the pipeline
role's trust (this pipeline of this account) and statements (the steps' jobs by the names SageMaker Pipelines
gives them, registration into the project's group only, the job role passed to SageMaker only, the property
files), the job role's (read the inputs, write the artifacts with SSE-KMS only, its metrics and logs), and the
network statements only in a VPC. Its example's inventory, fmt, validate, README table, checkov and bad input
are test_static's.

The example applied (sandbox tier, one apply for the file): the pipeline reads back with its definition and
role; both roles proven both ways (issue 8): each role's calls succeed with its own credentials (a session
SageMaker hands out through the role's trust), every statement entry was the only allow of one of them, and
the role without that entry is refused that call with AccessDenied naming its action; then an empty re-plan
and a destroy that leaves nothing."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad import combined, scaffold
from launchpad.aws import AwsTarget
from launchpad.demo import training
from launchpad.demo.project import DEMO_ORGANISATION
from launchpad.errors import PipelineFailedError
from launchpad.inventory import account_inventory
from launchpad.paths import modules_dir
from launchpad.pipeline import commands
from launchpad.sandbox import control, workloads
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from launchpad.testing import Stack, assert_replan_empty, example_stack, update_stack
from tests import shared_plan
from tests.sandbox.support import outcome, refusal

# -- the plan --------------------------------------------------------------------------------------------
BASE = yaml.safe_load((Path(__file__).parent / "training-pipeline" / "validation_cases.yaml").read_text())[
    "base_vars"
]
KMS = BASE["kms"]
NETWORK = {"subnet_ids": ["subnet-0a1b2c3d4e5f60718"], "security_group_ids": ["sg-0a1b2c3d4e5f60718"]}
CALLS = {
    "plain": combined.Call(modules_dir() / "training-pipeline", BASE),
    "networked": combined.Call(
        modules_dir() / "training-pipeline",
        {
            **BASE,
            "name": "lp-churn-retrain",
            "model_package_group_name": "churn-models",
            "s3": {**BASE["s3"], "baselines": "s3://lp-platform-111122223333-model-artifacts/lp-churn/"},
            "network": NETWORK,
            "tags": {"owner": "ml-team"},
        },
    ),
}
for _name, _call in CALLS.items():
    shared_plan.register(f"training-pipeline:{_name}", _call)


@pytest.fixture
def planned(plan_parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each call's planned values by address."""
    return {
        name: {c["address"]: c["change"]["after"] for c in part["resource_changes"] if c["mode"] == "managed"}
        for name, part in ((name, plan_parts[f"training-pipeline:{name}"]) for name in CALLS)
    }


def _statements(policy: str) -> dict[str, dict[str, Any]]:
    return {
        s["Sid"]: {**s, "Action": sorted(as_list(s["Action"])), "Resource": sorted(as_list(s["Resource"]))}
        for s in json.loads(policy)["Statement"]
    }


def _trust(plan: dict[str, Any], role: str) -> dict[str, Any]:
    [statement] = json.loads(plan[f"aws_iam_role.{role}"]["assume_role_policy"])["Statement"]
    return dict(statement)


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_the_pipeline_is_named_after_the_project_and_runs_the_given_definition(
    planned: dict[str, dict[str, Any]],
) -> None:
    pipeline = planned["plain"]["aws_sagemaker_pipeline.this"]
    assert pipeline["pipeline_name"] == "lp-churn-training"
    assert json.loads(pipeline["pipeline_definition"]) == json.loads(BASE["pipeline_definition"])
    assert pipeline["parallelism_configuration"] == [{"max_parallel_execution_steps": 5}]
    assert planned["networked"]["aws_sagemaker_pipeline.this"]["pipeline_name"] == "lp-churn-retrain"


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_the_pipeline_role_creates_the_steps_jobs_and_registers_into_the_projects_group_only(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["plain"]
    trust = _trust(plan, "pipeline")
    account = trust["Condition"]["StringEquals"]["aws:SourceAccount"]
    arn = f"arn:aws:sagemaker:eu-west-1:{account}"
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert sorted(as_list(trust["Condition"]["ArnLike"]["aws:SourceArn"])) == [
        f"{arn}:pipeline/lp-churn-training",
        f"{arn}:pipeline/lp-churn-training/execution/*",
    ]
    statements = _statements(plan["aws_iam_role_policy.pipeline"]["policy"])
    assert list(statements) == [
        "RunProcessingSteps",
        "RunTrainingSteps",
        "RunTuningSteps",
        "TagStepJobs",
        "RegisterModelVersions",
        "PassJobRoleToSageMaker",
        "GrantVolumeKeyToStepJobs",
        "ReadPropertyFiles",
        "DecryptPropertyFilesThroughS3",
    ]
    assert statements["RunProcessingSteps"]["Resource"] == [f"{arn}:processing-job/pipelines-*"]
    assert statements["RunTrainingSteps"]["Resource"] == [f"{arn}:training-job/pipelines-*"]
    # a tuning job's name has no fixed prefix: this account and region
    assert statements["RunTuningSteps"]["Resource"] == [f"{arn}:hyper-parameter-tuning-job/*"]
    assert statements["RegisterModelVersions"] == {
        "Sid": "RegisterModelVersions",
        "Effect": "Allow",
        "Action": ["sagemaker:CreateModelPackage"],
        "Resource": [f"{arn}:model-package/lp-churn/*"],
    }
    passing = statements["PassJobRoleToSageMaker"]
    assert passing["Resource"] == [f"arn:aws:iam::{account}:role/lp-churn-training-job"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert statements["ReadPropertyFiles"]["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-model-artifacts/lp-churn/pipeline/artifacts/*"
    ]
    assert statements["DecryptPropertyFilesThroughS3"]["Resource"] == [KMS["artifacts"]]
    assert statements["DecryptPropertyFilesThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    }
    other = _statements(planned["networked"]["aws_iam_role_policy.pipeline"]["policy"])
    assert other["RegisterModelVersions"]["Resource"] == [f"{arn}:model-package/churn-models/*"]


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_the_job_role_reads_its_inputs_and_only_writes_encrypted_artifacts(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["plain"]
    trust = _trust(plan, "job")
    account = trust["Condition"]["StringEquals"]["aws:SourceAccount"]
    arn = f"arn:aws:sagemaker:eu-west-1:{account}"
    assert sorted(as_list(trust["Condition"]["ArnLike"]["aws:SourceArn"])) == [
        f"{arn}:processing-job/pipelines-*",
        f"{arn}:training-job/*",
    ]
    statements = _statements(plan["aws_iam_role_policy.job"]["policy"])
    assert list(statements) == [
        "ListInputPrefixes",
        "ReadTrainingData",
        "ReadCode",
        "WriteArtifacts",
        "DecryptInputsThroughS3",
        "EncryptArtifactsThroughS3",
        "PublishJobMetrics",
        "WriteJobLogs",
        "DescribeTunedTrainingJobs",
    ]
    assert sorted(as_list(statements["ListInputPrefixes"]["Condition"]["StringLike"]["s3:prefix"])) == [
        "lp-churn/pipeline/code/*",
        "lp-churn/training/*",
    ]
    assert statements["ReadTrainingData"]["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-data/lp-churn/training/*"
    ]
    write = statements["WriteArtifacts"]
    assert write["Action"] == ["s3:PutObject"]
    assert write["Condition"] == {
        "StringEquals": {
            "s3:x-amz-server-side-encryption": "aws:kms",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": KMS["artifacts"],
        }
    }
    assert not [s for s in statements.values() if "s3:DeleteObject" in s["Action"]]
    assert statements["DecryptInputsThroughS3"]["Resource"] == sorted(KMS["data"])
    assert statements["EncryptArtifactsThroughS3"]["Action"] == ["kms:GenerateDataKey"]
    assert sorted(
        as_list(statements["PublishJobMetrics"]["Condition"]["StringEquals"]["cloudwatch:namespace"])
    ) == ["/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TrainingJobs"]
    assert statements["WriteJobLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{account}:log-group:/aws/sagemaker/ProcessingJobs:log-stream:pipelines-*",
        f"arn:aws:logs:eu-west-1:{account}:log-group:/aws/sagemaker/TrainingJobs:log-stream:*",
    ]
    assert statements["DescribeTunedTrainingJobs"]["Action"] == ["sagemaker:DescribeTrainingJob"]


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_in_a_vpc_the_job_role_manages_network_interfaces_in_its_subnets_only(
    planned: dict[str, dict[str, Any]],
) -> None:
    statements = _statements(planned["networked"]["aws_iam_role_policy.job"]["policy"])
    account = _trust(planned["networked"], "job")["Condition"]["StringEquals"]["aws:SourceAccount"]
    ec2 = f"arn:aws:ec2:eu-west-1:{account}"
    assert statements["CreateJobNetworkInterfaces"]["Resource"] == [
        f"{ec2}:network-interface/*",
        f"{ec2}:security-group/sg-0a1b2c3d4e5f60718",
        f"{ec2}:subnet/subnet-0a1b2c3d4e5f60718",
    ]
    assert statements["ManageJobNetworkInterfaces"]["Condition"] == {
        "ArnEquals": {"ec2:Subnet": f"{ec2}:subnet/subnet-0a1b2c3d4e5f60718"}
    }
    assert statements["ReadBaselines"]["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-model-artifacts/lp-churn/*/baseline/*"
    ]
    plain = _statements(planned["plain"]["aws_iam_role_policy.job"]["policy"])
    assert not {"DescribeNetwork", "CreateJobNetworkInterfaces", "ManageJobNetworkInterfaces"} & set(plain)


# -- the example applied ---------------------------------------------------------------------------------
BUCKET = f"lp-training-{uuid.uuid4().hex[:10]}"
PROJECT = "lp-churn"
stack = example_stack("training-pipeline", tf_vars={"bucket": BUCKET, "name": PROJECT})


def _prefix(kind: str) -> str:
    return {
        "training_data": f"{PROJECT}/training-data/",
        "code": f"{PROJECT}/pipeline/code/",
        "artifacts": f"{PROJECT}/pipeline/executions/",
        "baselines": f"{PROJECT}/versions/",
    }[kind]


def _sourcedir() -> bytes:
    """The project's sourcedir.tar.gz: an entry that prints its metric and ends."""
    script = b"import time\ntime.sleep(20)\nprint('final validation:auc=0.91')\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("train_job.py")
        info.size = len(script)
        archive.addfile(info, io.BytesIO(script))
    return buffer.getvalue()


class Platform:
    """What the platform holds for the pipeline: the bucket's objects (SSE-KMS with the data key), the model
    registry group; removed again before the destroy."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.closed = False
        self.key = stack.outputs["data_key_arn"]
        self.group = stack.outputs["model_package_group_name"]
        s3 = stack.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": stack.target.region})
        self.objects = {
            "training_data": _prefix("training_data") + "part-0.csv",
            "code": _prefix("code") + "sourcedir.tar.gz",
            "baselines": _prefix("baselines") + "1.0.0/baseline/statistics.json",
            "property_file": _prefix("artifacts") + "exec-1/evaluation/evaluation.json",
        }
        bodies = {
            "training_data": b"tenure,churned\n3,1\n40,0\n",
            "code": _sourcedir(),
            "baselines": b"{}",
            "property_file": json.dumps({"metrics": {"auc": {"mean": 0.9, "std": 0.01}}}).encode(),
        }
        for kind, key in self.objects.items():
            s3.put_object(
                Bucket=BUCKET,
                Key=key,
                Body=bodies[kind],
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.key,
            )
        stack.client("sagemaker").create_model_package_group(ModelPackageGroupName=self.group)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        sagemaker, s3 = self.stack.client("sagemaker"), self.stack.client("s3")
        for summary in sagemaker.list_model_packages(ModelPackageGroupName=self.group)[
            "ModelPackageSummaryList"
        ]:
            sagemaker.delete_model_package(ModelPackageName=summary["ModelPackageArn"])
        sagemaker.delete_model_package_group(ModelPackageGroupName=self.group)
        for version in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=version["Key"])
        s3.delete_bucket(Bucket=BUCKET)


@pytest.fixture(scope="module")
def platform(stack: Stack) -> Iterator[Platform]:
    if not stack.target.is_sandbox:
        pytest.skip("the proofs read the sandbox's record of who was allowed what")
    made = Platform(stack)
    try:
        yield made
    finally:
        made.close()


def test_the_pipeline_reads_back_with_its_definition_and_role(stack: Stack) -> None:
    described = stack.client("sagemaker").describe_pipeline(PipelineName=stack.outputs["pipeline_name"])
    assert described["PipelineArn"] == stack.outputs["pipeline_arn"]
    assert described["RoleArn"] == stack.outputs["pipeline_role_arn"]
    assert json.loads(described["PipelineDefinition"])["Version"] == "2020-12-01"


def test_the_roles_are_taken_only_for_their_pipeline_and_its_jobs(stack: Stack, platform: Platform) -> None:
    target = stack.target
    other = stack.outputs["pipeline_arn"].replace(":pipeline/", ":pipeline/other-")
    with pytest.raises(control.Refused):
        workloads.service_session(
            target, stack.outputs["pipeline_role_arn"], "sagemaker.amazonaws.com", other
        )
    job = f"arn:aws:sagemaker:{target.region}:{target.account_id}:processing-job/monitor-1"
    with pytest.raises(control.Refused):
        workloads.service_session(target, stack.outputs["job_role_arn"], "sagemaker.amazonaws.com", job)


# -- the pipeline's role: what SageMaker Pipelines calls as it while it runs an execution --------------------
def _execution() -> str:
    return uuid.uuid4().hex[:12]


def _pipeline_session(stack: Stack) -> AwsTarget:
    return workloads.service_session(
        stack.target,
        stack.outputs["pipeline_role_arn"],
        "sagemaker.amazonaws.com",
        f"{stack.outputs['pipeline_arn']}/execution/{_execution()}",
    )


TAGS: list[Any] = [{"Key": "launchpad:project", "Value": PROJECT}]


def _processing_request(stack: Stack, name: str) -> dict[str, Any]:
    return {
        "ProcessingJobName": name,
        "RoleArn": stack.outputs["job_role_arn"],
        "AppSpecification": {
            "ImageUri": prebuilt_image(stack.target.region, "1.2-1"),
            "ContainerEntrypoint": ["python3", "-c", "import time; time.sleep(30)"],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 30,
                "VolumeKmsKeyId": stack.outputs["data_key_arn"],
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "Tags": TAGS,
    }


def _training_definition(stack: Stack) -> dict[str, Any]:
    uri = f"s3://{BUCKET}/"
    return {
        "AlgorithmSpecification": {
            "TrainingImage": prebuilt_image(stack.target.region, "1.2-1"),
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:auc", "Regex": "validation:auc=([0-9.]+)"}],
        },
        "RoleArn": stack.outputs["job_role_arn"],
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": uri + _prefix("training_data"),
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {
            "S3OutputPath": uri + _prefix("artifacts") + "models/",
            "KmsKeyId": KEY_PLACEHOLDER,
        },
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


KEY_PLACEHOLDER = "<data key>"


def _training(stack: Stack, platform: Platform) -> dict[str, Any]:
    definition = json.loads(json.dumps(_training_definition(stack)).replace(KEY_PLACEHOLDER, platform.key))
    definition["HyperParameters"] = {
        "sagemaker_program": "train_job.py",
        "sagemaker_submit_directory": f"s3://{BUCKET}/{platform.objects['code']}",
        "sagemaker_region": stack.target.region,
        "sagemaker_container_log_level": "20",
        "max_depth": "3",
    }
    return definition


class PipelineCalls:
    """The calls SageMaker Pipelines makes as the pipeline's role, one function per action. Stop* may meet
    a job that has already ended (ValidationException), which is still a call the role was allowed."""

    def __init__(self, stack: Stack, platform: Platform) -> None:
        self.stack, self.platform = stack, platform
        self.session = _pipeline_session(stack)
        self.sagemaker = self.session.client("sagemaker")
        self.jobs: dict[str, str] = {}

    def create_processing(self) -> None:
        name = f"pipelines-{_execution()}-ValidateData-{uuid.uuid4().hex[:10]}"
        self.sagemaker.create_processing_job(**_processing_request(self.stack, name))
        self.jobs["processing"] = name

    def create_training(self) -> None:
        name = f"pipelines-{_execution()}-Train-{uuid.uuid4().hex[:10]}"
        self.sagemaker.create_training_job(
            TrainingJobName=name, Tags=TAGS, **_training(self.stack, self.platform)
        )
        self.jobs["training"] = name

    def create_tuning(self) -> None:
        name = f"{_execution()}-Tune-{uuid.uuid4().hex[:10]}"[:32]
        definition: Any = _training(self.stack, self.platform)
        self.sagemaker.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name,
            HyperParameterTuningJobConfig={
                "Strategy": "Random",
                "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
                "ParameterRanges": {
                    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "5"}]
                },
            },
            TrainingJobDefinition={  # type: ignore[arg-type]
                "StaticHyperParameters": {
                    k: v for k, v in definition.pop("HyperParameters").items() if k != "max_depth"
                },
                **definition,
            },
            Tags=TAGS,
        )
        self.jobs["tuning"] = name

    def register(self) -> None:
        self.sagemaker.create_model_package(
            ModelPackageGroupName=self.platform.group,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": prebuilt_image(self.stack.target.region, "1.2-1"),
                        "ModelDataUrl": f"s3://{BUCKET}/{_prefix('artifacts')}models/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
        )

    def read_property_file(self) -> None:
        self.session.client("s3").get_object(Bucket=BUCKET, Key=self.platform.objects["property_file"])

    def calls(self) -> dict[str, Callable[[], Any]]:
        """Each action the role is granted, and the call that needs it (creates first: the rest use their
        jobs)."""
        sagemaker, jobs = self.sagemaker, self.jobs
        return {
            "sagemaker:CreateProcessingJob": self.create_processing,
            "sagemaker:CreateTrainingJob": self.create_training,
            "sagemaker:CreateHyperParameterTuningJob": self.create_tuning,
            "sagemaker:AddTags": self.create_processing,
            "iam:PassRole": self.create_processing,
            "kms:CreateGrant": self.create_processing,
            "sagemaker:CreateModelPackage": self.register,
            "s3:GetObject": self.read_property_file,
            "kms:Decrypt": self.read_property_file,
            "sagemaker:DescribeProcessingJob": lambda: sagemaker.describe_processing_job(
                ProcessingJobName=jobs["processing"]
            ),
            "sagemaker:DescribeTrainingJob": lambda: sagemaker.describe_training_job(
                TrainingJobName=jobs["training"]
            ),
            "sagemaker:DescribeHyperParameterTuningJob": lambda: (
                sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=jobs["tuning"])
            ),
            "sagemaker:StopProcessingJob": lambda: sagemaker.stop_processing_job(
                ProcessingJobName=jobs["processing"]
            ),
            "sagemaker:StopTrainingJob": lambda: sagemaker.stop_training_job(
                TrainingJobName=jobs["training"]
            ),
            "sagemaker:StopHyperParameterTuningJob": lambda: sagemaker.stop_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=jobs["tuning"]
            ),
        }


# Calls the sandbox may answer with something other than success once authorized: a Stop of a job that
# already ended (AWS: ValidationException), or an operation moto does not implement yet.
TOLERATED = {
    "sagemaker:StopProcessingJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:StopHyperParameterTuningJob",
}


def _run_all(calls: dict[str, Callable[[], Any]]) -> dict[str, str]:
    done: dict[str, str] = {}
    seen: set[int] = set()
    for action, call in calls.items():
        if id(call) in seen:
            continue
        seen.add(id(call))
        done[action] = outcome(call)
    return done


def _prove_both_ways(
    target: AwsTarget, role_arn: str, calls: dict[str, Callable[[], Any]], tolerated: set[str]
) -> None:
    """The calls succeed as the role, every statement entry of the role was the only allow of one of them,
    and the role without that entry is refused its call with AccessDenied naming the action."""
    workloads.clear_usage(target, role_arn)
    results = _run_all(calls)
    failed = {a: code for a, code in results.items() if code != "ok" and a not in tolerated}
    assert not failed, failed
    assert "AccessDenied" not in results.values(), results
    evidence = workloads.evidence(target, role_arn)
    assert evidence.proven, evidence.describe()
    role = role_arn.rsplit("/", 1)[1]
    proven = set()
    for entry, (action, _) in evidence.necessary.items():
        call = calls[action]
        workloads.clear_usage(target, role_arn)
        with workloads.without(target, role, entry):
            refused = refusal(call)
        assert "AccessDenied" in refused and action in refused, (entry, refused)
        assert action in {d["action"] for d in workloads.usage(target, role_arn)["denied"]}, entry
        proven.add(action)
    assert proven == set(calls), sorted(set(calls) - proven)


def test_the_pipeline_role_is_proven_both_ways(stack: Stack, platform: Platform) -> None:
    pipeline = PipelineCalls(stack, platform)
    _prove_both_ways(stack.target, stack.outputs["pipeline_role_arn"], pipeline.calls(), TOLERATED)
    # outside the project's group, or the pipeline's jobs, nothing
    other = pipeline.sagemaker
    stack.client("sagemaker").create_model_package_group(ModelPackageGroupName="other-project")
    try:
        assert (
            outcome(lambda: other.create_model_package(ModelPackageGroupName="other-project"))
            == "AccessDenied"
        )
    finally:
        stack.client("sagemaker").delete_model_package_group(ModelPackageGroupName="other-project")
    request = _processing_request(stack, "monitor-1")
    assert outcome(lambda: other.create_processing_job(**request)) == "AccessDenied"


# -- the jobs' role: what SageMaker and the steps' code call as it -------------------------------------------
class JobCalls:
    """The calls a step's job makes as the job role (SageMaker's downloads and uploads, the container's own
    calls), one function per action."""

    def __init__(self, stack: Stack, platform: Platform, tuned_job: str) -> None:
        self.stack, self.platform = stack, platform
        target = stack.target
        source = (
            f"arn:aws:sagemaker:{target.region}:{target.account_id}:processing-job/pipelines-{_execution()}-x"
        )
        self.session = workloads.service_session(
            target, stack.outputs["job_role_arn"], "sagemaker.amazonaws.com", source
        )
        self.s3 = self.session.client("s3")
        self.tuned_job = tuned_job
        self.stream = f"pipelines-{_execution()}-ValidateData-x/algo-1-1700000000"

    def list_inputs(self) -> None:
        for kind in ("training_data", "code", "baselines"):
            self.s3.list_objects_v2(Bucket=BUCKET, Prefix=_prefix(kind))

    def read(self, kind: str) -> Callable[[], Any]:
        return lambda: self.s3.get_object(Bucket=BUCKET, Key=self.platform.objects[kind])["Body"].read()

    def write_artifact(self) -> None:
        self.s3.put_object(
            Bucket=BUCKET,
            Key=_prefix("artifacts") + "exec-2/report/report.json",
            Body=b"{}",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.platform.key,
        )

    def put_metrics(self) -> None:
        self.session.client("cloudwatch").put_metric_data(
            Namespace="/aws/sagemaker/TrainingJobs",
            MetricData=[
                {
                    "MetricName": "validation:auc",
                    "Value": 0.9,
                    "Dimensions": [{"Name": "Host", "Value": "algo-1"}],
                }
            ],
        )

    def create_stream(self) -> None:
        self.session.client("logs").create_log_stream(
            logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName=self.stream
        )

    def put_log(self) -> None:
        self.session.client("logs").put_log_events(
            logGroupName="/aws/sagemaker/ProcessingJobs",
            logStreamName=self.stream,
            logEvents=[{"timestamp": 1_700_000_000_000, "message": "validated"}],
        )

    def calls(self) -> dict[str, Callable[[], Any]]:
        return {
            "s3:ListBucket": self.list_inputs,
            "s3:GetObject": self.read("training_data"),
            "kms:Decrypt": self.read("training_data"),
            "s3:PutObject": self.write_artifact,
            "kms:GenerateDataKey": self.write_artifact,
            "cloudwatch:PutMetricData": self.put_metrics,
            "logs:CreateLogStream": self.create_stream,
            "logs:PutLogEvents": self.put_log,
            "sagemaker:DescribeTrainingJob": lambda: self.session.client("sagemaker").describe_training_job(
                TrainingJobName=self.tuned_job
            ),
        }


def test_the_job_role_is_proven_both_ways(stack: Stack, platform: Platform) -> None:
    target, role_arn = stack.target, stack.outputs["job_role_arn"]
    tuned = f"{_execution()}-Tune-abc-001-0a1b2c3d"
    stack.client("sagemaker").create_training_job(TrainingJobName=tuned, **_training(stack, platform))
    jobs = JobCalls(stack, platform, tuned)
    # Three statements allow s3:GetObject, each on its own prefix: each is proven by its own read.
    reads = {"ReadTrainingData": "training_data", "ReadCode": "code", "ReadBaselines": "baselines"}
    workloads.clear_usage(target, role_arn)
    results = _run_all(jobs.calls()) | {sid: outcome(jobs.read(kind)) for sid, kind in reads.items()}
    assert set(results.values()) == {"ok"}, results
    evidence = workloads.evidence(target, role_arn)
    assert evidence.proven, evidence.describe()
    role = role_arn.rsplit("/", 1)[1]
    calls = jobs.calls()
    for entry, (action, _) in evidence.necessary.items():
        sid = entry.statement.removeprefix('Sid "').rstrip('"')
        call = jobs.read(reads[sid]) if sid in reads else calls[action]
        workloads.clear_usage(target, role_arn)
        with workloads.without(target, role, entry):
            refused = refusal(call)
        assert "AccessDenied" in refused and action in refused, (entry, refused)
    # the artifacts are written, never read back or written unencrypted
    key = _prefix("artifacts") + "exec-2/report/report.json"
    assert outcome(lambda: jobs.s3.get_object(Bucket=BUCKET, Key=key)) == "AccessDenied"
    assert outcome(lambda: jobs.s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")) == "AccessDenied"


# -- a baked project's own pipeline, run ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def project(stack: Stack, platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A baked scikit-learn project named after the example (lp-churn), its data, code and definition
    ready (demo.training.prepare), and the example updated to that definition (a team's build, Terraform)."""
    workdir = tmp_path_factory.mktemp("project")
    answers = {"project_name": "LP Churn", "framework": "sklearn", **DEMO_ORGANISATION}
    baked = scaffold.bake(workdir, answers, replay_dir=workdir / ".cookiecutter")
    region, account = stack.target.region, stack.outputs["job_role_arn"].split(":")[4]
    values = {
        "region": region,
        "serving_image": f"{account}.dkr.ecr.{region}.amazonaws.com/{PROJECT}:0.1.0",
        "artifact_bucket": BUCKET,
        "artifact_prefix": f"{PROJECT}/pipeline",
        "kms_key_arn": platform.key,
        "job_role_arn": stack.outputs["job_role_arn"],
        "model_package_group": platform.group,
        "training_data": f"s3://{BUCKET}/{_prefix('training_data')}v2/",
    }
    prepared = training.prepare(stack.target, baked, values, workdir)
    stack.update_vars = {"pipeline_definition": prepared.definition}
    update_stack(stack, lambda _: None)
    yield prepared


def test_a_baked_projects_pipeline_validates_tunes_cross_validates_and_registers(
    stack: Stack, project: Any
) -> None:
    sagemaker = stack.client("sagemaker")
    assert json.loads(sagemaker.describe_pipeline(PipelineName=project.pipeline)["PipelineDefinition"]) == (
        json.loads(project.definition)
    )
    execution = commands.start(sagemaker, project.pipeline, {"MaxTrainingJobs": "4"})
    run = training.follow(stack.target, execution, timeout=600)
    assert [(s["StepName"], s["StepStatus"]) for s in run.steps] == [
        ("ValidateData", "Succeeded"),
        ("Tune", "Succeeded"),
        ("CrossValidate", "Succeeded"),
        ("CheckEvaluation", "Succeeded"),
        ("Register", "Succeeded"),
    ]
    assert run.step("CheckEvaluation")["Metadata"]["Condition"]["Outcome"] == "True"
    # the tuner ran the project's train_job.py four times, two at once, and kept the best by validation:auc
    counters = run.tuning["TrainingJobStatusCounters"]
    assert counters["Completed"] + counters["Stopped"] == 4 and counters["NonRetryableError"] == 0, counters
    best = run.tuning["BestTrainingJob"]
    assert set(best["TunedHyperParameters"]) == {"learning_rate", "max_depth", "n_estimators"}
    assert run.evaluation["best_training_job"] == best["TrainingJobName"]
    assert (
        run.evaluation["metrics"]["auc"]["mean"] >= 0.8
        and len(run.evaluation["metrics"]["auc"]["folds"]) == 5
    )
    package = run.package
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"].endswith(f"/models/{best['TrainingJobName']}/output/model.tar.gz")
    bucket, _, key = container["ModelDataUrl"].removeprefix("s3://").partition("/")
    assert stack.client("s3").head_object(Bucket=bucket, Key=key)["ServerSideEncryption"] == "aws:kms"
    assert package["ModelCard"]["ModelCardStatus"] == "Draft"
    assert "DriftCheckBaselines" in package and "Bias" in package["ModelMetrics"]


def test_bad_training_data_fails_validate_data_naming_the_column_and_nothing_trains(
    stack: Stack, project: Any
) -> None:
    broken = f"{_prefix('training_data')}broken/"
    body = b"tenure_years,segment,churned\n1.0,a,1\n2.0,b,0\n"
    stack.client("s3").put_object(
        Bucket=BUCKET,
        Key=f"{broken}train.csv",
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=stack.outputs["data_key_arn"],
    )
    sagemaker = stack.client("sagemaker")
    execution = commands.start(sagemaker, project.pipeline, {"TrainingData": f"s3://{BUCKET}/{broken}"})
    with pytest.raises(PipelineFailedError) as failed:
        training.follow(stack.target, execution, timeout=300)
    message = str(failed.value)
    assert "ValidateData" in message and "monthly_charges" in message, message
    listed = commands.steps(sagemaker, execution)
    assert [(s["StepName"], s["StepStatus"]) for s in listed] == [("ValidateData", "Failed")]


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack, platform: Platform) -> None:
    platform.close()
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
