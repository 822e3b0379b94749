"""The IAM condition evaluator decides Condition elements as the IAM User Guide says AWS does.

Cases are tables per operator family; rows whose id starts with ``aws-doc`` are the User Guide's own examples
(the page is named in the id or the comment above the table). Pages:

- operators: reference_policies_elements_condition_operators
- multi-value: reference_policies_condition-logic-multiple-context-keys-or-values
- single-vs-multi: reference_policies_condition-single-vs-multi-valued-context-keys
- multivalued-examples: reference_policies_condition_examples-multi-valued-context-keys
- single-valued-examples: reference_policies_condition_examples-single-valued-context-keys
- variables: reference_policies_variables
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from launchpad.sandbox.authz.conditions import ConditionError, check_block, condition_keys, matches


def ctx(values: Mapping[str, str | list[str]]) -> dict[str, list[str]]:
    """A request context as the caller builds one: lowercase keys, each with a list of values."""
    return {key.lower(): [value] if isinstance(value, str) else list(value) for key, value in values.items()}


def row(block: dict[str, Any], context: Mapping[str, str | list[str]], expected: bool, id: str) -> Any:
    return pytest.param(block, ctx(context), expected, id=id)


def _assert_decides(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    assert check_block(block) == []
    assert matches(block, context) is expected


# -- String ------------------------------------------------------------------------------------------------
EQ = {"StringEquals": {"aws:username": "john"}}
NEQ = {"StringNotEquals": {"aws:username": "john"}}
STRING_CASES = [
    row(EQ, {"aws:username": "john"}, True, "equals-match"),
    row(EQ, {"aws:username": "jane"}, False, "equals-no-match"),
    row(EQ, {"aws:username": "John"}, False, "equals-is-case-sensitive"),
    row(EQ, {}, False, "equals-absent-key-is-false"),
    row(EQ, {"aws:userid": "john"}, False, "equals-another-key-does-not-count"),
    row(
        {"StringEquals": {"AWS:UserName": "john"}},
        {"aws:username": "john"},
        True,
        "key-names-case-insensitive",
    ),
    row(
        {"StringEquals": {"aws:username": ["alice", "john"]}},
        {"aws:username": "john"},
        True,
        "policy-values-or",
    ),
    row(
        {"StringEquals": {"aws:username": ["alice", "john"]}},
        {"aws:username": "bob"},
        False,
        "policy-values-none",
    ),
    row(EQ, {"aws:username": ["bob", "john"]}, True, "equals-several-request-values-one-matches"),
    row(EQ, {"aws:username": ["bob", "carol"]}, False, "equals-several-request-values-none-match"),
    row({"StringEquals": {"k": "*"}}, {"k": "anything"}, False, "equals-star-is-literal"),
    row({"StringEquals": {"k": "*"}}, {"k": "*"}, True, "equals-star-matches-a-star"),
    row({"StringEquals": {"k": 10}}, {"k": "10"}, True, "equals-json-number-as-text"),
    row({"StringEquals": {"k": True}}, {"k": "true"}, True, "equals-json-boolean-as-true"),
    row(NEQ, {"aws:username": "bob"}, True, "not-equals-different"),
    row(NEQ, {"aws:username": "john"}, False, "not-equals-same"),
    row(NEQ, {"aws:username": "John"}, True, "not-equals-is-case-sensitive"),
    row(NEQ, {}, True, "not-equals-absent-key-is-true"),
    row(
        {"StringNotEquals": {"aws:username": ["alice", "john"]}},
        {"aws:username": "john"},
        False,
        "not-eq-nor",
    ),
    row(
        {"StringNotEquals": {"aws:username": ["alice", "john"]}},
        {"aws:username": "bob"},
        True,
        "not-eq-nor-none",
    ),
    row(NEQ, {"aws:username": ["bob", "john"]}, False, "not-equals-several-request-values-one-equal"),
    row(NEQ, {"aws:username": ["bob", "carol"]}, True, "not-equals-several-request-values-none-equal"),
    row(
        {"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "JohnDoe"}, True, "ic-match"
    ),
    row({"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "janedoe"}, False, "ic-no"),
    row({"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {}, False, "ignore-case-absent-is-false"),
    row({"StringEqualsIgnoreCase": {"k": ["A", "B"]}}, {"k": "b"}, True, "ignore-case-policy-values-or"),
    row({"StringNotEqualsIgnoreCase": {"k": "john"}}, {"k": "JOHN"}, False, "not-equals-ignore-case-same"),
    row(
        {"StringNotEqualsIgnoreCase": {"k": "john"}}, {"k": "jane"}, True, "not-equals-ignore-case-different"
    ),
    row({"StringNotEqualsIgnoreCase": {"k": "john"}}, {}, True, "not-equals-ignore-case-absent-is-true"),
    row({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/bob/x"}, True, "like-star"),
    row({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/"}, True, "like-star-matches-nothing"),
    row({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "Home/bob"}, False, "like-is-case-sensitive"),
    row({"StringLike": {"s3:prefix": "home/*"}}, {}, False, "like-absent-is-false"),
    row({"StringLike": {"k": "t?.micro"}}, {"k": "t2.micro"}, True, "like-question-one-char"),
    row({"StringLike": {"k": "t?.micro"}}, {"k": "t22.micro"}, False, "like-question-not-two-chars"),
    row({"StringLike": {"k": "a?"}}, {"k": "a"}, False, "like-question-not-zero-chars"),
    row({"StringLike": {"k": "bob"}}, {"k": "xbobx"}, False, "like-matches-the-whole-string"),
    row({"StringLike": {"k": "[ab]*"}}, {"k": "a1"}, False, "like-brackets-are-not-a-class"),
    row({"StringLike": {"k": "[ab]*"}}, {"k": "[ab]1"}, True, "like-brackets-are-literal"),
    row({"StringLike": {"k": "a.c"}}, {"k": "abc"}, False, "like-dot-is-literal"),
    row({"StringLike": {"k": "a*"}}, {"k": "a\nb"}, True, "like-star-crosses-newlines"),
    row({"StringLike": {"k": ["x*", "y*"]}}, {"k": "yes"}, True, "like-policy-values-or"),
    row({"StringLike": {"k": "prod-*"}}, {"k": ["dev-1", "prod-2"]}, True, "like-several-request-values"),
    row({"StringNotLike": {"k": "home/*"}}, {"k": "home/x"}, False, "not-like-matching"),
    row({"StringNotLike": {"k": "home/*"}}, {"k": "other"}, True, "not-like-not-matching"),
    row({"StringNotLike": {"k": "home/*"}}, {}, True, "not-like-absent-is-true"),
    row({"StringNotLike": {"k": ["a*", "b*"]}}, {"k": "bee"}, False, "not-like-nor"),
    row({"StringEqualsIfExists": {"k": "v"}}, {}, True, "if-exists-absent-is-true"),
    row({"StringEqualsIfExists": {"k": "v"}}, {"k": "w"}, False, "if-exists-present-no-match"),
    row({"StringEqualsIfExists": {"k": "v"}}, {"k": "v"}, True, "if-exists-present-match"),
    row({"StringNotEqualsIfExists": {"k": "v"}}, {"k": "v"}, False, "not-equals-if-exists-present-same"),
    row({"StringNotEqualsIfExists": {"k": "v"}}, {}, True, "not-equals-if-exists-absent"),
    row({"StringLikeIfExists": {"k": "a*"}}, {"k": "b"}, False, "like-if-exists-present-no-match"),
]


@pytest.mark.parametrize(("block", "context", "expected"), STRING_CASES)
def test_string_operators(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


# -- Numeric -----------------------------------------------------------------------------------------------
NUMERIC_CASES = [
    row({"NumericEquals": {"k": "10"}}, {"k": "10"}, True, "equals"),
    row({"NumericEquals": {"k": "10"}}, {"k": "10.0"}, True, "equals-compares-numbers-not-text"),
    row({"NumericEquals": {"k": "10"}}, {"k": "11"}, False, "equals-no-match"),
    row({"NumericEquals": {"k": "10"}}, {}, False, "equals-absent-is-false"),
    row({"NumericEquals": {"k": 10}}, {"k": "10"}, True, "json-integer"),
    row({"NumericEquals": {"k": 0.00001}}, {"k": "0.00001"}, True, "json-float-in-plain-notation"),
    row({"NumericEquals": {"k": "1"}}, {"k": "one"}, False, "request-value-not-a-number-matches-nothing"),
    row({"NumericEquals": {"k": ["1", "2"]}}, {"k": "2"}, True, "policy-values-or"),
    row({"NumericNotEquals": {"k": "10"}}, {"k": "11"}, True, "not-equals-different"),
    row({"NumericNotEquals": {"k": "10"}}, {"k": "10.00"}, False, "not-equals-same-number"),
    row({"NumericNotEquals": {"k": "10"}}, {}, True, "not-equals-absent-is-true"),
    row({"NumericNotEquals": {"k": ["1", "2"]}}, {"k": "2"}, False, "not-equals-nor"),
    row({"NumericLessThan": {"k": "10"}}, {"k": "9"}, True, "less-than"),
    row({"NumericLessThan": {"k": "10"}}, {"k": "10"}, False, "less-than-not-equal"),
    row({"NumericLessThan": {"k": "10"}}, {"k": "9.99"}, True, "less-than-decimal"),
    row({"NumericLessThan": {"k": "5"}}, {"k": ["9", "3"]}, True, "less-than-several-request-values"),
    row({"NumericLessThanEquals": {"k": "10"}}, {"k": "10"}, True, "less-than-equals-edge"),
    row({"NumericLessThanEquals": {"k": "10"}}, {"k": "10.5"}, False, "less-than-equals-above"),
    row({"NumericGreaterThan": {"k": "1.5"}}, {"k": "1.50001"}, True, "greater-than-decimal"),
    row({"NumericGreaterThan": {"k": "1.5"}}, {"k": "1.5"}, False, "greater-than-not-equal"),
    row({"NumericGreaterThanEquals": {"k": "-3"}}, {"k": "-3"}, True, "greater-than-equals-negative"),
    row({"NumericGreaterThanEquals": {"k": "-3"}}, {"k": "-4"}, False, "greater-than-equals-below"),
    row({"NumericLessThanEqualsIfExists": {"k": "10"}}, {}, True, "if-exists-absent"),
    row({"NumericLessThanEqualsIfExists": {"k": "10"}}, {"k": "11"}, False, "if-exists-present"),
    # operators page, s3:max-keys example.
    row(
        {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        {"s3:max-keys": "7"},
        True,
        "aws-doc-operators-max-keys",
    ),
    row(
        {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        {"s3:max-keys": "11"},
        False,
        "aws-doc-operators-max-11",
    ),
]


@pytest.mark.parametrize(("block", "context", "expected"), NUMERIC_CASES)
def test_numeric_operators(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


# -- Date --------------------------------------------------------------------------------------------------
ISSUED_2020 = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
DATE_CASES = [
    # operators page, aws:TokenIssueTime example.
    row(ISSUED_2020, {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"}, True, "aws-doc-operators-issued-after"),
    row(
        ISSUED_2020, {"aws:TokenIssueTime": "2019-12-31T23:59:59Z"}, False, "aws-doc-operators-issued-before"
    ),
    row(ISSUED_2020, {}, False, "aws-doc-operators-no-token-issue-time"),
    row(
        {"DateLessThan": {"aws:EpochTime": "1700000000"}}, {"aws:EpochTime": "1699999999"}, True, "epoch-less"
    ),
    row(
        {"DateLessThan": {"aws:EpochTime": "1700000000"}},
        {"aws:EpochTime": "1700000000"},
        False,
        "epoch-equal",
    ),
    row({"DateEquals": {"k": "1700000000"}}, {"k": "2023-11-14T22:13:20Z"}, True, "epoch-policy-iso-request"),
    row({"DateEquals": {"k": "2023-11-14T22:13:20Z"}}, {"k": "1700000000"}, True, "iso-policy-epoch-request"),
    row({"DateEquals": {"k": 1700000000}}, {"k": "1700000000"}, True, "json-number-epoch"),
    row(
        {"DateEquals": {"k": "2020-01-01T00:00:00Z"}},
        {"k": "2020-01-01T01:00:00+01:00"},
        True,
        "zones-instants",
    ),
    row(
        {"DateEquals": {"k": "2020-01-01T00:00:00Z"}},
        {"k": "2020-01-01T00:00:00-01:00"},
        False,
        "zone-differs",
    ),
    row(
        {"DateEquals": {"k": "2020-01-01T00:00:00Z"}},
        {"k": "2019-12-31T23:00:00-01:00"},
        True,
        "negative-zone-is-behind-utc",
    ),
    row(
        {"DateEquals": {"k": "2020-01-01"}}, {"k": "2020-01-01T00:00:00Z"}, True, "date-only-is-midnight-utc"
    ),
    row({"DateLessThan": {"k": "2020-02"}}, {"k": "2020-01-31T23:59:59Z"}, True, "year-month"),
    row({"DateEquals": {"k": "2020-01-01T00:00:00"}}, {"k": "2020-01-01T00:00:00Z"}, True, "no-zone-is-utc"),
    row({"DateEquals": {"k": "2020-01-01T10:30Z"}}, {"k": "2020-01-01T10:30:00Z"}, True, "minutes-only"),
    row(
        {"DateGreaterThan": {"k": "2020-01-01T00:00:00Z"}}, {"k": "2020-01-01T00:00:00.5Z"}, True, "fraction"
    ),
    row({"DateLessThanEquals": {"k": "1700000000.5"}}, {"k": "1700000000.5"}, True, "epoch-fraction"),
    row({"DateGreaterThanEquals": {"k": "2020-01-01"}}, {"k": "2020-01-01"}, True, "greater-equals-edge"),
    row({"DateGreaterThanEquals": {"k": "2020-01-02"}}, {"k": "2020-01-01"}, False, "greater-equals-below"),
    row({"DateLessThanEquals": {"k": "2020-01-01"}}, {"k": "2020-01-02"}, False, "less-equals-above"),
    row({"DateEquals": {"k": "2020-01-01"}}, {"k": "yesterday"}, False, "request-value-not-a-date"),
    row({"DateNotEquals": {"k": "2020-01-01"}}, {"k": "2020-01-02"}, True, "not-equals-different"),
    row(
        {"DateNotEquals": {"k": "2020-01-01"}},
        {"k": "2020-01-01T00:00:00Z"},
        False,
        "not-equals-same-instant",
    ),
    row({"DateNotEquals": {"k": "2020-01-01"}}, {}, True, "not-equals-absent-is-true"),
    row({"DateEquals": {"k": ["2020-01-01", "2021-01-01"]}}, {"k": "2021-01-01"}, True, "policy-values-or"),
    row(
        {"DateGreaterThan": {"k": "2020-01-01"}},
        {"k": ["2019-01-01", "2021-01-01"]},
        True,
        "several-requests",
    ),
    row({"DateLessThanIfExists": {"k": "2020-01-01"}}, {}, True, "if-exists-absent"),
    row({"DateLessThanIfExists": {"k": "2020-01-01"}}, {"k": "2021-01-01"}, False, "if-exists-present"),
]


@pytest.mark.parametrize(("block", "context", "expected"), DATE_CASES)
def test_date_operators(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


# -- Bool, Binary, Null ------------------------------------------------------------------------------------
SECURE = {"Bool": {"aws:SecureTransport": "false"}}
BINARY = {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}
NO_TOKEN = {"Null": {"aws:TokenIssueTime": "true"}}
BOOL_BINARY_NULL_CASES = [
    # operators page, Bool table.
    row(SECURE, {"aws:SecureTransport": "false"}, True, "aws-doc-operators-bool-false"),
    row(SECURE, {"aws:SecureTransport": "true"}, False, "aws-doc-operators-bool-true"),
    row(SECURE, {}, False, "aws-doc-operators-bool-absent"),
    row({"Bool": {"k": "TRUE"}}, {"k": "true"}, True, "bool-policy-case-insensitive"),
    row({"Bool": {"k": "true"}}, {"k": "True"}, True, "bool-request-case-insensitive"),
    row({"Bool": {"k": True}}, {"k": "true"}, True, "bool-json-true"),
    row({"Bool": {"k": False}}, {"k": "true"}, False, "bool-json-false"),
    row({"Bool": {"k": "true"}}, {"k": "yes"}, False, "bool-request-not-a-boolean"),
    row({"BoolIfExists": {"k": "true"}}, {}, True, "bool-if-exists-absent"),
    row({"BoolIfExists": {"k": "true"}}, {"k": "false"}, False, "bool-if-exists-present"),
    row({"ForAnyValue:Bool": {"k": "true"}}, {"k": ["false", "true"]}, True, "bool-for-any-value"),
    row({"ForAllValues:Bool": {"k": "true"}}, {"k": ["false", "true"]}, False, "bool-for-all-values"),
    # operators page, BinaryEquals table.
    row(BINARY, {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True, "aws-doc-operators-binary-match"),
    row(BINARY, {"key": "ASIAIOSFODNN7EXAMPLE"}, False, "aws-doc-operators-binary-no-match"),
    row(BINARY, {}, False, "aws-doc-operators-binary-absent"),
    row({"BinaryEquals": {"k": "QQ=="}}, {"k": "QR=="}, True, "binary-compares-bytes-not-text"),
    row({"BinaryEquals": {"k": "QQ=="}}, {"k": "Qg=="}, False, "binary-other-bytes"),
    row({"BinaryEquals": {"k": ["QQ==", "Qg=="]}}, {"k": "Qg=="}, True, "binary-policy-values-or"),
    row({"BinaryEquals": {"k": "QQ=="}}, {"k": "not base64!"}, False, "binary-request-not-base64"),
    row({"BinaryEqualsIfExists": {"k": "QQ=="}}, {}, True, "binary-if-exists-absent"),
    # operators page, Null example.
    row(NO_TOKEN, {}, True, "aws-doc-operators-null-true-absent"),
    row(
        NO_TOKEN, {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, False, "aws-doc-operators-null-true-present"
    ),
    row({"Null": {"k": "false"}}, {"k": "x"}, True, "null-false-present"),
    row({"Null": {"k": "false"}}, {}, False, "null-false-absent"),
    row({"Null": {"k": "TRUE"}}, {}, True, "null-value-case-insensitive"),
    row({"Null": {"k": True}}, {"k": "x"}, False, "null-json-boolean"),
    row({"Null": {"k": "true"}}, {"k": []}, True, "null-empty-value-list-is-null"),
    row({"Null": {"k": ["true", "false"]}}, {"k": "x"}, True, "null-values-or"),
]


@pytest.mark.parametrize(("block", "context", "expected"), BOOL_BINARY_NULL_CASES)
def test_bool_binary_null(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


# -- IP address --------------------------------------------------------------------------------------------
RANGE = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
MIXED = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
IP_CASES = [
    # operators page, IpAddress table and the IPv4/IPv6 example.
    row(RANGE, {"aws:SourceIp": "203.0.113.1"}, True, "aws-doc-operators-ip-in-range"),
    row(RANGE, {"aws:SourceIp": "198.51.100.1"}, False, "aws-doc-operators-ip-out-of-range"),
    row(MIXED, {"aws:SourceIp": "2001:db8:1234:5678:abcd::1"}, True, "aws-doc-operators-ipv6-range"),
    row(MIXED, {"aws:SourceIp": "203.0.113.77"}, True, "aws-doc-operators-mixed-ipv4"),
    row(MIXED, {"aws:SourceIp": "2001:db8:1234:5679::1"}, False, "ipv6-out-of-range"),
    row(RANGE, {}, False, "absent-is-false"),
    row({"IpAddress": {"k": "203.0.113.5"}}, {"k": "203.0.113.5"}, True, "address-alone-is-slash-32"),
    row({"IpAddress": {"k": "203.0.113.5"}}, {"k": "203.0.113.6"}, False, "address-alone-not-a-range"),
    row({"IpAddress": {"k": "2001:db8::1"}}, {"k": "2001:DB8::1"}, True, "ipv6-address-alone"),
    row({"IpAddress": {"k": "10.0.0.1/8"}}, {"k": "10.9.9.9"}, True, "cidr-with-host-bits"),
    row({"IpAddress": {"k": "::/0"}}, {"k": "10.0.0.1"}, False, "ipv4-request-never-in-ipv6-range"),
    row({"IpAddress": {"k": "10.0.0.0/8"}}, {"k": "10.0.0.0/8"}, False, "request-range-is-not-an-address"),
    row({"IpAddress": {"k": "10.0.0.0/8"}}, {"k": ["192.0.2.1", "10.1.1.1"]}, True, "several-request-values"),
    row({"NotIpAddress": {"k": "10.0.0.0/8"}}, {"k": "10.1.2.3"}, False, "not-ip-inside"),
    row({"NotIpAddress": {"k": "10.0.0.0/8"}}, {"k": "192.0.2.1"}, True, "not-ip-outside"),
    row({"NotIpAddress": {"k": "10.0.0.0/8"}}, {}, True, "not-ip-absent-is-true"),
    row({"NotIpAddress": {"k": ["10.0.0.0/8", "192.0.2.0/24"]}}, {"k": "192.0.2.1"}, False, "not-ip-nor"),
    row({"IpAddressIfExists": {"k": "10.0.0.0/8"}}, {}, True, "if-exists-absent"),
    row({"NotIpAddressIfExists": {"k": "10.0.0.0/8"}}, {"k": "10.0.0.1"}, False, "not-ip-if-exists-present"),
]


@pytest.mark.parametrize(("block", "context", "expected"), IP_CASES)
def test_ip_address_operators(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


# -- ARN ---------------------------------------------------------------------------------------------------
BUCKET = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket/*"}}
FINANCE = "arn:aws:someservice:*:111122223333:finance/*"
STORE = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
TOPIC = {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"}}
ARN_CASES = [
    row(BUCKET, {"aws:SourceArn": "arn:aws:s3:::bucket/a/b"}, True, "like-resource-star-crosses-slashes"),
    row(BUCKET, {"aws:SourceArn": "arn:aws:s3:::other/a"}, False, "like-other-bucket"),
    row(BUCKET, {}, False, "like-absent-is-false"),
    # operators page: "With an ArnLike condition, which matches elements between colons, the match fails."
    row({"ArnLike": {"k": FINANCE}}, {"k": STORE}, False, "aws-doc-operators-star-stays-in-its-part"),
    row({"StringLike": {"k": FINANCE}}, {"k": STORE}, True, "aws-doc-operators-string-like-star-crosses"),
    row(
        {"ArnLike": {"k": "arn:aws:sqs:*:123456789012:queue"}},
        {"k": "arn:aws:sqs:us-east-1:9:123456789012:queue"},
        False,
        "like-region-star-does-not-take-a-colon",
    ),
    row(
        {"ArnLike": {"k": "arn:aws:iam::12345678901?:role/x"}},
        {"k": "arn:aws:iam::123456789012:role/x"},
        True,
        "like-question-in-account",
    ),
    row(
        {"ArnLike": {"k": "arn:aws:logs:us-east-1:123456789012:log-group:*"}},
        {"k": "arn:aws:logs:us-east-1:123456789012:log-group:my:stream"},
        True,
        "like-resource-keeps-its-colons",
    ),
    row(
        {"ArnLike": {"k": "arn:aws:s3:*:*:bucket"}},
        {"k": "arn:aws:s3:::bucket"},
        True,
        "like-star-matches-empty-part",
    ),
    row(
        {"ArnLike": {"k": "arn:aws:iam::123456789012:role/Admin"}},
        {"k": "arn:aws:iam::123456789012:role/admin"},
        False,
        "like-is-case-sensitive",
    ),
    row(
        {"ArnEquals": {"k": "arn:aws:s3:::bucket/*"}}, {"k": "arn:aws:s3:::bucket/x"}, True, "equals-is-like"
    ),
    row({"ArnLike": {"k": "*:*:*:*:*:*"}}, {"k": "not-an-arn"}, False, "request-value-not-an-arn"),
    row({"ArnLike": {"k": "*:*:*:*:*:*"}}, {"k": "arn:aws:s3"}, False, "request-value-short-of-six-parts"),
    row({"ArnLike": {"k": "*:aws:s3:::b"}}, {"k": "urn:aws:s3:::b"}, False, "request-value-not-starting-arn"),
    row(
        {"ArnLike": {"k": ["arn:aws:s3:::a", "arn:aws:s3:::b"]}},
        {"k": "arn:aws:s3:::b"},
        True,
        "policy-values-or",
    ),
    row(
        BUCKET, {"aws:SourceArn": ["arn:aws:s3:::x", "arn:aws:s3:::bucket/1"]}, True, "several-request-values"
    ),
    row(
        {"ArnNotLike": {"k": "arn:aws:s3:::bucket/*"}},
        {"k": "arn:aws:s3:::bucket/x"},
        False,
        "not-like-match",
    ),
    row(
        {"ArnNotLike": {"k": "arn:aws:s3:::bucket/*"}}, {"k": "arn:aws:s3:::other"}, True, "not-like-no-match"
    ),
    row({"ArnNotLike": {"k": "arn:aws:s3:::bucket/*"}}, {}, True, "not-like-absent-is-true"),
    row({"ArnNotLike": {"k": "arn:aws:s3:::bucket/*"}}, {"k": "not-an-arn"}, True, "not-like-non-arn"),
    row(
        {"ArnNotEquals": {"k": "arn:aws:s3:::b*"}}, {"k": "arn:aws:s3:::bee"}, False, "not-equals-is-not-like"
    ),
    row(
        {"ArnNotEquals": {"k": ["arn:aws:s3:::a", "arn:aws:s3:::b"]}},
        {"k": "arn:aws:s3:::b"},
        False,
        "not-nor",
    ),
    row({"ArnLikeIfExists": {"k": "arn:aws:s3:::b"}}, {}, True, "if-exists-absent"),
    row({"ArnLikeIfExists": {"k": "arn:aws:s3:::b"}}, {"k": "arn:aws:s3:::c"}, False, "if-exists-present"),
    # operators page, ArnEquals aws:SourceArn table.
    row(
        TOPIC,
        {"aws:SourceArn": "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"},
        True,
        "aws-doc-operators-topic",
    ),
    row(
        TOPIC,
        {"aws:SourceArn": "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"},
        False,
        "aws-doc-operators-other",
    ),
    row(TOPIC, {}, False, "aws-doc-operators-no-source-arn"),
]


@pytest.mark.parametrize(("block", "context", "expected"), ARN_CASES)
def test_arn_operators(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


# -- the absent-key rules, for every operator --------------------------------------------------------------
VALUE = {
    "String": "v",
    "Numeric": "1",
    "Date": "2020-01-01",
    "Bool": "true",
    "Binary": "QQ==",
    "Ip": "10.0.0.0/8",
    "Arn": "arn:aws:s3:::b",
}
POSITIVE = {
    "StringEquals": "String",
    "StringEqualsIgnoreCase": "String",
    "StringLike": "String",
    "NumericEquals": "Numeric",
    "NumericLessThan": "Numeric",
    "NumericLessThanEquals": "Numeric",
    "NumericGreaterThan": "Numeric",
    "NumericGreaterThanEquals": "Numeric",
    "DateEquals": "Date",
    "DateLessThan": "Date",
    "DateLessThanEquals": "Date",
    "DateGreaterThan": "Date",
    "DateGreaterThanEquals": "Date",
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "Ip",
    "ArnEquals": "Arn",
    "ArnLike": "Arn",
}
NEGATED = {
    "StringNotEquals": "String",
    "StringNotEqualsIgnoreCase": "String",
    "StringNotLike": "String",
    "NumericNotEquals": "Numeric",
    "DateNotEquals": "Date",
    "NotIpAddress": "Ip",
    "ArnNotEquals": "Arn",
    "ArnNotLike": "Arn",
}


@pytest.mark.parametrize("operator", sorted(POSITIVE))
def test_a_positive_operator_on_an_absent_key_is_false(operator: str) -> None:
    """operators page: "the values do not match and the condition is false"."""
    block = {operator: {"k": VALUE[POSITIVE[operator]]}}
    assert matches(block, {}) is False
    assert matches(block, {"k": []}) is False  # an empty value list is no value at all


@pytest.mark.parametrize("operator", sorted(NEGATED))
def test_a_negated_operator_on_an_absent_key_is_true(operator: str) -> None:
    """operators page: "If the policy condition requires that the key is not matched, such as StringNotLike
    or ArnNotLike, and the right key is not present, the condition is true"."""
    block = {operator: {"k": VALUE[NEGATED[operator]]}}
    assert matches(block, {}) is True
    assert matches(block, {"other": ["x"]}) is True


