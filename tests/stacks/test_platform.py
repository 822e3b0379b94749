"""terraform/platform applied for real with envs/sandbox.tfvars: every piece of an environment, read back
with boto3; the re-plan is empty; the destroy leaves nothing."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.demo import ProjectDemo, describe_platform
from launchpad.demo.project import DRIFTED_REQUESTS
from launchpad.deploy.engine import DeployResult, deploy
from launchpad.deploy.preflight import caller_account, capture_problems
from launchpad.deploy.resources import alarm_names
from launchpad.deploy.rollback import rollback
from launchpad.deploy.status import read_status
from launchpad.environments import Environment
from launchpad.errors import LaunchpadError
from launchpad.inventory import account_inventory
from launchpad.sandbox import workloads
from launchpad.testing import Stack, applied_stack, assert_replan_empty

SANDBOX = Environment("sandbox")  # its var file force-destroys buckets: the sandbox writes access logs
stack = applied_stack(SANDBOX.stack_dir, "lp-plat", var_file=SANDBOX.var_file)

DOMAINS = {"data", "models", "capture", "logs", "pipeline"}
BUCKET_KEYS = {"data": "data", "model-artifacts": "models", "data-capture": "capture", "feedback": "data"}


def _project(stack: Stack) -> dict:
    return stack.outputs["model_projects"]["demo-model"]


def test_one_rotating_key_per_data_domain(stack: Stack) -> None:
    keys = stack.outputs["kms_key_arns"]
    assert set(keys) == DOMAINS and len(set(keys.values())) == len(DOMAINS)
    kms = stack.client("kms")
    for arn in keys.values():
        assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"]


def test_buckets_use_their_domain_key_and_log_to_the_access_log_bucket(stack: Stack) -> None:
    s3 = stack.client("s3")
    names = stack.outputs["bucket_names"]
    for bucket, domain in BUCKET_KEYS.items():
        rule = s3.get_bucket_encryption(Bucket=names[bucket])["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": stack.outputs["kms_key_arns"][domain],
        }
        assert s3.get_bucket_versioning(Bucket=names[bucket])["Status"] == "Enabled"
        logging = s3.get_bucket_logging(Bucket=names[bucket])["LoggingEnabled"]
        assert logging["TargetBucket"] == names["access-logs"]
        policy = json.loads(s3.get_bucket_policy(Bucket=names[bucket])["Policy"])
        assert any(
            s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool") == {"aws:SecureTransport": "false"}
            for s in policy["Statement"]
        )


def test_network_endpoints_and_keys_read_back_as_the_demo_shows_them(stack: Stack) -> None:
    lines = describe_platform(stack.target, stack.outputs)
    # S3's gateway and the eight of SageMaker hosting and the deploy steps (the retrain function's too)
    assert any(line.endswith("(0 public), 9 endpoints, flow logs ACTIVE") for line in lines), lines
    assert sum("rotation on" in line for line in lines) == len(DOMAINS)
    assert any(line.startswith("pipeline ") and "Approve-production" in line for line in lines), lines


def test_monitoring_topic_and_endpoint_log_groups_use_the_logs_key(stack: Stack) -> None:
    logs_key = stack.outputs["kms_key_arns"]["logs"]
    topic = stack.client("sns").get_topic_attributes(TopicArn=stack.outputs["monitoring_topic_arn"])
    assert topic["Attributes"]["KmsMasterKeyId"] == logs_key
    groups = stack.outputs["endpoint_log_group_names"]
    assert set(groups) == {"demo-model-staging", "demo-model-production"}
    logs = stack.client("logs")
    for name in groups.values():
        [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        assert (group["kmsKeyId"], group["retentionInDays"]) == (logs_key, 30)  # sandbox.tfvars


def test_pipeline_runs_builds_in_the_private_subnets_behind_an_approval(stack: Stack) -> None:
    project = _project(stack)
    pipeline = stack.client("codepipeline").get_pipeline(name=project["pipeline_name"])["pipeline"]
    assert [s["name"] for s in pipeline["stages"]] == project["pipeline_stages"]
    assert "Approve-production" in project["pipeline_stages"]
    assert pipeline["artifactStore"]["encryptionKey"]["id"] == stack.outputs["kms_key_arns"]["pipeline"]
    builds = stack.client("codebuild").batch_get_projects(
        names=list(project["codebuild_project_names"].values())
    )["projects"]
    assert len(builds) == 5
    for build in builds:
        assert build["vpcConfig"]["vpcId"] == stack.outputs["vpc_id"]
        assert sorted(build["vpcConfig"]["subnets"]) == sorted(stack.outputs["private_subnet_ids"])
        variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
        assert variables["LP_ENVIRONMENT"] == "sandbox"
        assert variables["LP_MIN_INSTANCE_COUNT"] == "2"


def test_registry_lets_the_staging_deploy_publish_and_the_production_deploy_read(stack: Stack) -> None:
    project = _project(stack)
    group = project["model_package_group_name"]
    policy = json.loads(
        stack.client("sagemaker").get_model_package_group_policy(ModelPackageGroupName=group)[
            "ResourcePolicy"
        ]
    )
    statements = {s["Sid"]: s for s in policy["Statement"]}
    publisher = json.dumps(statements["PublishModelVersions"]["Principal"])
    reader = json.dumps(statements["ReadModelVersions"]["Principal"])
    assert "deploy-staging" in publisher and "deploy-production" in reader


def test_execution_role_reaches_only_the_model_and_capture_buckets(stack: Stack) -> None:
    iam = stack.client("iam")
    role = _project(stack)["sagemaker_role_name"]
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
        for n in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    text = json.dumps(documents)
    names = stack.outputs["bucket_names"]
    assert names["model-artifacts"] in text and names["data-capture"] in text
    assert names["data"] not in text.replace(names["data-capture"], "")
    assert names["feedback"] not in text and names["access-logs"] not in text
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


AUTOSCALING_SERVICE_LINKED_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"


class FakeClock:
    """Prod's bake (300 s and more) on a clock that sleeps a little for real and advances a lot."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        time.sleep(0.02)
        self.now += seconds


