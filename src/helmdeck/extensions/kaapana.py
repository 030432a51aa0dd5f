"""Kaapana's extension metadata, so Kaapana's own extension charts work in a helmdeck catalog.

Kaapana marks an extension chart with Chart.yaml ``keywords`` and declares the parameters its
install dialog asks for under ``extension_params`` in values.yaml:

* keywords: ``kaapanaapplication`` / ``kaapanaworkflow`` (the kind; Kaapana checks workflow first),
  ``kaapanamultiinstallable`` (one release per launch), ``gpurequired``, ``kaapanaexperimental``
  and ``kaapanaint`` (shown as flags); ``kaapanaplatform`` marks a platform chart, not an extension;
* annotations ``ui-visible-name`` and ``documentation``;
* ``extension_params: {NAME: {type, definition, default, value, help}}`` where ``type`` is
  ``string``, ``bool``/``boolean``, ``list_single`` or ``list_multi`` (``value`` lists the choices
  of the list types; ``default`` is what the dialog starts with) and ``group_name``/``doc`` are
  headings of the dialog, not parameters. Kaapana's dialog insists on a value for every string and
  list parameter.

Kaapana's backend installs with each parameter as ``--set global.NAME=VALUE`` and its dialog joins
a ``list_multi`` choice with commas, so the chart templates read ``.Values.global.NAME`` (a
comma-separated string for ``list_multi``); :func:`kaapana_global_values` gives them exactly that.

Values files of uploads are untrusted: every malformed entry is a ConfigError naming the chart,
values.yaml and the key, and nothing is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helmdeck.errors import ConfigError
from helmdeck.extensions.parameters import Parameter, ParamType

PARAMS_KEY = "extension_params"
KIND_KEYWORDS = (("kaapanaworkflow", "workflow"), ("kaapanaapplication", "application"))
MULTI_INSTALL = "kaapanamultiinstallable"
GPU_REQUIRED = "gpurequired"
PLATFORM = "kaapanaplatform"
FLAG_KEYWORDS = {"kaapanaexperimental": "experimental", "kaapanaint": "kaapana-internal"}
LAYOUT_TYPES = ("group_name", "doc")
_PARAM_TYPES: dict[str, ParamType] = {
    "string": "string",
    "bool": "boolean",
    "boolean": "boolean",
    "list_single": "choice",
    "list_multi": "multichoice",
}
# a dialog, not a data file: more than this is a broken chart rather than a real form
MAX_PARAMS = 100
MAX_CHOICES = 1000


@dataclass(frozen=True)
class KaapanaMarks:
    """What Chart.yaml says in Kaapana's terms (None where it says nothing)."""

    kind: str | None
    multi_install: bool
    requires_gpu: bool
    flags: tuple[str, ...]
    display_name: str | None
    docs: str | None


def kaapana_marks(chart_name: str, keywords: Sequence[str], annotations: Mapping[str, str]) -> KaapanaMarks:
    words = {k.strip().lower() for k in keywords}
    if PLATFORM in words:
        raise ConfigError(
            f"chart {chart_name}: Chart.yaml keywords mark it kaapanaplatform, a Kaapana platform chart, "
            "not an extension",
            where=f"Chart.yaml of {chart_name}: keywords",
            fix="deploy a platform as components of a platform file; the catalog takes extension charts",
        )
    kind = next((k for word, k in KIND_KEYWORDS if word in words), None)
    return KaapanaMarks(
        kind=kind,
        multi_install=MULTI_INSTALL in words,
        requires_gpu=GPU_REQUIRED in words,
        flags=tuple(flag for word, flag in FLAG_KEYWORDS.items() if word in words),
        display_name=annotations.get("ui-visible-name") or None,
        docs=annotations.get("documentation") or None,
    )


