"""``--set`` expressions (and ``--set-string``, ``--set-json``, ``--set-file``), parsed by Helm's own
strvals parser (through the Helm SDK)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from helmdeck.engine.helm_text import HelmParseError, parse_set_string
from helmdeck.errors import ConfigError
from helmdeck.spec.value_paths import split_unescaped

FIX = (
    "write KEY=VALUE pairs separated by commas, e.g. image.tag=v2,replicas=3 "
    "(lists as {a,b}, indices as list[0]=x, a literal comma or dot escaped with \\)"
)


# key segments: anything but . [ ] = , (or a backslash-escaped character), each with optional [N]
_SEGMENT = r"(?:[^.\[\]=,\\{}]|\\.)+(?:\[\d+\])*"
_KEY = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")


#: the flags, in the order Helm applies them (``pkg/cli/values/options.go``, ``MergeValues``): a later
#: flag wins a key over an earlier one whatever their order on the command line
SET_FLAGS = ("--set-json", "--set", "--set-string", "--set-file")


@dataclass(frozen=True)
class SetFlag:
    """One expression given to one of :data:`SET_FLAGS`; a plain ``str`` stands for ``--set``."""

    flag: str
    expression: str

    def __post_init__(self) -> None:
        if self.flag not in SET_FLAGS:
            raise ValueError(f"unknown set flag {self.flag!r}")


def as_set_flag(entry: str | SetFlag) -> SetFlag:
    return entry if isinstance(entry, SetFlag) else SetFlag("--set", entry)


def in_helm_order(entries: Iterable[str | SetFlag]) -> list[SetFlag]:
    """The expressions in the order Helm applies them: by flag, then as given."""
    flags = [as_set_flag(e) for e in entries]
    return sorted(flags, key=lambda f: SET_FLAGS.index(f.flag))


def split_pairs(expression: str) -> list[str]:
    """``a=1,b={x,y},c=\\,`` -> ``["a=1", "b={x,y}", "c=\\,"]``: top-level commas only."""
    return split_unescaped(expression, ",", keep_escapes=True, nest="{}")


def set_keys(expression: str, flag: str = "--set") -> list[str]:
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
            raise ConfigError(f"{flag} {expression!r}: {pair!r} has no '=value'", where=flag, fix=FIX)
        if not _KEY.fullmatch(key):
            raise ConfigError(
                f"{flag} {expression!r}: {key!r} is not a value path (Helm would ignore or mangle it)",
                where=flag,
                fix=FIX,
            )
        keys.append(key)
    return keys


JSON_FIX = "write KEY=JSON pairs, e.g. 'backend.ports=[80,443]', or one JSON object '{\"backend\": {...}}'"
FILE_FIX = (
    "write KEY=PATH pairs naming readable files, e.g. 'backend.config=conf/app.ini' "
    "(a relative path starts at the working directory, as with helm)"
)


def _fix(flag: str) -> str:
    return {"--set-json": JSON_FIX, "--set-file": FILE_FIX}.get(flag, FIX)


def parse_set(expression: str, flag: str = "--set") -> dict[str, Any]:
    """One expression of ``flag`` as nested values, exactly as ``helm <flag>`` reads it:
    ``--set-string`` keeps every value a string, ``--set-json`` reads each value as JSON (or the
    whole expression as one JSON object, as Helm 4 does), ``--set-file`` a file's text.

    Raises:
        ConfigError: naming the flag, the expression and how to write it.
    """
    if "\x00" in expression:
        # the SDK passes C strings; everything after a NUL would silently vanish
        raise ConfigError(f"{flag} {expression!r} contains a NUL character", where=flag, fix="remove it")
    if flag == "--set-json" and expression.strip().startswith("{"):
        return _json_object(expression)
    if flag != "--set-json":
        set_keys(expression, flag)
    try:
        parsed = parse_set_string(expression, flag)
    except HelmParseError as exc:
        raise ConfigError(f"cannot parse {flag} {expression!r}: {exc.detail}", where=flag, fix=_fix(flag)) from None
    except UnicodeEncodeError:
        raise ConfigError(
            f"{flag} {expression!r} is not valid text (unpaired surrogate characters)",
            where=flag,
            fix="pass UTF-8 text",
        ) from None
    if not isinstance(parsed, dict):
        raise ConfigError(f"{flag} {expression!r} did not give a map of values", where=flag, fix=_fix(flag))
    return parsed


def _json_object(expression: str) -> dict[str, Any]:
    try:
        parsed = json.loads(expression)
    except ValueError as exc:
        raise ConfigError(f"cannot parse --set-json {expression!r}: {exc}", where="--set-json", fix=JSON_FIX) from None
    if not isinstance(parsed, dict):
        raise ConfigError(f"--set-json {expression!r} is not a JSON object", where="--set-json", fix=JSON_FIX)
    return parsed
