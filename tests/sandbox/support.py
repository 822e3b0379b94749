"""Helpers the sandbox patch tests share."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.client import Config
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget


def unchecked_client(target: AwsTarget, service: str) -> Any:
    """A client that sends what it is given, as the Go SDK under Terraform does: the server must check."""
    return target.session().client(
        service, endpoint_url=target.endpoint_url, config=Config(parameter_validation=False)
    )


def client_error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """The code and message of the AWS error a call raised."""
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]
