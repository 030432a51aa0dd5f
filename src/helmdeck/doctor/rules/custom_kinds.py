"""Custom resources need their kind served when Helm installs them: by the cluster already, by a
CRD in the chart's ``crds/`` directory (applied first), or by a component deployed earlier."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helmdeck.doctor.findings import Finding
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.doctor.rules.providers import install_hint
from helmdeck.manifests import PlacedObject, is_builtin
from helmdeck.manifests.crds import crd_versions

#: (apiVersion, kind) -> whether the cluster serves it right now
Served = Callable[[str, str], bool]


@dataclass(frozen=True)
class CrdSource:
    component: str
    versions: tuple[str, ...]
    in_crds_dir: bool
    plural: str


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def crd_served_versions(crd: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(crd_versions(crd))


def platform_crds(view: PlatformView) -> dict[tuple[str, str], list[CrdSource]]:
    """CRDs the platform installs, by (group, kind)."""
    out: dict[tuple[str, str], list[CrdSource]] = defaultdict(list)
    for placed in view:
        if placed.key.kind != "CustomResourceDefinition" or placed.key.group != "apiextensions.k8s.io":
            continue
        spec = _map(placed.obj.body.get("spec"))
        names = _map(spec.get("names"))
        if not names.get("kind"):
            continue
        out[(str(spec.get("group", "")), str(names["kind"]))].append(
            CrdSource(
                placed.component,
                crd_served_versions(placed.obj.body),
                view.is_chart_crd(placed),
                str(names.get("plural") or ""),
            )
        )
    return out


def check_custom_kinds(
    view: PlatformView, served: Served, cluster_versions: Mapping[tuple[str, str], tuple[str, ...]]
) -> list[Finding]:
    """One finding per component and custom kind it uses that will not be served at install time.

    ``cluster_versions`` lists the versions the cluster's CRDs serve, by (group, kind), to tell
    "wrong version" from "not installed at all".
    """
    crds = platform_crds(view)
    uses: dict[tuple[str, str, str, str], list[PlacedObject]] = defaultdict(list)
    for placed in view:
        obj = placed.obj
        if is_builtin(obj.group, obj.kind):
            continue
        uses[(placed.component, obj.group, obj.kind, obj.api_version)].append(placed)
    findings: list[Finding] = []
    for (component, group, kind, api_version), objects in uses.items():
        if served(api_version, kind):
            continue
        version = api_version.rpartition("/")[2]
        sources = [s for s in crds.get((group, kind), []) if version in s.versions]
        before = view.installed_before(component)
        if any(s.component in before or (s.component == component and s.in_crds_dir) for s in sources):
            continue
        first = objects[0]
        what = str(first.ref) + (f" (and {len(objects) - 1} more)" if len(objects) > 1 else "")
        details = {"group": group, "kind": kind, "apiVersion": api_version}
        reason, fix = _why_not_served(component, group, kind, api_version, sources, cluster_versions)
        findings.append(Finding("error", "custom-kind", component, what, reason, fix, details))
    return findings


def _why_not_served(
    component: str,
    group: str,
    kind: str,
    api_version: str,
    sources: Sequence[CrdSource],
    cluster_versions: Mapping[tuple[str, str], tuple[str, ...]],
) -> tuple[str, str]:
    """Why the kind will not be served when the component installs, and the fix."""
    version = api_version.rpartition("/")[2]
    own = [s for s in sources if s.component == component]
    others = sorted({s.component for s in sources if s.component != component})
    if own:
        reason = (
            f"{kind} ({api_version}) is defined by a CRD in component {component}'s own templates; "
            "Helm cannot create a resource whose CRD it installs in the same step"
        )
        fix = (
            "move the CustomResourceDefinition into the chart's crds/ directory, or into a component "
            f"that {component} needs"
        )
    elif others:
        reason = (
            f"{kind} ({api_version}) comes from a CRD installed by component {', '.join(others)}, "
            f"which {component} does not need, so it may not exist yet when {component} installs"
        )
        fix = f"add `needs: [{others[0]}]` to component {component} in the platform file"
    elif cluster_versions.get((group, kind)):
        have = ", ".join(cluster_versions[(group, kind)])
        reason = f"the cluster serves {kind}.{group} in version {have}, not {version}"
        fix = (
            f"upgrade the operator that owns {kind} to one serving {version} ({install_hint(group, kind)}), "
            f"or set the chart's values to render apiVersion {group}/{have.split(', ')[0]}"
        )
    else:
        reason = (
            f"the cluster does not serve {kind} ({api_version}) and no component of the platform "
            "installs its CustomResourceDefinition"
        )
        fix = (
            f"install the operator first: {install_hint(group, kind)}; or add it as a component and list "
            f"it in {component}'s needs"
        )
    return reason, fix
