"""Chart dependencies (Chart.yaml ``dependencies``): building ``charts/`` and pinning ``Chart.lock``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import helm_python

from helmdeck.engine.sdk_errors import chart_error
from helmdeck.errors import ConfigError


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
        raise dependency_error(exc, chart_dir) from None
    return dependency_status(chart_dir)


# the SDK registers the repository of dependency N privately as helm-c-dep-N, in a temporary directory
_PRIVATE_REPO = re.compile(r"helm-c-dep-(\d+)")
_NOT_IN_CHARTS = re.compile(r"directory (\S+) not found")


def dependency_error(exc: helm_python.HelmError, chart_dir: Path) -> ConfigError:
    """Helm's failure to build a chart's dependencies, said in the chart's own terms: the repository
    URL of the dependency (not the SDK's temporary name and file for it), and for a dependency
    without ``repository:`` that field, not the network or credentials."""
    detail = " ".join(str(exc.detail or exc).split())
    where = str(chart_dir / "Chart.yaml")
    try:
        declared = dependency_status(chart_dir)
    except ConfigError:
        return chart_error(exc, ref=str(chart_dir))
    private = _PRIVATE_REPO.search(detail)
    if private and int(private.group(1)) < len(declared):
        dep = declared[int(private.group(1))]
        return ConfigError(
            f"chart {chart_dir}: dependency {dep.name} {dep.version}: cannot read the index of its repository "
            f"{dep.repository} (it did not answer, or is not a chart repository)",
            where=where,
            fix=f"check the URL and that {dep.repository} is reachable from here; without a network, build the "
            "dependencies where there is one (helmdeck deps) and bring the chart's charts/ along, or deploy "
            "from a bundle",
        )
    if "out of sync with the dependencies file" in detail:
        return ConfigError(
            f"chart {chart_dir}: Chart.lock no longer matches the dependencies in Chart.yaml",
            where=str(chart_dir / "Chart.lock"),
            fix="run 'helmdeck deps --update' to resolve the dependencies again and rewrite Chart.lock",
        )
    missing = _NOT_IN_CHARTS.search(detail)
    unsourced = [d for d in declared if not d.repository]
    if missing and unsourced:
        named = next((d for d in unsourced if missing.group(1).rstrip("/").endswith(f"/{d.name}")), unsourced[0])
        return ConfigError(
            f"chart {chart_dir}: dependency {named.name} {named.version} has no `repository:`, so Helm looks "
            f"for it in {missing.group(1)}, which does not exist",
            where=where,
            fix=f"add `repository: https://...` (or oci://...) to dependency {named.name} in Chart.yaml, or put "
            f"the chart into charts/{named.name}",
        )
    return chart_error(exc, ref=str(chart_dir))
