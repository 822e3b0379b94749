"""Every regular expression launchpad writes, read as a reviewer reads it for two classes of bug.

- **A ``$`` that lets a newline through.** Outside MULTILINE, ``$`` matches before a trailing newline, so
  ``re.match(r"^[a-z]+$", "churn\\n")`` succeeds and the newline reaches a file name, a tag or a log line.
  Patterns end with ``\\Z`` or are used with ``fullmatch``; ``$`` is left for MULTILINE patterns, and JSON
  Schema patterns (which jsonschema applies with ``re.search``) end with ``$(?!\\n)``, valid in ECMA-262 too.
- **Backtracking that grows exponentially with the input.** A repeat inside a repeat (``(a+)+``,
  ``(\\w+\\s?)*``) can split a long line in exponentially many ways before it fails. A nested repeat is
  accepted when each turn of the outer one must pass a character the inner repeats cannot take (``(?:x+/)*``:
  the ``/``), which makes the split unique and the match linear.

Read from the source (``ast``): patterns given to ``re`` as string literals in scripts/, policies/ and the
template's hooks, plus the compiled patterns the launchpad packages keep at module level (which covers those
built from constant parts). Patterns built at run time from data (IAM ARN formats, glob patterns) are
escaped pieces joined by launchpad's own code, and checked by their modules' tests.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import re._constants as sre  # the parser of the re module: the structure a reviewer reads
import re._parser as sre_parse
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from launchpad.paths import repo_root

ROOT = repo_root()
SOURCES = [ROOT / "scripts", ROOT / "policies", ROOT / "cookiecutter-model" / "hooks"]
RE_FUNCTIONS = {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer"}
PACKAGES = ("launchpad", "launchpad_serving")
# Characters the set arithmetic below is done over: ASCII, and a few of the other scripts' letters, digits and
# spaces that \w, \d and \s also take.
ALPHABET = frozenset(string.printable + "\x00\x7f\u00e9\u0661\u00a0\u2028\u202e\u4e2d")


@dataclass(frozen=True)
class Found:
    where: str
    pattern: str
    flags: int

    def __str__(self) -> str:
        return f"{self.where}: {self.pattern!r}"


def literal_patterns() -> Iterator[Found]:
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            text = path.read_text()
            tree = ast.parse(_without_jinja(text) if "cookiecutter" in path.parts[-3] else text, str(path))
            for node in ast.walk(tree):
                found = _re_call(node)
                if found is not None:
                    pattern, flags = found
                    yield Found(f"{path.relative_to(ROOT)}:{node.lineno}", pattern, flags)


def schema_patterns() -> Iterator[Found]:
    """The ``pattern`` keywords of launchpad's JSON Schemas: jsonschema applies them with ``re.search``."""
    for path in sorted(
        [*(ROOT / "scripts" / "launchpad" / "schemas").glob("*.json"), *ROOT.glob("policies/*.json")]
    ):
        for pattern in _schema_values(json.loads(path.read_text()), "pattern"):
            yield Found(f"{path.relative_to(ROOT)}", pattern, 0)


