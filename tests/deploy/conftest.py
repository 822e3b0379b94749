"""A sandbox account seeded for deploys: key, artifact bucket, execution role, package group, model card."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from launchpad.aws import AwsTarget
from launchpad.deploy.seed import Seeded, seed
from launchpad.inventory import account_inventory


@pytest.fixture
def seeded(sandbox_target: AwsTarget, tmp_path: Path) -> Seeded:
    return seed(sandbox_target, tmp_path)


def snapshot(target: AwsTarget, endpoint: str) -> dict[str, Any]:
    """The account's inventory, plus the endpoint's status and config (None if it does not exist)."""
    sagemaker = target.client("sagemaker")
    try:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
        state: Any = (described["EndpointStatus"], described["EndpointConfigName"])
    except sagemaker.exceptions.ClientError:
        state = None
    packages = sagemaker.list_model_packages(ModelPackageGroupName="churn")["ModelPackageSummaryList"]
    return {
        **account_inventory(target),
        "endpoint": state,
        "model packages": [p["ModelPackageArn"] for p in packages],
    }


def model_tar(path: Path, content: bytes = b"weights") -> Path:
    """A model.tar.gz holding one file, at ``path``."""
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("model.joblib")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return path
