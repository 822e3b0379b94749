"""IAM policy ``Condition`` elements: a static check, and whether one holds for a request context.

A statement's Condition element maps condition operators to condition keys, and each key to policy values:
``{"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}``. ``check_block`` lists what in an element
this module cannot evaluate (an unknown operator or qualifier, a malformed value), ``condition_keys`` lists
the keys an element tests, and ``matches`` decides an element against a request context (condition key,
lowercase, to its values) the way AWS does. The rules, each from the IAM User Guide:

- "IAM JSON policy elements: Condition"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html): context key
  names are not case-sensitive; whether values are depends on the operator.
- "IAM JSON policy elements: Condition operators"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  the operators; a key that is not present does not match, except that a negated operator ("such as
  StringNotLike or ArnNotLike") is then true; ``...IfExists`` is true when the key is absent; ``Null``.
- "Conditions with multiple context keys or values"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html):
  operators AND, keys of one operator AND, a key's policy values OR, or NOR for a negated operator.
- "Single-valued vs. multivalued context keys"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
  the ``ForAllValues`` and ``ForAnyValue`` set qualifiers.
- "IAM policy elements: Variables and tags"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html): policy variables in
  the values of string and ARN operators, their defaults, ``${*}``, ``${?}``, ``${$}``, and variables with
  no value.

A key whose value list is empty is taken as not present: AWS calls such a value "null", "a null data set",
which ``ForAllValues`` treats as true and ``ForAnyValue`` as false, exactly as for a missing key.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache
from typing import Any, TypeAlias

Context: TypeAlias = Mapping[str, Sequence[str]]

_FOR_ALL_VALUES = "ForAllValues"
_FOR_ANY_VALUE = "ForAnyValue"
_IF_EXISTS = "IfExists"
_NULL = "Null"


class ConditionError(ValueError):
    """A Condition element the evaluator cannot evaluate (never silently true or false)."""


# -- policy values ------------------------------------------------------------------------------------
def _scalar_text(value: object) -> str | None:
    """A JSON scalar as IAM reads it: booleans as ``true``/``false``, numbers in plain decimal notation."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return None


def _policy_values(raw: object) -> list[str] | str:
    """A key's policy values as strings, or what is wrong with them."""
    items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    if not items:
        return "expected a value or a list of values, got an empty list"
    texts = [_scalar_text(item) for item in items]
    if any(text is None for text in texts):
        return "expected a string, number or boolean, or a list of them"
    return [text for text in texts if text is not None]


# -- policy variables ---------------------------------------------------------------------------------
class _Wildcard(Enum):
    ANY = "*"  # any run of characters, the empty one too
    ONE = "?"  # exactly one character


_Piece: TypeAlias = str | _Wildcard  # literal text, or a wildcard


@dataclass(frozen=True)
class _Literal:
    """Text the policy spells with a special variable: ``${*}``, ``${?}`` or ``${$}``."""

    text: str


@dataclass(frozen=True)
class _Variable:
    """``${key}`` or ``${key, 'default'}``: the request's single value of ``key``."""

    key: str
    default: str | None


_Part: TypeAlias = str | _Literal | _Variable  # a str is policy text, where wildcards count

_VARIABLE = re.compile(r"\$\{([^{}]*)\}")
_NAMED_VARIABLE = re.compile(r"\s*(?P<key>[^\s,'][^,']*?)\s*(?:,\s*'(?P<default>[^']*)'\s*)?")
_SPECIAL_VARIABLES = frozenset("*?$")


@lru_cache(maxsize=4096)
def _template(value: str) -> tuple[_Part, ...]:
    """A string or ARN operator's policy value split into policy text and variables.

    Raises ValueError naming a malformed or unterminated variable.
    """
    parts: list[_Part] = []
    start = 0
    for found in _VARIABLE.finditer(value):
        parts.append(_checked_text(value[start : found.start()], value))
        parts.append(_variable(found.group(1), value))
        start = found.end()
    parts.append(_checked_text(value[start:], value))
    return tuple(part for part in parts if part != "")


def _checked_text(text: str, value: str) -> str:
    if "${" in text:
        raise ValueError(f"{value!r} has an unterminated or malformed policy variable")
    return text


def _variable(inner: str, value: str) -> _Literal | _Variable:
    if inner in _SPECIAL_VARIABLES:
        return _Literal(inner)
    named = _NAMED_VARIABLE.fullmatch(inner)
    if named is None:
        raise ValueError(f"{value!r} has a malformed policy variable '${{{inner}}}'")
    return _Variable(named["key"], named["default"])


