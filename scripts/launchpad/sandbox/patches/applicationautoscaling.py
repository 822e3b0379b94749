"""Application Auto Scaling: tags on scalable targets, and policies and scheduled actions that belong to one.

AWS (https://docs.aws.amazon.com/autoscaling/application/APIReference/):
- ``API_RegisterScalableTarget`` takes ``Tags`` for a new target (an existing one is tagged with
  ``API_TagResource``); ``API_ListTagsForResource``, ``API_TagResource`` and ``API_UntagResource`` work on the
  ``ScalableTargetARN`` that ``API_DescribeScalableTargets`` returns, and answer ``ResourceNotFoundException``
  for any other ARN.
- ``API_PutScalingPolicy`` and ``API_PutScheduledAction`` need a registered scalable target
  (``ObjectNotFoundException``); updating a policy keeps its ARN.
- ``API_DescribeScalingPolicies`` returns only the ``PolicyNames`` asked for, on exactly the given resource.
- ``API_DeregisterScalableTarget`` deletes the target's scaling policies and scheduled actions with it.

- Registering the first SageMaker variant creates the service-linked role
  ``AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`` (path
  ``/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/``), which the caller must be allowed to
  create (``iam:CreateServiceLinkedRole``, checked by the sandbox's authorization gate); it stays in the
  account ("Service-linked roles for Application Auto Scaling").

Stock moto has no tag operations (HTTP 500: applying an ``aws_appautoscaling_target`` hangs), ignores
``Tags`` and ``PolicyNames`` (the provider reads the first policy of the target for every policy, so a second
policy on one target never re-plans empty), matches resource ids by substring, accepts policies for targets
that do not exist and leaves them behind when their target is deregistered.
"""

from __future__ import annotations

import json
from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeScalableTarget
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse, _build_policy
from moto.core.exceptions import JsonRESTError
from moto.iam.models import iam_backends

from launchpad.sandbox.authz.requests import SLR_SAGEMAKER_NAME as SAGEMAKER_SLR_NAME
from launchpad.sandbox.authz.requests import SLR_SAGEMAKER_SERVICE as SAGEMAKER_SLR_SERVICE

_MARK = "_launchpad_applicationautoscaling_patch"


class ResourceNotFoundException(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for ARN: {arn}")


class ObjectNotFoundException(JsonRESTError):
    def __init__(self, namespace: str, resource_id: str, dimension: str) -> None:
        super().__init__(
            "ObjectNotFoundException",
            f"No scalable target registered for service namespace: {namespace}, resource ID: {resource_id}, "
            f"scalable dimension: {dimension}",
        )


def ensure_service_linked_role(account: str, service: str, name: str) -> None:
    """Create the service-linked role ``name`` of ``service`` in ``account`` unless it is there."""
    iam = iam_backends[account]["aws"]
    path = f"/aws-service-role/{service}/"
    if any(role.path == path for role in iam.roles.values()):
        return
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(
        name,
        json.dumps(trust),
        path,
        permissions_boundary=None,
        description="Service-linked role of Application Auto Scaling",
        tags=[],
        max_session_duration="3600",
        linked_service=service,
    )


def target_tags(target: FakeScalableTarget) -> dict[str, str]:
    tags: dict[str, str] | None = getattr(target, "launchpad_tags", None)
    if tags is None:
        tags = {}
        target.launchpad_tags = tags  # type: ignore[attr-defined]
    return tags


def target_by_arn(backend: ApplicationAutoscalingBackend, arn: str) -> FakeScalableTarget:
    for by_resource in backend.targets.values():
        for target in by_resource.values():
            if target.arn == arn:
                return target
    raise ResourceNotFoundException(arn)


def require_target(
    backend: ApplicationAutoscalingBackend, namespace: str, resource_id: str, dimension: str
) -> None:
    target = backend.targets.get(dimension, {}).get(resource_id)
    if target is None or target.service_namespace != namespace:
        raise ObjectNotFoundException(namespace, resource_id, dimension)


def matches(item: Any, namespace: str, resource_id: str | None, dimension: str | None) -> bool:
    return (
        item.service_namespace == namespace
        and resource_id in (None, item.resource_id)
        and dimension in (None, item.scalable_dimension)
    )


def _patch_tags() -> None:
    original_register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        backend = self.applicationautoscaling_backend
        existed = self._get_param("ResourceId") in backend.targets.get(
            self._get_param("ScalableDimension"), {}
        )
        body = original_register(self)
        if self._get_param("ServiceNamespace") == "sagemaker":
            ensure_service_linked_role(backend.account_id, SAGEMAKER_SLR_SERVICE, SAGEMAKER_SLR_NAME)
        tags = self._get_param("Tags")
        if tags and not existed:
            target_tags(target_by_arn(backend, json.loads(body)["ScalableTargetARN"])).update(tags)
        return body

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        target = target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        return json.dumps({"Tags": target_tags(target)})

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        target = target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        target_tags(target).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        target = target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        tags = target_tags(target)
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return json.dumps({})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]


