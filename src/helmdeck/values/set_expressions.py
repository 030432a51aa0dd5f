"""``--set`` expressions, parsed by Helm's own strvals parser (through the Helm SDK)."""

from __future__ import annotations

import re
from typing import Any

from helmdeck.engine.helm_text import HelmParseError, parse_set_string
from helmdeck.errors import ConfigError

FIX = (
    "write KEY=VALUE pairs separated by commas, e.g. image.tag=v2,replicas=3 "
    "(lists as {a,b}, indices as list[0]=x, a literal comma or dot escaped with \\)"
)


# key segments: anything but . [ ] = , (or a backslash-escaped character), each with optional [N]
_SEGMENT = r"(?:[^.\[\]=,\\{}]|\\.)+(?:\[\d+\])*"
_KEY = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")


def split_pairs(expression: str) -> list[str]:
    """``a=1,b={x,y},c=\\,`` -> ``["a=1", "b={x,y}", "c=\\,"]``: top-level commas only."""
    pairs, current, depth, i = [], [], 0, 0
    while i < len(expression):
        ch = expression[i]
        if ch == "\\" and i + 1 < len(expression):
            current.append(expression[i : i + 2])
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            pairs.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    pairs.append("".join(current))
    return pairs


def set_keys(expression: str) -> list[str]:
    """The keys an expression sets, each checked against Helm's key syntax: what Helm would
    silently ignore or mangle (``replicas[=7``, ``a..b``) is an error here.

    Raises:
        ConfigError: naming the expression, the key and how to write it.
    """
    keys: list[str] = []
    if not expression:
        return keys
    for pair in split_pairs(expression):
        key, eq, _value = pair.partition("=")
        if not eq:
            raise ConfigError(f"--set {expression!r}: {pair!r} has no '=value'", where="--set", fix=FIX)
        if not _KEY.fullmatch(key):
            raise ConfigError(
                f"--set {expression!r}: {key!r} is not a value path (Helm would ignore or mangle it)",
                where="--set",
                fix=FIX,
            )
        keys.append(key)
    return keys


def parse_set(expression: str) -> dict[str, Any]:
    """One ``--set`` expression as nested values, exactly as ``helm --set`` reads it.

    Raises:
        ConfigError: naming the expression and how to write it.
    """
    if "\x00" in expression:
        # the SDK passes C strings; everything after a NUL would silently vanish
        raise ConfigError(f"--set {expression!r} contains a NUL character", where="--set", fix="remove it")
    set_keys(expression)
    try:
        parsed = parse_set_string(expression)
    except HelmParseError as exc:
        raise ConfigError(f"cannot parse --set {expression!r}: {exc.detail}", where="--set", fix=FIX) from None
    except UnicodeEncodeError:
        raise ConfigError(
            f"--set {expression!r} is not valid text (unpaired surrogate characters)",
            where="--set",
            fix="pass UTF-8 text",
        ) from None
    if not isinstance(parsed, dict):
        raise ConfigError(f"--set {expression!r} did not give a map of values", where="--set", fix=FIX)
    return parsed
