"""Parsing rendered manifests (multi-document YAML) into :class:`ManifestObject` values.

Rendered output can carry secret values, so errors name the component, template, line and column
but never quote the rendered text.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator, Mapping
from typing import Any

import yaml

from helmdeck.errors import ConfigError
from helmdeck.manifests.objects import ManifestObject
from helmdeck.yaml_limits import check_rendered_structure


class ManifestError(ConfigError):
    """Rendered output that is not a list of Kubernetes objects."""


class _ManifestLoader(yaml.CSafeLoader):
    """libyaml's fast safe loader, minus timestamp resolution.

    Kubernetes decodes manifests into JSON types, where ``2024-01-01`` stays a string; PyYAML would
    turn it into a ``date`` (which then does not compare or serialise like the live object).

    Building the objects is the cost of reading manifests (``status`` reads every release's): libyaml
    composes the nodes in C but PyYAML constructs them in Python, several calls and a generator per
    node. Manifests are plain maps, lists and scalars, so those are built here in one tight recursion;
    any other node (merge keys, explicit tags, complex keys) goes to PyYAML's own construction, which
    gives the same values and the same errors.
    """

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            return self._plain(node, {})
        finally:
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.state_generators = []
            self.deep_construct = False

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        # a plain scalar's tag depends on its text alone (no path resolvers here), and manifests
        # repeat the same keys and values (apiVersion, name, true, ...) thousands of times
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(_PLAIN_TAGS) < _PLAIN_TAGS_KEPT:
                    _PLAIN_TAGS[value] = tag
            return tag
        resolved: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return resolved

    def _plain(self, node: yaml.Node, built: dict[int, Any]) -> Any:
        # ``built``: an alias is the very node of its anchor, and PyYAML gives both one value
        cls = node.__class__
        if cls is yaml.ScalarNode:
            if node.tag == _STR:
                return node.value
            if node.tag in _SCALAR_TAGS:
                return self.yaml_constructors[node.tag](self, node)
        elif id(node) in built:
            return built[id(node)]
        elif cls is yaml.MappingNode and node.tag == _MAP:
            for key_node, _ in node.value:
                if key_node.__class__ is not yaml.ScalarNode or key_node.tag not in _SCALAR_TAGS:
                    return self.construct_object(node, deep=True)  # merge keys, complex keys
            mapping: dict[Any, Any] = {}
            built[id(node)] = mapping
            for key_node, value_node in node.value:
                mapping[self._plain(key_node, built)] = self._plain(value_node, built)
            return mapping
        elif cls is yaml.SequenceNode and node.tag == _SEQ:
            items: list[Any] = []
            built[id(node)] = items
            items.extend(self._plain(item, built) for item in node.value)
            return items
        return self.construct_object(node, deep=True)


#: a plain scalar's text -> its tag, kept for the most common texts (the first seen, up to a bound)
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_KEPT = 20_000
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: scalars PyYAML builds from the node's own text alone (each hashable, so fine as a key)
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str"))


_ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}
# Go's YAML (what Helm and the API server read) takes ``1e+06`` as a number, where YAML 1.1 wants a
# dot in a float; Go templates print large numbers that way (``{{ 1000000 }}`` renders ``1e+06``),
# so read as a string here it would be refused by the API server's dry run and seen as drift.
_ManifestLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)

# A document starts after a line beginning with "---" (followed by nothing, a space or a comment);
# within a document a column-0 "---" can only be a separator, since block scalars are indented.
_SEPARATOR = re.compile(r"^---(?=[ \t]|$)", re.MULTILINE)
_SOURCE_COMMENT = re.compile(r"^# Source: (?P<source>.+?)\s*$", re.MULTILINE)


def _split(text: str) -> list[tuple[int, str, bool]]:
    """(line, text, follows a separator) per non-blank document; see :func:`split_documents`."""
    chunks: list[tuple[int, str, bool]] = []
    start = 0
    line = 1
    after_separator = False
    for match in _SEPARATOR.finditer(text):
        chunks.append((line, text[start : match.start()], after_separator))
        line += text.count("\n", start, match.start())
        start = match.end()
        after_separator = True
    chunks.append((line, text[start:], after_separator))
    return [chunk for chunk in chunks if chunk[1].strip()]


def split_documents(text: str) -> list[tuple[int, str]]:
    """Split a YAML stream at its ``---`` separators: (1-based line, text) per non-blank document.

    A document's text starts right after its separator, so line 0 of the text is the separator's
    line; adding a parser mark's line to the returned line gives the line in the whole stream.
    """
    return [(line, chunk) for line, chunk, _ in _split(text)]


def _display_text(chunk: str, after_separator: bool) -> str:
    """The document as rendered, without the rest of its separator line."""
    if after_separator:
        chunk = chunk.partition("\n")[2]
    return chunk.strip("\n")


def _location(source: str, first_line: int, error: yaml.YAMLError) -> tuple[str, int]:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:
        return f"{source}:{first_line}", first_line
    line = first_line + int(mark.line)
    return f"{source}:{line}:{int(mark.column) + 1}", line


def _describe(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        parts = [p for p in (error.context, error.problem) if p]
        return "; ".join(parts) if parts else "invalid YAML"
    return "invalid YAML"


def _owner(component: str | None) -> str:
    return f"component {component}: " if component else ""


def _load(chunk: str, *, source: str, first_line: int, component: str | None) -> Iterator[Any]:
    check_rendered_structure(
        chunk, f"{_owner(component)}template {source} (rendered output, document at line {first_line})"
    )
    try:
        yield from yaml.load_all(chunk, Loader=_ManifestLoader)
    except yaml.YAMLError as exc:
        where, _ = _location(source, first_line, exc)
        raise ManifestError(
            f"{_owner(component)}template {source} renders invalid YAML: {_describe(exc)}",
            where=f"{where} (rendered output)",
            fix="inspect the rendered output (helmdeck render); the usual causes are indentation "
            "(use nindent/toYaml) and unquoted values containing ': ' or starting with '*', '&' or '{'",
            details={"component": component, "template": source},
        ) from None


def _check_object(doc: Any, *, source: str, line: int, component: str | None, named: bool = True) -> Mapping[str, Any]:
    def fail(problem: str, fix: str) -> ManifestError:
        return ManifestError(
            f"{_owner(component)}template {source} renders {problem}",
            where=f"{source}:{line} (rendered output)",
            fix=fix,
            details={"component": component, "template": source},
        )

    if not isinstance(doc, Mapping):
        raise fail(
            f"a YAML {type(doc).__name__} where a Kubernetes object was expected",
            "each document a template renders must be a mapping with apiVersion, kind and metadata",
        )
    for key in ("apiVersion", "kind"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            raise fail(f"an object without {key}", f"set {key} in the template")
    metadata = doc.get("metadata")
    has_name = isinstance(metadata, Mapping) and bool(metadata.get("name") or metadata.get("generateName"))
    if named and not has_name:
        raise fail(
            f"a {doc['kind']} without metadata.name",
            "set metadata.name in the template (check that the value it uses is set)",
        )
    return doc


def _content_line(chunk: str, first_line: int, after_separator: bool) -> int:
    """The line of a document's first content (not the separator, blank lines or comments)."""
    for offset, line in enumerate(chunk.split("\n")):
        if offset == 0 and after_separator:
            continue
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return first_line + offset
    return first_line


def _objects_from(
    chunk: str,
    *,
    source: str,
    first_line: int,
    after_separator: bool,
    index: int,
    component: str | None,
    display: str,
) -> Iterator[ManifestObject]:
    line = _content_line(chunk, first_line, after_separator)
    for doc in _load(chunk, source=source, first_line=first_line, component=component):
        if doc is None:
            continue
        body = _check_object(doc, source=source, line=line, component=component, named=False)
        items = body.get("items")
        if body.get("kind") == "List" and isinstance(items, list):
            # kubectl and Helm accept a v1 List; its items are the objects.
            for item in items:
                inner = _check_object(item, source=source, line=line, component=component)
                yield ManifestObject(inner, source, index, line, display)
            continue
        _check_object(body, source=source, line=line, component=component)
        yield ManifestObject(body, source, index, line, display)


def parse_documents(text: str, *, source: str, component: str | None = None) -> list[ManifestObject]:
    """Parse what one template rendered into objects (empty and comment-only documents dropped).

    Raises:
        ManifestError: a document is not valid YAML or not a Kubernetes object; the error names the
            component, the template and the line of the rendered output.
    """
    objects: list[ManifestObject] = []
    for first_line, chunk, after_separator in _split(text):
        objects.extend(
            _objects_from(
                chunk,
                source=source,
                first_line=first_line,
                after_separator=after_separator,
                index=len(objects),
                component=component,
                display=_display_text(chunk, after_separator),
            )
        )
    return objects


def parse_manifest_stream(
    text: str, *, component: str | None = None, whole_kinds: Container[str] | None = None
) -> list[ManifestObject]:
    """Parse a release manifest (``helm get manifest``): documents headed by ``# Source:`` comments.

    ``whole_kinds``: the kinds whose whole body the caller reads; an object of another kind is read
    only as far as its head (:func:`_head`), when that can be told apart from the rest of its text.
    Its body then holds ``apiVersion``, ``kind`` and ``metadata`` alone. None: every body whole.
    """
    objects: list[ManifestObject] = []
    per_source: dict[str, int] = {}
    for first_line, chunk, after_separator in _split(text):
        found = _SOURCE_COMMENT.search(chunk)
        source = found.group("source") if found else "(release manifest)"
        index = per_source.get(source, 0)
        display = _display_text(chunk, after_separator)
        if found:
            display = _SOURCE_COMMENT.sub("", display, count=1).strip("\n")
        head = None if whole_kinds is None else _head(chunk, after_separator, source, first_line, component)
        if head is not None and whole_kinds is not None and head["kind"] not in whole_kinds and head["kind"] != "List":
            line = _content_line(chunk, first_line, after_separator)
            objects.append(ManifestObject(head, source, index, line, display))
            per_source[source] = index + 1
            continue
        parsed = list(
            _objects_from(
                chunk,
                source=source,
                first_line=first_line,
                after_separator=after_separator,
                index=index,
                component=component,
                display=display,
            )
        )
        per_source[source] = index + len(parsed)
        objects.extend(parsed)
    return objects


#: the top-level keys that say what an object is (all ``status`` and the inventory read of most kinds)
HEAD_KEYS = ("apiVersion", "kind", "metadata")
# a line in column 0 of a document: a top-level key (plain, then ": " or the line's end), or other
# content (a quoted or complex key, a sequence, a directive, a document end) that the fast path leaves
_COLUMN_0 = re.compile(r"^[^ \t\r\n#].*", re.MULTILINE)
_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?:[ \t]|$)")


