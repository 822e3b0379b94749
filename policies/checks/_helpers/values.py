"""Values as checkov renders them: what it could not evaluate raises :class:`Unresolved`.

What checkov hands a check is the resource's configuration *after* it rendered variables, locals and module
inputs, each attribute wrapped in a one-item list. Whatever it could not evaluate stays an expression string
(``var.x``, ``local.y``, ``merge(...)``, ``${...}``, ``v.value.name`` in a dynamic block). The helpers raise
:class:`Unresolved` on such a value, and the check base classes (``base``) turn that into UNKNOWN: the
resource is judged where its values are known, typically in a caller of the module (checkov evaluates a
module's resources once per caller found in the scanned folder, with that caller's inputs).
"""

from __future__ import annotations

import re
from typing import Any


class Unresolved(Exception):
    """A value the check needs is an expression checkov could not evaluate."""


_REFERENCE = re.compile(
    r"^(var|local|module|data|each|count|self|path|terraform)\."  # Terraform's named values
    r"|^aws_[a-z0-9_]+\.[A-Za-z0-9_-]+"  # another resource's attribute
    r"|^[A-Za-z_][A-Za-z0-9_]*\.(value|key)\b"  # the iterator of a dynamic block
)
_CALL = re.compile(r"^[a-z][a-z0-9_]*\(")


def is_unresolved(value: Any) -> bool:
    """Whether ``value`` (or anything inside it) is an expression checkov left unevaluated."""
    if isinstance(value, str):
        text = value.strip()
        return (
            "${" in text
            or bool(_REFERENCE.match(text) or _CALL.match(text) or _conditional(text))
            or text.startswith(("{for ", "[for "))
        )
    if isinstance(value, dict):
        return any(is_unresolved(k) or is_unresolved(v) for k, v in value.items())
    if isinstance(value, list):
        return any(is_unresolved(item) for item in value)
    return False


def _conditional(text: str) -> bool:
    r"""Whether ``text`` holds a conditional, ``a ? b : c``, with no line break between `` ? `` and `` : ``.

    What ``re.search(r"\s\?\s.*\s:\s", text)`` says, in one pass: that pattern backtracks from every `` ? ``
    to the end of its line, which is quadratic (15 s on a 60 000-character value of a scanned .tf file).
    """

    def spaced(mark: str, at: int) -> bool:  # text[at:at + 3] is whitespace, mark, whitespace
        return at >= 0 and text[at + 1] == mark and text[at].isspace() and text[at + 2].isspace()

    armed = -1  # where the earliest " ? " whose end no line break has followed ends
    for i in range(len(text) - 2):
        if armed >= 0 and i >= armed and spaced(":", i):
            return True
        if armed < 0 and spaced("?", i):
            armed = i + 3
        elif armed >= 0 and i >= armed and text[i] == "\n":  # `.*` does not cross it
            armed = i + 1 if spaced("?", i - 2) else i + 3 if spaced("?", i) else -1
    return False


def known(value: Any) -> Any:
    """``value`` itself, or :class:`Unresolved` if checkov could not evaluate it."""
    if is_unresolved(value):
        raise Unresolved(str(value))
    return value


def attr(conf: dict[str, Any], key: str) -> Any:
    """The raw value of attribute ``key`` (checkov wraps each in a one-item list); None when absent."""
    value = conf.get(key)
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def known_attr(conf: dict[str, Any], key: str) -> Any:
    """Attribute ``key``, evaluated; None when absent. Raises :class:`Unresolved`."""
    return known(attr(conf, key))


def string_list(value: Any) -> list[str]:
    """An attribute that is a string or a list of strings, as a list (unresolved items kept as they are)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value if item is not None]
    return [str(value)]


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def blocks(conf: dict[str, Any], name: str, *, templates: bool = False) -> list[dict[str, Any]]:
    """The ``name`` blocks of ``conf``, static and dynamic ones.

    checkov expands a dynamic block when it can evaluate its ``for_each``. When it cannot, it keeps the
    block's content once, whatever the ``for_each`` holds, even an empty list: such a block is dropped when
    its ``for_each`` is empty. When its ``for_each`` is unknown this raises :class:`Unresolved`, unless
    ``templates`` asks for the content itself (to judge the shape every generated block will have).
    """
    found = [block for block in conf.get(name) or [] if isinstance(block, dict)]
    for entry in conf.get("dynamic") or []:
        spec = entry.get(name) if isinstance(entry, dict) else None
        if not isinstance(spec, dict) or "for_each" not in spec:
            continue  # expanded by checkov: its blocks are already in ``found``
        for_each = attr(spec, "for_each")
        if _is_empty(for_each):
            contents = spec.get("content") or []
            found = [block for block in found if block not in contents]
        elif is_unresolved(for_each) and not templates:
            raise Unresolved(f"dynamic {name} for_each = {for_each}")
    return found


def one_block(conf: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The first ``name`` block of ``conf``, or None."""
    found = blocks(conf, name)
    return found[0] if found else None
