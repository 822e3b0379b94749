"""SageMaker: hosting (models, endpoint configurations, endpoints, endpoint updates) and the model registry.

AWS (https://docs.aws.amazon.com/sagemaker/latest/APIReference/):
- ``API_CreateModel`` / ``API_DescribeModel``: ``EnableNetworkIsolation``, ``VpcConfig`` and
  ``InferenceExecutionConfig`` round-trip; optional fields that were not given are absent. A second model
  with an existing name is refused (``Cannot create already existing model "<arn>".``), as are endpoint
  configurations and endpoints.
- ``API_CreateEndpointConfig`` / ``API_DescribeEndpointConfig``: any ``ProductionVariantInstanceType`` of
  the current API (``ml.g5``, ``ml.g6``, ``ml.g6e``, ``ml.p4d``, ``ml.p5``, ``ml.inf2``, ``ml.trn1``,
  ``ml.c7i``..., taken from the service model botocore ships) on production and shadow variants, and any
  other refused as AWS refuses it (``1 validation error detected: Value 'ml.m5.huge' at
  'productionVariants.1.member.instanceType' failed to satisfy constraint: Member must satisfy enum value
  set: [...]``, with the variant lists' other constraints);
  ``ShadowProductionVariants``, ``AsyncInferenceConfig``, ``KmsKeyId`` and the variants are returned as
  given, ``DataCaptureConfig`` only when one was given.
- ``API_CreateEndpoint`` / ``API_DescribeEndpoint``: ``DeploymentConfig`` is validated against the API's
  constraints (``API_TrafficRoutingConfig``, ``API_RollingUpdatePolicy``, ``API_AutoRollbackConfig``) and
  returned as ``LastDeploymentConfig``; variant, shadow-variant, data-capture and async summaries come from
  the endpoint configuration.
- ``API_UpdateEndpoint``: deploys another configuration to an ``InService`` endpoint, which keeps its ARN and
  ``CreationTime``; ``RetainAllVariantProperties`` / ``ExcludeRetainedVariantProperties``,
  ``DeploymentConfig`` / ``RetainDeploymentConfig`` as documented; a blue/green or rolling deployment needs
  the same variant names (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html).
  An update that would change the instance type of, or remove, a variant registered with Application Auto
  Scaling is refused: "If the update would change the instance type for any model that is a target for auto
  scaling, the update fails ... deregister the variant as a scalable target" (developer guide,
  endpoint-auto-scaling-delete / "Update or delete endpoints that use auto scaling").
  The update is a rollout that takes (simulated) time, shifts traffic in steps and rolls back on alarms:
  ``sagemaker_rollout`` (instant unless a time scale is set, so Terraform sees the update complete at once).
- ``API_UpdateEndpointWeightsAndCapacities``: a variant property left out keeps its value; a
  ``DesiredWeight`` of 0 takes a variant out of the traffic (how an A/B test is stopped), but the production
  variants' weights may not all end up 0 (refused with a ValidationException; the wording is the sandbox's).
- ``API_CreateModelPackage`` / ``API_DescribeModelPackage``: a ``ModelCard`` (``ModelCardContent``, JSON
  text of at most 100,000 characters; ``ModelCardStatus`` Draft, PendingReview, Approved or Archived) is kept
  with the version and returned as given; a bad one is refused and nothing is registered.
- ``API_CreateNotebookInstance`` / ``API_DescribeNotebookInstance``: ``PlatformIdentifier`` and
  ``InstanceMetadataServiceConfiguration`` round-trip (stock moto drops them: every re-plan replaces the
  instance). ``UpdateNotebookInstance`` is not modelled (moto has none).
- ``API_CreateNotebookInstanceLifecycleConfig`` / ``API_AddTags`` / ``API_ListTags``: a lifecycle
  configuration keeps its ``Tags`` and answers ``ListTags`` by its ARN (stock moto answers 500, and the
  provider retries it for 15 minutes).
- ``API_DeleteModelPackage``, ``API_DeleteModelPackageGroup`` (refused with ``ConflictException`` while the
  group holds model packages), ``API_PutModelPackageGroupPolicy``, ``API_GetModelPackageGroupPolicy``,
  ``API_DeleteModelPackageGroupPolicy``; ``API_AddTags`` replaces the value of a key already there.

Stock moto rejects every instance type newer than ml.g4dn/ml.p3, always reports network isolation off, drops
deployment configurations and shadow variants, returns an empty data-capture block for configurations without
one, overwrites resources created twice, has no ``UpdateEndpoint``, no model-package(-group) deletion and no
group policies (HTTP 500: Terraform hangs), duplicates tag keys on ``AddTags`` and sets a variant's instance
count to null when ``UpdateEndpointWeightsAndCapacities`` leaves it out. Every one of these makes a Terraform
re-plan non-empty or an apply/destroy fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import get_service_model, utcnow
from moto.sagemaker.exceptions import ConflictException, ValidationError
from moto.sagemaker.models import (
    FakeEndpoint,
    FakeEndpointConfig,
    FakeSagemakerNotebookInstance,
    ModelPackage,
    SageMakerModelBackend,
)
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from launchpad.deploy.names import hosting_instance_types
from launchpad.sandbox.patches import sagemaker_execution as execution
from launchpad.sandbox.patches import sagemaker_rollout as rollout
from launchpad.sandbox.patches.api_model import constraint_errors, validation_message

_MARK = "_launchpad_sagemaker_patch"
SCALED_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
_IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})
# Variant properties that RetainAllVariantProperties keeps (API_VariantProperty).
_RETAINED_COUNTS = {
    "DesiredInstanceCount": ("CurrentInstanceCount", "DesiredInstanceCount"),
    "DesiredWeight": ("CurrentWeight", "DesiredWeight"),
}
# Fraction of a variant's instances one step may move (API_TrafficRoutingConfig, API_RollingUpdatePolicy).
_STEP_LIMITS = {"CanarySize": (0, 50), "LinearStepSize": (10, 50), "MaximumBatchSize": (5, 50)}
# CreateEndpointConfig parameters stock moto drops, and the attributes DescribeEndpointConfig reads them from.
_CONFIG_EXTRAS = {
    "ExplainerConfig": "explainer_config",
    "ExecutionRoleArn": "execution_role_arn",
    "VpcConfig": "vpc_config",
    "EnableNetworkIsolation": "enable_network_isolation",
    "MetricsConfig": "metrics_config",
}


# -- instance types ------------------------------------------------------------------------------
def check_instance_type(instance_type: str, member: str = "instanceType") -> None:
    allowed = hosting_instance_types()
    if instance_type not in allowed:
        raise ValidationError(
            f"Value '{instance_type}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: {list(allowed)}"
        )


def check_variant_lists(production: Any, shadows: Any) -> None:
    """CreateEndpointConfig's variant lists against the API model, as AWS answers: ``1 validation error
    detected: Value 'ml.m5.huge' at 'productionVariants.1.member.instanceType' failed to satisfy constraint:
    Member must satisfy enum value set: [...]`` (instance types, at most 10 variants, and the other enums)."""
    shape = get_service_model("sagemaker").shape_for("ProductionVariantList")
    errors = []
    for value, path in ((production, "productionVariants"), (shadows, "shadowProductionVariants")):
        if value is not None:
            errors += constraint_errors(value, shape, path)
    if errors:
        raise ValidationError(validation_message(errors))


def step_size_errors(deployment: Mapping[str, Any], variants: Iterable[Mapping[str, Any]]) -> list[str]:
    """Canary <= 50%, linear steps 10-50% and rolling batches 5-50% of each variant's instance count."""
    sizes: dict[str, Mapping[str, Any]] = {}
    routing = (deployment.get("BlueGreenUpdatePolicy") or {}).get("TrafficRoutingConfiguration") or {}
    for key in ("CanarySize", "LinearStepSize"):
        if routing.get(key):
            sizes[key] = routing[key]
    rolling = deployment.get("RollingUpdatePolicy") or {}
    if rolling.get("MaximumBatchSize"):
        sizes["MaximumBatchSize"] = rolling["MaximumBatchSize"]
    counts = [int(v["InitialInstanceCount"]) for v in variants if v.get("InitialInstanceCount")]
    errors = []
    for key, size in sizes.items():
        low, high = _STEP_LIMITS[key]
        value = int(size.get("Value", 0))
        percents = [value] if size.get("Type") == "CAPACITY_PERCENT" else [100 * value / c for c in counts]
        if any(not low <= p <= high for p in percents):
            errors.append(f"{key} must be between {low}% and {high}% of the variant's total instance count.")
    return errors


