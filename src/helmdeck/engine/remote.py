"""Pulling remote charts (``oci://`` references and HTTP repositories) into a local cache.

A pinned chart (name and version) is pulled once and kept as ``<name>-<version>.tgz`` under a
directory per registry path or repository; an unpinned one is pulled each time, since what it means
can change. Pulls land in a temporary directory and are moved into place, so a concurrent reader
never sees half an archive. Credentials go to the library in process (never on a command line) and
registry logins use a throwaway credentials file, leaving the user's Helm configuration alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import helm_python

from helmdeck.engine.refs import ChartRef, ChartSource, RepositoryCredentials
from helmdeck.engine.sdk_errors import chart_error
from helmdeck.errors import ConfigError


def split_oci(reference: str) -> tuple[str, str, str | None]:
    """``oci://host:5000/path/name:1.2`` -> (``oci://host:5000/path/name``, ``name``, ``1.2``)."""
    base, at, digest = reference.partition("@")
    head, _, last = base.rpartition("/")
    name, colon, tag = last.partition(":")
    version = tag if colon else None
    if at:
        version = f"{version}@{digest}" if version else digest
    return f"{head}/{name}", name, version


def _slug(text: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("_")[:60]
    return f"{readable}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def _host(reference: str) -> str:
    return reference.removeprefix("oci://").split("/", 1)[0]


@contextlib.contextmanager
def _registry_client(
    host: str, credentials: RepositoryCredentials | None, workdir: Path
) -> Iterator[helm_python.RegistryClient | None]:
    if credentials is None:
        yield None
        return
    with helm_python.RegistryClient(credentials_file=workdir / "registry.json") as client:
        client.login(host, credentials.username, credentials.password)
        yield client


def _pull(ref: ChartRef, workdir: Path, credentials: RepositoryCredentials | None) -> Path:
    if ref.source is ChartSource.OCI:
        base, _, tag = split_oci(ref.location)
        version = ref.version or tag
        with _registry_client(_host(base), credentials, workdir) as client:
            helm_python.pull(base, client=client, destination=workdir, version=version)
    else:
        helm_python.pull(
            ref.location,
            repo_url=ref.repo,
            version=ref.version,
            destination=workdir,
            username=credentials.username if credentials else None,
            password=credentials.password if credentials else None,
        )
    archives = sorted(workdir.glob("*.tgz"))
    if len(archives) != 1:
        raise ConfigError(f"pulling chart {ref} produced {len(archives)} archives", where=str(ref))
    return archives[0]


def cache_entry(ref: ChartRef, cache_dir: Path) -> Path | None:
    """Where a pinned chart lives in the cache; None for an unpinned reference."""
    if ref.source is ChartSource.OCI:
        base, name, tag = split_oci(ref.location)
        version = ref.version or tag
        place = base.rpartition("/")[0]
    else:
        name, version, place = ref.location, ref.version, ref.repo or ""
    if not version:
        return None
    return cache_dir / _slug(place) / f"{name}-{_slug(version) if '@' in version else version}.tgz"


def fetch_chart(ref: ChartRef, cache_dir: Path, credentials: RepositoryCredentials | None = None) -> Path:
    """The local ``.tgz`` of a remote chart, pulled into ``cache_dir`` unless already there."""
    target = cache_entry(ref, cache_dir)
    if target is not None and target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pull-", dir=cache_dir) as tmp:
        try:
            pulled = _pull(ref, Path(tmp), credentials)
        except helm_python.HelmError as exc:
            raise chart_error(exc, ref=str(ref)) from None
        if target is None:
            target = cache_dir / "unpinned" / _slug(str(ref)) / pulled.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(pulled, target)
    return target
