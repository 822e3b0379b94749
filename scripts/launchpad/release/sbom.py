"""The release's software bill of materials: CycloneDX 1.6 JSON of the locked environment
(``requirements.lock``: every package and version launchpad is built and tested with), made by the
CycloneDX project's own generator (``cyclonedx-py``) and validated against the CycloneDX schema by its
library before it is written: the document as written (with launchpad's version), against the strict schema.
The generator's own validation of its draft (the lax schema) is switched off: the same check, weaker, of a
document that is not the one written, and it cost ~5 of the generator's 5.3 CPU-s (loading jsonschema and the
schema again).

Both run in the generator's own environment (``.tools/cyclonedx``, ``make setup``), not in launchpad's:
its schema validation needs jsonschema's format checkers, and one of them costs every process that imports
jsonschema ~2 s of CPU (pyproject.toml's dev extra says more)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from launchpad.errors import ReleaseError, ToolchainError
from launchpad.quoting import shown

SPEC_VERSION = "1.6"
LOCK = "requirements.lock"
TOOL_ENV = "LAUNCHPAD_CYCLONEDX_PYTHON"
TOOL_DIR = Path(".tools") / "cyclonedx"
# Run by the generator's interpreter: reads a BOM on stdin, prints why it breaks the schema (exit 1), or
# nothing (exit 0).
_VALIDATE = """
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
error = JsonStrictValidator(SchemaVersion.from_version(sys.argv[1])).validate_str(sys.stdin.read())
if error is not None:
    print(error)
    sys.exit(1)
"""


def find_tool(root: Path) -> Path:
    """The Python of an environment with cyclonedx-bom: ``$LAUNCHPAD_CYCLONEDX_PYTHON``, else the pinned
    ``.tools/cyclonedx`` of the checkout ``root``."""
    configured = os.environ.get(TOOL_ENV)
    path = Path(configured) if configured else root / TOOL_DIR / "bin" / "python"
    resolved = shutil.which(str(path))
    if resolved is None:
        where = f"{TOOL_ENV}={shown(configured, 200)} is not" if configured else f"{path} is not"
        raise ToolchainError(
            f"{where} a Python with cyclonedx-bom: run `make setup` (installs the pinned generator in "
            f"{TOOL_DIR}), or set {TOOL_ENV} to one"
        )
    return Path(resolved)


def sbom_name(version: str) -> str:
    return f"launchpad-{version}.cdx.json"


def write_sbom(tree: Path, version: str, out_dir: Path, source_date_epoch: int, tool: Path) -> Path:
    """``launchpad-<version>.cdx.json`` in ``out_dir``: the components of ``tree/requirements.lock``, the
    root component launchpad at ``version``; reproducible (its timestamp is ``source_date_epoch``). ``tool``
    is the generator's Python (``find_tool``)."""
    done = subprocess.run(
        [
            str(tool),
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
            "--no-validate",  # the written document is validated below, strictly
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
    checked = subprocess.run(
        [str(tool), "-c", _VALIDATE, SPEC_VERSION], input=text, capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        reason = checked.stdout.strip() or checked.stderr.strip()
        raise ReleaseError(f"the SBOM breaks the CycloneDX {SPEC_VERSION} schema: {reason}")
    sbom = out_dir / sbom_name(version)
    sbom.write_text(text, encoding="utf-8")
    return sbom