def check_deployment_config(
    deployment: Mapping[str, Any] | None, variants: Iterable[Mapping[str, Any]]
) -> None:
    if not deployment:
        return
    shape = get_service_model("sagemaker").shape_for("DeploymentConfig")
    errors = constraint_errors(deployment, shape, "deploymentConfig")
    if errors:
        raise ValidationError(validation_message(errors))
    errors = step_size_errors(deployment, variants)
    if errors:
        raise ValidationError(" ".join(errors))


def guarded(deployment: Mapping[str, Any] | None) -> bool:
    """Whether ``deployment`` asks for a blue/green or rolling deployment (deployment guardrails)."""
    return bool(
        deployment and (deployment.get("BlueGreenUpdatePolicy") or deployment.get("RollingUpdatePolicy"))
    )


def check_updatable(status: str, endpoint_arn: str, recovering: bool = False) -> None:
    """Only ``InService`` endpoints change; ``recovering``: ``UpdateEndpoint`` may also remedy an
    ``UpdateRollbackFailed`` one (API_DescribeEndpoint, EndpointStatus)."""
    if status in _IN_PROGRESS:
        raise ValidationError(f'Cannot update in-progress endpoint "{endpoint_arn}".')
    if status != "InService" and not (recovering and status == "UpdateRollbackFailed"):
        raise ValidationError(f'Cannot update endpoint "{endpoint_arn}" while it is {status}.')


