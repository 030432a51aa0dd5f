"""Whether Helm would refuse a chart on a cluster for its ``kubeVersion``: one verdict that the
doctor's preflight reports and the plan shows (a chart Helm refuses is not "to install")."""

from __future__ import annotations

from dataclasses import dataclass

from helmdeck.cluster import ServerVersion
from helmdeck.core.kube_version import ConstraintError, Version, satisfies


@dataclass(frozen=True)
class KubeVersionRefusal:
    """Why Helm refuses a chart: its constraint is invalid, or excludes the cluster's version."""

    constraint: str
    cluster: str
    invalid: str = ""  # the parse error of an invalid constraint

    @property
    def message(self) -> str:
        if self.invalid:
            return (
                f"Chart.yaml kubeVersion {self.constraint!r} is not a valid constraint ({self.invalid}); "
                "Helm refuses to install the chart"
            )
        return f"requires Kubernetes {self.constraint}, but the cluster runs {self.cluster}"

    @property
    def fix(self) -> str:
        if self.invalid:
            return "fix kubeVersion in the chart's Chart.yaml (for example >=1.25.0-0), or use another chart version"
        return "use a version of the chart that supports this Kubernetes version, or upgrade the cluster"


def cluster_version_text(version: ServerVersion) -> str:
    """The version Helm compares constraints with: the full gitVersion when it parses."""
    cluster = version.git_version or f"v{version.semver}"
    try:
        Version.parse(cluster)
    except ConstraintError:
        cluster = f"v{version.semver}"
    return cluster


def kube_version_refusal(constraint: str | None, version: ServerVersion) -> KubeVersionRefusal | None:
    """Why Helm would refuse a chart with ``constraint`` on a cluster at ``version``; None when it
    would not (no constraint, or one the cluster meets)."""
    if not constraint:
        return None
    cluster = cluster_version_text(version)
    try:
        ok = satisfies(constraint, cluster)
    except ConstraintError as err:
        return KubeVersionRefusal(constraint, cluster, invalid=str(err))
    return None if ok else KubeVersionRefusal(constraint, cluster)
