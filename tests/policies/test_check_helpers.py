"""The checks' helpers that need no checkov (policies/checks/_helpers/values.py imports the standard library
only), tested in launchpad's own environment: fast, and without a checkov run."""

from __future__ import annotations

import importlib.util
import itertools
import re
from types import ModuleType

import pytest

from launchpad.paths import repo_root
from tests.unit.test_policy_inputs import deadline

OLD_TERNARY = re.compile(r"\s\?\s.*\s:\s")  # what values.py searched with before: quadratic


@pytest.fixture(scope="module")
def values() -> ModuleType:
    path = repo_root() / "policies" / "checks" / "_helpers" / "values.py"
    spec = importlib.util.spec_from_file_location("checks_values", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_conditional_is_told_as_the_old_pattern_told_it(values: ModuleType) -> None:
    """Every string of up to 6 of these characters: the one-pass scan agrees with the pattern it replaced,
    line breaks included (``.*`` does not cross one, the spaces around ``?`` and ``:`` may be one)."""
    for size in range(7):
        for letters in itertools.product(" ?:a\n", repeat=size):
            text = "".join(letters)
            assert values._conditional(text) is bool(OLD_TERNARY.search(text)), repr(text)
    assert values.is_unresolved("var.on ? 1 : 0") and not values.is_unresolved("a ? b\nc : d")


def test_a_conditional_is_told_in_linear_time_on_100k_character_values(values: ModuleType) -> None:
    long = [" ? " * 33_000, "a ? b\n" * 16_000 + " : ", "a ? " + "x" * 100_000 + " : b"]
    with deadline(10):  # the old pattern: ~40 s on the first
        told = [values.is_unresolved(text) for text in long]
    assert told == [False, False, True]