def check_scaled_variants(
    backend: SageMakerModelBackend, endpoint: FakeEndpoint, new: Iterable[Mapping[str, Any]]
) -> None:
    """Refuse an update that changes the instance type of, or removes, a variant that is a scalable target
    in the endpoint's account and region."""
    scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    scaled = scaling.targets.get(SCALED_DIMENSION, {})
    old = backend.endpoint_configs.get(endpoint.endpoint_config_name)  # None: deleted, types unknown
    serving = {v["VariantName"]: v.get("InstanceType") for v in (old.production_variants if old else [])}
    after = {v["VariantName"]: v.get("InstanceType") for v in new}
    for variant in [v["VariantName"] for v in endpoint.production_variants]:
        if f"endpoint/{endpoint.endpoint_name}/variant/{variant}" not in scaled:
            continue
        if variant not in after or (old is not None and after[variant] != serving.get(variant)):
            change = "remove it" if variant not in after else "change its instance type"
            raise ValidationError(
                f'The update of endpoint "{endpoint.arn}" would {change}, but production variant {variant} '
                f"is a target for auto scaling. Deregister the variant as a scalable target "
                f"(DeregisterScalableTarget) before you update the endpoint."
            )


def check_some_weight(endpoint: FakeEndpoint, desired: Iterable[Mapping[str, Any]]) -> None:
    """The production variants' weights after ``desired`` are not all 0: some variant must serve."""
    after = {v["VariantName"]: float(v.get("DesiredWeight") or 0) for v in endpoint.production_variants}
    for change in desired:
        if change.get("VariantName") in after:  # an unknown variant is refused on its own
            after[change["VariantName"]] = float(change.get("DesiredWeight") or 0)
    if after and not any(weight > 0 for weight in after.values()):
        raise ValidationError(
            f'The production variants of endpoint "{endpoint.arn}" would all have a DesiredWeight of 0; at '
            f"least one must be greater than 0."
        )


