"""Values files: the data exactly as Helm reads it, the positions as ruamel.yaml sees them.

Helm parses values with YAML 1.1 rules (``on`` is true, ``y`` is a boolean key …); using
the Helm SDK's own parser keeps that exact. Positions come from a second, round-trip
parse that only runs when a line number is asked for (``--explain``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helmdeck.engine.helm_text import HelmParseError, values_from_yaml
from helmdeck.errors import ConfigError
from helmdeck.spec.user_files import check_yaml_limits, read_user_text
from helmdeck.spec.yaml_document import PathKey, YamlDocument, display_path, parse_yaml

_LINE = re.compile(r"line (\d+)")


@dataclass
class ValuesFile:
    """One values file: ``data`` (Helm's reading) and, on demand, the line of a key."""

    path: Path
    text: str
    data: dict[str, Any]
    shown_as: str | None = None
    _document: YamlDocument | None = field(default=None, repr=False)
    _document_failed: bool = field(default=False, repr=False)

    @property
    def shown(self) -> str:
        return self.shown_as or display_path(self.path)

    def line_of(self, path: PathKey) -> int | None:
        doc = self._positions()
        return doc.line(path) if doc else None

    def _positions(self) -> YamlDocument | None:
        if self._document is None and not self._document_failed:
            try:
                self._document = parse_yaml(self.text, self.shown)
            except ConfigError:
                # Helm accepted the file (its YAML reading is more lenient, e.g. duplicate
                # keys); we only lose line numbers.
                self._document_failed = True
        return self._document


def parse_values(text: str, shown: str, path: Path | None = None) -> ValuesFile:
    """Parse values text as Helm does; errors carry file:line."""
    if "\x00" in text:
        raise ConfigError(f"{shown} contains a NUL byte", where=shown, fix="save it as YAML text")
    check_yaml_limits(text, shown)
    try:
        data = values_from_yaml(text)
    except HelmParseError as exc:
        detail = exc.detail
        if "cannot unmarshal" in detail:
            raise ConfigError(
                f"{shown} is not a map of values (its top level must be `key: value` lines)",
                where=f"{shown}:1:1",
                fix="put the values under keys; a values file cannot be a list or a single value",
            ) from None
        match = _LINE.search(detail)
        raise ConfigError(
            f"{shown} is not valid YAML: {detail.removeprefix('error converting YAML to JSON: ')}",
            where=f"{shown}:{match.group(1)}" if match else shown,
            fix="correct the YAML at that line (indentation, colons, quotes, tabs)",
        ) from None
    except UnicodeEncodeError:
        raise ConfigError(f"{shown} is not valid UTF-8 text", where=shown, fix="save it as UTF-8") from None
    return ValuesFile(path=path or Path(shown), text=text, data=data)


_cache: dict[Path, tuple[tuple[int, int], ValuesFile]] = {}
_cache_lock = threading.Lock()


def load_values_file(path: Path) -> ValuesFile:
    """Read a values file, reusing an earlier parse while the file is unchanged.

    Callers must not modify ``data``; it is shared between them.
    """
    try:
        path = path.resolve()
    except (OSError, RuntimeError):
        shown = display_path(path)
        raise ConfigError(f"{shown}: the path is a loop of symbolic links", where=shown, fix="fix the link") from None
    shown = display_path(path)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with _cache_lock:
            cached = _cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        text = read_user_text(path, shown, "values file")
    except FileNotFoundError:
        raise ConfigError(f"values file not found: {shown}", where=shown, fix="create it or fix the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown} is a directory, not a values file", where=shown, fix="name a file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown} is not UTF-8 text", where=shown, fix="save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror}", where=shown, fix="check the path") from None
    values = parse_values(text, shown, path)
    with _cache_lock:
        _cache[path] = (stamp, values)
    return values
