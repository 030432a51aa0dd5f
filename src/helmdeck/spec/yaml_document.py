"""YAML documents as plain Python data plus the line and column of every key and list item.

ruamel.yaml keeps positions on its round-trip nodes; we copy the data into plain dicts,
lists and scalars (so pydantic and the merge code see ordinary types) and keep the
positions beside them, keyed by the path of keys and indices that leads to each node.
"""

from __future__ import annotations

import base64
import datetime
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from helmdeck.errors import ConfigError
from helmdeck.spec.user_files import long_number_error
from helmdeck.spec.yaml_fast import fast_data

PathKey = tuple[Any, ...]
"""A path into a document: mapping keys and list indices, outermost first."""

Position = tuple[int, int]
"""A 1-based (line, column)."""

# Alias expansion can blow a small file up exponentially ("billion laughs"); no real
# platform or values file comes near this many nodes.
MAX_NODES = 200_000


def display_path(path: Path | str) -> str:
    """The path as users should read it: relative to the working directory when below it."""
    p = Path(path)
    try:
        rel = os.path.relpath(p)
    except ValueError:  # a different drive on Windows
        return str(p)
    return str(p) if rel.startswith("..") else rel


#: one for all documents (not one each: a platform, its document included, is deep-copied)
_POSITIONS_LOCK = threading.Lock()


