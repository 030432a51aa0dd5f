"""The data of a plain YAML document read by libyaml (C), with the rules ruamel.yaml applies.

ruamel.yaml's round-trip reader is pure Python: a platform file of 1000 components (270 kB) took
it 6-7 s on a loaded machine, before any command could start; libyaml composes the same file in
0.2 s. This reads the documents platform files are made of (mappings, lists, plain and quoted
scalars, anchors) with YAML 1.2's scalar rules, taken from ruamel.yaml's own resolver table so
``on``, ``yes`` and ``0777`` mean what they mean there. Anything else (a ``%YAML`` directive, an
explicit tag, a merge key, a timestamp, a duplicate or complex key, any error) returns None, and
the caller reads the text with ruamel.yaml as before: its data, positions and errors stay the
truth, this is only a shortcut to the same data.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from ruamel.yaml.resolver import implicit_resolvers
from yaml._yaml import CParser

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: the plain scalars YAML 1.2 reads as something else than a string, as ruamel.yaml resolves them
_RULES: list[tuple[str, re.Pattern[str], frozenset[str]]] = [
    (str(tag), re.compile(regexp.pattern, regexp.flags), frozenset(first))
    for versions, tag, regexp, first in implicit_resolvers
    if (1, 2) in versions
]


_PLAIN = "?plain"


class _Loader(CParser, yaml.constructor.BaseConstructor, yaml.resolver.BaseResolver):
    """libyaml's parser and composer, leaving plain scalars unresolved (marked ``_PLAIN``) for
    YAML 1.2's rules below; an explicitly tagged one keeps its tag."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        yaml.constructor.BaseConstructor.__init__(self)
        yaml.resolver.BaseResolver.__init__(self)

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


class _Unusual(Exception):
    """The document has something only ruamel.yaml's reading is trusted with."""


def _resolve(value: str) -> str:
    first = value[:1]
    for tag, regexp, firsts in _RULES:
        if first in firsts and regexp.match(value):
            return tag
    return _STR


def _int(value: str) -> int:
    text = value.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if text.startswith(prefix):
            return sign * int(text[2:], base)
    return sign * int(text)


def _float(value: str) -> float:
    text = value.replace("_", "").lower()
    if text.endswith(".nan"):
        return math.nan
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    return float(text)


def _scalar(node: yaml.ScalarNode) -> Any:
    value: str = node.value
    if node.tag == _PLAIN:
        tag = _resolve(value)
    elif node.tag == _STR:  # quoted, a block, or tagged ``!!str``
        return value
    else:  # another explicit tag (``!!int "1"``, ``!secret x``): ruamel.yaml decides
        raise _Unusual
    if tag == _STR:
        return value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if tag.endswith(":int"):
        return _int(value)
    if tag.endswith(":float"):
        return _float(value)
    raise _Unusual  # merge keys, timestamps, ``=``


class _Builder:
    """Plain data from composed nodes, aliases expanded and counted as the ruamel.yaml path counts them."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.nodes = 0

    def build(self, node: yaml.Node) -> Any:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise _Unusual  # the ruamel.yaml path says so, with its message
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _Unusual
            return [self.build(item) for item in node.value]
        if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
            raise _Unusual
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Unusual
            key = _scalar(key_node)
            if key in out:  # ruamel.yaml refuses a duplicate key, with its position
                raise _Unusual
            out[key] = self.build(value_node)
        return out


def fast_data(text: str, max_nodes: int) -> tuple[bool, Any]:
    """(True, the data) when libyaml reads ``text`` as ruamel.yaml would; (False, None) when only
    ruamel.yaml may say (see the module's docstring)."""
    if "%" in text and re.search(r"^%", text, re.MULTILINE):  # a directive may change the YAML version
        return False, None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None:
            return True, None
        return True, _Builder(max_nodes).build(node)
    except (_Unusual, yaml.YAMLError, ValueError, RecursionError):
        return False, None