def _schema_values(node: Any, key: str) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from _schema_values(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_values(item, key)


def module_patterns() -> Iterator[Found]:
    for package in PACKAGES:
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
            if info.name.rsplit(".", 1)[-1] in {"__main__", "serving"}:
                continue  # a command line, and launchpad.serving's re-export of launchpad_serving
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                for pattern in _patterns_in(value):
                    yield Found(f"{info.name}.{name}", pattern.pattern, pattern.flags)


def _patterns_in(value: Any) -> Iterable[re.Pattern[str]]:
    if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [p for item in value for p in _patterns_in(item) if not isinstance(item, dict | list)]
    return []


def _re_call(node: ast.AST) -> tuple[str, int] | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
        return None
    if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
        return None
    if node.func.attr not in RE_FUNCTIONS:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    flags = 0
    for expression in [*node.args[1:], *(k.value for k in node.keywords if k.arg == "flags")]:
        for name in (n.attr for n in ast.walk(expression) if isinstance(n, ast.Attribute)):
            flags |= int(getattr(re, name, 0)) if name.isupper() else 0
    return first.value, flags


def _without_jinja(text: str) -> str:
    """A hook's source with each Jinja expression as a name (inside a string or as a JSON literal alike)."""
    return re.sub(r"\{\{[^{}]*\}\}", "JINJA", text)


ALL = sorted(
    {
        (f.pattern, f.flags & ~re.UNICODE): f
        for f in [*literal_patterns(), *schema_patterns(), *module_patterns()]
    }.values(),
    key=str,
)


# -- the checks ----------------------------------------------------------------------------------------------
def dollar_at_end(found: Found) -> bool:
    if found.flags & re.MULTILINE:
        return False
    return any(_ends_with_dollar(branch) for branch in _branches(sre_parse.parse(found.pattern, found.flags)))


def _branches(items: Any) -> list[Any]:
    items = list(items)
    if len(items) == 1 and items[0][0] is sre.BRANCH:
        return [b for branch in items[0][1][1] for b in _branches(branch)]
    if items and items[-1][0] is sre.SUBPATTERN:
        return [items[:-1] + tail for tail in _branches(items[-1][1][-1])] or [items]
    return [items]


def _ends_with_dollar(items: list[Any]) -> bool:
    return bool(items) and items[-1] == (sre.AT, sre.AT_END)


def ambiguous_repeats(found: Found) -> list[str]:
    """Outer repeats whose turns a nested repeat can run into: no delimiter the inner repeats cannot take."""
    problems: list[str] = []
    _walk(sre_parse.parse(found.pattern, found.flags), found.flags, problems)
    return problems


def _walk(items: Any, flags: int, problems: list[str]) -> None:
    for op, av in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            _, high, body = av
            if high > 1 and not _delimited(body, flags):
                problems.append(f"a repeat of {_describe(body)} holds a repeat it can run into")
            _walk(body, flags, problems)
        elif op is sre.SUBPATTERN:
            _walk(av[-1], flags, problems)
        elif op is sre.BRANCH:
            for branch in av[1]:
                _walk(branch, flags, problems)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _walk(av[1], flags, problems)


def _delimited(body: Any, flags: int) -> bool:
    """Each alternative of ``body`` either holds no unbounded repeat, or a character it must match that none
    of its repeats can take."""
    alternatives = _alternatives(body)
    for alternative in alternatives:
        repeated = _repeated_chars(alternative, flags)
        if repeated is None:
            continue
        if not any(chars and not chars & repeated for chars in _mandatory_chars(alternative, flags)):
            return False
    return True


def _alternatives(items: Any) -> list[Any]:
    items = list(items)
    if len(items) == 1 and items[0][0] is sre.BRANCH:
        return list(items[0][1][1])
    if len(items) == 1 and items[0][0] is sre.SUBPATTERN:
        return _alternatives(items[0][1][-1])
    return [items]


def _repeated_chars(items: Any, flags: int) -> frozenset[str] | None:
    """What the repeats (max > 1) inside ``items`` can take; None when there are none."""
    found: set[str] = set()
    seen = False
    for op, av in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            if av[1] > 1:
                seen = True
                found |= _chars(av[2], flags)
            inner = _repeated_chars(av[2], flags)
            if inner is not None:
                seen, found = True, found | inner
        elif op is sre.SUBPATTERN or op is sre.BRANCH:
            for branch in av[1] if op is sre.BRANCH else [av[-1]]:
                inner = _repeated_chars(branch, flags)
                if inner is not None:
                    seen, found = True, found | inner
    return frozenset(found) if seen else None


def _mandatory_chars(items: Any, flags: int) -> Iterator[frozenset[str]]:
    """The character sets of the single characters ``items`` must match, outside any repeat."""
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
            yield _chars([(op, av)], flags)
        elif op is sre.SUBPATTERN:
            yield from _mandatory_chars(av[-1], flags)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            yield from _mandatory_chars(av[2], flags)


def _chars(items: Any, flags: int) -> frozenset[str]:
    """Every character of ALPHABET that ``items`` can take anywhere (over-estimated, never under)."""
    taken: set[str] = set()
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY, sre.CATEGORY):
            single = re.compile(_single(op, av), flags & ~re.MULTILINE & ~re.VERBOSE)
            taken |= {c for c in ALPHABET if single.fullmatch(c)}
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            taken |= _chars(av[2], flags)
        elif op is sre.SUBPATTERN:
            taken |= _chars(av[-1], flags)
        elif op is sre.BRANCH:
            for branch in av[1]:
                taken |= _chars(branch, flags)
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            taken |= ALPHABET
    return frozenset(taken)


CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def _single(op: Any, av: Any) -> str:
    """One character element of a parsed pattern written back as a pattern."""
    if op is sre.LITERAL:
        return re.escape(chr(av))
    if op is sre.NOT_LITERAL:
        return f"[^{re.escape(chr(av))}]"
    if op is sre.ANY:
        return "(?s:.)"
    if op is sre.CATEGORY:
        return CATEGORIES[av]
    parts, negate = [], ""
    for kind, value in av:
        if kind is sre.NEGATE:
            negate = "^"
        elif kind is sre.LITERAL:
            parts.append(re.escape(chr(value)))
        elif kind is sre.RANGE:
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind is sre.CATEGORY:
            parts.append(CATEGORIES[value])
    return f"[{negate}{''.join(parts)}]"


def _describe(body: Any) -> str:
    return f"{len(list(body))} element(s)"


# -- the tests -----------------------------------------------------------------------------------------------
def test_the_patterns_are_found() -> None:
    """The collection is not empty by accident: it holds patterns from each place it reads."""
    wheres = " ".join(f.where for f in ALL)
    expected_places = (
        "scripts/launchpad/",
        "launchpad_serving",
        "policies/checks/",
        "launchpad.sandbox",
        ".schema.json",
    )
    for expected in expected_places:
        assert expected in wheres, f"no pattern found in {expected}"
    assert len(ALL) > 60


@pytest.mark.parametrize("found", ALL, ids=str)
def test_no_pattern_ends_with_a_dollar_that_lets_a_newline_through(found: Found) -> None:
    assert not dollar_at_end(found), (
        f"{found} ends with $, which matches before a trailing newline: end it with \\Z, or drop the anchor "
        "and use fullmatch"
    )


@pytest.mark.parametrize("found", ALL, ids=str)
def test_no_pattern_nests_repeats_that_can_run_into_each_other(found: Found) -> None:
    assert not ambiguous_repeats(found), f"{found}: {ambiguous_repeats(found)}"


@pytest.mark.parametrize(
    ("pattern", "dollar", "ambiguous"),
    [
        (r"^[a-z]+$", True, False),
        (r"^(?:a|b+)$", True, False),
        (r"[a-z]+\Z", False, False),
        (r"(a+)+", False, True),
        (r"(\w+\s?)*", False, True),
        (r"(.*,)*", False, True),
        (r"(?:[\w.-]+/)*[\w.-]+", False, False),
        (r"(?:,CKV_[A-Z0-9]+_\d+)*", False, False),
        (r"(?:[a-z]|\$\{[^}]*\})+", False, False),
        (r"(?:a|ab)*c", False, False),
    ],
)
def test_the_checks_tell_the_classes_apart(pattern: str, dollar: bool, ambiguous: bool) -> None:
    found = Found("example", pattern, 0)
    assert dollar_at_end(found) is dollar
    assert bool(ambiguous_repeats(found)) is ambiguous
