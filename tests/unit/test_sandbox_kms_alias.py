"""The KMS patch keeps KmsBackend.create_alias's contract (found by mypy: the wrapper dropped its result)."""

from __future__ import annotations

from moto.kms.models import Alias, KmsBackend

from launchpad.sandbox.patches import kms


def _backend() -> KmsBackend:
    kms.apply()
    return KmsBackend("eu-west-1", "123456789012")


def test_create_alias_returns_the_alias_it_made() -> None:
    backend = _backend()
    key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "test", None)
    alias = backend.create_alias(key.id, "alias/team-key")
    assert isinstance(alias, Alias)
    assert (alias.alias_name, alias.target_key_id) == ("alias/team-key", key.id)
    assert key.key_manager == "CUSTOMER"


def test_reserved_alias_still_marks_the_key_aws_managed() -> None:
    backend = _backend()
    key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "test", None)
    alias = backend.create_alias(key.id, "alias/aws/s3")
    assert isinstance(alias, Alias) and alias.alias_name == "alias/aws/s3"
    assert key.key_manager == "AWS"
