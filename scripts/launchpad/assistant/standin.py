"""The assistant on the sandbox: its endpoint answered by the extractive stand-in, and a person to ask.

On AWS the assistant's endpoint serves a T5-family model in the Hugging Face inference container
(``modules/sagemaker-endpoint``, a ``huggingface-rag`` project). The sandbox can download no weights, so
``standin_endpoint`` makes an endpoint of the same name whose model's image is a Hugging Face inference image,
and registers ``launchpad_serving.extractive``, served in this process, as that image's local server: the
function's ``InvokeEndpoint`` gets the stand-in's answer through the sandbox's SageMaker Runtime, with its
metrics and data capture. ``add_person`` invites a person to the API's user pool (invite-only); ``person``
signs them in too. The demo, the load bench and the tests use them.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator

from botocore.exceptions import ClientError

from launchpad import serving
from launchpad.assistant.client import Assistant, sign_in
from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.sandbox import local_servers

log = logging.getLogger(__name__)

# A Hugging Face inference image (AWS's account for eu-west-1); on the sandbox its registered local server.
IMAGE = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-inference:2.1-cpu-py310"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@contextlib.contextmanager
def standin_endpoint(target: AwsTarget, name: str) -> Iterator[str]:
    """An ``InService`` endpoint ``name`` answered by the extractive stand-in while the block runs; the
    endpoint, its configuration, model and execution role are deleted after it. The configuration and
    model are named ``<name>-standin``, as ``modules/sagemaker-endpoint`` names them after the endpoint (the
    function's role may describe those only). Yields the model server's URL."""
    if not target.is_sandbox:
        raise SandboxError(
            "the extractive stand-in is the sandbox's model: on AWS deploy the project's endpoint"
        )
    # The stand-in's per-request log lines would drown the caller's (a load test sends hundreds).
    quiet = contextlib.ExitStack()
    quiet.enter_context(_level(logging.getLogger("launchpad_serving"), logging.WARNING))
    server = serving.serve_in_thread(
        serving.Model(serving.Handlers.from_module("launchpad_serving.extractive"), "-")
    )
    url = f"http://127.0.0.1:{server.server_port}"
    sagemaker, iam, role = target.client("sagemaker"), target.client("iam"), f"{name}-standin"[:64]
    config = model = f"{name}-standin"
    try:
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(_TRUST))["Role"]["Arn"]
        sagemaker.create_model(ModelName=model, ExecutionRoleArn=arn, PrimaryContainer={"Image": IMAGE})
        sagemaker.create_endpoint_config(
            EndpointConfigName=config,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        local_servers.register(target, url, image=IMAGE)
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
        sagemaker.get_waiter("endpoint_in_service").wait(
            EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        log.info("endpoint %s answered by the extractive stand-in at %s", name, url)
        yield url
    finally:
        server.shutdown()
        server.server_close()
        quiet.close()
        _delete(
            lambda: sagemaker.delete_endpoint(EndpointName=name),
            lambda: sagemaker.delete_endpoint_config(EndpointConfigName=config),
            lambda: sagemaker.delete_model(ModelName=model),
            lambda: iam.delete_role(RoleName=role),
        )


@contextlib.contextmanager
def _level(logger: logging.Logger, level: int) -> Iterator[None]:
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


def _delete(*deletes: Callable[[], object]) -> None:
    """Each deletion in turn; one of something never made (a failed start) is skipped."""
    for delete in deletes:
        with contextlib.suppress(ClientError):
            delete()


def add_person(target: AwsTarget, user_pool_id: str, email: str, password: str) -> None:
    """Invite ``email`` to the pool with a permanent ``password``: an administrator's work, since the pool
    takes no sign-ups."""
    cognito = target.client("cognito-idp")
    verified = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    cognito.admin_create_user(
        UserPoolId=user_pool_id, Username=email, UserAttributes=verified, MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(
        UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True
    )


def person(
    target: AwsTarget, url: str, api_key: str, outputs: dict[str, str], email: str, password: str
) -> Assistant:
    """An invited, signed-in person of the module's outputs (``user_pool_id``, ``user_pool_client_id``)."""
    add_person(target, outputs["user_pool_id"], email, password)
    token = sign_in(target, outputs["user_pool_client_id"], email, password)
    return Assistant(url, api_key, id_token=token)