def _bad(chart: str, key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(
        f"chart {chart}: values.yaml {key} {problem}",
        where=f"values.yaml of {chart}: {key}",
        fix=fix,
        details={"chart": chart, "file": "values.yaml", "key": key},
    )


def _choices(chart: str, key: str, raw: Any) -> tuple[Any, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad(chart, f"{key}.value", "is not a list of choices", "list the choices under value: [a, b]")
    if len(raw) > MAX_CHOICES:
        raise _bad(chart, f"{key}.value", f"has more than {MAX_CHOICES} choices", "offer fewer choices")
    for choice in raw:
        if isinstance(choice, bool) or not isinstance(choice, str | int | float):
            raise _bad(chart, f"{key}.value", f"has the choice {choice!r}, not text or a number", "list plain values")
    if len(set(map(str, raw))) != len(raw):
        raise _bad(chart, f"{key}.value", "lists a choice twice", "list each choice once")
    return tuple(raw)


def _in_choices(chart: str, key: str, value: Any, choices: tuple[Any, ...]) -> Any:
    for choice in choices:
        if value == choice or str(value) == str(choice):
            return choice
    raise _bad(chart, f"{key}.default", f"is {value!r}, not one of its value list", "pick a default from value")


def _default(chart: str, key: str, kind: str, entry: Mapping[str, Any], choices: tuple[Any, ...]) -> tuple[Any, bool]:
    """The default and whether there is one; Kaapana's dialog treats an empty default as none."""
    raw = entry.get("default")
    if raw is None or raw == "" or raw == []:
        return None, False
    if kind in ("bool", "boolean"):
        if isinstance(raw, bool):
            return raw, True
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true", True
        raise _bad(chart, f"{key}.default", f"is {raw!r}, not true or false", "write default: true or false")
    if kind == "string":
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise _bad(chart, f"{key}.default", f"is {raw!r}, not text", "write a text default")
        return str(raw), True
    if kind == "list_single":
        return _in_choices(chart, key, raw, choices), True
    picked = [v.strip() for v in raw.split(",") if v.strip()] if isinstance(raw, str) else raw
    if not isinstance(picked, list):
        raise _bad(chart, f"{key}.default", f"is {raw!r}, not a list", "write default: [a, b]")
    defaults = [_in_choices(chart, key, v, choices) for v in picked]
    if len(set(map(str, defaults))) != len(defaults):
        raise _bad(chart, f"{key}.default", "lists a choice twice", "list each default choice once")
    return defaults, True


def _parameter(chart: str, name: Any, entry: Any) -> Parameter | None:
    key = f"{PARAMS_KEY}.{name}"
    if not isinstance(name, str) or not name.strip() or any(c in name for c in ".;=, \t\n"):
        raise _bad(chart, key, "is not a usable parameter name", "use letters, digits, '_' and '-'")
    if not isinstance(entry, Mapping):
        raise _bad(chart, key, "is not a mapping", "write type:, definition: and default: under it")
    kind = entry.get("type")
    if kind in LAYOUT_TYPES:
        return None
    if kind not in _PARAM_TYPES:
        raise _bad(
            chart,
            f"{key}.type",
            f"is {kind!r}" if kind is not None else "is missing",
            f"use one of: {', '.join((*_PARAM_TYPES, *LAYOUT_TYPES))}",
        )
    for text_key in ("definition", "help"):
        if entry.get(text_key) is not None and not isinstance(entry.get(text_key), str):
            raise _bad(chart, f"{key}.{text_key}", "is not text", f"write {text_key} as text")
    choices = _choices(chart, key, entry.get("value")) if kind in ("list_single", "list_multi") else ()
    default, has_default = _default(chart, key, kind, entry, choices)
    definition = str(entry.get("definition") or "")
    description = str(entry.get("help") or definition)
    schema: dict[str, Any]
    if kind == "list_multi":
        schema = {"type": "array", "items": {"enum": list(choices)}, "minItems": 1, "uniqueItems": True}
    elif kind == "list_single":
        schema = {"enum": list(choices)}
    elif kind == "string":
        schema = {"type": "string", "minLength": 1}
    else:
        schema = {"type": "boolean"}
    return Parameter(
        name=name,
        type=_PARAM_TYPES[kind],
        title=definition or name,
        description=description,
        default=default,
        has_default=has_default,
        # Kaapana's dialog refuses to install without a text or a choice; a checkbox may stay empty
        required=kind not in ("bool", "boolean"),
        choices=choices,
        schema=schema,
    )


def kaapana_parameters(chart: str, default_values: Mapping[str, Any] | None) -> tuple[Parameter, ...] | None:
    """The parameters of ``extension_params`` in values.yaml (None when it has none)."""
    raw = (default_values or {}).get(PARAMS_KEY)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _bad(chart, PARAMS_KEY, "is not a mapping of parameters", "write NAME: {type: ..., default: ...} lines")
    if len(raw) > MAX_PARAMS:
        raise _bad(chart, PARAMS_KEY, f"has more than {MAX_PARAMS} parameters", "ask for fewer parameters")
    out = [p for name, entry in raw.items() if (p := _parameter(chart, name, entry)) is not None]
    return tuple(out)


def kaapana_global_values(parameters: Sequence[Parameter], values: Mapping[str, Any]) -> dict[str, Any]:
    """``global`` values as Kaapana passes extension parameters: by name, a multiple choice joined
    with commas (what its dialog sends), the rest as they are."""
    kinds = {p.name: p.type for p in parameters}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if kinds.get(name) == "multichoice" and isinstance(value, list | tuple):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = value
    return out
