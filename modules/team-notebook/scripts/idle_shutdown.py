"""Stops this SageMaker notebook instance after a time without Jupyter activity (launchpad team-notebook).

Run by cron every five minutes as root: reads the sessions and kernels of the notebook server on localhost
(https://localhost:8443/api/kernels, the instance's self-signed certificate), and when no kernel is busy and
the last activity of every kernel (or, without kernels, the server's start) is older than --idle-minutes,
stops the instance it runs on (its name from /opt/ml/metadata/resource-metadata.json) with the AWS CLI, as
the instance's role (sagemaker:StopNotebookInstance on itself only). Standard library only (the instance's
/usr/bin/python3 is 3.7).
"""

from __future__ import annotations

import argparse
import json
import ssl
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

METADATA = "/opt/ml/metadata/resource-metadata.json"


def _get(url: str) -> object:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the notebook server's own self-signed certificate, on localhost
    with urllib.request.urlopen(url, context=context, timeout=10) as answer:
        return json.loads(answer.read())


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def idle_since(kernels: list[dict[str, str]], started: datetime) -> datetime | None:
    """When the server went idle (None: a kernel is busy)."""
    if any(k.get("execution_state") == "busy" for k in kernels):
        return None
    return max([_when(k["last_activity"]) for k in kernels if k.get("last_activity")], default=started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-minutes", type=int, required=True)
    parser.add_argument("--server", default="https://localhost:8443")
    parser.add_argument("--metadata", default=METADATA)
    parser.add_argument("--dry-run", action="store_true", help="print the decision, stop nothing")
    args = parser.parse_args(argv)
    now = datetime.now(timezone.utc)  # noqa: UP017  (datetime.UTC is 3.11; the instance runs 3.7)
    status = _get(f"{args.server}/api/status")
    kernels = _get(f"{args.server}/api/kernels")
    started = _when(str(status["started"])) if isinstance(status, dict) else now  # type: ignore[index]
    since = idle_since(kernels if isinstance(kernels, list) else [], started)
    if since is None or now - since < timedelta(minutes=args.idle_minutes):
        print(f"active (idle since {since})")
        return 0
    with open(args.metadata, encoding="utf-8") as metadata:
        name = json.load(metadata)["ResourceName"]
    print(f"idle since {since.isoformat()}: stopping {name}")
    if not args.dry_run:
        command = ["aws", "sagemaker", "stop-notebook-instance", "--notebook-instance-name", name]
        return subprocess.run(command, check=False).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