@pytest.mark.parametrize("operator", sorted({**POSITIVE, **NEGATED}))
def test_if_exists_on_an_absent_key_is_true(operator: str) -> None:
    family = {**POSITIVE, **NEGATED}[operator]
    assert matches({operator + "IfExists": {"k": VALUE[family]}}, {}) is True


@pytest.mark.parametrize("operator", sorted({**POSITIVE, **NEGATED}))
def test_set_qualifiers_on_an_absent_key(operator: str) -> None:
    """single-vs-multi: ForAllValues "also returns true if there are no context keys in the request";
    ForAnyValue: "if the key does not exist, the condition returns false"."""
    value = VALUE[{**POSITIVE, **NEGATED}[operator]]
    assert matches({"ForAllValues:" + operator: {"k": value}}, {}) is True
    assert matches({"ForAllValues:" + operator: {"k": value}}, {"k": []}) is True
    assert matches({"ForAnyValue:" + operator: {"k": value}}, {}) is False
    assert matches({"ForAnyValue:" + operator: {"k": value}}, {"k": []}) is False
    assert matches({"ForAnyValue:" + operator + "IfExists": {"k": value}}, {}) is True


# -- set qualifiers ----------------------------------------------------------------------------------------
ALL_EQ = {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
ALL_EQ_NULL = {**ALL_EQ, "Null": {"aws:TagKeys": "false"}}
ANY_EQ = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
ALL_NOT_KEY1 = {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}
ALL_NOT_KEY12 = {"ForAllValues:StringNotLike": {"aws:TagKeys": ["key1*", "key2*"]}}
ANY_WEB = {"ForAnyValue:StringEquals": {"aws:TagKeys": "webserver"}}
LOGS = {
    "ForAllValues:ArnLike": {
        "logs:LogGeneratingResourceArns": [
            "arn:aws:cloudfront::123456789012:distribution/*",
            "arn:aws:cloudfront::123456789012:distribution/support*",
        ]
    }
}
DIST = "arn:aws:cloudfront::123456789012:distribution/"
QUALIFIER_CASES = [
    # single-vs-multi, ForAllValues example (with its Null check).
    row(ALL_EQ_NULL, {"aws:TagKeys": "environment"}, True, "aws-doc-single-vs-multi-all-environment"),
    row(ALL_EQ_NULL, {"aws:TagKeys": "cost-center"}, True, "aws-doc-single-vs-multi-all-cost-center"),
    row(
        ALL_EQ_NULL, {"aws:TagKeys": ["environment", "cost-center"]}, True, "aws-doc-single-vs-multi-all-both"
    ),
    row(ALL_EQ_NULL, {"aws:TagKeys": ["environment", "dept"]}, False, "aws-doc-single-vs-multi-all-dept"),
    row(ALL_EQ_NULL, {}, False, "aws-doc-single-vs-multi-all-absent-with-null-check"),
    row(ALL_EQ, {}, True, "for-all-values-absent-without-null-check"),
    row(ALL_EQ, {"aws:TagKeys": []}, True, "for-all-values-empty-set"),
    # single-vs-multi, ForAnyValue example.
    row(ANY_EQ, {"aws:TagKeys": "environment"}, True, "aws-doc-single-vs-multi-any-environment"),
    row(ANY_EQ, {"aws:TagKeys": "cost-center"}, True, "aws-doc-single-vs-multi-any-cost-center"),
    row(ANY_EQ, {"aws:TagKeys": ["environment", "cost-center"]}, True, "aws-doc-single-vs-multi-any-both"),
    row(ANY_EQ, {"aws:TagKeys": ["environment", "dept"]}, True, "aws-doc-single-vs-multi-any-extra"),
    row(ANY_EQ, {"aws:TagKeys": "dept"}, False, "aws-doc-single-vs-multi-any-dept"),
    row(ANY_EQ, {}, False, "aws-doc-single-vs-multi-any-absent"),
    row(ANY_EQ, {"aws:TagKeys": []}, False, "for-any-value-empty-set"),
    # multivalued-examples, ForAllValues:StringNotLike tables.
    row(ALL_NOT_KEY1, {"aws:TagKeys": "key1:legal"}, False, "aws-doc-multivalued-examples-key1-legal"),
    row(
        ALL_NOT_KEY1,
        {"aws:TagKeys": ["key1:hr", "key1:personnel"]},
        False,
        "aws-doc-multivalued-examples-k1-two",
    ),
    row(ALL_NOT_KEY1, {"aws:TagKeys": "key2:audit"}, True, "aws-doc-multivalued-examples-key2-audit"),
    row(ALL_NOT_KEY1, {}, True, "aws-doc-multivalued-examples-key1-absent"),
    row(ALL_NOT_KEY12, {"aws:TagKeys": "key1:legal"}, False, "aws-doc-multivalued-examples-k12-legal"),
    row(
        ALL_NOT_KEY12,
        {"aws:TagKeys": ["key1:hr", "key1:personnel"]},
        False,
        "aws-doc-multivalued-examples-k12-hr",
    ),
    row(
        ALL_NOT_KEY12,
        {"aws:TagKeys": ["key1:hr", "key2:audit"]},
        False,
        "aws-doc-multivalued-examples-k12-mix",
    ),
    row(ALL_NOT_KEY12, {"aws:TagKeys": "key3:legal"}, True, "aws-doc-multivalued-examples-k12-key3"),
    row(ALL_NOT_KEY12, {}, True, "aws-doc-multivalued-examples-k12-absent"),
    # multivalued-examples, ForAnyValue example.
    row(ANY_WEB, {"aws:TagKeys": "webserver"}, True, "aws-doc-multivalued-examples-any-webserver"),
    row(
        ANY_WEB,
        {"aws:TagKeys": ["environment", "webserver", "test"]},
        True,
        "aws-doc-multivalued-examples-any-3",
    ),
    row(ANY_WEB, {"aws:TagKeys": ["environment", "test"]}, False, "aws-doc-multivalued-examples-any-none"),
    row(ANY_WEB, {}, False, "aws-doc-multivalued-examples-any-absent"),
    # operators page, ForAllValues:ArnLike example. Its table calls the costcenter-and-admin request "No
    # match", which its own policy contradicts (distribution/* takes admin); the definition is followed here.
    row(LOGS, {"logs:LogGeneratingResourceArns": DIST + "costcenter"}, True, "aws-doc-operators-logs-one"),
    row(
        LOGS,
        {"logs:LogGeneratingResourceArns": [DIST + "costcenter", DIST + "support2025"]},
        True,
        "aws-doc-operators-logs-two",
    ),
    row(
        LOGS,
        {"logs:LogGeneratingResourceArns": [DIST + "costcenter", DIST + "admin"]},
        True,
        "aws-doc-operators-logs-star-covers-admin",
    ),
    row(
        LOGS,
        {"logs:LogGeneratingResourceArns": "arn:aws:cloudfront::777788889999:distribution/x"},
        False,
        "aws-doc-operators-logs-other-account",
    ),
    row(LOGS, {}, True, "aws-doc-operators-logs-absent"),
    # Negated operators with qualifiers: operators page, "Multivalued string condition operators".
    row({"ForAllValues:StringNotEquals": {"k": "c"}}, {"k": ["a", "b"]}, True, "all-not-equals-none-equal"),
    row({"ForAllValues:StringNotEquals": {"k": "c"}}, {"k": ["a", "c"]}, False, "all-not-equals-one-equal"),
    row(
        {"ForAnyValue:StringNotEquals": {"k": "environment"}},
        {"k": ["environment", "webserver"]},
        True,
        "any-not-equals-one-differs",
    ),
    row(
        {"ForAnyValue:StringNotEquals": {"k": "environment"}},
        {"k": "environment"},
        False,
        "any-not-eq-all-same",
    ),
    row({"ForAnyValue:StringNotEquals": {"k": ["a", "b"]}}, {"k": ["a", "b"]}, False, "any-not-equals-nor"),
    row(
        {"ForAnyValue:ArnNotLike": {"k": "arn:aws:s3:::a*"}},
        {"k": ["arn:aws:s3:::ab", "arn:aws:s3:::b"]},
        True,
        "any-arn-not-like",
    ),
    row(
        {"ForAllValues:StringLike": {"k": ["dev-*", "test-*"]}}, {"k": ["dev-1", "test-2"]}, True, "all-like"
    ),
    row(
        {"ForAllValues:StringLike": {"k": ["dev-*", "test-*"]}},
        {"k": ["dev-1", "prod-2"]},
        False,
        "all-like-no",
    ),
    row({"ForAllValues:StringEqualsIgnoreCase": {"k": "a"}}, {"k": ["A", "a"]}, True, "all-ignore-case"),
    row({"ForAnyValue:NumericGreaterThan": {"k": "5"}}, {"k": ["1", "9"]}, True, "any-numeric"),
    row({"ForAllValues:NumericGreaterThan": {"k": "5"}}, {"k": ["1", "9"]}, False, "all-numeric"),
    row({"ForAllValues:IpAddress": {"k": "10.0.0.0/8"}}, {"k": ["10.0.0.1", "10.2.0.1"]}, True, "all-ip"),
    row({"ForAllValues:StringEqualsIfExists": {"k": "a"}}, {"k": ["a", "b"]}, False, "all-if-exists-present"),
]


@pytest.mark.parametrize(("block", "context", "expected"), QUALIFIER_CASES)
def test_set_qualifiers(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


# -- policy variables --------------------------------------------------------------------------------------
HOME = {"StringLike": {"s3:prefix": ["home/", "home/${aws:username}/"]}}
TEAM_BUCKET = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket-${aws:PrincipalTag/team, 'company-wide'}"}}
SAME_TEAM = {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
VARIABLE_CASES = [
    # operators page, StringLike with ${aws:username}.
    row(
        HOME,
        {"s3:prefix": "home/martha_rivera/", "aws:username": "martha_rivera"},
        True,
        "aws-doc-operators-own",
    ),
    row(
        HOME,
        {"s3:prefix": "home/martha_rivera/", "aws:username": "nikki_wolf"},
        False,
        "aws-doc-operators-other",
    ),
    row(HOME, {"s3:prefix": "home/martha_rivera/"}, False, "aws-doc-operators-no-username"),
    row(HOME, {"s3:prefix": "home/"}, True, "aws-doc-operators-home-without-username"),
    row(
        {"StringEquals": {"k": "${AWS:UserName}"}},
        {"k": "bob", "aws:username": "bob"},
        True,
        "key-case-insensitive",
    ),
    row(
        {"StringEqualsIgnoreCase": {"k": "${aws:username}"}},
        {"k": "BOB", "aws:username": "Bob"},
        True,
        "ignore-case-applies-to-the-substituted-value",
    ),
    row({"StringLike": {"k": "a${*}b"}}, {"k": "a*b"}, True, "star-variable-is-a-literal-star"),
    row({"StringLike": {"k": "a${*}b"}}, {"k": "axxb"}, False, "star-variable-is-not-a-wildcard"),
    row({"StringLike": {"k": "a${?}"}}, {"k": "a?"}, True, "question-variable-is-literal"),
    row({"StringLike": {"k": "a${?}"}}, {"k": "ab"}, False, "question-variable-is-not-a-wildcard"),
    row({"StringEquals": {"k": "cost${$}"}}, {"k": "cost$"}, True, "dollar-variable"),
    row(
        {"StringEquals": {"k": "${$}{aws:username}"}},
        {"k": "${aws:username}", "aws:username": "bob"},
        True,
        "dollar-variable-escapes-a-variable",
    ),
    row(
        {"StringLike": {"k": "home/${aws:username}"}},
        {"k": "home/abc", "aws:username": "a*"},
        False,
        "substituted-star-is-literal",
    ),
    row(
        {"StringLike": {"k": "home/${aws:username}"}},
        {"k": "home/a*", "aws:username": "a*"},
        True,
        "substituted-star-matches-itself",
    ),
    # variables page, "Specifying default values".
    row(
        TEAM_BUCKET, {"aws:SourceArn": "arn:aws:s3:::bucket-company-wide"}, True, "aws-doc-variables-default"
    ),
    row(
        TEAM_BUCKET,
        {"aws:SourceArn": "arn:aws:s3:::bucket-yellow", "aws:PrincipalTag/team": "yellow"},
        True,
        "aws-doc-variables-tag-value",
    ),
    row(
        TEAM_BUCKET,
        {"aws:SourceArn": "arn:aws:s3:::bucket-company-wide", "aws:PrincipalTag/team": "yellow"},
        False,
        "aws-doc-variables-tag-value-replaces-default",
    ),
    row(
        {"StringEquals": {"k": "${aws:username, 'nobody'}"}},
        {"k": "nobody", "aws:username": []},
        True,
        "default-for-an-empty-value-list",
    ),
    # variables page, "Policy variables with no value".
    row(
        {"StringEquals": {"k": "${aws:PrincipalTag/team}"}},
        {"k": ""},
        False,
        "no-value-equals-does-not-match",
    ),
    row(
        {"StringLike": {"k": "*${aws:PrincipalTag/team}"}}, {"k": "x"}, False, "no-value-like-does-not-match"
    ),
    row(SAME_TEAM, {"s3:ExistingObjectTag/Team": "red"}, True, "aws-doc-variables-no-value-inverted-matches"),
    row(
        SAME_TEAM,
        {"s3:ExistingObjectTag/Team": "red", "aws:PrincipalTag/Team": "red"},
        False,
        "aws-doc-variables-same-team",
    ),
    row(
        SAME_TEAM,
        {"s3:ExistingObjectTag/Team": "red", "aws:PrincipalTag/Team": "blue"},
        True,
        "aws-doc-variables-other-team",
    ),
    row(
        {"StringEquals": {"k": ["${aws:username}", "fallback"]}},
        {"k": "fallback"},
        True,
        "no-value-leaves-the-other-values",
    ),
    row(
        {"ArnLike": {"k": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}},
        {"k": "arn:aws:iam::123456789012:role/x", "aws:PrincipalAccount": "123456789012"},
        True,
        "arn-variable",
    ),
    row(
        {"ArnLike": {"k": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}},
        {"k": "arn:aws:iam::999999999999:role/x", "aws:PrincipalAccount": "123456789012"},
        False,
        "arn-variable-other-account",
    ),
    row(
        {"ArnEquals": {"k": "${aws:PrincipalArn}"}},
        {"k": "arn:aws:iam::1:role/r", "aws:PrincipalArn": "arn:aws:iam::1:role/r"},
        True,
        "arn-from-a-variable",
    ),
    row(
        {"ArnEquals": {"k": "${aws:PrincipalArn}"}},
        {"k": "arn:aws:iam::1:role/r", "aws:PrincipalArn": "bob"},
        False,
        "arn-variable-that-is-no-arn",
    ),
]


@pytest.mark.parametrize(("block", "context", "expected"), VARIABLE_CASES)
def test_policy_variables(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


def test_a_variable_naming_a_multivalued_key_is_an_error() -> None:
    """variables page: "You can't use a multivalued condition key as a variable.\""""
    block = {"StringEquals": {"k": "${aws:TagKeys}"}}
    with pytest.raises(ConditionError, match=r"StringEquals k: policy variable \$\{aws:TagKeys\}"):
        matches(block, {"k": ["a"], "aws:tagkeys": ["a", "b"]})


def test_variables_are_not_substituted_in_other_operators() -> None:
    """variables page: "You can't use a policy variable with other operators, such as Numeric, Date, Boolean,
    Binary, IP Address, or Null operators." """
    block = {
        "NumericEquals": {"k": "${aws:MultiFactorAuthAge}"},
        "Bool": {"b": "${aws:SecureTransport}"},
        "IpAddress": {"i": "${aws:SourceIp}"},
    }
    assert check_block(block) == [
        "NumericEquals k: '${aws:MultiFactorAuthAge}' is not a number",
        "Bool b: '${aws:SecureTransport}' is not true or false",
        "IpAddress i: '${aws:SourceIp}' is not an IPv4 or IPv6 address or CIDR",
    ]


# -- AND / OR across the block -----------------------------------------------------------------------------
DEPARTMENT = {
    "StringEquals": {
        "aws:PrincipalTag/department": ["finance", "hr", "legal"],
        "aws:PrincipalTag/role": ["audit", "security"],
    },
}
ANA_MARY = ["arn:aws:iam::222222222222:user/Ana", "arn:aws:iam::222222222222:user/Mary"]
MARY = "arn:aws:iam::222222222222:user/Mary"
NIKKI = "arn:aws:iam::222222222222:user/Nikki"
DEPT_LIKE = {**DEPARTMENT, "ArnLike": {"aws:PrincipalArn": ANA_MARY}}
DEPT_NOT_LIKE = {**DEPARTMENT, "ArnNotLike": {"aws:PrincipalArn": ANA_MARY}}
ECS = {
    "StringEquals": {"aws:RequestTag/environment": ["production", "prod-backup"]},
    "ArnEquals": {
        "ecs:cluster": [
            "arn:aws:ecs:us-east-1:111122223333:cluster/default1",
            "arn:aws:ecs:us-east-1:111122223333:cluster/default2",
        ]
    },
}
CLUSTER = "arn:aws:ecs:us-east-1:111122223333:cluster/"
TAGGING = {
    "StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]},
    "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"},
}
JOB = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
INSTANCE_TYPES = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
LOGIC_CASES = [
    row({}, {}, True, "an-empty-block-holds"),
    row(
        {"StringEquals": {"a": "1"}, "Bool": {"b": "true"}},
        {"a": "1", "b": "true"},
        True,
        "operators-and-all",
    ),
    row(
        {"StringEquals": {"a": "1"}, "Bool": {"b": "true"}},
        {"a": "1", "b": "false"},
        False,
        "operators-and-one",
    ),
    row({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "2"}, True, "keys-and-all"),
    row({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False, "keys-and-one"),
    row({"StringEquals": {"a": "1", "A": "2"}}, {"a": "1"}, False, "keys-differing-in-case-are-the-same-key"),
    # multi-value, "Evaluation logic for multiple context keys or values".
    row(
        DEPT_LIKE,
        {"aws:PrincipalTag/department": "legal", "aws:PrincipalTag/role": "audit", "aws:PrincipalArn": MARY},
        True,
        "aws-doc-multi-value-match",
    ),
    row(
        DEPT_LIKE,
        {"aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "audit", "aws:PrincipalArn": NIKKI},
        False,
        "aws-doc-multi-value-nikki",
    ),
    row(
        DEPT_LIKE,
        {"aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "payroll", "aws:PrincipalArn": MARY},
        False,
        "aws-doc-multi-value-payroll",
    ),
    row(
        DEPT_LIKE,
        {"aws:PrincipalTag/department": "hr", "aws:PrincipalArn": MARY},
        False,
        "aws-doc-multi-value-no-role",
    ),
    row(DEPT_LIKE, {"aws:PrincipalArn": MARY}, False, "aws-doc-multi-value-no-tags"),
    # multi-value, "Evaluation logic for negated matching condition operators".
    row(
        DEPT_NOT_LIKE,
        {"aws:PrincipalTag/department": "legal", "aws:PrincipalTag/role": "audit", "aws:PrincipalArn": NIKKI},
        True,
        "aws-doc-multi-value-negated-match",
    ),
    row(
        DEPT_NOT_LIKE,
        {"aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "audit", "aws:PrincipalArn": MARY},
        False,
        "aws-doc-multi-value-negated-mary",
    ),
    row(
        DEPT_NOT_LIKE,
        {"aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "payroll", "aws:PrincipalArn": NIKKI},
        False,
        "aws-doc-multi-value-negated-payroll",
    ),
    row(
        DEPT_NOT_LIKE,
        {"aws:PrincipalTag/department": "hr", "aws:PrincipalArn": NIKKI},
        False,
        "aws-doc-multi-value-negated-no-role",
    ),
    row(DEPT_NOT_LIKE, {"aws:PrincipalArn": NIKKI}, False, "aws-doc-multi-value-negated-no-tags"),
    # single-valued-examples, "One condition block with multiple single-valued context keys and values".
    row(
        ECS,
        {"aws:RequestTag/environment": "production", "ecs:cluster": CLUSTER + "default1"},
        True,
        "aws-doc-single-valued-examples-production",
    ),
    row(
        ECS,
        {"aws:RequestTag/environment": "prod-backup", "ecs:cluster": CLUSTER + "default2"},
        True,
        "aws-doc-single-valued-examples-backup",
    ),
    row(
        ECS,
        {"aws:RequestTag/webserver": "production", "ecs:cluster": CLUSTER + "default2"},
        False,
        "aws-doc-single-valued-examples-other-tag",
    ),
    row(ECS, {"ecs:cluster": CLUSTER + "default2"}, False, "aws-doc-single-valued-examples-no-tag"),
    # operators page, "Example using ForAnyValue with a string condition operator".
    row(
        TAGGING,
        {"aws:TagKeys": "environment", "aws:RequestTag/environment": "preprod"},
        True,
        "aws-doc-operators-tagging-preprod",
    ),
    row(
        TAGGING,
        {"aws:TagKeys": ["environment", "costcenter"], "aws:RequestTag/environment": "PreProd"},
        True,
        "aws-doc-operators-tagging-ignore-case",
    ),
    row(
        TAGGING,
        {"aws:TagKeys": "Environment", "aws:RequestTag/Environment": "preprod"},
        False,
        "aws-doc-operators-tagging-tag-key-case",
    ),
    row(
        TAGGING,
        {"aws:TagKeys": "costcenter", "aws:RequestTag/environment": "preprod"},
        False,
        "aws-doc-operators-tagging-costcenter",
    ),
    row(TAGGING, {"aws:RequestTag/environment": "storage"}, False, "aws-doc-operators-tagging-no-tag-keys"),
    row(TAGGING, {"aws:TagKeys": "environment"}, False, "aws-doc-operators-tagging-no-request-tag"),
    row(TAGGING, {}, False, "aws-doc-operators-tagging-nothing"),
    # operators page, string operator example.
    row(JOB, {"aws:PrincipalTag/job-category": "iamuser-admin"}, True, "aws-doc-operators-job-admin"),
    row(JOB, {"aws:PrincipalTag/job-category": "dev-ops"}, False, "aws-doc-operators-job-dev-ops"),
    row(JOB, {}, False, "aws-doc-operators-job-absent"),
    # operators page, "Example using IfExists".
    row(INSTANCE_TYPES, {"ec2:InstanceType": "t1.micro"}, True, "aws-doc-operators-if-exists-t1"),
    row(INSTANCE_TYPES, {"ec2:InstanceType": "m2.micro"}, False, "aws-doc-operators-if-exists-m2"),
    row(INSTANCE_TYPES, {}, True, "aws-doc-operators-if-exists-absent"),
]


@pytest.mark.parametrize(("block", "context", "expected"), LOGIC_CASES)
def test_block_logic(block: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    _assert_decides(block, context, expected)


def test_the_request_context_must_hold_lists_of_values() -> None:
    with pytest.raises(TypeError, match="expected a sequence of strings"):
        matches({"StringEquals": {"k": "abc"}}, {"k": "abc"})  # type: ignore[dict-item]


# -- the static check --------------------------------------------------------------------------------------
INVALID = [
    pytest.param("x", ["Condition: expected an object of condition operators"], id="block-not-an-object"),
    pytest.param([{"StringEquals": {}}], ["Condition: expected an object of condition operators"], id="list"),
    pytest.param(
        {"StringEqualz": {"k": "v"}}, ["StringEqualz: not an IAM condition operator"], id="unknown-op"
    ),
    pytest.param({"stringequals": {"k": "v"}}, ["stringequals: not an IAM condition operator"], id="op-case"),
    pytest.param(
        {"StringEqualsIfExistsIfExists": {"k": "v"}},
        ["StringEqualsIfExistsIfExists: not an IAM condition operator"],
        id="if-exists-twice",
    ),
    pytest.param(
        {"BinaryNotEquals": {"k": "QQ=="}},
        ["BinaryNotEquals: not an IAM condition operator"],
        id="no-binary-not-equals",
    ),
    pytest.param(
        {"ForEachValue:StringEquals": {"k": "v"}},
        ["ForEachValue:StringEquals: 'ForEachValue' is not a set qualifier (ForAllValues or ForAnyValue)"],
        id="unknown-qualifier",
    ),
    pytest.param(
        {"ForAllValues:ForAnyValue:StringEquals": {"k": "v"}},
        ["ForAllValues:ForAnyValue:StringEquals: not an IAM condition operator"],
        id="two-qualifiers",
    ),
    pytest.param(
        {"ForAllValues:Null": {"k": "true"}},
        ["ForAllValues:Null: Null takes no set qualifier"],
        id="null-for-all-values",
    ),
    pytest.param(
        {"ForAnyValue:Null": {"k": "true"}},
        ["ForAnyValue:Null: Null takes no set qualifier"],
        id="null-for-any-value",
    ),
    pytest.param(
        {"NullIfExists": {"k": "true"}}, ["NullIfExists: Null takes no IfExists suffix"], id="null-if-e"
    ),
    pytest.param(
        {"StringEquals": "v"},
        ["StringEquals: expected an object of condition keys to values"],
        id="operator-not-an-object",
    ),
    pytest.param(
        {"StringEquals": ["k", "v"]},
        ["StringEquals: expected an object of condition keys to values"],
        id="operator-a-list",
    ),
    pytest.param({"StringEquals": {}}, ["StringEquals: names no condition keys"], id="operator-empty"),
    pytest.param({"StringEquals": {"": "v"}}, ["StringEquals: '' is not a condition key"], id="empty-key"),
    pytest.param(
        {"StringEquals": {"k": []}},
        ["StringEquals k: expected a value or a list of values, got an empty list"],
        id="no-values",
    ),
    pytest.param(
        {"StringEquals": {"k": None}},
        ["StringEquals k: expected a string, number or boolean, or a list of them"],
        id="null-value",
    ),
    pytest.param(
        {"StringEquals": {"k": {"a": "b"}}},
        ["StringEquals k: expected a string, number or boolean, or a list of them"],
        id="object-value",
    ),
    pytest.param(
        {"StringEquals": {"k": [["a"]]}},
        ["StringEquals k: expected a string, number or boolean, or a list of them"],
        id="nested-list",
    ),
    pytest.param(
        {"NumericLessThan": {"s3:TlsVersion": "1.x"}},
        ["NumericLessThan s3:TlsVersion: '1.x' is not a number"],
        id="numeric-not-a-number",
    ),
    pytest.param(
        {"ForAnyValue:NumericLessThanIfExists": {"s3:max-keys": ["1", "ten"]}},
        ["ForAnyValue:NumericLessThanIfExists s3:max-keys: 'ten' is not a number"],
        id="numeric-one-bad-value-named-as-written",
    ),
    pytest.param(
        {"DateGreaterThan": {"aws:CurrentTime": "tomorrow"}},
        ["DateGreaterThan aws:CurrentTime: 'tomorrow' is not an ISO 8601 date or epoch seconds"],
        id="date-word",
    ),
    pytest.param(
        {"DateEquals": {"k": ["2020-13-01", "2020-01-01T25:00:00Z", "2020-01-01T00:00:00+24:00"]}},
        [
            "DateEquals k: '2020-13-01' is not an ISO 8601 date or epoch seconds",
            "DateEquals k: '2020-01-01T25:00:00Z' is not an ISO 8601 date or epoch seconds",
            "DateEquals k: '2020-01-01T00:00:00+24:00' is not an ISO 8601 date or epoch seconds",
        ],
        id="date-out-of-range",
    ),
    pytest.param(
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}},
        ["IpAddress aws:SourceIp: '10.0.0.0/33' is not an IPv4 or IPv6 address or CIDR"],
        id="ip-prefix",
    ),
    pytest.param(
        {"NotIpAddress": {"k": ["10.0.0.0/255.0.0.0", "host"]}},
        [
            "NotIpAddress k: '10.0.0.0/255.0.0.0' is not an IPv4 or IPv6 address or CIDR",
            "NotIpAddress k: 'host' is not an IPv4 or IPv6 address or CIDR",
        ],
        id="ip-netmask-and-name",
    ),
    pytest.param(
        {"Bool": {"aws:SecureTransport": "yes"}},
        ["Bool aws:SecureTransport: 'yes' is not true or false"],
        id="bool-yes",
    ),
    pytest.param({"Bool": {"k": 1}}, ["Bool k: '1' is not true or false"], id="bool-number"),
    pytest.param({"Null": {"k": "maybe"}}, ["Null k: 'maybe' is not true or false"], id="null-maybe"),
    pytest.param(
        {"BinaryEquals": {"k": "!!"}}, ["BinaryEquals k: '!!' is not base64"], id="binary-not-base64"
    ),
    pytest.param(
        {"ArnLike": {"k": ["arn:aws:s3", "*"]}},
        [
            "ArnLike k: 'arn:aws:s3' is not an ARN (arn:partition:service:region:account:resource)",
            "ArnLike k: '*' is not an ARN (arn:partition:service:region:account:resource)",
        ],
        id="arn-short",
    ),
    pytest.param(
        {"StringLike": {"k": "home/${aws:username"}},
        ["StringLike k: 'home/${aws:username' has an unterminated or malformed policy variable"],
        id="variable-unterminated",
    ),
    pytest.param(
        {"StringEquals": {"k": ["${}", "${aws:username, default}"]}},
        [
            "StringEquals k: '${}' has a malformed policy variable '${}'",
            "StringEquals k: '${aws:username, default}' has a malformed policy variable "
            "'${aws:username, default}'",
        ],
        id="variable-malformed",
    ),
    pytest.param(
        {"ArnEquals": {"k": "arn:aws:iam::${aws:PrincipalAccount:role/x"}},
        [
            "ArnEquals k: 'arn:aws:iam::${aws:PrincipalAccount:role/x' has an unterminated or malformed "
            "policy variable"
        ],
        id="arn-variable-unterminated",
    ),
    pytest.param(
        {"StringEqualz": {"k": "v"}, "Bool": {"k": "yes"}, "StringEquals": {"k": "fine"}},
        ["StringEqualz: not an IAM condition operator", "Bool k: 'yes' is not true or false"],
        id="every-problem-in-order",
    ),
]


@pytest.mark.parametrize(("block", "expected"), INVALID)
def test_check_block_names_each_problem(block: object, expected: list[str]) -> None:
    assert check_block(block) == expected


@pytest.mark.parametrize(("block", "expected"), INVALID)
def test_matches_refuses_what_check_block_reports(block: Any, expected: list[str]) -> None:
    with pytest.raises(ConditionError, match=re.escape(expected[0])):
        matches(block, {"k": ["v"]})


VALID = [
    pytest.param({}, id="empty-block"),
    pytest.param(
        {
            "DateGreaterThan": {
                "aws:CurrentTime": [
                    "2020-01-01",
                    "2020-01-01T00:00Z",
                    "2020-01",
                    "2020-01-01T00:00:00.123+05:30",
                    "2020-01-01T00:00:00",
                    "1700000000",
                    1700000000,
                ]
            }
        },
        id="date-forms",
    ),
    pytest.param(
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64", "10.0.0.1", "::1"]}},
        id="ip-forms",
    ),
    pytest.param({"NumericLessThan": {"k": [10, 1.5, "-3", ".5", "007", "+2"]}}, id="number-forms"),
    pytest.param({"Bool": {"k": [True, "FALSE"]}, "Null": {"n": [True, "false"]}}, id="boolean-forms"),
    pytest.param(
        {"ForAnyValue:StringLikeIfExists": {"k": "${aws:username}/*"}}, id="qualifier-and-if-exists"
    ),
    pytest.param(
        {
            "ArnLike": {
                "k": [
                    "arn:aws:s3:::b/*",
                    "arn:aws:iam::${aws:PrincipalAccount}:role/*",
                    "${aws:SourceArn}",
                    "arn:aws:logs:*:*:log-group:a:b",
                ]
            }
        },
        id="arn-forms",
    ),
    pytest.param(
        {
            "StringEquals": {
                "k": [
                    "${*}",
                    "${?}",
                    "${$}",
                    "${aws:PrincipalTag/team, 'company-wide'}",
                    "a lone $ and { } are text",
                    "${aws:PrincipalTag/cost center}",
                ]
            }
        },
        id="variable-forms",
    ),
    pytest.param({"BinaryEquals": {"k": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, id="binary"),
]


@pytest.mark.parametrize("block", VALID)
def test_check_block_accepts_valid_blocks(block: dict[str, Any]) -> None:
    assert check_block(block) == []
    assert isinstance(matches(block, {}), bool)


def test_condition_keys_lists_each_key_as_written_once() -> None:
    block = {
        "StringEquals": {"aws:PrincipalTag/Team": "a", "aws:username": "${aws:userid}"},
        "Null": {"aws:PrincipalTag/Team": "false", "aws:TokenIssueTime": "true"},
        "ForAnyValue:StringLike": {"AWS:TagKeys": "x*"},
    }
    assert condition_keys(block) == [
        "aws:PrincipalTag/Team",
        "aws:username",
        "aws:TokenIssueTime",
        "AWS:TagKeys",
    ]


def test_condition_keys_skips_what_is_not_a_key_object() -> None:
    assert condition_keys({"StringEquals": "oops", "Bool": {"aws:SecureTransport": "true"}}) == [
        "aws:SecureTransport"
    ]
