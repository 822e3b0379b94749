"""Where AWS calls go: the local sandbox or a real account, for boto3 and Terraform alike."""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_REGION = "eu-west-1"
SANDBOX_SECRET = "sandbox"
# Every process we start against the sandbox gives up quickly: moto answers an unimplemented action with
# HTTP 500, and default retries turn that into a ten-minute hang.
SANDBOX_MAX_ATTEMPTS = "2"


def new_account_id() -> str:
    """A random 12-digit account id; the sandbox gives each one its own, empty account."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


@dataclass(frozen=True)
class AwsTarget:
    """An AWS endpoint plus identity: the sandbox (endpoint_url set) or real AWS (endpoint_url None)."""

    region: str
    endpoint_url: str | None = None
    account_id: str | None = None

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
        the 12-digit AWS_ACCESS_KEY_ID), else real AWS."""
        url = os.environ.get("AWS_ENDPOINT_URL")
        if not url:
            return cls.real(region)
        key = os.environ.get("AWS_ACCESS_KEY_ID", "")
        return cls.sandbox(url, region or DEFAULT_REGION, key if key.isdigit() and len(key) == 12 else None)

    @property
    def is_sandbox(self) -> bool:
        return self.endpoint_url is not None

    def env(self) -> dict[str, str]:
        """Environment variables that point terraform or the aws CLI at this target."""
        if not self.is_sandbox:
            passthrough = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
            return {**passthrough, "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        assert self.endpoint_url is not None and self.account_id is not None
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            # The sandbox reads a 12-digit access key id as the account id (as LocalStack does).
            "AWS_ACCESS_KEY_ID": self.account_id,
            "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_MAX_ATTEMPTS": SANDBOX_MAX_ATTEMPTS,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def session(self) -> boto3.Session:
        if not self.is_sandbox:
            return boto3.Session(region_name=self.region)
        return boto3.Session(
            aws_access_key_id=self.account_id,
            aws_secret_access_key=SANDBOX_SECRET,
            region_name=self.region,
        )

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` on this target, made once and reused (a new session and client
        cost ~100 ms each)."""
        return _client(self, service)


@functools.lru_cache(maxsize=512)
def _client(target: AwsTarget, service: str) -> Any:
    if not target.is_sandbox:
        return target.session().client(service)
    config = Config(retries={"max_attempts": int(SANDBOX_MAX_ATTEMPTS), "mode": "standard"})
    return target.session().client(service, endpoint_url=target.endpoint_url, config=config)
