"""The training pipeline's Processing jobs: ``validate`` (ValidateData), ``cross-validate`` (CrossValidate).

On AWS they run on AWS's prebuilt scikit-learn image with launchpad's job bundle as their code input
(:func:`launchpad.pipeline.jobs.job_bundle`; ``launchpad_pipeline_job.py`` is the entry point), under the
pipeline's job role::

    python3 /opt/ml/processing/input/code/launchpad_pipeline_job.py validate --root /opt/ml \\
        [--baseline s3://<bucket>/<prefix>/baseline/]
    python3 /opt/ml/processing/input/code/launchpad_pipeline_job.py cross-validate --root /opt/ml \\
        --best-training-job <name> [--folds K]

Paths under ``--root`` (default: the root the entry point lies under, ``<root>/processing/input/code``):

- inputs: the training data's CSV files in ``processing/input/data``; for cross-validate the project's
  ``sourcedir.tar.gz`` in ``processing/input/source``;
- outputs: validate writes ``processing/output/report/report.json`` and the new data's drift baseline in
  ``processing/output/baseline`` (statistics.json, constraints.json, checks.json, analysis.json);
  cross-validate writes ``processing/output/evaluation/evaluation.json`` and ``bias.json``.

The project's declarations (label, features and their types, the missing-value limit, facets, bias
thresholds, the drift rule, the model card's checks) are ``project.json`` beside this module in the bundle
(``--config`` for another file). ``--baseline`` is the deployed version's baseline prefix (``""``: none), read
with boto3, or a local folder; the best training job is described with boto3.

Exit codes: 0 done; 2 data or an input the run cannot use (the reason in the last line of standard error:
the step's FailureReason); 3 AWS refused a call (its error, naming the action an AccessDenied lacks).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.monitor import bias, outcomes, profile

from . import crossval, validation

LOG = logging.getLogger(__name__)
ENTRY_POINT = "launchpad_pipeline_job.py"
CONFIG = "project.json"
DATA = os.path.join("processing", "input", "data")
SOURCE = os.path.join("processing", "input", "source")
REPORT = os.path.join("processing", "output", "report")
BASELINE = os.path.join("processing", "output", "baseline")
EVALUATION = os.path.join("processing", "output", "evaluation")
CODE = os.path.join("processing", "input", "code")


class JobError(RuntimeError):
    """A run that cannot go on; the message says why (exit code 2)."""


def default_root(entry: str | None) -> str:
    """The root above ``processing/input/code`` when the entry point lies there (SageMaker's layout under
    any root, as the sandbox gives it), else /opt/ml."""
    if entry:
        folder = os.path.dirname(os.path.abspath(entry))
        if folder.endswith(os.sep + CODE):
            return folder[: -len(os.sep + CODE)] or os.sep
    return "/opt/ml"


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise JobError(f"{path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JobError(f"{path} is not JSON: {exc}") from None


def write_json(folder: str, documents: Mapping[str, Any]) -> None:
    os.makedirs(folder, exist_ok=True)
    for name, document in documents.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)


def load_config(path: str) -> dict[str, Any]:
    """The project's declarations, refused when incomplete."""
    config = read_json(path)
    if not isinstance(config, dict) or config.get("version") != 1:
        raise JobError(f"{path} is not launchpad's project.json (version 1)")
    missing = [key for key in ("label", "features", "max_missing") if key not in config]
    if missing:
        raise JobError(f"{path} has no {', '.join(missing)}")
    for feature in config["features"]:
        if feature.get("type") not in validation.TYPES:
            raise JobError(
                f"{path}: feature {feature.get('name')!r} has type {feature.get('type')!r}; "
                f"use one of {', '.join(validation.TYPES)}"
            )
    return config


