"""`launchpad.quoting.shown`: how every message quotes a user's value."""

from __future__ import annotations

import pytest

from launchpad.quoting import LIMIT, hidden_characters, shown


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("churn", "'churn'"),
        ("it's", "'it\\'s'"),
        ("a\\b", "'a\\\\b'"),
        ("dev\n", "'dev\\n'"),
        ("txt\u202eexe", "'txt\\u202eexe'"),
        ("zero\u200bwidth", "'zero\\u200bwidth'"),
        ("\x1b[31mred", "'\\x1b[31mred'"),
        ("nul\x00", "'nul\\x00'"),
        ("caf\u00e9", "'caf\u00e9'"),
        (42, "42"),
        ({"a": 1}, "{'a': 1}"),
    ],
)
def test_text_is_quoted_with_what_acts_on_a_terminal_escaped(value: object, expected: str) -> None:
    assert shown(value) == expected


def test_long_text_is_cut_and_says_how_long_it_was() -> None:
    text = shown("x" * 1_000_000)
    assert text == "'" + "x" * LIMIT + "...' (1000000 characters)"


def test_a_number_past_pythons_digit_limit_is_described_not_converted() -> None:
    assert shown(10**10_000) == f"a number of {(10**10_000).bit_length()} bits"


def test_hidden_characters_are_named_once_each_in_order() -> None:
    assert hidden_characters("a\u202eb\u2066c\u202e\n") == ["U+202E", "U+2066", "U+000A"]
    assert hidden_characters("plain text, caf\u00e9") == []