def _alarms_clear(target: AwsTarget, endpoint: str) -> None:
    """Wait until no rollback alarm of ``endpoint`` is in ALARM (v2's 5xx are over: its rate alarm clears
    three quiet periods later), as a team waits before the next update."""
    cloudwatch = target.client("cloudwatch")

    def clear() -> bool:
        alarms = cloudwatch.describe_alarms(AlarmNames=alarm_names(endpoint))["MetricAlarms"]
        return all(a["StateValue"] != "ALARM" for a in alarms)

    workloads.poll(clear, 60, 0.2, f"the rollback alarms of {endpoint} to leave ALARM")


def _operate_staging(demo: ProjectDemo, target: AwsTarget) -> dict[str, DeployResult]:
    """More of what a Deploy-staging build runs, in a build session of its role: v2 (its guard rolled it
    back under traffic; idle, it serves) on a bigger instance type (the variant's autoscaling is released
    and given back), then ``launchpad rollback`` to v1 (the previous-config tag)."""
    project = demo.outputs["model_projects"][demo.name]
    _alarms_clear(target, demo.endpoint)
    build = workloads.start_build(target, project["codebuild_project_names"]["deploy-staging"])
    try:
        bigger = demo.stage_config("staging", "v2", {"compute": {"instance_type": "ml.m5.xlarge"}})
        results = {"v2 bigger": deploy(bigger, build.target, poll_interval=0.1, timeout=300)}
        results["rollback"] = rollback(bigger, build.target, poll_interval=0.1, timeout=300)
    finally:
        workloads.complete_build(target, build)
    return results


