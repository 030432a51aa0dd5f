"""The one set of limits for every YAML helmdeck or Helm reads: platform files, values files (the
platform's and those inside charts, subcharts included), catalog entries, uploads, bundles and
rendered manifests.

A 110 KB file of nested aliases once expanded to gigabytes, and tens of thousands of nested
brackets crash libyaml's recursive composer (and Go's decoder recurses as well). So size is checked
first, then one pass over libyaml's event stream (no nodes, no objects) measures nesting depth and
counts the values the document holds once every alias is expanded, before any parser builds
anything. Only then may a parser, ours or Helm's, read the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from helmdeck.errors import ConfigError

#: bytes in one YAML file (a large real values file is a few hundred KiB)
MAX_YAML_BYTES = 16 * 1024 * 1024
#: values after aliases are expanded; real values files have thousands
MAX_EXPANDED_NODES = 500_000
#: characters of the scalars after aliases are expanded (an alias of a long string repeats it)
MAX_EXPANDED_CHARS = 4 * MAX_YAML_BYTES
#: nesting of mappings and sequences
MAX_DEPTH = 100


@dataclass
class _Open:
    anchor: str | None
    size: int = 1
    chars: int = 0


def check_yaml_size(size: int, shown: str) -> None:
    if size > MAX_YAML_BYTES:
        raise ConfigError(
            f"{shown} is {size // (1024 * 1024)} MiB; a YAML file may be at most {MAX_YAML_BYTES // (1024 * 1024)} MiB",
            where=shown,
            fix="split it, or check that this is the file you meant",
        )


def check_yaml_structure(text: str, shown: str) -> None:
    """Refuse YAML that is too big, nested too deep or expands too far through aliases.

    Syntax errors are left to the parser that reads the text afterwards, which reports them with
    its own wording and position.
    """
    if len(text) > MAX_YAML_BYTES // 4:  # a character is at most 4 bytes: shorter texts need no encoding
        check_yaml_size(len(text.encode("utf-8", "surrogatepass")), shown)
    anchors: dict[str, tuple[int, int]] = {}
    stack: list[_Open] = []
    top = _Open(None, size=0)
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append(_Open(event.anchor))
                if len(stack) > MAX_DEPTH:
                    raise _too_deep(shown, event)
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                anchors.clear()
                continue
            if isinstance(event, yaml.ScalarEvent):
                size, chars = 1, len(event.value)
                if event.anchor:
                    anchors[event.anchor] = (size, chars)
            elif isinstance(event, yaml.AliasEvent):
                if any(frame.anchor == event.anchor for frame in stack):
                    raise ConfigError(
                        f"{shown}: an alias refers to a value that contains it",
                        where=_where(shown, event),
                        fix="remove the recursive alias",
                    )
                size, chars = anchors.get(str(event.anchor), (1, 0))
            elif isinstance(event, yaml.CollectionEndEvent):
                done = stack.pop()
                size, chars = done.size, done.chars
                if done.anchor:
                    anchors[done.anchor] = (size, chars)
            else:
                continue
            parent = stack[-1] if stack else top
            parent.size += size
            parent.chars += chars
            if parent.size > MAX_EXPANDED_NODES or top.size > MAX_EXPANDED_NODES:
                raise ConfigError(
                    f"{shown}: its aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                    where=_where(shown, event),
                    fix="write the values out instead of nesting aliases (*name) of aliases",
                )
            if parent.chars > MAX_EXPANDED_CHARS or top.chars > MAX_EXPANDED_CHARS:
                raise ConfigError(
                    f"{shown}: its aliases expand to more than {MAX_EXPANDED_CHARS // (1024 * 1024)} MiB of text",
                    where=_where(shown, event),
                    fix="write the values out instead of repeating long values through aliases (*name)",
                )
    except yaml.YAMLError:
        return


_DEEP_INDENT = re.compile(rf"^[ \t-]{{{2 * MAX_DEPTH}}}", re.MULTILINE)


def check_rendered_structure(text: str, shown: str) -> None:
    """:func:`check_yaml_structure` for rendered manifests, skipped where the text cannot break a
    limit: aliases need an anchor (``&``), and deep nesting needs brackets or deep indentation.
    Most rendered output has neither, and the full pass costs a third of parsing it."""
    if "&" in text or text.count("[") + text.count("{") > MAX_DEPTH or _DEEP_INDENT.search(text):
        check_yaml_structure(text, shown)


def _where(shown: str, event: yaml.Event) -> str:
    return f"{shown}:{event.start_mark.line + 1}" if event.start_mark else shown


def _too_deep(shown: str, event: yaml.Event) -> ConfigError:
    return ConfigError(
        f"{shown}: values nested more than {MAX_DEPTH} levels deep",
        where=_where(shown, event),
        fix="flatten the structure",
    )
