"""CloudFront: response headers policies, and what a distribution keeps of its origins' access control.

AWS (Amazon CloudFront API Reference, 2020-05-31: ``CreateResponseHeadersPolicy``,
``GetResponseHeadersPolicy``, ``GetResponseHeadersPolicyConfig``, ``UpdateResponseHeadersPolicy``,
``DeleteResponseHeadersPolicy``, ``ListResponseHeadersPolicies``, data type ``ResponseHeadersPolicyConfig``;
``CreateDistribution`` / ``UpdateDistribution`` with ``Origin.OriginAccessControlId`` and
``DefaultCacheBehavior.ResponseHeadersPolicyId``; CloudFront Developer Guide "Restricting access to an
Amazon S3 origin" and "Understand response headers policies"):

- A response headers policy is ``POST /2020-05-31/response-headers-policy`` with a
  ``ResponseHeadersPolicyConfig`` (``Name`` unique among the account's policies, else 409
  ``ResponseHeadersPolicyAlreadyExists``); the answer is 201 with the ``ResponseHeadersPolicy`` (``Id``,
  ``LastModifiedTime``, the config), an ``ETag`` and a ``Location``. ``GET .../{Id}`` and ``.../{Id}/config``
  read it back (404 ``NoSuchResponseHeadersPolicy``); ``PUT .../{Id}/config`` replaces the config and
  ``DELETE .../{Id}`` removes the policy, both only with ``If-Match`` equal to the current ``ETag``
  (missing: 400 ``InvalidIfMatchVersion``; another: 412 ``PreconditionFailed``). A policy a distribution's
  cache behavior names cannot be deleted (409 ``ResponseHeadersPolicyInUse``). ``GET
  .../response-headers-policy`` lists them (``Type`` ``custom``; AWS's managed policies are not modelled).
- A cache behavior without ``ForwardedValues`` (one with a cache policy) answers none (stock moto made up
  the legacy defaults), and the default certificate answers no ``SSLSupportMethod`` (stock moto answered
  ``sni-only``, which only a custom certificate has): Terraform saw both as changes on every plan.
- A distribution keeps each origin's ``OriginAccessControlId`` and answers it back (stock moto dropped it,
  so Terraform saw a change on every plan); naming an origin access control that does not exist fails
  with 404 ``NoSuchOriginAccessControl``, a response headers policy that does not exist with 404
  ``NoSuchResponseHeadersPolicy``. An origin access control a distribution uses cannot be deleted (409
  ``OriginAccessControlInUse``).

Not modelled: the data plane (no edge serves a distribution's content; tests serve a bucket's objects
themselves, adding the policy's headers), AWS's managed response headers policies, and checks of the
config's values beyond what the service model's types enforce (header names, CORS lists, quotas).
"""

from __future__ import annotations

from typing import Any

import moto.cloudfront.urls as cloudfront_urls
from moto.cloudfront.exceptions import CloudFrontException, InvalidIfMatchVersion, NoSuchOriginAccessControl
from moto.cloudfront.models import (
    CloudFrontBackend,
    DefaultCacheBehaviour,
    Distribution,
    DistributionConfig,
    Origin,
    ViewerCertificate,
    random_id,
)
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

_MARK = "_launchpad_cloudfront_patch"
_PREFIX = "{0}/2020-05-31/response-headers-policy"
URL_PATHS = {
    _PREFIX + "$": CloudFrontResponse.dispatch,
    _PREFIX + "/(?P<policy_id>[^/]+)$": CloudFrontResponse.dispatch,
    _PREFIX + "/(?P<policy_id>[^/]+)/config$": CloudFrontResponse.dispatch,
}


class NoSuchResponseHeadersPolicy(CloudFrontException):
    def __init__(self) -> None:
        super().__init__("NoSuchResponseHeadersPolicy", "The response headers policy does not exist.")


class ResponseHeadersPolicyAlreadyExists(CloudFrontException):
    def __init__(self, name: str) -> None:
        super().__init__(
            "ResponseHeadersPolicyAlreadyExists",
            f"A response headers policy with the name {name} already exists.",
        )


class ResponseHeadersPolicyInUse(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "ResponseHeadersPolicyInUse",
            "Cannot delete the response headers policy because it is attached to one or more cache "
            "behaviors.",
        )


