"""Reading ``platform.yaml``: YAML with positions, pydantic validation, whole-platform checks.

Every problem is reported with ``file:line:col`` and a fix, and all of them at once where
the file could be read at all.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from helmdeck.errors import ConfigError
from helmdeck.spec import DEFAULT_FILE
from helmdeck.spec.checks import check_platform
from helmdeck.spec.models import API_VERSION, KIND
from helmdeck.spec.names import RULES_BY_PATTERN
from helmdeck.spec.platform import Platform, closest
from helmdeck.spec.real_paths import RealPaths
from helmdeck.spec.user_files import check_yaml_limits, read_user_text
from helmdeck.spec.yaml_document import PathKey, YamlDocument, display_path, parse_yaml


class PlatformFileError(ConfigError):
    """One or more problems in a platform file; ``problems`` holds each with its own where and fix."""

    problems: list[ConfigError]

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0]
        if len(problems) == 1:
            message, where, fix = first.message, first.where, first.fix
        else:
            source = (first.where or "the platform file").split(":")[0]
            message, where, fix = f"{len(problems)} problems in {source}", None, None
        super().__init__(
            message,
            where=where,
            fix=fix,
            details={"problems": [p.as_dict() for p in problems]} if len(problems) > 1 else {},
        )
        self.problems = problems

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return super().__str__()
        return self.message + "".join("\n- " + str(p).replace("\n", "\n  ") for p in self.problems)


def load_platform(path: Path | str = DEFAULT_FILE) -> Platform:
    """Read, validate and check a platform file.

    Raises:
        PlatformFileError: (a ConfigError) listing every problem found, each with file:line:col.
    """
    file = Path(path)
    shown = display_path(file)
    try:
        text = read_user_text(file, shown, "platform file")
    except ConfigError as exc:
        raise PlatformFileError([exc]) from None
    except FileNotFoundError:
        raise PlatformFileError(
            [
                ConfigError(
                    f"platform file not found: {shown}",
                    where=shown,
                    fix="run helmdeck in the directory holding platform.yaml, or name the file with -f/--file",
                )
            ]
        ) from None
    except (IsADirectoryError, UnicodeDecodeError, OSError) as exc:
        reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise PlatformFileError(
            [ConfigError(f"cannot read the platform file: {reason}", where=shown, fix="name a readable YAML file")]
        ) from None
    return parse_platform(text, source=shown, path=file.resolve())


def parse_platform(text: str, *, source: str = DEFAULT_FILE, path: Path | None = None) -> Platform:
    """Validate platform YAML text; relative paths resolve against ``path``'s directory (or the cwd)."""
    try:
        check_yaml_limits(text, source)
        doc = parse_yaml(text, source)
    except ConfigError as exc:
        raise PlatformFileError([exc]) from None
    if not isinstance(doc.data, dict):
        shape = "empty" if doc.data is None else f"a {_kind_of(doc.data)}, not a mapping"
        raise PlatformFileError(
            [
                ConfigError(
                    f"the platform file is {shape}",
                    where=doc.where(()),
                    fix=f"start it with `apiVersion: {API_VERSION}` and `kind: {KIND}`; "
                    "`helmdeck schema` prints the full shape",
                )
            ]
        )
    base_dir = path.parent if path is not None else Path.cwd()
    real_paths = RealPaths()
    try:
        platform = Platform.model_validate(doc.data, context={"base_dir": base_dir, "real_paths": real_paths})
    except ValidationError as exc:
        explained = [
            (_explain(err, doc), _data_path(doc.data, tuple(err["loc"]))) for err in exc.errors(include_url=False)
        ]
        explained.sort(key=lambda pair: doc.position(pair[1]) or (0, 0))
        raise PlatformFileError(_unique([problem for problem, _ in explained])) from None
    except RecursionError:
        raise PlatformFileError(
            [ConfigError("the platform file is nested too deeply", where=source, fix="flatten the structure")]
        ) from None
    platform._document = doc
    platform._source = path
    problems = check_platform(platform, real_paths)
    if problems:
        raise PlatformFileError(problems)
    return platform


def _unique(problems: list[ConfigError]) -> list[ConfigError]:
    seen: set[tuple[str, str | None]] = set()
    out = []
    for p in problems:
        if (p.message, p.where) not in seen:
            seen.add((p.message, p.where))
            out.append(p)
    return out