def _patch_policies() -> None:
    original_put = ApplicationAutoscalingBackend.put_scaling_policy
    original_put_scheduled = ApplicationAutoscalingBackend.put_scheduled_action
    original_deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    def put_scaling_policy(self: ApplicationAutoscalingBackend, **kwargs: Any) -> Any:
        namespace, resource_id = kwargs["service_namespace"], kwargs["resource_id"]
        require_target(self, namespace, resource_id, kwargs["scalable_dimension"])
        previous = next(
            (
                p
                for p in self.policies.values()
                if p.policy_name == kwargs["policy_name"]
                and matches(p, namespace, resource_id, kwargs["scalable_dimension"])
            ),
            None,
        )
        policy = original_put(self, **kwargs)
        if previous is not None:
            previous.delete_alarms(self.account_id, self.region_name)
            policy.policy_arn, policy.creation_time = previous.policy_arn, previous.creation_time
        return policy

    def put_scheduled_action(self: ApplicationAutoscalingBackend, **kwargs: Any) -> None:
        require_target(self, kwargs["service_namespace"], kwargs["resource_id"], kwargs["scalable_dimension"])
        original_put_scheduled(self, **kwargs)

    def describe_scaling_policies(self: ApplicationAutoScalingResponse) -> str:
        backend = self.applicationautoscaling_backend
        names = self._get_param("PolicyNames")
        selected = [
            p
            for p in backend.policies.values()
            if matches(
                p,
                self._get_param("ServiceNamespace"),
                self._get_param("ResourceId"),
                self._get_param("ScalableDimension"),
            )
            and (not names or p.policy_name in names)
        ]
        start = int(self._get_param("NextToken") or 0)
        end = start + (self._get_int_param("MaxResults") or 100)
        return json.dumps(
            {
                "ScalingPolicies": [_build_policy(p) for p in selected[start:end]],
                "NextToken": str(end) if end < len(selected) else None,
            }
        )

    def deregister_scalable_target(
        self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str
    ) -> None:
        original_deregister(self, namespace, r_id, dimension)
        for key, policy in list(self.policies.items()):
            if matches(policy, namespace, r_id, dimension):
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]
        self.scheduled_actions = [
            a for a in self.scheduled_actions if not matches(a, namespace, r_id, dimension)
        ]

    # The wrappers take the originals' keyword arguments as **kwargs.
    ApplicationAutoscalingBackend.put_scaling_policy = put_scaling_policy  # type: ignore[method-assign,assignment]
    ApplicationAutoscalingBackend.put_scheduled_action = put_scheduled_action  # type: ignore[method-assign,assignment]
    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.describe_scaling_policies = describe_scaling_policies  # type: ignore[method-assign]


def apply() -> None:
    if getattr(ApplicationAutoScalingResponse, _MARK, False):
        return
    _patch_tags()
    _patch_policies()
    setattr(ApplicationAutoScalingResponse, _MARK, True)
