"""CloudWatch metric math, as far as launchpad's alarms use it: parse an expression, evaluate it per period.

AWS (CloudWatch User Guide, "Using math expressions with CloudWatch metrics", "Metric math syntax and
functions"; "Create an alarm based on a metric math expression"; "Create a CloudWatch alarm based on
anomaly detection"): an expression combines the time series of other queries (their ``Id``), numbers,
``+ - * /``, parentheses and functions. The sandbox evaluates:

- arithmetic and the comparison operators ``> < >= <= == !=`` (1 when true, 0 when false), per period;
- ``IF(condition, a, b)`` (``b`` may be left out: no datapoint where the condition is false);
- ``FILL(m, value)``: ``value`` (a number) where ``m`` has no datapoint;
- ``MAX``, ``MIN``, ``SUM``, ``AVG`` of an array ``[a, b, ...]``: per period, over the members that have a
  datapoint there (none: no datapoint);
- ``ANOMALY_DETECTION_BAND(m, width)`` (width 2 when left out). AWS trains a model on up to two weeks of the
  metric; the sandbox's band is honest and simple instead: at each period, the mean of ``m``'s previous
  ``BAND_HISTORY`` periods plus and minus ``width`` population standard deviations of them; with fewer than
  ``BAND_MIN_POINTS`` datapoints there the band is absent (so the alarm's datapoint is missing).

Per-period semantics: a metric id is one value per period, or missing; arithmetic, comparisons and ``IF``'s
condition on a missing value give a missing value; ``FILL`` replaces it; a division by zero gives no
datapoint. Anything else (other functions such as ``RATE`` or ``SEARCH``, ``METRICS()``, Metrics Insights
``SELECT`` queries, the ``AND``/``OR``/``NOT`` and ``^`` operators, ``FILL`` with ``REPEAT``/``LINEAR``)
raises ``Unsupported`` naming it: the sandbox refuses such alarms at ``PutMetricAlarm`` instead of
evaluating them wrongly. This module imports no moto: it is unit-tested in-process.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

BAND_HISTORY = 10  # periods before the one judged that the anomaly band is computed from
BAND_MIN_POINTS = 3  # datapoints among them the band needs
DEFAULT_BAND_WIDTH = 2.0  # ANOMALY_DETECTION_BAND(m) without a width: two standard deviations
FUNCTIONS = ("IF", "FILL", "MAX", "MIN", "SUM", "AVG", "ANOMALY_DETECTION_BAND")
_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "MAX": max,
    "MIN": min,
    "SUM": math.fsum,
    "AVG": statistics.fmean,
}
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>>=|<=|==|!=|&&|\|\||[-+*/^()<>\[\],!])|(?P<string>'[^']*'|\"[^\"]*\"))",
    re.ASCII,
)
_LOGICAL = {"AND", "OR", "NOT", "&&", "||", "!"}


class ExpressionError(ValueError):
    """An expression the sandbox cannot parse (malformed)."""


class Unsupported(ValueError):
    """Metric math the sandbox does not evaluate; the message names what."""


# -- the syntax tree ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Ref:
    id: str


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Number | Ref | Negate | Binary | Array | Call


# -- parsing ---------------------------------------------------------------------------------------------
def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = expression.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise ExpressionError(f"unexpected character {text[position:].lstrip()[:1]!r} at {position}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


class _Parser:
    """Recursive descent: comparison > additive > multiplicative > unary > primary."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokens(expression)
        self.position = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if expected is not None and token[1] != expected:
            self.refuse_token(token)
            shown = token[1] or "the end"
            raise ExpressionError(f"expected {expected!r} but found {shown!r} in {self.expression!r}")
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.comparison()
        if self.peek()[0] != "end":
            self.refuse_token(self.peek())
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in {self.expression!r}")
        return node

    def refuse_token(self, token: tuple[str, str]) -> None:
        if token[1].upper() in _LOGICAL:
            raise Unsupported(f"the sandbox cannot evaluate the logical operator {token[1]}")
        if token[1] == "^":
            raise Unsupported("the sandbox cannot evaluate the exponent operator ^")

    def comparison(self) -> Node:
        node = self.additive()
        if self.peek()[1] in _COMPARISONS:
            op = self.take()[1]
            node = Binary(op, node, self.additive())
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            node = Binary(op, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek()[1] == "-":
            self.take()
            return Negate(self.unary())
        if self.peek()[1] == "+":
            self.take()
        return self.primary()

    def primary(self) -> Node:
        kind, text = self.peek()
        self.refuse_token((kind, text))
        if kind == "number":
            self.take()
            return Number(float(text))
        if kind == "string":
            raise Unsupported(f"the sandbox cannot evaluate string arguments ({text})")
        if text == "(":
            self.take()
            node = self.comparison()
            self.take(")")
            return node
        if text == "[":
            return Array(self.items("[", "]"))
        if kind == "name":
            self.take()
            if self.peek()[1] == "(":
                return self.call(text)
            if not text[0].islower():
                raise Unsupported(
                    f"the sandbox cannot evaluate {text} (metric ids start with a lowercase letter)"
                )
            return Ref(text)
        raise ExpressionError(f"unexpected {text or 'end'!r} in {self.expression!r}")

    def items(self, opening: str, closing: str) -> tuple[Node, ...]:
        self.take(opening)
        items: list[Node] = []
        while self.peek()[1] != closing:
            items.append(self.comparison())
            if self.peek()[1] != closing:
                self.take(",")
        self.take(closing)
        return tuple(items)

    def call(self, name: str) -> Node:
        function = name.upper()
        if function not in FUNCTIONS:
            raise Unsupported(f"the sandbox cannot evaluate the metric math function {name}")
        if function == "FILL" and self._fill_keyword():
            raise Unsupported("the sandbox cannot evaluate FILL with REPEAT or LINEAR (only FILL(m, number))")
        node = Call(function, self.items("(", ")"))
        _check_arity(node)
        return node

    def _fill_keyword(self) -> bool:
        ahead = [t[1].upper() for t in self.tokens[self.position : self.position + 6]]
        return "REPEAT" in ahead or "LINEAR" in ahead


def _check_arity(node: Call) -> None:
    count = len(node.args)
    if node.name == "IF" and count not in (2, 3):
        raise ExpressionError(f"IF takes a condition and one or two values, not {count} arguments")
    if node.name == "FILL":
        if count != 2:
            raise Unsupported("the sandbox evaluates FILL(m, number) only")
        constant(node.args[1])
    if node.name in _AGGREGATES and (count != 1 or not isinstance(node.args[0], Array)):
        raise Unsupported(
            f"the sandbox evaluates {node.name} of an array [a, b, ...] only: {node.name} of one time series "
            "is a single number, not the time series an alarm watches"
        )
    if node.name == "ANOMALY_DETECTION_BAND":
        if count not in (1, 2) or not isinstance(node.args[0], Ref):
            raise Unsupported(
                "the sandbox evaluates ANOMALY_DETECTION_BAND(id) or ANOMALY_DETECTION_BAND(id, width) only"
            )
        if count == 2:
            constant(node.args[1])


def parse(expression: str) -> Node:
    """The syntax tree of ``expression``; ``Unsupported`` for what the sandbox does not evaluate,
    ``ExpressionError`` for what is not an expression."""
    text = expression.strip()
    if not text:
        raise ExpressionError("the expression is empty")
    if text.upper().startswith("SELECT"):
        raise Unsupported("the sandbox cannot evaluate Metrics Insights queries (SELECT ...)")
    return _Parser(text).parse()


def references(node: Node) -> set[str]:
    """The query ids ``node`` uses."""
    if isinstance(node, Ref):
        return {node.id}
    if isinstance(node, Negate):
        return references(node.operand)
    if isinstance(node, Binary):
        return references(node.left) | references(node.right)
    if isinstance(node, Array | Call):
        children = node.items if isinstance(node, Array) else node.args
        return set().union(*(references(child) for child in children)) if children else set()
    return set()


def is_band(node: Node) -> bool:
    return isinstance(node, Call) and node.name == "ANOMALY_DETECTION_BAND"


def uses_band(node: Node) -> bool:
    if is_band(node):
        return True
    if isinstance(node, Negate):
        return uses_band(node.operand)
    if isinstance(node, Binary):
        return uses_band(node.left) or uses_band(node.right)
    if isinstance(node, Array | Call):
        return any(uses_band(child) for child in (node.items if isinstance(node, Array) else node.args))
    return False


# -- evaluation ------------------------------------------------------------------------------------------
Series = list[float | None]  # one value per period, oldest first; None: no datapoint


@dataclass(frozen=True)
class Band:
    """An anomaly-detection band: lower and upper thresholds per period (None: no band there)."""

    lower: Series
    upper: Series


Value = float | Series | Band | tuple[Series, ...]  # a number, a series, a band, an array of series


def as_series(value: Value, size: int) -> Series:
    """``value`` as one value per period (a number repeats); ``Unsupported`` for a band or an array."""
    if isinstance(value, float | int):
        return [float(value)] * size
    if isinstance(value, Band):
        raise Unsupported("an anomaly-detection band can only be an alarm's threshold (ThresholdMetricId)")
    if isinstance(value, tuple):
        raise Unsupported("an array [a, b, ...] can only be the argument of MAX, MIN, SUM or AVG")
    return list(value)


def constant(node: Node) -> float:
    """The number a constant argument (``2``, ``-1.5``) stands for."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Negate) and isinstance(node.operand, Number):
        return -node.operand.value
    raise Unsupported("the sandbox evaluates a number here only")


def _pointwise(op: Callable[[float, float], float | None], left: Value, right: Value, size: int) -> Series:
    a, b = as_series(left, size), as_series(right, size)
    return [None if x is None or y is None else op(x, y) for x, y in zip(a, b, strict=True)]


def _divide(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


_ARITHMETIC: dict[str, Callable[[float, float], float | None]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _divide,
}


def band(series: Series, width: float) -> Band:
    """The sandbox's anomaly band of ``series`` (see the module docstring)."""
    lower: Series = []
    upper: Series = []
    for index in range(len(series)):
        history = [v for v in series[max(0, index - BAND_HISTORY) : index] if v is not None]
        if len(history) < BAND_MIN_POINTS:
            lower.append(None)
            upper.append(None)
            continue
        mean, spread = statistics.fmean(history), statistics.pstdev(history)
        lower.append(mean - width * spread)
        upper.append(mean + width * spread)
    return Band(lower, upper)


def _if(args: list[Value], size: int) -> Series:
    condition = as_series(args[0], size)
    yes = as_series(args[1], size)
    no = as_series(args[2], size) if len(args) == 3 else [None] * size
    return [None if c is None else (y if c != 0 else n) for c, y, n in zip(condition, yes, no, strict=True)]


def _aggregate(name: str, members: list[Series], size: int) -> Series:
    reduce = _AGGREGATES[name]
    result: Series = []
    for index in range(size):
        present = [value for m in members if (value := m[index]) is not None]
        result.append(float(reduce(present)) if present else None)
    return result


def _call(node: Call, env: Mapping[str, Value], size: int) -> Value:
    if node.name in _AGGREGATES:
        array = evaluate(node.args[0], env, size)
        members = list(array) if isinstance(array, tuple) else [as_series(array, size)]
        return _aggregate(node.name, members, size)
    if node.name == "FILL":
        filler = constant(node.args[1])
        return [filler if v is None else v for v in as_series(evaluate(node.args[0], env, size), size)]
    if node.name == "ANOMALY_DETECTION_BAND":
        width = constant(node.args[1]) if len(node.args) == 2 else DEFAULT_BAND_WIDTH
        return band(as_series(evaluate(node.args[0], env, size), size), width)
    return _if([evaluate(arg, env, size) for arg in node.args], size)


def evaluate(node: Node, env: Mapping[str, Value], size: int) -> Value:
    """``node`` over ``size`` periods; ``env`` holds the other queries' values by id."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Ref):
        if node.id not in env:
            raise ExpressionError(f"the expression uses {node.id}, which no query of the alarm defines")
        return env[node.id]
    if isinstance(node, Negate):
        return [None if v is None else -v for v in as_series(evaluate(node.operand, env, size), size)]
    if isinstance(node, Binary):
        left, right = evaluate(node.left, env, size), evaluate(node.right, env, size)
        if node.op in _COMPARISONS:
            compare = _COMPARISONS[node.op]
            return _pointwise(lambda a, b: 1.0 if compare(a, b) else 0.0, left, right, size)
        return _pointwise(_ARITHMETIC[node.op], left, right, size)
    if isinstance(node, Array):
        return tuple(as_series(evaluate(item, env, size), size) for item in node.items)
    return _call(node, env, size)


def order(expressions: Mapping[str, Node], known: Sequence[str]) -> list[str]:
    """The expression ids in an order where each comes after the ids it uses; ``ExpressionError`` for an
    unknown id or a cycle."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name in known:
            return
        if name not in expressions:
            raise ExpressionError(f"the expressions use {name}, which no query of the alarm defines")
        if name in visiting:
            raise ExpressionError(f"the expression {name} refers to itself")
        visiting.add(name)
        for used in sorted(references(expressions[name])):
            visit(used)
        visiting.discard(name)
        done.append(name)

    for name in expressions:
        visit(name)
    return done
