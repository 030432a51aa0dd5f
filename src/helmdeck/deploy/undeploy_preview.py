"""``helmdeck undeploy --dry-run``: what an undeploy would do, read from the cluster without
changing it (no lock taken, no namespace made, no claim protected): which releases are uninstalled
in which order, which namespaces go, and which data is kept or, with ``--purge-data``, deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster.namespaces import get_namespace, is_managed
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.claims import platform_claims, release_claims
from helmdeck.deploy.undeploy import data_inventory, teardown_graph
from helmdeck.engine.releases import Release, ReleaseStatus


@dataclass
class PlannedUninstall:
    step: int  # releases of one step are uninstalled together, after every earlier step
    component: str
    release: str
    namespace: str
    status: str
    revision: int
    chart: str
    note: str = ""


@dataclass
class PlannedNamespace:
    name: str
    deleted: bool
    reason: str


@dataclass
class UndeployPreview:
    platform: str
    purge_data: bool
    releases: list[PlannedUninstall] = field(default_factory=list)
    namespaces: list[PlannedNamespace] = field(default_factory=list)
    kept_data: list[str] = field(default_factory=list)
    deleted_data: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        from helmdeck.serialize import to_json_data

        return {
            "dryRun": True,
            "operation": "undeploy",
            "platform": self.platform,
            "purgeData": self.purge_data,
            "releases": to_json_data(self.releases),
            "namespaces": to_json_data(self.namespaces),
            "keptData": self.kept_data,
            "deletedData": self.deleted_data,
        }


def steps(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each task's step (1 = first) in a run of ``graph`` (task -> tasks it waits for)."""
    out: dict[str, int] = {}
    left = dict(graph)
    step = 1
    while left:
        ready = sorted(n for n, waits in left.items() if all(w in out for w in waits))
        if not ready:  # a cycle (validation refuses them): the rest goes last, together
            ready = sorted(left)
        for n in ready:
            out[n] = step
            del left[n]
        step += 1
    return out


def preview_undeploy(session: PlatformSession, *, purge_data: bool = False) -> UndeployPreview:
    s = session
    preview = UndeployPreview(s.platform_id, purge_data)
    live = s.live_releases()
    order = steps(teardown_graph(s, live))
    for name in sorted(live, key=lambda n: (order[n], n)):
        preview.releases.append(_planned(name, live[name], order[name]))
    owned = [release_claims(s.engine, name, rel) for name, rel in live.items()]
    data = data_inventory(s, owned)
    if purge_data:
        preview.deleted_data = data
    else:
        preview.kept_data = data
    claims = platform_claims(s.client, s.platform_id, s.platform.all_namespaces(), owned)
    holding = {c.namespace for c in claims} if not purge_data else set()
    preview.namespaces = _namespaces(s, holding, purge_data)
    return preview


def _planned(name: str, rel: Release, step: int) -> PlannedUninstall:
    note = ""
    if rel.status.pending:
        note = f"stuck {rel.status.value}: recovered by uninstalling it (with hooks disabled if they fail)"
    elif rel.status is ReleaseStatus.UNINSTALLED:
        note = "already uninstalled (history kept): its history is removed"
    return PlannedUninstall(step, name, rel.name, rel.namespace, rel.status.value, rel.revision, rel.chart, note)


def _namespaces(s: PlatformSession, holding_data: set[str], purge_data: bool) -> list[PlannedNamespace]:
    out = []
    admin = s.admin_namespace
    for ns in dict.fromkeys([admin, *s.platform.all_namespaces()]):
        found = get_namespace(s.client, ns)
        if found is None:
            out.append(PlannedNamespace(ns, False, "does not exist"))
        elif not is_managed(found, s.platform_id):
            out.append(PlannedNamespace(ns, False, f"not created by helmdeck for platform {s.platform_id}; kept"))
        elif ns == admin and not purge_data:
            out.append(PlannedNamespace(ns, False, "keeps the secrets store and history"))
        elif ns == admin:
            out.append(PlannedNamespace(ns, True, "goes with the secrets store, history and the platform's lock"))
        elif ns in holding_data:
            out.append(PlannedNamespace(ns, False, "holds the platform's kept volume claims"))
        else:
            out.append(PlannedNamespace(ns, True, "once the releases are gone, if nothing else is left in it"))
    return out