def check_same_variants(
    old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]], config: str
) -> None:
    before, after = sorted(v["VariantName"] for v in old), sorted(v["VariantName"] for v in new)
    if before != after:
        raise ValidationError(
            f"For a blue/green or rolling deployment the new endpoint configuration must have the same "
            f'variant names as the old one: endpoint configuration "{config}" has {after}, the endpoint '
            f"has {before}."
        )


# -- endpoint descriptions built from an endpoint configuration -----------------------------------
def _images(model: Any) -> list[str]:
    if model is None:
        return []
    containers = [model.primary_container or {}, *(model.containers or [])]
    return [c["Image"] for c in containers if c.get("Image")]


def variant_summary(variant: Mapping[str, Any], models: Mapping[str, Any]) -> dict[str, Any]:
    """``ProductionVariantSummary`` of a freshly deployed ``ProductionVariant``."""
    summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
    images = _images(models.get(variant.get("ModelName", "")))
    if images:
        now = utcnow()
        summary["DeployedImages"] = [{"SpecifiedImage": i, "ResolutionTime": now} for i in images]
    weight = variant.get("InitialVariantWeight", 1.0)
    summary["CurrentWeight"] = summary["DesiredWeight"] = weight
    if variant.get("InitialInstanceCount") is not None:
        summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = variant["InitialInstanceCount"]
    if variant.get("ServerlessConfig"):
        summary["CurrentServerlessConfig"] = summary["DesiredServerlessConfig"] = variant["ServerlessConfig"]
    for key in ("ManagedInstanceScaling", "RoutingConfig"):
        if variant.get(key):
            summary[key] = variant[key]
    return summary


