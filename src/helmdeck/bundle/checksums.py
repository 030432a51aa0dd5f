"""``SHA256SUMS``: the checksum of every file in a bundle, in the format ``sha256sum`` reads.

So an extracted bundle can be checked without helmdeck: ``cd <bundle> && sha256sum -c SHA256SUMS``.
Names are never escaped: bundle member names exclude backslashes and control characters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

SUMS_FILE = "SHA256SUMS"
_LINE = re.compile(r"(?P<sha>[0-9a-f]{64}) [ *](?P<path>.+)")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_sums(checksums: Mapping[str, str]) -> bytes:
    """``path -> sha256 hex`` as ``<hex>  <path>`` lines, sorted by path."""
    return "".join(f"{checksums[path]}  {path}\n" for path in sorted(checksums)).encode()


@dataclass(frozen=True)
class ParsedSums:
    checksums: dict[str, str]
    bad_lines: list[int]
    duplicates: list[str]


def parse_sums(text: bytes) -> ParsedSums:
    """Read a ``SHA256SUMS`` file, noting lines that are not ``<hex>  <path>`` and paths listed twice."""
    checksums: dict[str, str] = {}
    bad: list[int] = []
    duplicates: list[str] = []
    try:
        lines = text.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return ParsedSums({}, [1], [])
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            bad.append(number)
            continue
        path = match["path"]
        if path in checksums:
            duplicates.append(path)
        checksums[path] = match["sha"]
    return ParsedSums(checksums, bad, duplicates)
