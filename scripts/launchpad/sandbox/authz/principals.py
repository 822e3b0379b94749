"""Who is calling: the account's administrative caller, a role session, an IAM user, or an AWS service.

- A 12-digit access key id is the account's administrative caller (the sandbox's account convention, see
  ``patches.accounts``): Terraform and the tests. It has full identity permissions, like the account's root
  user, and resource policies apply to it as they do to root: their explicit denies, and a KMS key policy
  that must allow the account.
- Credentials from ``sts:AssumeRole`` (through the sandbox's STS, which checks the role's trust policy) are a
  role session: ``arn:aws:sts::<account>:assumed-role/<role>/<session>``.
- Access keys made with ``iam:CreateAccessKey`` are that IAM user.
- Services acting on their own (S3 server access logging, CloudWatch Logs using a key) are service
  principals; they never sign a request to the sandbox, the sandbox acts for them in-process.

Any other access key is refused with ``InvalidClientTokenId``, as AWS refuses a key it did not issue.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

ADMIN = "admin"
ROLE = "role"
USER = "user"
SERVICE = "service"

_ACCOUNT_KEY = re.compile(r"\d{12}", re.ASCII)


@dataclass(frozen=True)
class Principal:
    kind: str  # admin, role, user or service
    account: str
    arn: str  # as GetCallerIdentity names it; a service principal's name (sagemaker.amazonaws.com)
    partition: str = "aws"
    role_arn: str | None = None  # role sessions: the role
    session_name: str | None = None
    session_policy: str | None = None  # the Policy passed to AssumeRole, if any
    user_name: str | None = None
    service: str | None = None
    via_service: str | None = None  # a role session a service made for its own work (CodeBuild, SageMaker)
    # The VPC endpoint names of the services a session running in a VPC without a NAT gateway can reach
    # (a CodeBuild build in the VPC); None: it reaches every service.
    network: tuple[str, ...] | None = None

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"

    @property
    def principal_type(self) -> str:
        """``aws:PrincipalType``: Account (root), AssumedRole, User or AWSService."""
        return {ADMIN: "Account", ROLE: "AssumedRole", USER: "User", SERVICE: "AWSService"}[self.kind]


def admin(account: str, partition: str = "aws") -> Principal:
    return Principal(ADMIN, account, f"arn:{partition}:iam::{account}:root", partition)


def service(name: str, account: str, partition: str = "aws") -> Principal:
    """An AWS service principal acting for ``account`` (whose resources it touches)."""
    return Principal(SERVICE, account, name, partition, service=name)


def role_session(
    role_arn: str,
    session_name: str,
    session_policy: str | None = None,
    via_service: str | None = None,
) -> Principal:
    partition, account = role_arn.split(":")[1], role_arn.split(":")[4]
    role_name = role_arn.rsplit("/", 1)[-1]
    arn = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}"
    return Principal(
        ROLE,
        account,
        arn,
        partition,
        role_arn=role_arn,
        session_name=session_name,
        session_policy=session_policy,
        via_service=via_service,
    )


def user(user_arn: str) -> Principal:
    partition, account = user_arn.split(":")[1], user_arn.split(":")[4]
    return Principal(USER, account, user_arn, partition, user_name=user_arn.rsplit("/", 1)[-1])


class UnknownCredentials(LookupError):
    """An access key the sandbox did not issue."""


class Keys:
    """Access key id -> principal, for the keys the sandbox issued (STS sessions, IAM users' keys)."""

    def __init__(self) -> None:
        self._by_key: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def issue(self, access_key: str, principal: Principal) -> None:
        with self._lock:
            self._by_key[access_key] = principal

    def revoke(self, access_key: str) -> None:
        with self._lock:
            self._by_key.pop(access_key, None)

    def revoke_principal(self, principal: Principal) -> None:
        """Revoke every key issued to ``principal`` (a build's session when the build ends)."""
        with self._lock:
            for key in [k for k, p in self._by_key.items() if p == principal]:
                del self._by_key[key]

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()

    def identify(self, access_key: str, partition: str = "aws") -> Principal:
        if _ACCOUNT_KEY.fullmatch(access_key):
            return admin(access_key, partition)
        with self._lock:
            principal = self._by_key.get(access_key)
        if principal is None:
            raise UnknownCredentials(access_key)
        return principal


KEYS = Keys()
