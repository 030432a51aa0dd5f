"""Reading files users hand us (platform files, values files) without trusting them: only regular
files (a FIFO would block, ``/dev/zero`` never ends), of bounded size, and YAML whose nesting,
alias expansion and keys are checked before any parser builds the data (a 110 KB file of nested
aliases once expanded to gigabytes)."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

import yaml

from helmdeck.errors import ConfigError
from helmdeck.yaml_limits import MAX_YAML_BYTES, check_yaml_structure

MAX_FILE_BYTES = MAX_YAML_BYTES


def read_user_text(path: Path, shown: str, what: str, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's text, or a ConfigError naming the file and what is wrong with it.

    FileNotFoundError and IsADirectoryError pass through, so callers word them in their own terms.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(
                f"{shown}: the path is a loop of symbolic links", where=shown, fix="point it at a real file"
            ) from None
        raise
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a device or special file"
        raise ConfigError(f"{shown} is {kind}, not a {what}", where=shown, fix=f"name a regular {what} on disk")
    if info.st_size > max_bytes:
        raise ConfigError(
            f"{shown} is {info.st_size // (1024 * 1024)} MiB; a {what} may be at most {max_bytes // (1024 * 1024)} MiB",
            where=shown,
            fix="split it, or check that this is the file you meant",
        )
    with open(path, "rb") as fh:
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ConfigError(f"{shown} grew past {max_bytes // (1024 * 1024)} MiB while read", where=shown, fix="retry")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown} is not UTF-8 text", where=shown, fix="save it as UTF-8") from None


#: Python reads no integer of more digits (its error names a setting of Python's, no use to a user)
MAX_NUMBER_DIGITS = 4300
_LONG_DIGITS = re.compile(rf"[0-9][0-9_]{{{MAX_NUMBER_DIGITS - 1},}}")


def long_number_error(text: str, shown: str) -> ConfigError | None:
    """The error for a number longer than Python reads, naming its line; None when there is none."""
    found = _LONG_DIGITS.search(text)
    if found is None:
        return None
    return ConfigError(
        f"{shown}: a number has more than {MAX_NUMBER_DIGITS} digits",
        where=f"{shown}:{text.count(chr(10), 0, found.start()) + 1}",
        fix="write a number of sensible size there",
    )


def check_yaml_limits(text: str, shown: str) -> None:
    """Refuse YAML that is too big, too deep, expands too far through aliases (the limits every YAML
    meets, :mod:`helmdeck.yaml_limits`), or repeats a key.

    Duplicate keys are found on libyaml's node graph (no objects built), walked without recursion,
    once the event pass has shown the graph to be small and shallow.
    """
    too_long = long_number_error(text, shown)
    if too_long is not None:
        raise too_long
    check_yaml_structure(text, shown)
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return  # the real parser reports syntax errors with its own wording and position
    seen: set[int] = set()
    stack: list[yaml.Node] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(node, shown)
        elif isinstance(node, yaml.ScalarNode):
            _check_finite(node, shown)
        stack.extend(_children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_finite(node: yaml.ScalarNode, shown: str) -> None:
    """YAML's ``.inf`` and ``.nan`` have no JSON form, and Helm converts values to JSON: it fails
    with "json: unsupported value: +Inf" (or, handed them by Python, "invalid character 'I'")."""
    if node.tag != "tag:yaml.org,2002:float" or node.value.lower().lstrip("+-") not in (".inf", ".nan"):
        return
    raise ConfigError(
        f"{shown}: {node.value} ({'not-a-number' if 'nan' in node.value.lower() else 'infinity'}) cannot be "
        "a value: Helm reads values as JSON, which has no such number",
        where=f"{shown}:{node.start_mark.line + 1}:{node.start_mark.column + 1}",
        fix=f"write a number there, or quote it ('{node.value}') to make it a string",
    )


def _check_duplicates(node: yaml.MappingNode, shown: str) -> None:
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        line = key_node.start_mark.line + 1
        if key_node.value in seen:
            raise ConfigError(
                f"{shown}: key '{key_node.value}' appears twice in one mapping (lines {seen[key_node.value]} "
                f"and {line}); only the last would count",
                where=f"{shown}:{line}:{key_node.start_mark.column + 1}",
                fix="keep one of them",
            )
        seen[key_node.value] = line
