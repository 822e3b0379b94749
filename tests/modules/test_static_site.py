"""static-site: the plan of a custom-domain call (fast tier, in the suite's shared plan) and the example
applied in the sandbox (the shared apply): read back, re-planned empty, destroyed.

The example's inventory, fmt, validate, README table, checkov and bad input are test_static's; the page in
a real browser against the applied inference-api example is tests/modules/assistant_browser.py's (called
from test_inference_api_complete.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad import combined
from launchpad.inventory import account_inventory
from launchpad.paths import modules_dir
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests import shared_plan

BASE = yaml.safe_load((Path(__file__).parent / "static-site" / "validation_cases.yaml").read_text())[
    "base_vars"
]
CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
WEB_ACL = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/lp-web/1234abcd-12ab-34cd-56ef-1234567890ab"
CUSTOM = combined.Call(
    modules_dir() / "static-site",
    {
        **BASE,
        "name": "lp-web-custom",
        "certificate": {"acm_certificate_arn": CERTIFICATE, "aliases": ["assistant.example.org"]},
        "web_acl_id": WEB_ACL,
        "logging": {"bucket_domain_name": "lp-cf-logs.s3.amazonaws.com", "prefix": "web/"},
        "price_class": "PriceClass_All",
        "content_security_policy_extra_connect_src": ["https://telemetry.example.org"],
        "tags": {"owner": "ml-team"},
    },
)
shared_plan.register("static-site:custom", CUSTOM)

stack = example_stack("static-site", shared=True)


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_a_custom_domain_gets_tls_1_2_sni_its_waf_logging_and_connect_src(
    plan_parts: dict[str, dict[str, Any]],
) -> None:
    planned = {
        c["address"]: c["change"]["after"]
        for c in plan_parts["static-site:custom"]["resource_changes"]
        if c["mode"] == "managed"
    }
    distribution = planned["aws_cloudfront_distribution.this"]
    assert distribution["aliases"] == ["assistant.example.org"]
    assert distribution["viewer_certificate"] == [
        {
            "acm_certificate_arn": CERTIFICATE,
            "cloudfront_default_certificate": False,
            "iam_certificate_id": None,
            "minimum_protocol_version": "TLSv1.2_2021",
            "ssl_support_method": "sni-only",
        }
    ]
    assert distribution["web_acl_id"] == WEB_ACL
    assert distribution["price_class"] == "PriceClass_All"
    assert distribution["logging_config"] == [
        {"bucket": "lp-cf-logs.s3.amazonaws.com", "prefix": "web/", "include_cookies": False}
    ]
    [headers] = planned["aws_cloudfront_response_headers_policy.this"]["security_headers_config"]
    [csp] = headers["content_security_policy"]
    connect = next(d for d in csp["content_security_policy"].split("; ") if d.startswith("connect-src"))
    assert connect.split() == [
        "connect-src",
        "'self'",
        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
        "https://cognito-idp.eu-west-1.amazonaws.com",
        "https://telemetry.example.org",
    ]
    config = json.loads(planned["aws_s3_object.config"]["content"])
    assert config == {
        "region": "eu-west-1",
        "cognito_endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
        "user_pool_client_id": BASE["config"]["user_pool_client_id"],
        "api_url": BASE["config"]["api_url"],
        "api_key": BASE["config"]["api_key"],
    }
    uploaded = {a for a in planned if a.startswith("aws_s3_object.site[")}
    assert uploaded == {f'aws_s3_object.site["{f}"]' for f in ("index.html", "styles.css", "app.js")}


# -- applied -------------------------------------------------------------------------------------------------
def _distribution(stack: Stack) -> dict[str, Any]:
    answer = stack.client("cloudfront").get_distribution(Id=stack.outputs["distribution_id"])
    return dict(answer["Distribution"])


def test_the_distribution_serves_https_only_from_the_bucket_through_its_access_control(stack: Stack) -> None:
    distribution = _distribution(stack)
    config = distribution["DistributionConfig"]
    [origin] = config["Origins"]["Items"]
    assert origin["DomainName"].startswith(f"{stack.outputs['bucket_id']}.s3.")
    assert origin["OriginAccessControlId"] == stack.outputs["origin_access_control_id"]
    assert not origin.get("S3OriginConfig", {}).get("OriginAccessIdentity")  # OAC, not the legacy OAI
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["ResponseHeadersPolicyId"] == stack.outputs["response_headers_policy_id"]
    assert config["DefaultRootObject"] == "index.html" and config["PriceClass"] == "PriceClass_100"
    control = stack.client("cloudfront").get_origin_access_control(Id=origin["OriginAccessControlId"])
    settings = control["OriginAccessControl"]["OriginAccessControlConfig"]
    assert (settings["SigningProtocol"], settings["SigningBehavior"]) == ("sigv4", "always")
    assert settings["OriginAccessControlOriginType"] == "s3"


def test_only_that_distribution_may_read_the_bucket_and_decrypt_its_objects(stack: Stack) -> None:
    arn = stack.outputs["distribution_arn"]
    policy = json.loads(stack.client("s3").get_bucket_policy(Bucket=stack.outputs["bucket_id"])["Policy"])
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1, allows
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert as_list(allow["Action"]) == ["s3:GetObject"]
    assert as_list(allow["Resource"]) == [f"arn:aws:s3:::{stack.outputs['bucket_id']}/*"]
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": arn}}
    key = stack.client("kms").get_key_policy(KeyId=stack.outputs["kms_key_arn"], PolicyName="default")
    statements = {s["Sid"]: s for s in json.loads(key["Policy"])["Statement"]}
    cloudfront = statements["AllowCloudFrontToDecryptForThisDistribution"]
    assert as_list(cloudfront["Action"]) == ["kms:Decrypt"]
    assert cloudfront["Condition"] == {"StringEquals": {"AWS:SourceArn": arn}}


def test_every_response_carries_the_security_headers(stack: Stack) -> None:
    policy = stack.client("cloudfront").get_response_headers_policy(
        Id=stack.outputs["response_headers_policy_id"]
    )
    config = policy["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    assert (
        security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == stack.outputs["content_security_policy"]
    )
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    hsts = security["StrictTransportSecurity"]
    assert (hsts["AccessControlMaxAgeSec"], hsts["IncludeSubdomains"]) == (63072000, True)
    custom = {h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]}
    assert (
        "camera=()" in custom["Permissions-Policy"] and custom["Cross-Origin-Opener-Policy"] == "same-origin"
    )
    csp = stack.outputs["content_security_policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp


def test_the_site_files_and_config_json_are_uploaded_encrypted_with_their_types(stack: Stack) -> None:
    s3, bucket = stack.client("s3"), stack.outputs["bucket_id"]
    assert stack.outputs["object_keys"] == ["app.js", "config.json", "index.html", "styles.css"]
    types = {}
    for key in stack.outputs["object_keys"]:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (
            head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == stack.outputs["kms_key_arn"]
        )
        types[key] = head["ContentType"]
    assert types == {
        "app.js": "text/javascript; charset=utf-8",
        "config.json": "application/json",
        "index.html": "text/html; charset=utf-8",
        "styles.css": "text/css; charset=utf-8",
    }
    config = json.loads(s3.get_object(Bucket=bucket, Key="config.json")["Body"].read())
    assert config["api_url"] == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev"
    assert config["cognito_endpoint"] == f"https://cognito-idp.{stack.target.region}.amazonaws.com/"


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
    # launchpad.inventory lists no CloudFront resources: they are checked here
    cloudfront = stack.client("cloudfront")
    assert cloudfront.list_distributions()["DistributionList"]["Quantity"] == 0
    assert cloudfront.list_origin_access_controls()["OriginAccessControlList"]["Quantity"] == 0
    policies = cloudfront.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]
    assert policies["Quantity"] == 0
