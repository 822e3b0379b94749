"""The release's software bill of materials: CycloneDX 1.6 JSON of the locked environment
(``requirements.lock``: every package and version launchpad is built and tested with), made by the
CycloneDX project's own generator (``cyclonedx-py``) and validated against the CycloneDX schema by its
library before it is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from launchpad.errors import ReleaseError

SPEC_VERSION = "1.6"
LOCK = "requirements.lock"


def sbom_name(version: str) -> str:
    return f"launchpad-{version}.cdx.json"


def write_sbom(tree: Path, version: str, out_dir: Path, source_date_epoch: int) -> Path:
    """``launchpad-<version>.cdx.json`` in ``out_dir``: the components of ``tree/requirements.lock``, the
    root component launchpad at ``version``; reproducible (its timestamp is ``source_date_epoch``)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cyclonedx_py",
            "requirements",
            "--pyproject",
            str(tree / "pyproject.toml"),
            "--mc-type",
            "library",
            "--spec-version",
            SPEC_VERSION,
            "--output-reproducible",
            "--output-format",
            "JSON",
            "--output-file",
            "-",
            str(tree / LOCK),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch), "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        raise ReleaseError(f"cyclonedx-py could not make the SBOM of {LOCK}: {done.stderr.strip()}")
    bom = json.loads(done.stdout)
    # pyproject.toml's version is dynamic (scripts/launchpad/VERSION), which the generator does not read.
    bom["metadata"]["component"]["version"] = version
    bom["metadata"]["component"]["purl"] = f"pkg:pypi/launchpad@{version}"
    text = json.dumps(bom, indent=2, sort_keys=True) + "\n"
    error = JsonStrictValidator(SchemaVersion.from_version(SPEC_VERSION)).validate_str(text)
    if error is not None:
        raise ReleaseError(f"the SBOM breaks the CycloneDX {SPEC_VERSION} schema: {error}")
    sbom = out_dir / sbom_name(version)
    sbom.write_text(text, encoding="utf-8")
    return sbom
