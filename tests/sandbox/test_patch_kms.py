"""The KMS patch: rotation periods round-trip as in the AWS API."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget


@pytest.fixture
def kms(sandbox_target: AwsTarget):
    return sandbox_target.client("kms")


def test_rotation_period_is_stored_and_returned(kms) -> None:
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 180
    assert status["KeyId"] == key["Arn"]
    assert "NextRotationDate" in status


def test_rotation_period_defaults_to_365_days(kms) -> None:
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["Arn"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 365


def test_rotation_period_outside_90_to_2560_days_is_rejected(kms, sandbox_target: AwsTarget) -> None:
    key = kms.create_key()["KeyMetadata"]
    # boto3 checks the range itself; the Go SDK under Terraform does not, so the server must.
    unchecked = sandbox_target.new_client("kms", Config(parameter_validation=False))
    with pytest.raises(ClientError) as raised:
        unchecked.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=30)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_disabled_rotation_reports_no_period(kms) -> None:
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False
    assert "RotationPeriodInDays" not in status


def test_keys_behind_reserved_aliases_are_aws_managed(kms) -> None:
    default = kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]  # created on first use
    assert default["KeyManager"] == "AWS"
    own = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/mine", TargetKeyId=own["KeyId"])
    assert kms.describe_key(KeyId="alias/mine")["KeyMetadata"]["KeyManager"] == "CUSTOMER"


def test_a_key_pair_made_on_first_use_signs_and_verifies(kms) -> None:
    """The private key is made when first used, not when the key is created; an asymmetric key still
    signs, verifies its signature, and gives the public key that checks it."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    message = b"launchpad release 0.1.0"
    signature = kms.sign(KeyId=key, Message=message, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")[
        "Signature"
    ]
    verified = kms.verify(
        KeyId=key, Message=message, Signature=signature, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"
    )
    assert verified["SignatureValid"] is True
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    public.verify(  # raises if the public key is not the signer's
        signature,
        message,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_the_private_key_is_made_only_when_used() -> None:
    from launchpad.sandbox.patches.kms import LazyPrivateKey

    lazy = LazyPrivateKey("SYMMETRIC_DEFAULT")
    assert not lazy.generated
    assert lazy.public_key() is not None  # delegated to the key it makes now
    assert lazy.generated
