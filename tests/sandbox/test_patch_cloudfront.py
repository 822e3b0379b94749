"""CloudFront patch (launchpad.sandbox.patches.cloudfront): response headers policies, and distributions that
keep their origins' access control, against the running sandbox."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from tests.sandbox.support import client_error

pytestmark = pytest.mark.sandbox


def _headers_config(name: str, frame: str = "DENY") -> dict[str, Any]:
    return {
        "Name": name,
        "Comment": "security headers",
        "SecurityHeadersConfig": {
            "ContentSecurityPolicy": {"ContentSecurityPolicy": "default-src 'self'", "Override": True},
            "FrameOptions": {"FrameOption": frame, "Override": True},
            "ContentTypeOptions": {"Override": True},
            "StrictTransportSecurity": {
                "AccessControlMaxAgeSec": 63072000,
                "IncludeSubdomains": True,
                "Override": True,
            },
        },
        "CustomHeadersConfig": {
            "Quantity": 1,
            "Items": [{"Header": "Permissions-Policy", "Value": "camera=()", "Override": True}],
        },
    }


def _distribution_config(origin_access_control: str, headers_policy: str) -> dict[str, Any]:
    return {
        "CallerReference": str(uuid.uuid4()),
        "Comment": "site",
        "Enabled": True,
        "DefaultRootObject": "index.html",
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": "site-bucket.s3.eu-west-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": origin_access_control,
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "ResponseHeadersPolicyId": headers_policy,
        },
    }


def _origin_access_control(cloudfront: Any) -> str:
    config = {
        "Name": f"site-{uuid.uuid4().hex[:8]}",
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    }
    return str(
        cloudfront.create_origin_access_control(OriginAccessControlConfig=config)["OriginAccessControl"]["Id"]
    )


def test_a_response_headers_policy_is_created_read_updated_listed_and_deleted(
    sandbox_target: AwsTarget,
) -> None:
    cloudfront = sandbox_target.client("cloudfront")
    created = cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=_headers_config("site"))
    policy_id = created["ResponseHeadersPolicy"]["Id"]
    assert created["Location"].endswith(f"/2020-05-31/response-headers-policy/{policy_id}")
    got = cloudfront.get_response_headers_policy(Id=policy_id)
    assert got["ETag"] == created["ETag"]
    config = got["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]
    assert config["SecurityHeadersConfig"]["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert config["CustomHeadersConfig"]["Items"] == [
        {"Header": "Permissions-Policy", "Value": "camera=()", "Override": True}
    ]
    assert (
        cloudfront.get_response_headers_policy_config(Id=policy_id)["ResponseHeadersPolicyConfig"] == config
    )

    with pytest.raises(ClientError) as raised:  # names are unique in the account
        cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=_headers_config("site"))
    assert client_error(raised)[0] == "ResponseHeadersPolicyAlreadyExists"
    with pytest.raises(ClientError) as raised:  # only with the current ETag
        cloudfront.update_response_headers_policy(
            Id=policy_id, IfMatch="stale", ResponseHeadersPolicyConfig=_headers_config("site", "SAMEORIGIN")
        )
    assert client_error(raised)[0] == "PreconditionFailed"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412

    updated = cloudfront.update_response_headers_policy(
        Id=policy_id, IfMatch=got["ETag"], ResponseHeadersPolicyConfig=_headers_config("site", "SAMEORIGIN")
    )
    assert updated["ETag"] != got["ETag"]
    frame = updated["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "FrameOptions"
    ]
    assert frame["FrameOption"] == "SAMEORIGIN"
    listed = cloudfront.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]
    assert [(i["Type"], i["ResponseHeadersPolicy"]["Id"]) for i in listed["Items"]] == [("custom", policy_id)]

    cloudfront.delete_response_headers_policy(Id=policy_id, IfMatch=updated["ETag"])
    with pytest.raises(ClientError) as raised:
        cloudfront.get_response_headers_policy(Id=policy_id)
    assert client_error(raised)[0] == "NoSuchResponseHeadersPolicy"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_distribution_keeps_its_access_control_and_headers_policy_and_they_stay_while_used(
    sandbox_target: AwsTarget,
) -> None:
    cloudfront = sandbox_target.client("cloudfront")
    control = _origin_access_control(cloudfront)
    policy = cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=_headers_config("used"))
    policy_id = policy["ResponseHeadersPolicy"]["Id"]
    created = cloudfront.create_distribution(DistributionConfig=_distribution_config(control, policy_id))
    distribution_id = created["Distribution"]["Id"]

    config = cloudfront.get_distribution(Id=distribution_id)["Distribution"]["DistributionConfig"]
    assert config["Origins"]["Items"][0]["OriginAccessControlId"] == control
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == policy_id
    assert "ForwardedValues" not in behavior  # a cache policy's behavior has no legacy cache settings
    certificate = config["ViewerCertificate"]
    assert certificate["CloudFrontDefaultCertificate"] is True and "SSLSupportMethod" not in certificate

    with pytest.raises(ClientError) as raised:
        cloudfront.delete_response_headers_policy(Id=policy_id, IfMatch=policy["ETag"])
    assert client_error(raised)[0] == "ResponseHeadersPolicyInUse"
    etag = cloudfront.get_origin_access_control(Id=control)["ETag"]
    with pytest.raises(ClientError) as raised:
        cloudfront.delete_origin_access_control(Id=control, IfMatch=etag)
    assert client_error(raised)[0] == "OriginAccessControlInUse"

    cloudfront.delete_distribution(Id=distribution_id, IfMatch=created["ETag"])
    cloudfront.delete_response_headers_policy(Id=policy_id, IfMatch=policy["ETag"])
    cloudfront.delete_origin_access_control(Id=control, IfMatch=etag)


@pytest.mark.parametrize("missing", ["OriginAccessControlId", "ResponseHeadersPolicyId"])
def test_a_distribution_naming_what_does_not_exist_is_refused(
    sandbox_target: AwsTarget, missing: str
) -> None:
    cloudfront = sandbox_target.client("cloudfront")
    control = _origin_access_control(cloudfront)
    policy = cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=_headers_config("p"))
    config = _distribution_config(control, policy["ResponseHeadersPolicy"]["Id"])
    if missing == "OriginAccessControlId":
        config["Origins"]["Items"][0][missing] = "E1NOSUCHCONTROL"
    else:
        config["DefaultCacheBehavior"][missing] = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as raised:
        cloudfront.create_distribution(DistributionConfig=config)
    expected = (
        "NoSuchOriginAccessControl" if missing == "OriginAccessControlId" else "NoSuchResponseHeadersPolicy"
    )
    assert client_error(raised)[0] == expected
    assert cloudfront.list_distributions()["DistributionList"]["Quantity"] == 0