# --- mapping pydantic errors back to the file ------------------------------------------------


def _data_path(data: Any, loc: tuple[int | str, ...]) -> PathKey:
    """The path of keys and indices in the document for a pydantic ``loc``.

    pydantic adds entries of its own (union tags, ``[key]`` for dict-key errors); walking
    the data alongside skips them.
    """
    out: list[Any] = []
    node = data
    for part in loc:
        in_map = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_list:
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part != "[key]" and not _is_tag(part):
            # a missing key: the path ends here, naming it
            out.append(part)
            node = None
    return tuple(out)


_TAGS = {"path", "ref"}


def _is_tag(part: str) -> bool:
    return part in _TAGS


def _label(path: PathKey) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "the document"


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (to list its valid keys)."""
    tp: Any = Platform
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            members = typing.get_args(tp)
            tagged = [
                m for m in members if any(isinstance(x, Tag) and x.tag == part for x in getattr(m, "__metadata__", ()))
            ]
            if tagged:
                tp = tagged[0]
                continue
            models = [_unwrap(m) for m in members if isinstance(_unwrap(m), type) and issubclass(_unwrap(m), BaseModel)]
            if not models:
                return None
            tp = models[0]
            origin = None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            tp = field.annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        models = [
            _unwrap(m)
            for m in typing.get_args(tp)
            if isinstance(_unwrap(m), type) and issubclass(_unwrap(m), BaseModel)
        ]
        tp = models[0] if models else None
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "path_type": "a file path",
}


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(path: PathKey, loc: tuple[int | str, ...], where: str) -> ConfigError:
    key = str(path[-1]) if path else str(loc[-1])
    parent = _label(path[:-1])
    model = _model_at(loc[:-1])
    valid = _keys_of(model) if model else []
    best = closest(key, valid)
    fix = (f"did you mean '{best}'?" if best else "remove it") + (
        f" (valid keys here: {', '.join(valid)})" if valid else ""
    )
    return ConfigError(f"unknown key '{key}' in {parent}", where=where, fix=fix)


def _missing_key(path: PathKey, loc: tuple[int | str, ...], doc: YamlDocument) -> ConfigError:
    key = str(loc[-1])
    # the error's path ends at the missing key when its parent exists: name and point at the parent
    at = path[:-1] if path and path[-1] == key else path
    parent = _label(at)
    return ConfigError(
        f"{parent} is missing the required key '{key}'",
        where=doc.where(at),
        fix=f"add `{key}:` under {parent}" if parent != "the document" else f"add `{key}:` at the top level",
    )


def _explain(err: ErrorDetails, doc: YamlDocument) -> ConfigError:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    path = _data_path(doc.data, loc)
    where = doc.where(path)
    label = _label(path)
    value = err.get("input")
    key_error = bool(loc) and loc[-1] == "[key]"

    if kind == "extra_forbidden":
        return _unknown_key(path, loc, where)
    if kind == "missing":
        return _missing_key(path, loc, doc)
    if kind == "helmdeck":
        return ConfigError(f"{label}: {ctx.get('message', err['msg'])}", where=where, fix=ctx.get("fix"))
    if kind == "literal_error":
        return ConfigError(
            f"{label}: {_short(value)} is not allowed",
            where=where,
            fix=f"use {ctx.get('expected', 'one of the allowed values')}",
        )
    if kind == "string_pattern_mismatch":
        rule = RULES_BY_PATTERN.get(str(ctx.get("pattern")))
        what = "key" if key_error else "value"
        return ConfigError(
            f"{label}: {what} {_short(value)} is not a valid name",
            where=where,
            fix=f"use {rule.description}" if rule else f"match the pattern {ctx.get('pattern')}",
        )
    if kind == "string_too_long":
        return ConfigError(
            f"{label}: {_short(value)} is longer than {ctx.get('max_length')} characters",
            where=where,
            fix="shorten it",
        )
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        what = f"{_label(path[:-1])}: key" if key_error else label
        got = "nothing (null)" if value is None else f"a {_kind_of(value)} ({_short(value)})"
        return ConfigError(
            f"{what}: expected {expected}, got {got}",
            where=where,
            fix=f"write {expected} here" + ("; quote keys that look like numbers or booleans" if key_error else ""),
        )
    return ConfigError(
        f"{label}: {err['msg']}",
        where=where,
        fix="`helmdeck schema` prints the allowed shape of every key",
    )