def _template_problem(value: str) -> str | None:
    try:
        _template(value)
    except ValueError as problem:
        return str(problem)
    return None


class _Unresolved(Enum):
    """A policy value that matches nothing: one with a variable that has no value and no default, or an ARN
    pattern a variable's value left short of six parts."""

    TOKEN = "unresolved"


_UNRESOLVED = _Unresolved.TOKEN


def _variable_value(variable: _Variable, context: Context) -> str | None:
    """The request's value for a variable, its default when the key is absent, else None.

    The variables page: "You can use any single-valued condition key as a variable. You can't use a
    multivalued condition key as a variable." A key with several values is a ConditionError.
    """
    values = _request_values(context, variable.key)
    if values is None:
        return variable.default
    if len(values) > 1:
        raise ConditionError(
            f"policy variable ${{{variable.key}}} names a key with {len(values)} values in the request "
            "context; only a single-valued key can be a policy variable"
        )
    return values[0]


def _pieces(value: str, context: Context, wildcards: bool) -> list[_Piece] | None:
    """A policy value with its variables substituted; None when a variable has no value and no default.

    Substituted text is literal: only the policy's own ``*`` and ``?`` are wildcards (``wildcards``).
    """
    pieces: list[_Piece] = []
    for part in _template(value):
        if isinstance(part, str):
            pieces.extend(_scan(part) if wildcards else [part])
        elif isinstance(part, _Literal):
            pieces.append(part.text)
        else:
            text = _variable_value(part, context)
            if text is None:
                return None
            pieces.append(text)
    return pieces


def _scan(text: str) -> list[_Piece]:
    """Policy text as literal runs and wildcards."""
    pieces: list[_Piece] = []
    for chunk in re.split(r"([*?])", text):
        if chunk == "*":
            pieces.append(_Wildcard.ANY)
        elif chunk == "?":
            pieces.append(_Wildcard.ONE)
        elif chunk:
            pieces.append(chunk)
    return pieces


@lru_cache(maxsize=4096)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL)


def _wildcard_regex(pieces: Sequence[_Piece]) -> re.Pattern[str]:
    """IAM's wildcard match, of the whole string and case-sensitive (not fnmatch: ``[`` is literal)."""
    source = "".join(
        re.escape(piece) if isinstance(piece, str) else (".*" if piece is _Wildcard.ANY else ".")
        for piece in pieces
    )
    return _compiled(source)


# -- the operator families ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Operator:
    """A base condition operator (no set qualifier, no IfExists).

    ``problem``: what is wrong with a policy value, or None. ``prepare``: a policy value ready to compare
    against request values (variables substituted where the family allows them), or ``_UNRESOLVED``.
    ``compare``: whether a request value matches a prepared policy value.
    """

    problem: Callable[[str], str | None]
    prepare: Callable[[str, Context], Any]
    compare: Callable[[str, Any], bool]
    negated: bool = False


# String: variables and, for the Like operators, wildcards.
def _string_prepare(fold: bool) -> Callable[[str, Context], Any]:
    def prepare(value: str, context: Context) -> Any:
        pieces = _pieces(value, context, wildcards=False)
        if pieces is None:
            return _UNRESOLVED
        text = _joined(pieces)
        return text.casefold() if fold else text

    return prepare


def _joined(pieces: Sequence[_Piece]) -> str:
    """Pieces without wildcards as one string."""
    return "".join(piece if isinstance(piece, str) else piece.value for piece in pieces)


def _like_prepare(value: str, context: Context) -> Any:
    pieces = _pieces(value, context, wildcards=True)
    return _UNRESOLVED if pieces is None else _wildcard_regex(pieces)


def _equal(request: str, policy: str) -> bool:
    return request == policy


def _equal_ignoring_case(request: str, policy: str) -> bool:
    return request.casefold() == policy


def _like(request: str, policy: re.Pattern[str]) -> bool:
    return policy.fullmatch(request) is not None


# Numeric: integers and decimals.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)", re.ASCII)


def _number(text: str) -> Decimal | None:
    if _NUMBER.fullmatch(text) is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        return None


def _number_problem(value: str) -> str | None:
    return None if _number(value) is not None else f"{value!r} is not a number"


def _parsed(
    problem: Callable[[str], str | None],
    parse: Callable[[str], Any],
    relation: Callable[[Any, Any], bool] = operator.eq,
    read: Callable[[str], Any] | None = None,
) -> _Operator:
    """An operator whose policy values ``parse`` (no variables) and request values ``read`` (by default as
    the policy's) and compare by ``relation``; a request value that does not read matches nothing."""
    read_request = read or parse

    def prepare(value: str, context: Context) -> Any:
        return parse(value)

    def compare(request: str, policy: Any) -> bool:
        parsed = read_request(request)
        return parsed is not None and relation(parsed, policy)

    return _Operator(problem, prepare, compare)


