"""``helmdeck undeploy --dry-run``: what an undeploy would do, read from the cluster without
changing it (no lock taken, no namespace made, no claim protected): which releases are uninstalled
in which order, which namespaces go and why, which data is kept or, with ``--purge-data``, deleted,
and what is left. The decisions are the undeploy's own (:mod:`helmdeck.deploy.undeploy_decisions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helmdeck.core.inventory import LeftObject, PlatformInventory
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.undeploy import teardown_graph
from helmdeck.deploy.undeploy_decisions import NamespaceFate, NamespaceReader, left_behind, namespace_fates, purge_list
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.serialize import JsonObject


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
class UndeployPreview(JsonObject):
    # constants the JSON carries first: programs reading either undeploy output tell them apart by them
    dry_run: ClassVar[bool] = True
    operation: ClassVar[str] = "undeploy"

    platform: str
    purge_data: bool
    releases: list[PlannedUninstall] = field(default_factory=list)
    namespaces: list[NamespaceFate] = field(default_factory=list)
    kept_data: list[str] = field(default_factory=list)
    deleted_data: list[str] = field(default_factory=list)
    left: list[LeftObject] = field(default_factory=list)

    __json_computed__ = ("dry_run", "operation")
    __json_order__ = (
        "dryRun",
        "operation",
        "platform",
        "purgeData",
        "releases",
        "namespaces",
        "keptData",
        "deletedData",
        "left",
    )


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
    inventory = PlatformInventory.read(s, live, leftovers=True)
    if purge_data:
        preview.deleted_data = purge_list(inventory)
    else:
        preview.kept_data = inventory.data()
    contents = NamespaceReader(s.client)
    preview.namespaces = namespace_fates(inventory, contents, purge=purge_data)
    preview.left = left_behind(inventory, preview.namespaces, contents, purge=purge_data)
    return preview


def _planned(name: str, rel: Release, step: int) -> PlannedUninstall:
    note = ""
    if rel.status.pending:
        note = f"stuck {rel.status.value}: recovered by uninstalling it (with hooks disabled if they fail)"
    elif rel.status is ReleaseStatus.UNINSTALLED:
        note = "already uninstalled (history kept): its history is removed"
    return PlannedUninstall(step, name, rel.name, rel.namespace, rel.status.value, rel.revision, rel.chart, note)