def _operate_production(demo: ProjectDemo, target: AwsTarget) -> dict[str, DeployResult]:
    """More of what a Deploy-production build runs, in a build session of its role, on the production
    endpoint the pipeline shipped v1 to: a bigger instance type and ``launchpad rollback`` (prod's whole bake
    on a fake clock)."""
    project = demo.outputs["model_projects"][demo.name]
    build = workloads.start_build(target, project["codebuild_project_names"]["deploy-production"])
    clock = FakeClock()
    waits = {"poll_interval": 10, "timeout": 7200, "clock": clock, "sleep": clock.sleep}
    try:
        bigger = demo.stage_config("prod", "v1", {"compute": {"instance_type": "ml.m5.2xlarge"}})
        results = {"production bigger": deploy(bigger, build.target, **waits)}
        results["production rollback"] = rollback(bigger, build.target, poll_interval=0.1, timeout=300)
    finally:
        workloads.complete_build(target, build)
    return results


def _retrain_dead_letter(stack: Stack) -> None:
    """The retrain function's failure path, as its role: an event that is no alarm event (a JSON list) fails
    the function three times (Lambda's two retries), then Lambda sends it to the dead-letter queue, encrypted
    with the queue's key; the letter is read back and deleted."""
    function = _project(stack)["monitoring"]["retrain_function_name"]
    lam, sqs = stack.client("lambda"), stack.client("sqs")
    queue = lam.get_function_configuration(FunctionName=function)["DeadLetterConfig"]["TargetArn"]
    url = sqs.get_queue_url(QueueName=queue.rsplit(":", 1)[1])["QueueUrl"]
    lam.invoke(FunctionName=function, InvocationType="Event", Payload=b"[]")

    def letter() -> dict[str, Any] | None:
        found = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]).get("Messages", [])
        return found[0] if found else None

    received = workloads.poll(letter, 60, 0.2, f"the dead letter in {queue}")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])
    assert json.loads(received["Body"]) == [], received
    assert "has no attribute 'get'" in received["MessageAttributes"]["ErrorMessage"]["StringValue"], received


def _ship(demo: ProjectDemo, target: AwsTarget) -> dict[str, str]:
    """The demo's project steps, in order. Production in an account of its own has no auto scaling
    service-linked role yet: it is deleted before Deploy-production, whose role then creates it."""
    results = {}
    for title, action in demo.steps():
        if action == demo.approve_v1 and target.is_sandbox:
            target.client("iam").delete_service_linked_role(RoleName=AUTOSCALING_SERVICE_LINKED_ROLE)
        if action == demo.teardown:
            break
        results[title] = action()
    return results


def _workload_roles(stack: Stack) -> dict[str, str]:
    project = _project(stack)
    roles = {
        "execution": project["sagemaker_role_arn"],
        "pipeline": project["pipeline_role_arn"],
        "source trigger": project["events_role_arn"],
        "flow logs": stack.outputs["flow_logs_role_arn"],
    }
    roles.update({f"codebuild {step}": arn for step, arn in project["codebuild_role_arns"].items()})
    monitoring = project["monitoring"]
    roles.update(
        {
            "monitor job": monitoring["job_role_arn"],
            "monitor scheduler": monitoring["scheduler_role_arn"],
            "retrain": monitoring["retrain_role_arn"],
        }
    )
    return roles