# -- S3 ------------------------------------------------------------------------------------------------------
def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or not uri[5:].partition("/")[0]:
        raise JobError(f"{uri!r} is not an s3://bucket/prefix URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def deployed_baseline(location: str, s3: Callable[[], Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(statistics, constraints, location) of the deployed version's baseline: an s3:// prefix or a folder."""
    documents = {}
    for name in ("statistics.json", "constraints.json"):
        if location.startswith("s3://"):
            bucket, key = split_uri(location.rstrip("/") + "/" + name)
            try:
                body = s3().get_object(Bucket=bucket, Key=key)["Body"].read()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    raise JobError(
                        f"the Baseline {location} has no {name}: give the prefix of the deployed version's "
                        f'baseline (beside its model.tar.gz), or "" for none'
                    ) from None
                raise
            try:
                documents[name] = json.loads(body)
            except ValueError:
                raise JobError(f"{location}{name} is not JSON") from None
        else:
            documents[name] = read_json(os.path.join(location, name))
    return documents["statistics.json"], documents["constraints.json"], location


# -- the steps ----------------------------------------------------------------------------------------------
def run_validate(args: argparse.Namespace, config: Mapping[str, Any], s3: Callable[[], Any]) -> int:
    data = validation.read_csv(validation.csv_files(os.path.join(args.root, DATA)))
    LOG.info("read %d rows of %d columns from %d files", data.rows, len(data.header), len(data.files))
    validation.check(data, config)
    deployed = deployed_baseline(args.baseline, s3) if args.baseline else None
    report, documents = validation.validate(data, config, deployed)
    write_json(os.path.join(args.root, BASELINE), documents)
    write_json(os.path.join(args.root, REPORT), {validation.REPORT: report})
    drifted = (report["drift"] or {}).get("drifted_features")
    LOG.info(
        "passed: %d rows; drift against the deployed baseline: %s; pre-training bias violations: %s",
        data.rows,
        "not compared" if drifted is None else f"{drifted} features drifted",
        "n/a" if report["bias"] is None else len(report["bias"]["violations"]),
    )
    return 0


def source_archive(folder: str) -> str:
    found = (
        sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".tar.gz"))
        if os.path.isdir(folder)
        else []
    )
    if len(found) != 1:
        raise JobError(
            f"{folder} holds {len(found)} .tar.gz files; the SourceCode input is the project's one "
            f"sourcedir.tar.gz"
        )
    return found[0]


def run_cross_validate(
    args: argparse.Namespace, config: Mapping[str, Any], sagemaker: Callable[[], Any]
) -> int:
    described = sagemaker().describe_training_job(TrainingJobName=args.best_training_job)
    given = crossval.hyperparameters(described)
    LOG.info("best training job %s: %s", args.best_training_job, given)
    data = validation.read_csv(validation.csv_files(os.path.join(args.root, DATA)))
    validation.check(data, config)
    folder = tempfile.mkdtemp(prefix="sourcedir-")
    archive = args.source or source_archive(os.path.join(args.root, SOURCE))
    module = crossval.load_project(crossval.unpack_source(archive, folder))
    folds = args.folds if args.folds is not None else int(config.get("folds", 5))
    evaluation, analysis = crossval.cross_validate(
        module, data, config, folds=folds, best_training_job=args.best_training_job, given=given
    )
    documents = {crossval.EVALUATION: evaluation, crossval.BIAS: analysis}
    write_json(os.path.join(args.root, EVALUATION), documents)
    shown = ", ".join(f"{k} {v['mean']:.4f} (sd {v['std']:.4f})" for k, v in evaluation["metrics"].items())
    LOG.info("%d folds of %d rows: %s; bias %s", folds, evaluation["rows"], shown, evaluation["bias"])
    return 0


def _arguments(argv: Sequence[str] | None, entry: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=ENTRY_POINT, description="launchpad's training pipeline jobs")
    commands = parser.add_subparsers(dest="command", required=True)
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), CONFIG)
    for name, text in (
        ("validate", "ValidateData: schema, missing values, drift, pre-training bias, the baseline"),
        ("cross-validate", "CrossValidate: k-fold CV of the best training job, post-training bias"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--root", default=default_root(entry), help="SageMaker's /opt/ml")
        command.add_argument("--config", default=here, help=f"the project's declarations (default: {CONFIG})")
        if name == "validate":
            command.add_argument(
                "--baseline", default="", help="s3:// prefix (or folder) of the deployed version's baseline"
            )
        else:
            command.add_argument("--best-training-job", required=True)
            command.add_argument("--folds", type=int, help="default: the project's cross_validation.folds")
            command.add_argument("--source", help="sourcedir.tar.gz (default: the one in the source input)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, entry: str | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    args = _arguments(argv, entry)
    step = "ValidateData" if args.command == "validate" else "CrossValidate"
    try:
        import boto3  # the image has it; imported here so the module loads without it

        config = load_config(args.config)
        if args.command == "validate":
            return run_validate(args, config, lambda: boto3.client("s3"))
        return run_cross_validate(args, config, lambda: boto3.client("sagemaker"))
    except (
        JobError,
        validation.ValidationFailed,
        crossval.CrossValidationError,
        profile.ProfileError,
        bias.BiasError,
        outcomes.ChecksError,
        OSError,
    ) as exc:
        LOG.error("%s: %s", step, exc)
        return 2
    except (ClientError, BotoCoreError) as exc:  # AWS's words: an AccessDenied names the action
        LOG.error("%s: %s", step, exc)
        return 3