class OriginAccessControlInUse(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "OriginAccessControlInUse",
            "Cannot delete the origin access control because it's in use by one or more distributions.",
        )


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed", "The If-Match version is missing or not valid for the resource."
        )


class ResponseHeadersPolicy:
    def __init__(self, config: dict[str, Any]) -> None:
        self.id = f"{random_id()[:8]}-{random_id()[:4]}-{random_id()[:4]}".lower()
        self.update(config)

    def update(self, config: dict[str, Any]) -> None:
        self.config = config
        self.last_modified_time = utcnow()
        self.etag = random_id()

    def document(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "LastModifiedTime": self.last_modified_time,
            "ResponseHeadersPolicyConfig": self.config,
        }


# -- the backend ---------------------------------------------------------------------------------------------
def policies(backend: CloudFrontBackend) -> dict[str, ResponseHeadersPolicy]:
    store: dict[str, ResponseHeadersPolicy] | None = getattr(
        backend, "launchpad_response_headers_policies", None
    )
    if store is None:
        store = {}
        backend.launchpad_response_headers_policies = store  # type: ignore[attr-defined]
    return store


def get_policy(backend: CloudFrontBackend, policy_id: str) -> ResponseHeadersPolicy:
    policy = policies(backend).get(policy_id)
    if policy is None:
        raise NoSuchResponseHeadersPolicy()
    return policy


def check_if_match(current: str, if_match: str | None) -> None:
    if not if_match:
        raise InvalidIfMatchVersion()
    if if_match != current:
        raise PreconditionFailed()


def _behaviors(config: Any) -> list[Any]:
    items = (getattr(config, "CacheBehaviors", None) or {}).get("Items") or []
    return [config.DefaultCacheBehavior, *items]


def _in_use(backend: CloudFrontBackend, policy_id: str) -> bool:
    return any(
        getattr(behavior, "response_headers_policy_id", None) == policy_id
        for distribution in backend.distributions.values()
        for behavior in _behaviors(distribution.distribution_config)
    )


def _origins(config: Any) -> list[Any]:
    """A distribution config's origins (moto sets the config's attributes from the request's keys)."""
    return list(config.Origins["Items"])


def _check_references(backend: CloudFrontBackend, config: DistributionConfig) -> None:
    """What a distribution's config names must exist (CreateDistribution / UpdateDistribution errors)."""
    for origin in _origins(config):
        control = getattr(origin, "origin_access_control_id", "")
        if control and control not in backend.origin_access_controls:
            raise NoSuchOriginAccessControl()
    for behavior in _behaviors(config):
        policy_id = getattr(behavior, "response_headers_policy_id", None)
        if policy_id and policy_id not in policies(backend):
            raise NoSuchResponseHeadersPolicy()