def test_a_baked_model_project_ships_through_the_platform_and_its_canary_rolls_back(
    stack: Stack, tmp_path: Path
) -> None:
    """The demo's project on this applied platform: bake, release v1 by uploading its source (EventBridge
    starts the pipeline; every step runs the project's buildspec with its role's own credentials: tests and
    training, policy, staging deploy, integration test), approve, Deploy-production; then v2, whose canary
    answers the demo's clients with 500s, rolls back on its own CloudWatch alarm and fails the pipeline at
    Deploy-staging; v1 answers again; tear down."""
    image = os.environ.get("LAUNCHPAD_AWS_IMAGE_URI")
    if not stack.target.is_sandbox and not image:
        pytest.skip("set LAUNCHPAD_AWS_IMAGE_URI to the demo_model project's image in ECR (make image)")
    # The retraining is started, and stopped: make demo runs it to production (its pipeline's run is
    # tests/modules/test_training_pipeline.py's).
    demo = ProjectDemo(
        stack.target, stack.outputs, tmp_path, image_uri=image, timeout=900, retrain_fully=False
    )
    extra: dict[str, DeployResult] = {}
    try:
        results = _ship(demo, stack.target)
        if stack.target.is_sandbox:  # more of what the deploy steps' roles run, in build sessions
            extra = _operate_staging(demo, stack.target)
            extra.update(_operate_production(demo, stack.target))
            _retrain_dead_letter(stack)  # and the retrain role's failure path
        results["teardown"] = demo.teardown()
    finally:
        demo.close()
        demo.cleanup()
    assert len(results) == 13, list(results)
    v1, v2 = demo.releases["v1"], demo.releases["v2"]
    ran = {d["stageName"]: d["status"] for d in v1.actions}
    assert v1.status == "Succeeded" and set(ran.values()) == {"Succeeded"}, v1.summary()
    assert set(ran) == set(_project(stack)["pipeline_stages"]), v1.summary()
    failed = v2.failed_action()
    assert v2.status == "Failed" and failed is not None, v2.summary()
    assert failed["stageName"] == "Deploy-staging", v2.summary()
    error = failed["output"]["executionResult"]["errorDetails"]["message"]
    assert error.startswith("Build terminated with state: FAILED. Phase: BUILD, Code: COMMAND_EXECUTION_")
    assert not {"Integration-test", "Approve-production"} & {d["stageName"] for d in v2.actions}
    assert demo.answers["after rollback via endpoint"] == demo.answers["v1 via endpoint"]
    assert demo.traffic is not None, "v2 was released without traffic"
    assert demo.traffic.answers.get("ModelError 500", 0) > 0, demo.traffic.answers
    events = [what for _, what in demo.timeline]
    first_error = events.index("clients get the first error")
    fired = next(i for i, e in enumerate(events) if e.endswith("Alarm updated from OK to ALARM"))
    assert first_error < fired, events
    if stack.target.is_sandbox:  # the extra workloads of the deploy steps' roles
        assert all(result.rollout.succeeded for result in extra.values()), extra
        shipped = extra["production bigger"].rollout.previous_config
        assert shipped is not None
        assert extra["production rollback"].rollout.settled_on(shipped)
    assert demo.captured, "no data-capture record landed in the data-capture bucket"
    # the monitoring loop: the scheduled job found the shifted features, its alarm started a retraining
    assert demo.drift_result is not None and demo.retraining is not None
    # the shifted features, each judged by the model card's statistic (PSI over 0.2) and far past it; an
    # unshifted feature passes it only by chance
    drifted = {f["name"]: f["decision"] for f in demo.drift_result["features"] if f["decision"]["drifted"]}
    shifted = {"tenure_years", "monthly_charges", "support_calls"}
    assert shifted <= set(drifted), demo.drift_result
    assert all(drifted[name]["statistic"] == "psi" for name in shifted), drifted
    assert all(drifted[name]["value"] > 5 * drifted[name]["threshold"] for name in shifted), drifted
    # and scored each drifted request against its feedback label, with the model card's thresholds
    assert demo.quality_result is not None
    assert demo.quality_result["dataset"]["item_count"] == DRIFTED_REQUESTS, demo.quality_result["launchpad"]
    assert demo.drift_result["model_quality"]["status"] == "ok"
    assert {f"endpoint {demo.endpoint}", f"endpoint {demo.production_endpoint}"} <= set(demo.removed)
    left = account_inventory(stack.target)
    serving = ("sagemaker endpoints", "sagemaker endpoint configs", "sagemaker models")
    assert not set(serving) & set(left), left
    # the alarms left are the platform's own (model monitoring), not the endpoints'
    monitoring_alarms = set(_project(stack)["monitoring"]["alarm_names"].values())
    assert set(left.get("cloudwatch alarms", [])) <= monitoring_alarms, left
    packages = stack.client("sagemaker").list_model_packages(ModelPackageGroupName="demo-model")
    assert packages["ModelPackageSummaryList"] == []


