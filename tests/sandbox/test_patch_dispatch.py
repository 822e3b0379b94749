"""patches/dispatch.py: moto's backend listing read once, with the same answers; no public AMI catalogue."""

from __future__ import annotations

import subprocess
import sys

from launchpad.aws import AwsTarget
from launchpad.sandbox.patches import dispatch


def test_the_listing_is_motos_own() -> None:
    listed = dispatch.moto_modules()
    assert listed == tuple(dispatch._LIST_MODULES())
    assert {"s3", "sagemaker", "iam", "kms"} <= set(listed)
    assert not any(name.startswith("__") for name in listed)


def test_once_applied_the_folder_is_listed_once() -> None:
    """In a process of its own (patches run in the sandbox server only): after the first listing, the
    file system is not asked again."""
    code = (
        "import os, moto.backends as b\n"
        "from launchpad.sandbox.patches import dispatch\n"
        "dispatch.apply(); dispatch.apply()\n"
        "first = sorted(b.list_of_moto_modules())\n"
        "os.listdir = None\n"
        "assert sorted(b.list_of_moto_modules()) == first and 's3' in first\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def test_a_new_account_has_no_public_image_catalogue(sandbox_target: AwsTarget) -> None:
    ec2 = sandbox_target.client("ec2")
    assert ec2.describe_images(Owners=["amazon"])["Images"] == []
    assert ec2.describe_vpcs()["Vpcs"], "the default VPC is still there"
