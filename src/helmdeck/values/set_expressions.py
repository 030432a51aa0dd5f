"""``--set`` expressions, parsed by Helm's own strvals parser (through the Helm SDK)."""

from __future__ import annotations

from typing import Any

import helm_python

from helmdeck.errors import ConfigError

FIX = (
    "write KEY=VALUE pairs separated by commas, e.g. image.tag=v2,replicas=3 "
    "(lists as {a,b}, indices as list[0]=x, a literal comma or dot escaped with \\)"
)


def parse_set(expression: str) -> dict[str, Any]:
    """One ``--set`` expression as nested values, exactly as ``helm --set`` reads it.

    Raises:
        ConfigError: naming the expression and how to write it.
    """
    if "\x00" in expression:
        # the SDK passes C strings; everything after a NUL would silently vanish
        raise ConfigError(f"--set {expression!r} contains a NUL character", where="--set", fix="remove it")
    try:
        parsed = helm_python.parse_set_string(expression)
    except helm_python.HelmError as exc:
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