# Date: W3C ISO 8601 profiles (https://www.w3.org/TR/NOTE-datetime) or epoch seconds, compared as instants.
_EPOCH_SECONDS = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
_W3C_DATE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?",
    re.ASCII,
)


def _instant(text: str) -> Decimal | None:
    """Seconds since the epoch. A string of digits is epoch seconds (so a bare year is not a date); a date
    or time without a zone is UTC."""
    if _EPOCH_SECONDS.fullmatch(text):
        return Decimal(text)
    found = _W3C_DATE.fullmatch(text)
    if found is None:
        return None
    fields = found.groupdict()
    try:
        moment = datetime(
            int(fields["year"]),
            int(fields["month"]),
            int(fields["day"] or 1),
            int(fields["hour"] or 0),
            int(fields["minute"] or 0),
            int(fields["second"] or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    offset = _zone_offset(fields["zone"])
    if offset is None:
        return None
    return Decimal(calendar.timegm(moment.timetuple())) + Decimal("0" + (fields["fraction"] or "")) - offset


def _zone_offset(zone: str | None) -> int | None:
    """The zone's offset from UTC in seconds (no zone, or Z: 0); None when out of range."""
    if zone is None or zone == "Z":
        return 0
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        return None
    return (hours * 3600 + minutes * 60) * (-1 if zone[0] == "-" else 1)


def _date_problem(value: str) -> str | None:
    return None if _instant(value) is not None else f"{value!r} is not an ISO 8601 date or epoch seconds"


# Bool: "true" or "false", in any case.
def _boolean(text: str) -> str | None:
    lowered = text.lower()
    return lowered if lowered in ("true", "false") else None


def _boolean_problem(value: str) -> str | None:
    return None if _boolean(value) is not None else f"{value!r} is not true or false"


# Binary: base64 text, compared as the bytes it encodes.
def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary_problem(value: str) -> str | None:
    return None if _binary(value) is not None else f"{value!r} is not base64"


# IP address: a policy value is an address or a CIDR (an address alone is /32, or /128 for IPv6).
_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(text: str) -> _Network | None:
    _, slash, prefix = text.partition("/")
    if slash and not prefix.isdigit():  # CIDR notation only, not address/netmask
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _network_problem(value: str) -> str | None:
    if _network(value) is not None:
        return None
    return f"{value!r} is not an IPv4 or IPv6 address or CIDR"


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A request value: an address (not a range)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _contains(address: ipaddress.IPv4Address | ipaddress.IPv6Address, network: _Network) -> bool:
    return address in network


# ARN: six colon-separated parts, each matched on its own, wildcards allowed in each.
_ARN_PARTS = 6


def _arn_parts(pieces: Sequence[_Piece]) -> list[list[_Piece]]:
    """Pieces cut at colons into at most six parts; the sixth (the resource) keeps any further colons."""
    parts: list[list[_Piece]] = [[]]
    for piece in pieces:
        if not isinstance(piece, str):
            parts[-1].append(piece)
            continue
        first, *rest = piece.split(":")
        parts[-1].append(first)
        for chunk in rest:
            if len(parts) < _ARN_PARTS:
                parts.append([chunk])
            else:
                parts[-1].extend([":", chunk])
    return parts


def _arn_problem(value: str) -> str | None:
    problem = _template_problem(value)
    if problem is not None:
        return problem
    template = _template(value)
    fixed = [part for part in template if not isinstance(part, _Variable)]
    if len(fixed) < len(template):
        return None  # a variable may supply colons: the value's shape is known only at evaluation
    text = "".join(part if isinstance(part, str) else part.text for part in fixed)
    if len(text.split(":", _ARN_PARTS - 1)) < _ARN_PARTS:
        return f"{value!r} is not an ARN (arn:partition:service:region:account:resource)"
    return None


def _arn_prepare(value: str, context: Context) -> Any:
    pieces = _pieces(value, context, wildcards=True)
    if pieces is None:
        return _UNRESOLVED
    parts = _arn_parts(pieces)
    if len(parts) < _ARN_PARTS:
        return _UNRESOLVED  # a variable's value left the pattern short of six parts: it matches no ARN
    return tuple(_wildcard_regex(part) for part in parts)


def _arn_like(request: str, policy: tuple[re.Pattern[str], ...]) -> bool:
    """A request value that is not an ARN matches no ARN pattern."""
    parts = request.split(":", _ARN_PARTS - 1)
    if len(parts) < _ARN_PARTS or parts[0] != "arn":
        return False
    return all(pattern.fullmatch(part) is not None for pattern, part in zip(policy, parts, strict=True))


def _families() -> dict[str, _Operator]:
    string_equals = _Operator(_template_problem, _string_prepare(fold=False), _equal)
    string_ignore_case = _Operator(_template_problem, _string_prepare(fold=True), _equal_ignoring_case)
    string_like = _Operator(_template_problem, _like_prepare, _like)
    arn_like = _Operator(_arn_problem, _arn_prepare, _arn_like)
    operators = {
        "StringEquals": string_equals,
        "StringNotEquals": _negated(string_equals),
        "StringEqualsIgnoreCase": string_ignore_case,
        "StringNotEqualsIgnoreCase": _negated(string_ignore_case),
        "StringLike": string_like,
        "StringNotLike": _negated(string_like),
        # "The ArnEquals and ArnLike condition operators behave identically."
        "ArnEquals": arn_like,
        "ArnLike": arn_like,
        "ArnNotEquals": _negated(arn_like),
        "ArnNotLike": _negated(arn_like),
        "Bool": _parsed(_boolean_problem, _boolean),
        "BinaryEquals": _parsed(_binary_problem, _binary),
        "IpAddress": _parsed(_network_problem, _network, _contains, read=_address),
    }
    operators["NotIpAddress"] = _negated(operators["IpAddress"])
    relations = {
        "Equals": operator.eq,
        "LessThan": operator.lt,
        "LessThanEquals": operator.le,
        "GreaterThan": operator.gt,
        "GreaterThanEquals": operator.ge,
    }
    for family, parse, problem in (("Numeric", _number, _number_problem), ("Date", _instant, _date_problem)):
        for suffix, relation in relations.items():
            operators[family + suffix] = _parsed(problem, parse, relation)
        operators[family + "NotEquals"] = _negated(operators[family + "Equals"])
    return operators


def _negated(positive: _Operator) -> _Operator:
    return _Operator(positive.problem, positive.prepare, positive.compare, negated=True)


_OPERATORS: dict[str, _Operator] = _families()


# -- operator names -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Name:
    """A condition operator as written: ``ForAnyValue:StringLikeIfExists``."""

    written: str
    qualifier: str | None
    base: str
    if_exists: bool


def _operator_name(written: str) -> _Name | str:
    """The parts of an operator name, or what is wrong with it."""
    qualifier: str | None
    qualifier, colon, rest = written.partition(":")
    if not colon:
        qualifier, rest = None, written
    elif qualifier not in (_FOR_ALL_VALUES, _FOR_ANY_VALUE):
        return f"{written}: {qualifier!r} is not a set qualifier ({_FOR_ALL_VALUES} or {_FOR_ANY_VALUE})"
    base, if_exists = rest, False
    if rest.endswith(_IF_EXISTS):
        base, if_exists = rest[: -len(_IF_EXISTS)], True
    if base == _NULL:
        if qualifier is not None:
            return f"{written}: Null takes no set qualifier"
        if if_exists:
            return f"{written}: Null takes no IfExists suffix"
    elif base not in _OPERATORS:
        return f"{written}: not an IAM condition operator"
    return _Name(written, qualifier, base, if_exists)


# -- the static check ---------------------------------------------------------------------------------
def check_block(block: object) -> list[str]:
    """Static check of a policy statement's Condition element (the parsed JSON value). Returns one message per
    problem, each naming the operator (and key) it is about, e.g.
    "StringEqualz: not an IAM condition operator",
    "ForAllValues:Null: Null takes no set qualifier",
    "NumericLessThan s3:TlsVersion: '1.x' is not a number",
    "DateGreaterThan aws:CurrentTime: 'tomorrow' is not an ISO 8601 date or epoch seconds",
    "IpAddress aws:SourceIp: '10.0.0.0/33' is not an IPv4 or IPv6 address or CIDR",
    "Bool aws:SecureTransport: 'yes' is not true or false",
    "StringEquals: expected an object of condition keys to values". Empty list = valid."""
    if not isinstance(block, Mapping):
        return ["Condition: expected an object of condition operators"]
    problems: list[str] = []
    for written, entries in block.items():
        if not isinstance(written, str):
            problems.append(f"{written!r}: not an IAM condition operator")
            continue
        name = _operator_name(written)
        if isinstance(name, str):
            problems.append(name)
        elif not isinstance(entries, Mapping):
            problems.append(f"{written}: expected an object of condition keys to values")
        elif not entries:
            problems.append(f"{written}: names no condition keys")
        else:
            for key, raw in entries.items():
                problems.extend(_key_problems(name, key, raw))
    return problems


def _key_problems(name: _Name, key: object, raw: object) -> list[str]:
    if not isinstance(key, str) or not key:
        return [f"{name.written}: {key!r} is not a condition key"]
    values = _policy_values(raw)
    if isinstance(values, str):
        return [f"{name.written} {key}: {values}"]
    problem = _boolean_problem if name.base == _NULL else _OPERATORS[name.base].problem
    return [f"{name.written} {key}: {message}" for message in map(problem, values) if message is not None]


def condition_keys(block: Mapping[str, Any]) -> list[str]:
    """Every condition key the block tests (as written), for the caller's 'can the sandbox supply this key'
    check."""
    keys: list[str] = []
    for entries in block.values():
        if isinstance(entries, Mapping):
            keys.extend(key for key in entries if isinstance(key, str) and key not in keys)
    return keys


# -- evaluation ---------------------------------------------------------------------------------------
def matches(block: Mapping[str, Any], context: Context) -> bool:
    """Whether a statement's Condition element holds for the request context. Raises ConditionError for
    anything check_block would report (call sites validate first, but the evaluator must never guess)."""
    problems = check_block(block)
    if problems:
        raise ConditionError("; ".join(problems))
    # Operators AND together, and so do the keys of one operator ("Conditions with multiple context keys or
    # values").
    for written, entries in block.items():
        name = _operator_name(written)
        assert isinstance(name, _Name)  # checked above
        for key, raw in entries.items():
            values = _policy_values(raw)
            assert isinstance(values, list)  # checked above
            if not _key_holds(name, key, values, context):
                return False
    return True


def _request_values(context: Context, key: str) -> Sequence[str] | None:
    """The request's values for a key (names are case-insensitive); None when it has none."""
    values = context.get(key.lower())
    if isinstance(values, str):
        raise TypeError(f"request context key {key.lower()!r}: expected a sequence of strings, got a string")
    return values if values else None


def _key_holds(name: _Name, key: str, policy: list[str], context: Context) -> bool:
    requested = _request_values(context, key)
    if name.base == _NULL:
        # "true (the key doesn't exist - it is null) or false (the key exists and its value is not null)".
        return any((requested is None) == (_boolean(value) == "true") for value in policy)
    spec = _OPERATORS[name.base]
    if requested is None:
        return _absent_key_holds(name, spec)
    try:
        prepared = [spec.prepare(value, context) for value in policy]
    except ConditionError as problem:
        raise ConditionError(f"{name.written} {key}: {problem}") from None

    def matched(value: str) -> bool:
        """A request value matches one of the policy values (they OR together)."""
        return any(p is not _UNRESOLVED and spec.compare(value, p) for p in prepared)

    if name.qualifier == _FOR_ALL_VALUES:
        # "tests whether the value of every member of the request context matches the condition operator
        # that follows the qualifier"; a negated operator: "None of the values of the context key in the
        # request can match any of the context key values in your policy."
        return all(matched(value) != spec.negated for value in requested)
    if name.qualifier == _FOR_ANY_VALUE:
        # "at least one member of the set of request context key values matches"; a negated operator: "At
        # least one context key value in the request must NOT match any of values in ... your policy."
        return any(matched(value) != spec.negated for value in requested)
    # No qualifier. A positive operator holds when a request value matches a policy value. A negated one is
    # the positive one reversed: "When you use negated matching condition operators, the evaluation logic of
    # the condition value is reversed" ("Single-valued context key policy examples",
    # reference_policies_condition_examples-single-valued-context-keys), and its policy values NOR together
    # ("Conditions with multiple context keys or values"). So with several request values (a multivalued
    # key without a qualifier, which AWS says needs one), it holds when none of them matches any policy value.
    return any(matched(value) for value in requested) != spec.negated


def _absent_key_holds(name: _Name, spec: _Operator) -> bool:
    """The condition on a key the request does not have.

    "...IfExists": "If the key is not present, evaluate the condition element as true." ForAllValues "also
    returns true if there are no context keys in the request"; ForAnyValue: "if the key does not exist, the
    condition returns false". Otherwise "the values do not match and the condition is false. If the policy
    condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key
    is not present, the condition is true."
    """
    if name.if_exists:
        return True
    if name.qualifier == _FOR_ALL_VALUES:
        return True
    if name.qualifier == _FOR_ANY_VALUE:
        return False
    return spec.negated