@pytest.mark.parametrize(
    "role",
    ["execution", "pipeline", "source trigger", "flow logs"]
    + [
        f"codebuild {step}"
        for step in (
            "build-and-test",
            "policy-check",
            "deploy-staging",
            "integration-test",
            "deploy-production",
        )
    ]
    + ["monitor job", "monitor scheduler", "retrain"],
)
def test_every_statement_of_a_workload_role_was_the_only_allow_of_some_call(stack: Stack, role: str) -> None:
    """Least privilege by evidence: after the workloads above, every statement entry of the role (a statement
    and one entry of its Action) was needed: without it some call of the role's real workload is denied."""
    if not stack.target.is_sandbox:
        pytest.skip("the evidence is the sandbox's record of who was allowed what")
    evidence = workloads.evidence(stack.target, _workload_roles(stack)[role])
    assert evidence.proven, evidence.describe()
    assert evidence.necessary, evidence.describe()


def test_no_work_aws_services_did_for_the_platform_was_refused(stack: Stack) -> None:
    """Logs, metrics, flow logs, access logs and data capture that AWS would silently drop: none was."""
    if not stack.target.is_sandbox:
        pytest.skip("the sandbox keeps what it refused a service")
    assert workloads.refusals(stack.target) == []


# -- a few real re-runs: the record of what each statement entry alone allowed tells the truth ----------
def _status_as_deploy_staging(stack: Stack) -> str:
    """``launchpad status`` of the staging endpoint, in a Deploy-staging build."""
    project = _project(stack)
    build = workloads.start_build(stack.target, project["codebuild_project_names"]["deploy-staging"])
    try:
        sagemaker, cloudwatch = build.target.client("sagemaker"), build.target.client("cloudwatch")
        read_status(sagemaker, cloudwatch, project["endpoints"]["staging"], stack.target.region)
    except (ClientError, LaunchpadError) as refused:
        return str(refused)
    finally:
        workloads.complete_build(stack.target, build)
    return "status was read"


def _abandon(stack: Stack) -> None:
    """Stop the pipeline's running executions, abandoning their actions: a re-run needs their first steps."""
    codepipeline, name = stack.client("codepipeline"), _project(stack)["pipeline_name"]
    for summary in codepipeline.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]:
        if summary["status"] in workloads.RUNNING:
            with contextlib.suppress(codepipeline.exceptions.PipelineExecutionNotStoppableException):
                codepipeline.stop_pipeline_execution(
                    pipelineName=name,
                    pipelineExecutionId=summary["pipelineExecutionId"],
                    abandon=True,
                    reason="a re-run needs only the first steps",
                )


def _source_stage(stack: Stack) -> str:
    """CodePipeline runs the pipeline's source stage as the pipeline role; the execution is abandoned after
    it. A refusal is the Source action's error."""
    run = workloads.PipelineRun(stack.target, _project(stack)["pipeline_name"])
    run.start()

    def source_done() -> str | None:
        try:
            status = str(run.action("Source", "Source")["status"])
        except KeyError:
            return None
        return None if status == "InProgress" else status

    status = workloads.poll(source_done, 60, 0.1, "the Source action")
    _abandon(stack)
    run.wait()
    if status == "Failed":
        return str(run.action("Source", "Source")["output"]["executionResult"]["errorDetails"]["message"])
    return "the source stage ran"


def _source_event(stack: Stack) -> str:
    """EventBridge delivers the source object's event to the pipeline, as the events role (the execution it
    starts is abandoned)."""
    delivered = workloads.deliver_event(stack.target, _project(stack)["source_rule_name"])
    _abandon(stack)
    if delivered:
        return "the pipeline was started"
    return json.dumps(workloads.refusals(stack.target))