@dataclass
class YamlDocument:
    """One parsed YAML document: ``data`` in plain Python types, ``positions`` of its nodes.

    A document read by the fast path (:mod:`helmdeck.spec.yaml_fast`) finds its positions when
    first asked (a problem to report), with ruamel.yaml; ``_text`` is what it reads them from."""

    source: str
    data: Any
    _positions: dict[PathKey, Position] = field(default_factory=dict)
    _text: str | None = field(default=None, repr=False)

    @property
    def positions(self) -> dict[PathKey, Position]:
        with _POSITIONS_LOCK:  # the web service's threads may ask at once: one reading
            if self._text is not None:
                try:
                    self._positions = _ruamel_document(self._text, self.source)._positions
                except ConfigError:  # read by libyaml, refused by ruamel.yaml: no line numbers then
                    self._positions = {(): (1, 1)}
                self._text = None
            return self._positions

    def position(self, path: PathKey) -> Position | None:
        """The position of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            pos = self.positions.get(p)
            if pos is not None:
                return pos
            if not p:
                return None
            p = p[:-1]

    def where(self, path: PathKey = ()) -> str:
        """``file:line:col`` for ``path`` (or just ``file`` when nothing is known)."""
        pos = self.position(path)
        if pos is None:
            return self.source
        return f"{self.source}:{pos[0]}:{pos[1]}"

    def line(self, path: PathKey) -> int | None:
        pos = self.position(path)
        return pos[0] if pos else None


class _Converter:
    """Copies ruamel nodes into plain data while recording positions."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.positions: dict[PathKey, Position] = {}
        self.nodes = 0
        self._active: set[int] = set()

    def convert(self, node: Any, path: PathKey) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                f"the document expands to more than {MAX_NODES} nodes",
                where=self.source,
                fix="reduce the use of YAML anchors and aliases",
            )
        if isinstance(node, (CommentedMap, CommentedSeq)):
            if id(node) in self._active:
                raise ConfigError(
                    "a YAML alias refers to a node that contains it (a recursive structure)",
                    where=self._where(path),
                    fix="remove the recursive alias",
                )
            self._active.add(id(node))
            try:
                if isinstance(node, CommentedMap):
                    return self._map(node, path)
                return self._seq(node, path)
            finally:
                self._active.discard(id(node))
        if isinstance(node, Mapping):  # mappings that ruamel builds for merge keys or tags
            return {self._key(k): self.convert(v, (*path, self._key(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [self.convert(v, (*path, i)) for i, v in enumerate(node)]
        return self._scalar(node)

    def _where(self, path: PathKey) -> str:
        p = path
        while p and p not in self.positions:
            p = p[:-1]
        pos = self.positions.get(p)
        return f"{self.source}:{pos[0]}:{pos[1]}" if pos else self.source

    def _map(self, node: CommentedMap, path: PathKey) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for raw_key, value in node.items():
            key = self._key(raw_key)
            child = (*path, key)
            try:
                line, col = node.lc.key(raw_key)
                self.positions.setdefault(child, (line + 1, col + 1))
            except (KeyError, TypeError, AttributeError, IndexError):
                pass  # keys that came in through a merge key (<<) have no position of their own
            out[key] = self.convert(value, child)
        return out

    def _seq(self, node: CommentedSeq, path: PathKey) -> list[Any]:
        out: list[Any] = []
        for i, value in enumerate(node):
            child = (*path, i)
            try:
                line, col = node.lc.item(i)
                self.positions.setdefault(child, (line + 1, col + 1))
            except (KeyError, TypeError, AttributeError, IndexError):
                pass
            out.append(self.convert(value, child))
        return out

    @staticmethod
    def _key(key: Any) -> Any:
        scalar = _Converter._scalar(key)
        try:
            hash(scalar)
        except TypeError:
            return str(scalar)
        if isinstance(scalar, (tuple, frozenset)):  # complex keys (? [a, b]) have no sensible use here
            return str(scalar)
        return scalar

    @staticmethod
    def _scalar(node: Any) -> Any:
        if node is None:
            return None
        if isinstance(node, TaggedScalar):
            return node.value
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, ScalarBoolean):  # an anchored boolean; ruamel makes it an int subclass
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return str(node)
        if isinstance(node, bytes):
            return base64.b64encode(node).decode("ascii")
        if isinstance(node, (datetime.date, datetime.datetime)):
            return node.isoformat()
        return node


def _yaml_error(exc: Exception, source: str) -> ConfigError:
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        return ConfigError(
            f"YAML syntax error: {problem}",
            where=f"{source}:{mark.line + 1}:{mark.column + 1}",
            fix="correct the YAML at that position (check indentation, colons, quotes and brackets)",
        )
    if isinstance(exc, ReaderError):
        char = exc.character
        code = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        return ConfigError(
            f"the file contains a character YAML does not allow ({code} at offset {exc.position})",
            where=source,
            fix="remove control characters; save the file as UTF-8 text",
        )
    return ConfigError(
        f"YAML syntax error: {exc}".splitlines()[0],
        where=source,
        fix="correct the YAML syntax",
    )


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse one YAML document; syntax errors become a ConfigError with file:line:col.

    libyaml reads it when it can say for sure what ruamel.yaml would (its positions then come
    when asked); else, and for every error, ruamel.yaml reads it."""
    done, data = fast_data(text, MAX_NODES)
    if done:
        return YamlDocument(source=source, data=data, _text=text)
    return _ruamel_document(text, source)


def _ruamel_document(text: str, source: str) -> YamlDocument:
    yaml = YAML(typ="rt")
    try:
        node = yaml.load(text)
    except YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except RecursionError:
        raise ConfigError(
            "the YAML is nested too deeply to read",
            where=source,
            fix="flatten the structure",
        ) from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        huge = long_number_error(text, source) if "integer string conversion" in str(exc) else None
        if huge is not None:
            raise huge from None
        # ruamel raises plain Python errors for a few malformed constructs (odd tags, bad
        # timestamps); they are still the user's YAML, not a helmdeck bug.
        raise ConfigError(
            f"cannot read the YAML: {exc}".splitlines()[0],
            where=source,
            fix="correct the YAML syntax",
        ) from None
    converter = _Converter(source)
    try:
        data = converter.convert(node, ())
    except RecursionError:
        raise ConfigError("the YAML is nested too deeply to read", where=source, fix="flatten the structure") from None
    positions = converter.positions
    positions.setdefault((), (1, 1))
    return YamlDocument(source=source, data=data, _positions=positions)


def read_yaml_file(path: Path, *, shown_as: str | None = None) -> YamlDocument:
    """Read and parse a YAML file; a missing or unreadable file is a ConfigError."""
    source = shown_as or display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"file not found: {source}", where=source, fix="create it or fix the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{source} is a directory, not a file", where=source, fix="name a file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source} is not UTF-8 text (byte {exc.start})", where=source, fix="save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {source}: {exc.strerror}", where=source, fix="check the path and permissions"
        ) from None
    return parse_yaml(text, source)
