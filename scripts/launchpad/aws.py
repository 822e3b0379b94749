"""Where AWS calls go: the local sandbox or a real account, for boto3 and Terraform alike."""

from __future__ import annotations

import functools
import os
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.client import BaseClient
from botocore.config import Config

if TYPE_CHECKING:
    # The boto3-stubs client types (dev extra): a typo'd operation or argument fails `make lint`.
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_codebuild import CodeBuildClient
    from mypy_boto3_codepipeline import CodePipelineClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

DEFAULT_REGION = "eu-west-1"
SANDBOX_SECRET = "sandbox"
# Every process we start against the sandbox gives up quickly: moto answers an unimplemented action with
# HTTP 500, and default retries turn that into a ten-minute hang.
SANDBOX_MAX_ATTEMPTS = "2"


def new_account_id() -> str:
    """A random 12-digit account id; the sandbox gives each one its own, empty account."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


@dataclass(frozen=True)
class Credentials:
    """Credentials other than the sandbox account's own: a role session's (from STS, or a service's)."""

    access_key: str
    secret_key: str
    token: str | None = None


@dataclass(frozen=True)
class AwsTarget:
    """An AWS endpoint plus identity: the sandbox (endpoint_url set) or real AWS (endpoint_url None).

    In the sandbox the identity is the account's administrative caller (its 12-digit access key id) unless
    ``credentials`` name another principal of that account, such as a role session."""

    region: str
    endpoint_url: str | None = None
    account_id: str | None = None
    credentials: Credentials | None = None

    @classmethod
    def sandbox(
        cls, endpoint_url: str, region: str = DEFAULT_REGION, account_id: str | None = None
    ) -> AwsTarget:
        return cls(region=region, endpoint_url=endpoint_url, account_id=account_id or new_account_id())

    @classmethod
    def real(cls, region: str | None = None) -> AwsTarget:
        session = boto3.Session()
        return cls(region=region or session.region_name or DEFAULT_REGION)

    @classmethod
    def from_env(cls, region: str | None = None) -> AwsTarget:
        """The target the AWS_* environment names: the sandbox when AWS_ENDPOINT_URL is set (its account is
        the 12-digit AWS_ACCESS_KEY_ID, or, for other credentials such as a role session's, the account STS
        says they belong to), else real AWS."""
        url = os.environ.get("AWS_ENDPOINT_URL")
        if not url:
            return cls.real(region)
        region = region or DEFAULT_REGION
        key = os.environ.get("AWS_ACCESS_KEY_ID", "")
        if not key or (key.isdigit() and len(key) == 12):
            return cls.sandbox(url, region, key or None)
        credentials = Credentials(
            key, os.environ.get("AWS_SECRET_ACCESS_KEY", ""), os.environ.get("AWS_SESSION_TOKEN")
        )
        return cls(region=region, endpoint_url=url, account_id=None, credentials=credentials).resolved()

    def with_credentials(self, credentials: Credentials) -> AwsTarget:
        """This sandbox account and region, called with ``credentials`` (a role session of the account)."""
        return AwsTarget(self.region, self.endpoint_url, self.account_id, credentials)

    def resolved(self) -> AwsTarget:
        """This target with its account id filled in from STS when the credentials alone do not name it."""
        if self.account_id is not None or not self.is_sandbox:
            return self
        account = self.client("sts").get_caller_identity()["Account"]
        return AwsTarget(self.region, self.endpoint_url, account, self.credentials)

    @property
    def is_sandbox(self) -> bool:
        return self.endpoint_url is not None

    def env(self) -> dict[str, str]:
        """Environment variables that point terraform or the aws CLI at this target."""
        if not self.is_sandbox:
            passthrough = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
            return {**passthrough, "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        assert self.endpoint_url is not None and self.account_id is not None
        key, secret, token = self._keys()
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            # The sandbox reads a 12-digit access key id as the account id (as LocalStack does).
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            **({"AWS_SESSION_TOKEN": token} if token else {}),
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_MAX_ATTEMPTS": SANDBOX_MAX_ATTEMPTS,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def _keys(self) -> tuple[str, str, str | None]:
        if self.credentials is not None:
            return self.credentials.access_key, self.credentials.secret_key, self.credentials.token
        return str(self.account_id), SANDBOX_SECRET, None

    def session(self) -> boto3.Session:
        if not self.is_sandbox:
            return boto3.Session(region_name=self.region)
        key, secret, token = self._keys()
        return boto3.Session(
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name=self.region,
        )

    # One overload per service launchpad calls, so each call site gets the stub client type; a service name
    # that is not a literal (a harness looping over services) gets Any. Add a line here for a new service.
    @overload
    def client(self, service: Literal["application-autoscaling"]) -> ApplicationAutoScalingClient: ...
    @overload
    def client(self, service: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["codebuild"]) -> CodeBuildClient: ...
    @overload
    def client(self, service: Literal["codepipeline"]) -> CodePipelineClient: ...
    @overload
    def client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["ec2"]) -> EC2Client: ...
    @overload
    def client(self, service: Literal["ecr"]) -> ECRClient: ...
    @overload
    def client(self, service: Literal["events"]) -> EventBridgeClient: ...
    @overload
    def client(self, service: Literal["iam"]) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"]) -> KMSClient: ...
    @overload
    def client(self, service: Literal["logs"]) -> CloudWatchLogsClient: ...
    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["sagemaker"]) -> SageMakerClient: ...
    @overload
    def client(self, service: Literal["sagemaker-runtime"]) -> SageMakerRuntimeClient: ...
    @overload
    def client(self, service: Literal["sns"]) -> SNSClient: ...
    @overload
    def client(self, service: Literal["sts"]) -> STSClient: ...
    @overload
    def client(self, service: str) -> Any: ...
    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` on this target, made once and reused (a new session and client
        cost ~100 ms each)."""
        return _client(self, service)

    def new_client(self, service: str, config: Config | None = None) -> Any:
        """A client of its own for ``service`` (not the shared one ``client`` returns), with ``config``
        merged over the target's own settings."""
        return _new_client(self, service, config)


@functools.lru_cache(maxsize=512)
def _client(target: AwsTarget, service: str) -> BaseClient:
    return _new_client(target, service)


def _new_client(target: AwsTarget, service: str, config: Config | None = None) -> BaseClient:
    if not target.is_sandbox:
        return target.session().client(service, config=config)  # type: ignore[call-overload]
    key, secret, token = target._keys()
    retries = Config(retries={"max_attempts": int(SANDBOX_MAX_ATTEMPTS), "mode": "standard"})
    # Every sandbox account and principal is a new target: its clients come from one shared session with
    # their own keys, so the service models are read from disk once per process, not once per target
    # (a new session and client cost ~100 ms of CPU, the same client from a warm session ~6 ms).
    with _SHARED_LOCK:  # a boto3 session is not thread-safe; its clients are
        return _shared_session().client(  # type: ignore[call-overload]
            service,
            region_name=target.region,
            endpoint_url=target.endpoint_url,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=retries.merge(config) if config is not None else retries,
        )


_SHARED_LOCK = threading.Lock()


@functools.cache
def _shared_session() -> boto3.Session:
    return boto3.Session()
