"""Dotted value paths in values (``ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/rewrite``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helmdeck.errors import ConfigError


def split_unescaped(text: str, sep: str, *, keep_escapes: bool = False, nest: str = "") -> list[str]:
    """``text`` split at each ``sep`` not escaped by a backslash (nor, with ``nest`` an opening and a
    closing character such as ``"{}"``, inside such a pair). ``keep_escapes``: the backslashes stay
    in the parts (for a later reader), else the escaped character stands alone."""
    parts: list[str] = []
    current: list[str] = []
    depth, i = 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2] if keep_escapes else text[i + 1])
            i += 2
            continue
        if nest and ch == nest[0]:
            depth += 1
        elif nest and ch == nest[1]:
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def split_key(key: str) -> tuple[str, ...]:
    """``a.b\\.c`` -> ``("a", "b.c")``: dots separate keys; a backslash makes the next character literal."""
    parts = split_unescaped(key, ".")
    if any(not p for p in parts):
        raise ConfigError(
            f"{key!r} is not a value path",
            where=key,
            fix="write keys separated by single dots, e.g. backend.replicas (\\. for a dot inside a key)",
        )
    return tuple(parts)


def join_key(parts: Sequence[Any]) -> str:
    """The inverse of :func:`split_key` (list indices shown as ``[i]``)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part).replace("\\", "\\\\").replace(".", "\\.")
    return out


def nest(parts: Sequence[str], value: Any) -> dict[str, Any]:
    """``("a", "b"), 1`` -> ``{"a": {"b": 1}}``."""
    out: Any = value
    for part in reversed(parts):
        out = {part: out}
    assert isinstance(out, dict)
    return out


def lookup(data: Any, parts: Sequence[Any]) -> tuple[bool, Any]:
    """``(found, value)`` at ``parts`` in nested dicts."""
    node = data
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False, None
    return True, node
