"""Where a GitOps tool fetches each component's chart from.

Remote charts are fetched where helmdeck fetches them (an HTTP chart repository, an OCI
registry), pinned to the platform file's version. Local charts (a directory or ``.tgz`` next to
the platform file) are fetched from the Git repository the platform file is committed to: the
chart's path relative to the repository's top, at a branch. The repository's URL is ``--git-url``,
else the work tree's ``origin`` remote; a GitOps controller cannot read the operator's disk, so a
local chart without either is an error.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from helmdeck.gitops.errors import ExportError
from helmdeck.spec.models import ChartRef, Component
from helmdeck.spec.platform import Platform

_SCP_LIKE = re.compile(r"^(?P<user>[^@/]+)@(?P<host>[^:/]+):(?P<path>.+)$")
_URL = re.compile(r"^(https?|ssh)://.+")


@dataclass(frozen=True)
class GitSource:
    url: str
    branch: str
    root: Path


@dataclass(frozen=True)
class ChartLocation:
    """``kind`` git: ``path`` in the platform's Git repository; helm: chart ``name`` in the repository
    ``url``; oci: the chart artifact ``url`` (``oci://…``, without the tag)."""

    kind: Literal["git", "helm", "oci"]
    url: str
    name: str
    version: str | None = None
    path: str | None = None

    def describe(self) -> str:
        if self.kind == "git":
            return f"{self.url} {self.path}"
        if self.kind == "helm":
            return f"{self.url} {self.name} {self.version}"
        return f"{self.url}:{self.version}"


def _git(cwd: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "-C", str(cwd), *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def normalize_git_url(url: str) -> str:
    """``git@host:org/repo.git`` as ``ssh://git@host/org/repo.git`` (Flux takes URLs only)."""
    match = _SCP_LIKE.match(url)
    if match and "://" not in url:
        return f"ssh://{match['user']}@{match['host']}/{match['path']}"
    return url


def git_source(platform: Platform, url: str | None, branch: str | None) -> GitSource:
    """The repository holding the platform's local charts."""
    base = platform.base_dir
    top = _git(base, "rev-parse", "--show-toplevel")
    root = Path(top) if top else base
    where = f"{platform.where(('spec', 'components'))}"
    if url is None:
        url = _git(base, "remote", "get-url", "origin") if top else None
        if url is None:
            raise ExportError(
                "the platform has local charts, and a GitOps controller fetches them from Git, "
                f"but {base} has no `origin` remote to name the repository",
                where=where,
                fix="pass --git-url URL (the repository this directory is pushed to), "
                "or give the components remote charts",
            )
    url = normalize_git_url(url)
    if not _URL.match(url):
        raise ExportError(
            f"Git URL {url!r} is not an http(s):// or ssh:// URL",
            where="--git-url",
            fix="write e.g. https://git.example.org/lab/platforms.git or ssh://git@git.example.org/lab/platforms.git",
        )
    if branch is None:
        # symbolic-ref also names a branch without commits yet, and fails on a detached HEAD
        current = _git(base, "symbolic-ref", "--short", "HEAD") if top else None
        branch = current or "main"
    return GitSource(url=url, branch=branch, root=root.resolve())


def split_oci(reference: str) -> tuple[str, str, str | None]:
    """``oci://host:5000/path/name:1.2`` -> (``oci://host:5000/path/name``, ``name``, ``1.2``)."""
    head, _, last = reference.rpartition("/")
    name, colon, tag = last.partition(":")
    return f"{head}/{name}", name, tag if colon else None


def chart_location(platform: Platform, index: int, git: GitSource | None) -> ChartLocation:
    comp: Component = platform.components[index]
    where = platform.where(("spec", "components", index, "chart"))
    chart = comp.chart
    if isinstance(chart, ChartRef):
        if chart.repo.startswith("oci://"):
            return ChartLocation("oci", f"{chart.repo.rstrip('/')}/{chart.name}", chart.name, chart.version)
        return ChartLocation("helm", chart.repo, chart.name, chart.version)
    if comp.chart_kind == "oci":
        if "@" in chart:
            raise ExportError(
                f"chart {chart!r} is pinned by digest, which this export does not write",
                where=where,
                fix="pin the chart by tag (oci://host/path/name:1.2.3)",
            )
        url, name, tag = split_oci(chart)
        if tag is None:
            raise ExportError(
                f"chart {chart!r} has no tag: a GitOps controller would follow whatever is pushed last",
                where=where,
                fix=f"pin a version, e.g. {chart}:1.2.3",
            )
        return ChartLocation("oci", url, name, tag)
    assert git is not None
    path = Path(chart).resolve()
    try:
        rel = path.relative_to(git.root)
    except ValueError:
        raise ExportError(
            f"chart {path} lies outside the Git repository {git.root}, so a GitOps controller cannot fetch it",
            where=where,
            fix="move the chart into the repository, or publish it to a chart repository and reference it there",
        ) from None
    return ChartLocation("git", git.url, path.name, None, f"./{rel.as_posix()}")


def needs_git(platform: Platform) -> bool:
    return any(c.chart_kind in ("dir", "archive") for c in platform.components)


def repository_name(prefix: str, url: str) -> str:
    """A stable object name for a chart repository: readable host, and a hash for uniqueness."""
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0]
    readable = re.sub(r"[^a-z0-9-]+", "-", host.lower()).strip("-")[:30]
    return f"{prefix}-{readable}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