def data_capture_summary(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``DataCaptureConfigSummary`` of a ``DataCaptureConfig`` (capture is on unless disabled)."""
    if not config:
        return None
    enabled = config.get("EnableCapture", True)
    summary = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": config.get("InitialSamplingPercentage"),
        "DestinationS3Uri": config.get("DestinationS3Uri"),
        "KmsKeyId": config.get("KmsKeyId"),
    }
    return {k: v for k, v in summary.items() if v is not None}


def deploy(endpoint: FakeEndpoint, config: FakeEndpointConfig, models: Mapping[str, Any]) -> None:
    """Point ``endpoint`` at ``config``: its variants, shadow variants, data capture and async config."""
    endpoint.endpoint_config_name = config.endpoint_config_name
    endpoint.production_variants = [variant_summary(v, models) for v in config.production_variants]
    shadows = getattr(config, "shadow_production_variants", None) or []
    endpoint.shadow_production_variants = [variant_summary(v, models) for v in shadows] or None  # type: ignore[attr-defined]
    endpoint.data_capture_config = data_capture_summary(config.data_capture_config)  # type: ignore[assignment]
    endpoint.async_inference_config = config.async_inference_config or None  # type: ignore[attr-defined]
    endpoint.explainer_config = getattr(config, "explainer_config", None)  # type: ignore[attr-defined]
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = utcnow()


def retain_variant_properties(
    new: list[dict[str, Any]], old: Iterable[Mapping[str, Any]], excluded: Iterable[str]
) -> None:
    """RetainAllVariantProperties: variants that keep their name keep their instance counts and weights."""
    old_by_name = {v["VariantName"]: v for v in old}
    for variant in new:
        previous = old_by_name.get(variant["VariantName"])
        if previous is None:
            continue
        for prop, keys in _RETAINED_COUNTS.items():
            if prop not in excluded and all(k in previous for k in keys):
                for key in keys:
                    variant[key] = previous[key]


# -- the patch ------------------------------------------------------------------------------------
def _already_exists(kind: str, arn: str) -> ValidationError:
    return ValidationError(f'Cannot create already existing {kind} "{arn}".')


def _group_name(name_or_arn: str) -> str:
    return name_or_arn.split(":model-package-group/", 1)[-1]


def _group(backend: SageMakerModelBackend, name_or_arn: str) -> Any:
    group = backend.model_package_groups.get(_group_name(name_or_arn))
    if group is None:
        arn = arn_formatter(
            "model-package-group", _group_name(name_or_arn), backend.account_id, backend.region_name
        )
        raise ValidationError(f"Cannot find Model Package Group: {arn}")
    return group


def _patch_models() -> None:
    original = SageMakerResponse.create_model

    def create_model(self: SageMakerResponse) -> ActionResult:
        backend, name = self.sagemaker_backend, self._get_param("ModelName")
        if name in backend._models:
            raise _already_exists("model", backend._models[name].arn)
        execution.check_model_role(backend, name, self._get_param("ExecutionRoleArn"))
        result = original(self)
        model = backend._models[name]
        model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
        model.inference_execution_config = self._get_param("InferenceExecutionConfig")  # type: ignore[attr-defined]
        model.vpc_config = model.vpc_config or None  # type: ignore[assignment]
        model.primary_container = model.primary_container or None  # type: ignore[assignment]
        model.containers = model.containers or None  # type: ignore[assignment]
        return result

    SageMakerResponse.create_model = create_model  # type: ignore[method-assign]


def _patch_endpoint_configs() -> None:
    def validate_instance_type(self: FakeEndpointConfig, instance_type: str) -> None:
        check_instance_type(instance_type)

    def validate_realtime(instance_types: list[str]) -> None:
        for instance_type in instance_types:
            check_instance_type(instance_type, "SupportedRealtimeInferenceInstanceTypes")

    def create_endpoint_config(self: SageMakerResponse) -> ActionResult:
        backend, name = self.sagemaker_backend, self._get_param("EndpointConfigName")
        if name in backend.endpoint_configs:
            raise _already_exists(
                "endpoint configuration", backend.endpoint_configs[name].endpoint_config_arn
            )
        shadows = self._get_param("ShadowProductionVariants")
        check_variant_lists(self._get_param("ProductionVariants"), shadows)
        shadows = shadows or []
        backend.validate_production_variants(shadows)
        capture = self._get_param("DataCaptureConfig")
        config = backend.create_endpoint_config(
            endpoint_config_name=name,
            production_variants=self._get_param("ProductionVariants"),
            data_capture_config=capture,
            async_inference_config=self._get_param("AsyncInferenceConfig"),
            tags=self._get_param("Tags"),
            kms_key_id=self._get_param("KmsKeyId"),
        )
        config.arn = config.endpoint_config_arn  # type: ignore[assignment]  # stock: a one-element tuple
        config.data_capture_config = capture or None  # type: ignore[assignment]
        config.async_inference_config = config.async_inference_config or None  # type: ignore[assignment]
        config.shadow_production_variants = shadows or None  # type: ignore[attr-defined]
        for param, attribute in _CONFIG_EXTRAS.items():
            setattr(config, attribute, self._get_param(param))
        return ActionResult({"EndpointConfigArn": config.endpoint_config_arn})

    FakeEndpointConfig.validate_instance_type = validate_instance_type  # type: ignore[method-assign]
    ModelPackage.validate_supported_realtime_inference_instance_types = staticmethod(validate_realtime)  # type: ignore[method-assign]
    SageMakerResponse.create_endpoint_config = create_endpoint_config  # type: ignore[method-assign]


def _patch_endpoints() -> None:
    original_weights = SageMakerModelBackend.update_endpoint_weights_and_capacities

    def create_endpoint(self: SageMakerResponse) -> ActionResult:
        backend, name = self.sagemaker_backend, self._get_param("EndpointName")
        if name in backend.endpoints:
            raise _already_exists("endpoint", backend.endpoints[name].arn)
        config = _endpoint_config(backend, self._get_param("EndpointConfigName"))
        deployment = self._get_param("DeploymentConfig")
        check_deployment_config(deployment, config.production_variants)
        # As moto's own CreateEndpoint does: is_created is a CloudFormation hook it never reads.
        endpoint = FakeEndpoint(  # type: ignore[abstract]
            account_id=backend.account_id,
            region_name=backend.region_name,
            endpoint_name=name,
            endpoint_config_name=config.endpoint_config_name,
            production_variants=[],
            data_capture_config={},
            tags=self._get_param("Tags"),
        )
        deploy(endpoint, config, backend._models)
        endpoint.creation_time = endpoint.last_modified_time
        endpoint.last_deployment_config = deployment  # type: ignore[attr-defined]
        failure = execution.provision(backend, name, config, deployment)
        if failure is not None:
            endpoint.endpoint_status = "Failed"
            endpoint.failure_reason = failure  # type: ignore[assignment]  # moto declares it None
        backend.endpoints[name] = endpoint
        return ActionResult({"EndpointArn": endpoint.arn})

    def update_endpoint(self: SageMakerResponse) -> ActionResult:
        backend, name = self.sagemaker_backend, self._get_param("EndpointName")
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            arn = FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)
            raise ValidationError(f'Could not find endpoint "{arn}".')
        config = _endpoint_config(backend, self._get_param("EndpointConfigName"))
        with rollout.LOCK:
            rollout.advance(endpoint)
            check_updatable(endpoint.endpoint_status, endpoint.arn, recovering=True)
            deployment = self._get_param("DeploymentConfig")
            if deployment is None and self._get_param("RetainDeploymentConfig", False):
                deployment = getattr(endpoint, "last_deployment_config", None)
            check_deployment_config(deployment, config.production_variants)
            check_scaled_variants(backend, endpoint, config.production_variants)
            if guarded(deployment):
                check_same_variants(
                    endpoint.production_variants, config.production_variants, config.endpoint_config_name
                )
            scale = rollout.time_scale(endpoint)
            failure = execution.provision(backend, name, config, deployment)
            old = rollout.fleet(endpoint)
            deploy(endpoint, config, backend._models)
            if self._get_param("RetainAllVariantProperties", False):
                exclusions = self._get_param("ExcludeRetainedVariantProperties") or []
                excluded = [p["VariantPropertyType"] for p in exclusions]
                retain_variant_properties(endpoint.production_variants, old["production_variants"], excluded)
                if "DataCaptureConfig" not in excluded:
                    endpoint.data_capture_config = old["data_capture_config"]
            endpoint.last_deployment_config = deployment  # type: ignore[attr-defined]
            rollout.start(endpoint, backend, old, deployment, scale, failure)
        return ActionResult({"EndpointArn": endpoint.arn})

    def update_endpoint_weights_and_capacities(
        self: SageMakerModelBackend, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
    ) -> str:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None:
            rollout.advance(endpoint)
            check_updatable(endpoint.endpoint_status, endpoint.arn)
        current = {v["VariantName"]: v for v in endpoint.production_variants} if endpoint else {}
        for desired in desired_weights_and_capacities:
            variant = current.get(desired.get("VariantName", ""), {})
            for key in ("DesiredWeight", "DesiredInstanceCount"):
                if desired.get(key) is None and key in variant:
                    desired[key] = variant[key]
        if endpoint is not None:
            check_some_weight(endpoint, desired_weights_and_capacities)
        arn = original_weights(self, endpoint_name, desired_weights_and_capacities)
        for variant in self.endpoints[endpoint_name].production_variants:
            for key in ("CurrentWeight", "DesiredWeight", "CurrentInstanceCount", "DesiredInstanceCount"):
                if variant.get(key) is None:
                    variant.pop(key, None)
        return arn

    original_delete = SageMakerModelBackend.delete_endpoint

    def delete_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> None:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None:
            execution.release(self, endpoint)
        original_delete(self, endpoint_name)

    SageMakerModelBackend.delete_endpoint = delete_endpoint  # type: ignore[method-assign]
    SageMakerResponse.create_endpoint = create_endpoint  # type: ignore[method-assign]
    SageMakerResponse.update_endpoint = update_endpoint  # type: ignore[attr-defined]
    SageMakerModelBackend.update_endpoint_weights_and_capacities = update_endpoint_weights_and_capacities  # type: ignore[method-assign]


def _endpoint_config(backend: SageMakerModelBackend, name: str) -> FakeEndpointConfig:
    config = backend.endpoint_configs.get(name)
    if config is None:
        arn = FakeEndpointConfig.arn_formatter(name, backend.account_id, backend.region_name)
        raise ValidationError(f'Could not find endpoint configuration "{arn}".')
    return config


MODEL_CARD_STATUSES = ("Draft", "PendingReview", "Approved", "Archived")
MODEL_CARD_MAX = 100_000


def model_card_problems(card: Any) -> list[str]:
    """What is wrong with a CreateModelPackage ``ModelCard`` (API_ModelPackageModelCard), in AWS's form."""
    if not isinstance(card, Mapping):
        return ["ModelCard must be a structure with ModelCardContent and ModelCardStatus"]
    problems = []
    content, status = card.get("ModelCardContent"), card.get("ModelCardStatus")
    if status not in MODEL_CARD_STATUSES:
        problems.append(
            f"Value '{status}' at 'modelCard.modelCardStatus' failed to satisfy constraint: Member must "
            f"satisfy enum value set: [{', '.join(MODEL_CARD_STATUSES)}]"
        )
    if content is not None:
        if not isinstance(content, str) or len(content) > MODEL_CARD_MAX:
            problems.append(
                "Value at 'modelCard.modelCardContent' failed to satisfy constraint: Member must have length "
                f"less than or equal to {MODEL_CARD_MAX}"
            )
        else:
            try:
                json.loads(content)
            except ValueError:
                problems.append("ModelCardContent is not valid JSON")
    return problems


def attach_model_card(package: ModelPackage, card: Mapping[str, Any] | None) -> None:
    """Keep ``card`` (checked by ``model_card_problems``) with the version, for DescribeModelPackage."""
    package.launchpad_model_card = dict(card) if card else None  # type: ignore[attr-defined]


def _patch_registry() -> None:
    original_create = SageMakerResponse.create_model_package
    original_response = ModelPackage.gen_response_object

    def create_model_package(self: SageMakerResponse) -> Any:
        card = self._get_param("ModelCard")
        if card is not None and (problems := model_card_problems(card)):
            raise ValidationError(
                f"{len(problems)} validation error{'s' * (len(problems) > 1)} detected: "
                + "; ".join(problems)
            )
        answer = original_create(self)
        if card is not None:
            arn = cast(dict[str, str], answer.result)["ModelPackageArn"]
            attach_model_card(self.sagemaker_backend.model_packages[arn], card)
        return answer

    def gen_response_object(self: ModelPackage) -> dict[str, Any]:
        response: dict[str, Any] = original_response(self)
        card = getattr(self, "launchpad_model_card", None)
        if card:
            response["ModelCard"] = card
        return response

    SageMakerResponse.create_model_package = create_model_package  # type: ignore[method-assign]
    ModelPackage.gen_response_object = gen_response_object  # type: ignore[method-assign]


def _patch_registry_deletes() -> None:
    def delete_model_package(self: SageMakerResponse) -> ActionResult:
        backend = self.sagemaker_backend
        package = backend.describe_model_package(self._get_param("ModelPackageName"))
        del backend.model_packages[package.arn]
        for key in [k for k, arn in backend.model_package_name_mapping.items() if arn == package.arn]:
            del backend.model_package_name_mapping[key]
        return EmptyResult()

    def delete_model_package_group(self: SageMakerResponse) -> ActionResult:
        backend = self.sagemaker_backend
        name = _group_name(self._get_param("ModelPackageGroupName"))
        group = backend.describe_model_package_group(name)
        if any(p.model_package_group_name == name for p in backend.model_packages.values()):
            raise ConflictException(
                f"Model Package Group {group.arn} contains model packages: delete them before the group."
            )
        del backend.model_package_groups[name]
        return EmptyResult()

    def put_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
        group = _group(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
        group.launchpad_resource_policy = self._get_param("ResourcePolicy")
        return ActionResult({"ModelPackageGroupArn": group.arn})

    def get_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
        group = _group(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
        policy = getattr(group, "launchpad_resource_policy", None)
        if policy is None:
            raise ValidationError(f"Cannot find resource policy for: {group.arn}")
        return ActionResult({"ResourcePolicy": policy})

    def delete_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
        group = _group(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
        if getattr(group, "launchpad_resource_policy", None) is None:
            raise ValidationError(f"Cannot find resource policy for: {group.arn}")
        group.launchpad_resource_policy = None
        return EmptyResult()

    def add_tags(self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        resource = self._get_resource_from_arn(arn)
        merged = {t["Key"]: t for t in resource.tags or []}
        merged.update({t["Key"]: t for t in tags})
        resource.tags = list(merged.values())
        return resource.tags

    for method in (
        delete_model_package,
        delete_model_package_group,
        put_model_package_group_policy,
        get_model_package_group_policy,
        delete_model_package_group_policy,
    ):
        setattr(SageMakerResponse, method.__name__, method)
    SageMakerModelBackend.add_tags = add_tags  # type: ignore[method-assign]


_NOTEBOOK_EXTRAS = ("PlatformIdentifier", "InstanceMetadataServiceConfiguration")


def _patch_notebook_instances() -> None:
    original_create = SageMakerResponse.create_notebook_instance
    original_to_dict = FakeSagemakerNotebookInstance.to_dict

    def create_notebook_instance(self: SageMakerResponse) -> ActionResult:
        answer = original_create(self)
        notebook = self.sagemaker_backend.notebook_instances[self._get_param("NotebookInstanceName")]
        notebook.launchpad_extras = {  # type: ignore[attr-defined]
            key: self._get_param(key) for key in _NOTEBOOK_EXTRAS if self._get_param(key) is not None
        }
        return answer

    def to_dict(self: FakeSagemakerNotebookInstance) -> dict[str, Any]:
        return {**original_to_dict(self), **getattr(self, "launchpad_extras", {})}

    SageMakerResponse.create_notebook_instance = create_notebook_instance  # type: ignore[method-assign]
    FakeSagemakerNotebookInstance.to_dict = to_dict  # type: ignore[method-assign]


def _patch_notebook_lifecycle_tags() -> None:
    original_lookup = SageMakerModelBackend._get_resource_from_arn
    original_create = SageMakerResponse.create_notebook_instance_lifecycle_config

    def _get_resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
        kind, _, name = arn.split(":")[-1].partition("/")
        if kind != "notebook-instance-lifecycle-config":
            return original_lookup(self, arn)
        config = self.notebook_instance_lifecycle_configurations.get(name)
        if config is None:
            raise ValidationError(message=f"Could not find {kind} with name {name}")
        if not hasattr(config, "tags"):
            config.tags = []  # type: ignore[attr-defined]
        return config

    def create_notebook_instance_lifecycle_config(self: SageMakerResponse) -> ActionResult:
        answer = original_create(self)
        name = self._get_param("NotebookInstanceLifecycleConfigName")
        config = self.sagemaker_backend.notebook_instance_lifecycle_configurations[name]
        config.tags = list(self._get_param("Tags") or [])  # type: ignore[attr-defined]
        return answer

    SageMakerModelBackend._get_resource_from_arn = _get_resource_from_arn  # type: ignore[method-assign]
    SageMakerResponse.create_notebook_instance_lifecycle_config = (  # type: ignore[method-assign]
        create_notebook_instance_lifecycle_config
    )


def apply() -> None:
    if getattr(SageMakerResponse, _MARK, False):
        return
    _patch_notebook_lifecycle_tags()
    _patch_notebook_instances()
    _patch_models()
    _patch_endpoint_configs()
    _patch_endpoints()
    _patch_registry()
    _patch_registry_deletes()
    rollout.apply()
    setattr(SageMakerResponse, _MARK, True)