def _head(
    chunk: str, after_separator: bool, source: str, first_line: int, component: str | None
) -> dict[str, Any] | None:
    """The ``apiVersion``, ``kind`` and ``metadata`` of one document, parsed from the text before its
    first other top-level key; None when that cannot be told from the text alone (then the whole
    document is parsed), or when the head is not a valid object's (the whole parse says why).

    Helm renders those three keys first, and the rest (the spec, most of the text) is what a reader
    of identities skips: about a fifth of the parse. Exact where it answers: the text before a
    column-0 key line ends every scalar and collection (a plain or block scalar cannot continue in
    column 0, an open quote or bracket fails the parse), so the head parses as it does in the whole
    document, and a key repeated later (the later value wins) falls back to the whole parse. Only
    the rest is not read: what Helm stored was installed, so it parsed."""
    if after_separator and chunk.partition("\n")[0].split("#", 1)[0].strip():
        return None  # content on the separator line ("--- {...}", "--- !tag")
    end = None
    seen: set[str] = set()
    first: list[str] = []  # the keys before the first key not of the head
    for line in _COLUMN_0.finditer(chunk):
        key = _TOP_KEY.match(line.group())
        if key is None or key.group(1) in seen:
            return None
        seen.add(key.group(1))
        if end is None:
            if key.group(1) in HEAD_KEYS:
                first.append(key.group(1))
            else:
                end = line.start()
    if sorted(first) != sorted(HEAD_KEYS):
        return None
    # the same limits as the whole parse, with the same errors
    check_rendered_structure(
        chunk, f"{_owner(component)}template {source} (rendered output, document at line {first_line})"
    )
    try:
        docs = list(yaml.load_all(chunk[:end], Loader=_ManifestLoader))
    except yaml.YAMLError:
        return None
    head = docs[0] if len(docs) == 1 else None
    if not isinstance(head, dict) or list(head) != first:
        return None
    kind, api_version, meta = head.get("kind"), head.get("apiVersion"), head.get("metadata")
    if not (isinstance(kind, str) and kind and isinstance(api_version, str) and api_version):
        return None
    if not isinstance(meta, Mapping) or not (meta.get("name") or meta.get("generateName")):
        return None
    return head
