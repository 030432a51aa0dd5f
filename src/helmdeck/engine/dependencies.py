"""Chart dependencies (Chart.yaml ``dependencies``): building ``charts/`` and pinning ``Chart.lock``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import helm_python

from helmdeck.engine.sdk_errors import chart_error


@dataclass(frozen=True)
class DependencyStatus:
    """``status`` is Helm's: ok, missing, unpacked, wrong version, invalid version, corrupt, ..."""

    name: str
    version: str
    repository: str
    status: str

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "unpacked")


def dependency_status(chart_dir: Path) -> list[DependencyStatus]:
    """Each declared dependency of a chart directory and whether ``charts/`` satisfies it."""
    try:
        listed = helm_python.dependency_list(chart_dir)
    except helm_python.HelmError as exc:
        raise chart_error(exc, ref=str(chart_dir)) from None
    return [
        DependencyStatus(
            str(d.get("name", "")),
            str(d.get("version", "")),
            str(d.get("repository", "")),
            str(d.get("status", "")),
        )
        for d in listed
    ]


def build_dependencies(chart_dir: Path, *, update: bool = False) -> list[DependencyStatus]:
    """Fill ``charts/`` from ``Chart.lock``; resolve and (re)write the lock when there is none or
    when ``update`` is set. Repositories are registered privately, not in the user's Helm config."""
    try:
        if update or not (chart_dir / "Chart.lock").is_file():
            helm_python.dependency_update(chart_dir)
        else:
            helm_python.dependency_build(chart_dir)
    except helm_python.HelmError as exc:
        raise chart_error(exc, ref=str(chart_dir)) from None
    return dependency_status(chart_dir)
