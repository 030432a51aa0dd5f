"""``Path.resolve()`` for the many files of a large platform, each directory resolved once.

``Path.resolve()`` looks at every component of the path (one ``lstat`` each): a platform of 1000
components names some 4000 files and charts, under a few directories, and resolving each anew was a
second of a loaded machine's time before any command could start. Resolving a path's directory
once and then only its last component gives the same answer.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class RealPaths:
    """Resolves paths as ``Path.resolve()`` (non-strict) does, remembering each directory's real
    path (for one reading of a platform file: the file system may change between readings)."""

    def __init__(self) -> None:
        self._dirs: dict[Path, Path] = {}
        # each answer, and each answer as its own: a reading validates the platform's paths, then
        # checks where they lie (resolving the answers again was half of that check)
        self._done: dict[Path, Path] = {}

    def resolve(self, path: Path) -> Path:
        """``path.resolve()``; RuntimeError or OSError as it raises them (a loop of links)."""
        done = self._done.get(path)
        if done is None:
            done = self._done[path] = self._resolve(path)
            self._done.setdefault(done, done)
        return done

    def _resolve(self, path: Path) -> Path:
        if not path.is_absolute() or ".." in path.parts or path.parent == path:
            return path.resolve()
        parent = self._dirs.get(path.parent)
        if parent is None:
            parent = self._dirs[path.parent] = path.parent.resolve()
        candidate = parent / path.name
        try:
            is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
        except OSError:  # not there (yet): resolve() keeps such a path as it is
            return candidate
        return candidate.resolve() if is_link else candidate


def link_out_of(directory: Path, base: Path, max_entries: int) -> tuple[Path, Path] | None:
    """The first symbolic link under ``directory`` whose target lies outside ``base``, with that
    target; None also when more than ``max_entries`` entries were looked at. Entries are met in
    ``os.walk``'s order (each directory's subdirectories, then its files, then the subdirectories'
    contents); the kind of each comes with its directory listing, so only links cost a look more."""
    seen = 0
    pending = [str(directory)]
    while pending:
        try:
            with os.scandir(pending.pop()) as listing:
                entries = list(listing)
        except OSError:
            continue  # unreadable: Helm's loader reports it
        dirs = [e for e in entries if _is_dir(e)]
        for entry in [*dirs, *(e for e in entries if not _is_dir(e))]:
            seen += 1
            if seen > max_entries:
                return None
            if not entry.is_symlink():
                continue
            try:
                target = Path(entry.path).resolve()
            except (OSError, RuntimeError):
                continue  # a loop: Helm's loader reports it
            if not target.is_relative_to(base):
                return Path(entry.path), target
        pending.extend(e.path for e in reversed(dirs) if not e.is_symlink())
    return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # a link to a directory counts as one, as os.walk counts it
    except OSError:
        return False
