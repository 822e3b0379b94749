"""Where a model version's drift baseline lives, and whether a local folder holds one launchpad can ship.

The baseline of the artifact ``s3://B/<dir>/model.tar.gz`` is the prefix ``s3://B/<dir>/baseline/``:
``statistics.json`` and ``constraints.json`` (``launchpad monitor baseline``), and any other file of the
baseline folder, flat. ``launchpad deploy --artifact ... --baseline DIR`` puts it there and registers it with
the model package version (DriftCheckBaselines); the monitoring job reads it there. ``baseline_prefix`` is
the one rule, for both.

Standard library only, Python 3.9 syntax, no boto3: the deploy engine imports it without numpy (the package's
``__init__`` imports nothing), and the monitoring job ships it (``statistics_problem`` is the one check of a
baseline: ``profile.check_baseline`` raises with it).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FOLDER = "baseline"  # the prefix beside the artifact
STATISTICS = "statistics.json"
CONSTRAINTS = "constraints.json"
REQUIRED = (STATISTICS, CONSTRAINTS)
# A file of the folder becomes the key <prefix><name>, which the job reads back: plain names only.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
WRITE_IT = "write it with `launchpad monitor baseline` (make baseline in a model project)"


def baseline_prefix(artifact_s3_uri: str) -> str:
    """``s3://B/<dir>/baseline/`` for the artifact ``s3://B/<dir>/model.tar.gz`` (``s3://B/baseline/`` for
    an artifact at the bucket's top). ValueError for anything but the s3:// URI of an object."""
    bucket, _, key = artifact_s3_uri[len("s3://") :].partition("/")
    if not artifact_s3_uri.startswith("s3://") or not bucket or not key or key.endswith("/"):
        raise ValueError(f"{artifact_s3_uri!r} is not the s3:// URI of an artifact (s3://bucket/key)")
    folder = key.rpartition("/")[0]
    return f"s3://{bucket}/{folder}/{FOLDER}/" if folder else f"s3://{bucket}/{FOLDER}/"


def baseline_uri(artifact_s3_uri: str, name: str = STATISTICS) -> str:
    """The S3 URI of the baseline file ``name`` of the artifact ``artifact_s3_uri``."""
    return baseline_prefix(artifact_s3_uri) + name


def files(folder: Path) -> list[Path]:
    """The regular files of ``folder`` (not its subfolders), sorted by name: what is uploaded."""
    return sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)


def statistics_problem(stats: Any) -> str | None:
    """Why a statistics.json document is not a launchpad baseline (the drift job needs launchpad's section
    and the numerical features' fine histograms), or None."""
    if not isinstance(stats, Mapping) or not isinstance(stats.get("launchpad"), Mapping):
        return (
            f"it has no launchpad section: launchpad did not write it (a Model Monitor baseline?); {WRITE_IT}"
        )
    features = stats.get("features")
    if not isinstance(features, list) or not features:
        return f"it has no features; {WRITE_IT}"
    for feature in features:
        if not isinstance(feature, Mapping):
            return f"a feature is {type(feature).__name__}, not an object; {WRITE_IT}"
        own = feature.get("launchpad")
        numerical = feature.get("inferred_type") != "String"
        if numerical and not (isinstance(own, Mapping) and "edges" in own):
            name = str(feature.get("name"))[:80]
            return f"feature {name!r} has no launchpad histogram (a Model Monitor baseline?); {WRITE_IT}"
    return None


def model_version(stats: Any) -> str | None:
    """The model version a statistics.json says it describes (``launchpad.model_version``), or None."""
    own = stats.get("launchpad") if isinstance(stats, Mapping) else None
    version = own.get("model_version") if isinstance(own, Mapping) else None
    return None if version is None or version == "" else str(version)


def read_json(path: Path) -> Any:
    """``path``'s JSON document; ValueError saying why it is not one (OSError: it cannot be read)."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not JSON ({exc.msg}, line {exc.lineno})") from None
    except (ValueError, RecursionError):  # a number past Python's digit limit; nesting past its stack
        raise ValueError(
            "it is not JSON launchpad can read (a number too long, or nested too deep)"
        ) from None


def folder_problems(folder: Path, deployed_version: str | None = None) -> list[str]:
    """What stops ``folder`` from shipping as a baseline: not a folder, a file it needs missing or unreadable,
    a statistics.json launchpad did not write, a file name the layout cannot hold, or a
    ``launchpad.model_version`` other than ``deployed_version`` (None: not checked)."""
    if not folder.is_dir():
        return [f"does not exist or is not a folder; {WRITE_IT}"]
    problems = []
    try:
        present = files(folder)
    except OSError as exc:
        return [f"cannot be read ({exc.strerror or exc})"]
    for path in present:
        if not NAME.fullmatch(path.name):
            problems.append(
                f"file {path.name[:80]!r}: a baseline file's name is letters, digits, '.', '_' and '-' "
                "(it becomes its S3 key); rename or remove it"
            )
        else:
            try:
                path.open("rb").close()
            except OSError as exc:
                problems.append(f"file {path.name!r} cannot be read ({exc.strerror or exc})")
    names = {p.name for p in present}
    documents = {}
    for name in REQUIRED:
        if name not in names:
            problems.append(f"has no {name}; {WRITE_IT}")
            continue
        try:
            documents[name] = read_json(folder / name)
        except (OSError, ValueError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        if not isinstance(documents[name], Mapping):
            problems.append(f"{name} is a JSON {type(documents[name]).__name__}, not an object; {WRITE_IT}")
            del documents[name]
    if STATISTICS in documents:
        stats = documents[STATISTICS]
        problem = statistics_problem(stats)
        if problem is not None:
            problems.append(f"{STATISTICS}: {problem}")
        version = model_version(stats)
        if deployed_version is not None and version is not None and version != deployed_version:
            problems.append(
                f"{STATISTICS} describes model version {version[:80]!r}, and this deploy ships version "
                f"{deployed_version[:80]!r} (its model card's model_details.version): profile this "
                "version's training data (make baseline), or deploy the version the baseline describes"
            )
    return problems


def comparable_digest(path: Path) -> str:
    """The sha256 two copies of a baseline file are compared by: a JSON object without
    ``launchpad.created`` (when it was written; a rebuilt baseline of the same data differs only there),
    serialised canonically; any other file, its bytes."""
    raw = path.read_bytes()
    try:
        document = json.loads(raw.decode("utf-8"))
        if not isinstance(document, dict):
            return hashlib.sha256(raw).hexdigest()
        own = document.get("launchpad")
        if isinstance(own, dict):
            document = {**document, "launchpad": {k: v for k, v in own.items() if k != "created"}}
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (ValueError, RecursionError):  # not JSON (or not JSON Python can hold): its bytes
        return hashlib.sha256(raw).hexdigest()
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
