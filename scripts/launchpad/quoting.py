"""Quoting a user's value in a message: bounded in length, and with nothing a terminal or log would act on.

A message quotes what was given so the user sees what is wrong, but the value is input: it may be a megabyte
long, hold an escape sequence that rewrites the terminal, a newline that forges the next log line, or a bidi
override that shows ``txt.exe`` as ``exe.txt``. ``shown`` is the one way launchpad's messages quote a value.
"""

from __future__ import annotations

import unicodedata
from typing import Any

LIMIT = 80  # characters of a value a message shows
# Unicode's control (Cc), format (Cf: bidi overrides and isolates, zero-width characters), line and paragraph
# separator (Zl, Zp), surrogate (Cs) and private-use (Co) categories: invisible, or acted on, not read.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def hidden_characters(text: str) -> list[str]:
    """The characters of ``text`` a reader cannot see as written (``U+202E`` form), each once, in order."""
    found = {c: None for c in text if unicodedata.category(c) in HIDDEN_CATEGORIES}
    return [f"U+{ord(c):04X}" for c in found]


def shown(value: Any, limit: int = LIMIT) -> str:
    """``value`` as a message quotes it: text in single quotes with hidden characters escaped (``\\u202e``,
    ``\\n``), anything else as its ``repr``; over ``limit`` characters, cut, with the full length said."""
    if isinstance(value, str):
        text = "".join(_escaped(c) for c in value[: limit + 1])
        body = text if len(value) <= limit else f"{text[:limit]}..."
        quoted = "'" + body.replace("'", "\\'") + "'"
        return quoted if len(value) <= limit else f"{quoted} ({len(value)} characters)"
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit for str(): a message has no use for its digits
        text = f"a number of {value.bit_length()} bits"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _escaped(character: str) -> str:
    if character == "\\":
        return "\\\\"
    if unicodedata.category(character) not in HIDDEN_CATEGORIES:
        return character
    return character.encode("unicode_escape").decode("ascii")
