"""Chart references: where a component's chart comes from."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from helmdeck.errors import ConfigError


class ChartSource(StrEnum):
    DIRECTORY = "directory"
    ARCHIVE = "archive"
    OCI = "oci"
    REPOSITORY = "repository"


@dataclass(frozen=True)
class RepositoryCredentials:
    """Credentials for a private chart repository or OCI registry (never printed)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ChartRef:
    """A chart's location: a local directory or ``.tgz``, an ``oci://`` reference, or a chart name
    in the HTTP repository ``repo``. ``version`` pins remote charts (an OCI tag works too)."""

    location: str
    repo: str | None = None
    version: str | None = None

    @property
    def source(self) -> ChartSource:
        if self.repo:
            return ChartSource.REPOSITORY
        if self.location.startswith("oci://"):
            return ChartSource.OCI
        if self.location.endswith((".tgz", ".tar.gz")):
            return ChartSource.ARCHIVE
        return ChartSource.DIRECTORY

    @property
    def is_remote(self) -> bool:
        return self.source in (ChartSource.OCI, ChartSource.REPOSITORY)

    def __str__(self) -> str:
        if self.repo:
            return f"{self.repo} {self.location}" + (f" {self.version}" if self.version else "")
        return self.location + (f" (version {self.version})" if self.version else "")

    @classmethod
    def parse(
        cls,
        value: ChartRef | str | os.PathLike[str] | Mapping[str, Any],
        *,
        base_dir: Path | None = None,
    ) -> ChartRef:
        """Read a reference as the platform file writes it: a string, or ``{repo, name, version}``.

        Relative local paths are resolved against ``base_dir`` (the platform file's directory).
        """
        if isinstance(value, ChartRef):
            ref = value
        elif isinstance(value, Mapping):
            ref = cls._from_mapping(value)
        else:
            ref = cls(os.fspath(value))
        if ref.is_remote or base_dir is None or os.path.isabs(ref.location):
            return ref
        return cls(str(base_dir / ref.location), ref.repo, ref.version)

    @classmethod
    def _from_mapping(cls, value: Mapping[str, Any]) -> ChartRef:
        unknown = set(value) - {"repo", "name", "version"}
        if unknown or not value.get("name") or not value.get("repo"):
            raise ConfigError(
                f"a chart given as a mapping needs repo and name (and a version); got keys {sorted(value)}",
                fix="write e.g. {repo: https://charts.example.org, name: redis, version: 19.0.1}",
            )
        name = str(value["name"])
        repo = str(value["repo"])
        version = str(value["version"]) if value.get("version") is not None else None
        if repo.startswith("oci://"):
            # {repo: oci://host/path, name: x} is the OCI reference oci://host/path/x.
            return cls(f"{repo.rstrip('/')}/{name}", None, version)
        return cls(name, repo, version)