def _patch_models() -> None:
    original_origin = Origin.__init__

    def origin_init(self: Any, origin: dict[str, Any]) -> None:
        original_origin(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    Origin.__init__ = origin_init  # type: ignore[method-assign]

    original_behavior = DefaultCacheBehaviour.__init__

    def behavior_init(self: Any, config: dict[str, Any]) -> None:
        had_forwarded_values = "ForwardedValues" in config
        original_behavior(self, config)
        if not had_forwarded_values:  # a cache policy's behavior has none (the legacy cache settings)
            self.forwarded_values = None

    DefaultCacheBehaviour.__init__ = behavior_init  # type: ignore[method-assign]

    original_certificate = ViewerCertificate.__init__

    def certificate_init(self: ViewerCertificate, config: dict[str, Any]) -> None:
        original_certificate(self, config)
        if not config.get("SSLSupportMethod") and not (
            config.get("ACMCertificateArn") or config.get("IAMCertificateId")
        ):
            self.ssl_support_method = None  # only a custom certificate has one

    ViewerCertificate.__init__ = certificate_init  # type: ignore[method-assign]

    original_create = CloudFrontBackend.create_distribution_with_tags

    def create_distribution_with_tags(
        self: CloudFrontBackend, distribution_config: dict[str, Any], tags: list[dict[str, str]]
    ) -> tuple[Distribution, str, str]:
        _check_references(self, DistributionConfig(_copy(distribution_config)))
        return original_create(self, distribution_config, tags)

    CloudFrontBackend.create_distribution_with_tags = create_distribution_with_tags  # type: ignore[method-assign]

    original_update = CloudFrontBackend.update_distribution

    def update_distribution(
        self: CloudFrontBackend, dist_config: dict[str, Any], _id: str, if_match: bool
    ) -> tuple[Distribution, str, str]:
        if _id in self.distributions:
            _check_references(self, DistributionConfig(_copy(dist_config)))
        return original_update(self, dist_config, _id, if_match)

    CloudFrontBackend.update_distribution = update_distribution  # type: ignore[method-assign]

    original_delete_control = CloudFrontBackend.delete_origin_access_control

    def delete_origin_access_control(self: CloudFrontBackend, control_id: str) -> None:
        for distribution in self.distributions.values():
            for origin in _origins(distribution.distribution_config):
                if getattr(origin, "origin_access_control_id", "") == control_id:
                    raise OriginAccessControlInUse()
        original_delete_control(self, control_id)

    CloudFrontBackend.delete_origin_access_control = delete_origin_access_control  # type: ignore[method-assign]


def _copy(value: Any) -> Any:
    """A deep copy of parsed request data (DistributionConfig changes what it is given)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# -- the API -------------------------------------------------------------------------------------------------
def _policy_id(response: CloudFrontResponse) -> str:
    return str(response._get_param("Id") or response.uri_match.get("policy_id", ""))


def create_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    config = self._get_param("ResponseHeadersPolicyConfig", {})
    store = policies(self.backend)
    if any(p.config.get("Name") == config.get("Name") for p in store.values()):
        raise ResponseHeadersPolicyAlreadyExists(str(config.get("Name")))
    policy = ResponseHeadersPolicy(config)
    store[policy.id] = policy
    location = f"https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/{policy.id}"
    return ActionResult(
        {"ResponseHeadersPolicy": policy.document(), "ETag": policy.etag, "Location": location}
    )


def get_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    policy = get_policy(self.backend, _policy_id(self))
    return ActionResult({"ResponseHeadersPolicy": policy.document(), "ETag": policy.etag})


def get_response_headers_policy_config(self: CloudFrontResponse) -> ActionResult:
    policy = get_policy(self.backend, _policy_id(self))
    return ActionResult({"ResponseHeadersPolicyConfig": policy.config, "ETag": policy.etag})


def update_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    policy = get_policy(self.backend, _policy_id(self))
    check_if_match(policy.etag, self._get_param("IfMatch"))
    config = self._get_param("ResponseHeadersPolicyConfig", {})
    others = (p for p in policies(self.backend).values() if p is not policy)
    if any(p.config.get("Name") == config.get("Name") for p in others):
        raise ResponseHeadersPolicyAlreadyExists(str(config.get("Name")))
    policy.update(config)
    return ActionResult({"ResponseHeadersPolicy": policy.document(), "ETag": policy.etag})


def delete_response_headers_policy(self: CloudFrontResponse) -> EmptyResult:
    policy_id = _policy_id(self)
    policy = get_policy(self.backend, policy_id)
    check_if_match(policy.etag, self._get_param("IfMatch"))
    if _in_use(self.backend, policy_id):
        raise ResponseHeadersPolicyInUse()
    del policies(self.backend)[policy_id]
    return EmptyResult()


def list_response_headers_policies(self: CloudFrontResponse) -> ActionResult:
    kind = self._get_param("Type")
    items = [] if kind == "managed" else list(policies(self.backend).values())
    max_items = self._get_int_param("MaxItems") or 100
    return ActionResult(
        {
            "ResponseHeadersPolicyList": {
                "MaxItems": max_items,
                "Quantity": len(items),
                "Items": [{"Type": "custom", "ResponseHeadersPolicy": p.document()} for p in items],
            }
        }
    )


def apply() -> None:
    if getattr(CloudFrontBackend, _MARK, False):
        return
    cloudfront_urls.url_paths.update(URL_PATHS)
    for handler in (
        create_response_headers_policy,
        get_response_headers_policy,
        get_response_headers_policy_config,
        update_response_headers_policy,
        delete_response_headers_policy,
        list_response_headers_policies,
    ):
        setattr(CloudFrontResponse, handler.__name__, handler)
    _patch_models()
    setattr(CloudFrontBackend, _MARK, True)
