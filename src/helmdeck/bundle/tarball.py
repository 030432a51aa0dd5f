"""Deterministic ``.tar.gz`` writing and defensive reading.

Written archives depend only on their entries: names sorted, one fixed modification time, owner
0:0 without names, fixed modes, and a gzip header without a timestamp or file name. So the same
entries always give the same bytes, whoever builds them and whenever.

Reading never trusts the archive: only regular files (and directories, which carry nothing) are
accepted, under relative names without ``..``, ``.`` or empty parts, each name once. Anything else
is reported by name, never extracted.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# 1980-01-01T00:00:00Z, the earliest time ZIP can store; reproducible builds use it as "no time"
FIXED_MTIME = 315532800
FILE_MODE = 0o644
_CHUNK = 1 << 20
_BAD_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\\]")


def unsafe_name(name: str) -> str | None:
    """Why ``name`` may not be an archive member name, or None when it is safe to extract."""
    if not name:
        return "empty name"
    if _BAD_CHARACTERS.search(name):
        return "control character or backslash in the name"
    if name.startswith("/"):
        return "absolute path"
    parts = name.rstrip("/").split("/")
    if any(p == ".." for p in parts):
        return "path escapes the bundle (..)"
    if any(p in ("", ".") for p in parts):
        return "empty or '.' path component"
    return None


def write_tar_gz(dest: BinaryIO, entries: Mapping[str, bytes], *, mtime: int = FIXED_MTIME) -> None:
    """Write ``entries`` (member name -> content) as a reproducible gzip-compressed tar to ``dest``."""
    for name in entries:
        reason = unsafe_name(name)
        if reason is not None:
            raise ValueError(f"refusing archive member {name!r}: {reason}")
    # filename="" and mtime=0 keep the gzip header free of anything that varies between builds
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=dest, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in sorted(entries):
            data = entries[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = mtime
            info.mode = FILE_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))


def tar_gz_bytes(entries: Mapping[str, bytes], *, mtime: int = FIXED_MTIME) -> bytes:
    buffer = io.BytesIO()
    write_tar_gz(buffer, entries, mtime=mtime)
    return buffer.getvalue()


@dataclass(frozen=True)
class Member:
    """One archive member as read: a regular file's hash and size, or why it was refused."""

    name: str
    sha256: str | None = None
    size: int = 0
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class ArchiveUnreadable(Exception):
    """The file is not a gzip-compressed tar, or it is truncated or corrupt."""


_KIND_NAMES = {
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a FIFO",
}


def _member_problem(info: tarfile.TarInfo, seen: set[str]) -> str | None:
    reason = unsafe_name(info.name)
    if reason is not None:
        return reason
    if not (info.isfile() or info.isdir()):
        return f"{_KIND_NAMES.get(info.type, 'not a regular file')}, which a bundle never holds"
    key = info.name.rstrip("/")
    if key in seen:
        return "appears more than once in the archive"
    seen.add(key)
    return None


def scan(archive: Path) -> list[Member]:
    """Every member of ``archive`` with its SHA-256 and size; refused ones carry a problem.

    Directory entries carry no content and are left out.

    Raises:
        ArchiveUnreadable: not a gzip-compressed tar, truncated or corrupt.
    """
    out: list[Member] = []
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for info in tar:
                problem = _member_problem(info, seen)
                if problem is not None:
                    out.append(Member(info.name, problem=problem))
                    continue
                if info.isdir():
                    continue
                digest = hashlib.sha256()
                stream = tar.extractfile(info)
                if stream is not None:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                out.append(Member(info.name, digest.hexdigest(), info.size))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveUnreadable(str(exc) or type(exc).__name__) from None
    return out


def read_member(archive: Path, name: str) -> bytes | None:
    """The content of the regular file ``name`` in ``archive`` (None when there is none)."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for info in tar:
                if info.name == name and info.isfile():
                    stream = tar.extractfile(info)
                    return stream.read() if stream is not None else b""
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveUnreadable(str(exc) or type(exc).__name__) from None
    return None


def extract(archive: Path, dest: Path, names: set[str]) -> None:
    """Write the regular files ``names`` of ``archive`` below ``dest``, which must be empty.

    Names must have passed :func:`scan`; each file is created fresh (never through an existing
    link) with mode 0644.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"{dest} is not empty")
    for name in names:
        if unsafe_name(name) is not None:
            raise ValueError(f"refusing archive member {name!r}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for info in tar:
                if info.name not in names or not info.isfile():
                    continue
                target = dest / info.name
                stream = tar.extractfile(info)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(target, flags, FILE_MODE)
                except OSError as exc:
                    raise ArchiveUnreadable(f"cannot extract {info.name}: {exc.strerror}") from None
                with os.fdopen(fd, "wb") as out:
                    while stream is not None and (chunk := stream.read(_CHUNK)):
                        out.write(chunk)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ArchiveUnreadable(str(exc) or type(exc).__name__) from None


def normalized_archive(raw: bytes, *, mtime: int = FIXED_MTIME) -> bytes:
    """``raw`` (a ``.tgz``) rewritten deterministically: its regular files only, sorted, fixed metadata.

    Helm stamps chart archives with the time of packaging; this makes a packaged chart depend on its
    content alone.
    """
    entries: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for info in tar:
            if not info.isfile():
                continue
            stream = tar.extractfile(info)
            entries[info.name] = stream.read() if stream is not None else b""
    return tar_gz_bytes(entries, mtime=mtime)
