"""The KMS patch keeps KmsBackend.create_alias's contract (found by mypy: the wrapper dropped its result,
the Alias moto's CloudFormation support returns).

Patches run only in the sandbox's process, never in the test process, so the backend is driven in a child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import launchpad

CHILD = """
import json, sys
from moto.kms.models import Alias, KmsBackend
from launchpad.sandbox.patches import kms
kms.apply()
backend = KmsBackend("eu-west-1", "123456789012")
key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "test", None)
alias = backend.create_alias(key.id, sys.argv[1])
print(json.dumps({
    "is_alias": isinstance(alias, Alias),
    "name": getattr(alias, "alias_name", None),
    "target": getattr(alias, "target_key_id", None),
    "key": key.id,
    "key_manager": key.key_manager,
}))
"""


def _create_alias(name: str) -> dict[str, object]:
    scripts = str(Path(launchpad.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([scripts, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, name], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("name", "manager"),
    [("alias/team-key", "CUSTOMER"), ("alias/aws/s3", "AWS")],
    ids=["customer", "reserved"],
)
def test_create_alias_returns_the_alias_and_marks_reserved_keys(name: str, manager: str) -> None:
    made = _create_alias(name)
    assert made["is_alias"] is True
    assert (made["name"], made["target"]) == (name, made["key"])
    assert made["key_manager"] == manager
