"""launchpad's patches to moto: one module per AWS service, each following the AWS API reference.

Each patch module has a docstring naming the AWS API (and page) whose behaviour it restores, and an
``apply()`` that is safe to call more than once. They run inside the sandbox server process only, never
in the process that runs tests or the CLI. moto is pinned exactly (pyproject.toml) because these patches
reach into its internals; ``tests/sandbox/`` has a test per patch.
"""

from __future__ import annotations

from types import ModuleType

from launchpad.sandbox.patches import (
    accounts,
    apigateway,
    apigateway_roundtrip,
    applicationautoscaling,
    awslambda,
    cloudfront,
    cloudwatch,
    codebuild,
    codepipeline,
    cognitoidp,
    dispatch,
    ec2,
    ecr,
    events,
    kms,
    logs,
    s3,
    sagemaker,
    sagemaker_hosting,
    sagemaker_pipelines,
    sagemaker_processing,
    sagemaker_runtime,
    sagemaker_training,
    sagemaker_tuning,
    scheduler,
    sns,
    sts,
)

PATCHES: tuple[ModuleType, ...] = (
    accounts,
    apigateway,
    apigateway_roundtrip,
    applicationautoscaling,
    awslambda,
    cloudfront,
    cloudwatch,
    codebuild,
    codepipeline,
    cognitoidp,
    dispatch,
    ec2,
    ecr,
    events,
    kms,
    logs,
    s3,
    sagemaker,
    sagemaker_hosting,
    sagemaker_pipelines,
    sagemaker_processing,
    sagemaker_runtime,
    sagemaker_training,
    sagemaker_tuning,
    scheduler,
    sns,
    sts,
)


def names() -> list[str]:
    return [module.__name__.rsplit(".", 1)[-1] for module in PATCHES]


def apply_all() -> None:
    for module in PATCHES:
        module.apply()