@contextlib.contextmanager
def _staging_config(stack: Stack) -> Iterator[str]:
    """A model and an endpoint configuration named like staging's (the demo's artifact and image), made by
    the administrative caller and deleted afterwards: their name."""
    project, sagemaker = _project(stack), stack.client("sagemaker")
    bucket = stack.outputs["bucket_names"]["model-artifacts"]
    listed = stack.client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    artifact = next(o["Key"] for o in listed if o["Key"].endswith(".tar.gz"))
    tag = stack.client("ecr").describe_images(repositoryName="demo-model")["imageDetails"][0]["imageTags"][0]
    name = "demo-model-staging-rerun"
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=project["sagemaker_role_arn"],
        PrimaryContainer={
            "Image": f"{project['repository_url']}:{tag}",
            "ModelDataUrl": f"s3://{bucket}/{artifact}",
        },
    )
    variant = {
        "VariantName": "primary",
        "ModelName": name,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    try:
        yield name
    finally:
        sagemaker.delete_endpoint_config(EndpointConfigName=name)
        sagemaker.delete_model(ModelName=name)


def _endpoint_creation(stack: Stack) -> str:
    """SageMaker starts an endpoint's fleet as the execution role."""
    sagemaker = stack.client("sagemaker")
    with _staging_config(stack) as name:
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
        try:
            described = sagemaker.describe_endpoint(EndpointName=name)
            return f"{described['EndpointStatus']}: {described.get('FailureReason', '')}"
        finally:
            sagemaker.delete_endpoint(EndpointName=name)


def _config_as_integration_test(stack: Stack) -> str:
    """What the project's integration test reads in an Integration-test build: a staging endpoint's
    configuration (data capture, as configured)."""
    project = _project(stack)
    with _staging_config(stack) as name:
        build = workloads.start_build(stack.target, project["codebuild_project_names"]["integration-test"])
        try:
            build.target.client("sagemaker").describe_endpoint_config(EndpointConfigName=name)
        except ClientError as refused:
            return str(refused)
        finally:
            workloads.complete_build(stack.target, build)
    return "the endpoint's configuration was read"


def _build_image_pull(stack: Stack) -> str:
    """CodeBuild pulls the project's build image as the Build-and-test role when the pipeline starts that
    build; the execution is abandoned once the build is past PROVISIONING (or failed there)."""
    project, codebuild = _project(stack), stack.client("codebuild")
    name = project["codebuild_project_names"]["build-and-test"]
    before = set(codebuild.list_builds_for_project(projectName=name)["ids"])
    run = workloads.PipelineRun(stack.target, project["pipeline_name"])
    run.start()

    def provisioned() -> dict[str, Any] | None:
        new = [i for i in codebuild.list_builds_for_project(projectName=name)["ids"] if i not in before]
        if not new:
            return None
        [build] = codebuild.batch_get_builds(ids=new[:1])["builds"]
        phases = {p["phaseType"]: p for p in build.get("phases", [])}
        provisioning = phases.get("PROVISIONING", {})
        return build if "DOWNLOAD_SOURCE" in phases or provisioning.get("phaseStatus") == "FAILED" else None

    build = workloads.poll(provisioned, 120, 0.1, "the Build-and-test build's PROVISIONING")
    _abandon(stack)
    run.wait()
    provisioning = next(p for p in build["phases"] if p["phaseType"] == "PROVISIONING")
    if provisioning.get("phaseStatus") == "FAILED":
        return " ".join(c.get("message", "") for c in provisioning.get("contexts", []))
    return "the build image was pulled"


def _monitoring_run(stack: Stack) -> str:
    """The monitoring schedule fires: Scheduler creates a Processing job as the scheduler role, and SageMaker
    runs it as the job role. The demo's production endpoint is gone by now, so the job, which first asks
    which model the endpoint serves, ends there; a refusal is Scheduler's, or the job's failure reason."""
    monitoring, sagemaker = _project(stack)["monitoring"], stack.client("sagemaker")

    def jobs() -> dict[str, str]:
        listed = sagemaker.list_processing_jobs(NameContains=monitoring["job_name_prefix"])
        return {j["ProcessingJobName"]: j["ProcessingJobStatus"] for j in listed["ProcessingJobSummaries"]}

    before = set(jobs())
    if not workloads.fire_schedule(stack.target, monitoring["schedule_name"]):
        return json.dumps(workloads.refusals(stack.target))

    def ended() -> str | None:
        done = [
            n for n, status in jobs().items() if n not in before and status not in ("InProgress", "Stopping")
        ]
        return done[0] if done else None

    name = workloads.poll(ended, 120, 0.2, "the monitoring job")
    described = sagemaker.describe_processing_job(ProcessingJobName=name)
    return f"{described['ProcessingJobStatus']}: {described.get('FailureReason', '')}"


RERUNS = {  # role -> (a call of its workload, the workload that makes it)
    "codebuild deploy-staging": ("sagemaker:DescribeEndpoint", _status_as_deploy_staging),
    "codebuild integration-test": ("sagemaker:DescribeEndpointConfig", _config_as_integration_test),
    "codebuild build-and-test": ("ecr:BatchGetImage", _build_image_pull),
    "pipeline": ("s3:PutObject", _source_stage),
    "source trigger": ("codepipeline:StartPipelineExecution", _source_event),
    "execution": ("s3:GetObject", _endpoint_creation),
    "monitor scheduler": ("sagemaker:CreateProcessingJob", _monitoring_run),
    "monitor job": ("sagemaker:DescribeEndpoint", _monitoring_run),
}


@pytest.mark.parametrize("role", list(RERUNS))
def test_a_rerun_without_the_only_allow_of_a_call_is_denied_that_action(stack: Stack, role: str) -> None:
    """Take out the statement entry the record says alone allowed one of the role's calls, run that part of
    the workload again: it fails with AWS's AccessDenied naming the action. With the entry back it runs."""
    if not stack.target.is_sandbox:
        pytest.skip("the record is the sandbox's")
    action, workload = RERUNS[role]
    arn = _workload_roles(stack)[role]
    entry = next(e for e, (a, _) in workloads.evidence(stack.target, arn).necessary.items() if a == action)
    with workloads.without(stack.target, arn.rsplit("/", 1)[1], entry):
        refused = workload(stack)
    assert f"is not authorized to perform: {action} on resource" in refused, refused
    assert f"no identity-based policy allows the {action} action" in refused, refused
    assert f"not authorized to perform: {action}" not in workload(stack)


@pytest.mark.parametrize("step", ["deploy-staging", "deploy-production"])
def test_a_deploy_step_without_check_capture_bucket_is_refused_its_preflight(stack: Stack, step: str) -> None:
    """CheckCaptureBucket (s3:ListBucket on the capture bucket) is what lets a deploy step's preflight see
    that the capture bucket exists and is this account's. Taken out, that preflight check is a problem
    naming s3:ListBucket, so the deploy stops before any change; put back, the check passes."""
    if not stack.target.is_sandbox:
        pytest.skip("the role is edited for the re-run")
    project = _project(stack)
    arn = _workload_roles(stack)[f"codebuild {step}"]
    bucket = stack.outputs["bucket_names"]["data-capture"]
    uri = f"s3://{bucket}/{project['endpoints']['staging']}"
    necessary = workloads.evidence(stack.target, arn).necessary
    found = [
        e
        for e, (action, resource) in necessary.items()
        if action == "s3:ListBucket" and resource == f"arn:aws:s3:::{bucket}"
    ]
    assert len(found) == 1, necessary
    [entry] = found

    def preflight_check() -> list[str]:
        build = workloads.start_build(stack.target, project["codebuild_project_names"][step])
        try:
            return list(capture_problems(build.target.client("s3"), uri, caller_account(build.target)))
        finally:
            workloads.complete_build(stack.target, build)

    with workloads.without(stack.target, arn.rsplit("/", 1)[1], entry):
        [refused] = preflight_check()
    assert "S3 refused HeadBucket" in refused and "needs s3:ListBucket on bucket" in refused, refused
    assert "CheckCaptureBucket" in refused
    assert preflight_check() == []


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
