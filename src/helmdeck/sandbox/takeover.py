"""Leases a restarted sandbox must hand over before it works again.

A component started again after its process died finds its old Lease still in etcd, held by the
dead process. kube-scheduler and kube-controller-manager wait for the leader Lease to expire
(about 15 s), and the kwok controller never takes a node's Lease it did not create, so it stops
driving that node's pods until the 200 s node Lease runs out. In that window every pod stays
Pending and preflight reports a dead control plane. The sandbox is ours and the holders are known
dead, so their stale leases are deleted: the new processes take them at their next try.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from helmdeck.errors import ClusterError, SandboxError

if TYPE_CHECKING:
    from pathlib import Path

    from helmdeck.cluster import KubeClient

#: the leader Lease (kube-system) of each control-plane component that holds one
LEADER_LEASES = {"kube-scheduler": "kube-scheduler", "kube-controller-manager": "kube-controller-manager"}
NODE_LEASE_NAMESPACE = "kube-node-lease"


def _renewed(lease: dict[str, object]) -> datetime | None:
    from helmdeck.cluster.events import parse_time

    spec = lease.get("spec")
    if not isinstance(spec, dict):
        return None
    return parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))


def _leases(restarted: Iterable[str], nodes: Iterable[str]) -> list[tuple[str, str]]:
    """(namespace, name) of the leases the restarted components must hold again."""
    wanted = [("kube-system", LEADER_LEASES[c]) for c in restarted if c in LEADER_LEASES]
    if "kwok-controller" in restarted:
        wanted += [(NODE_LEASE_NAMESPACE, node) for node in nodes]
    return wanted


def release_stale_leases(
    client: KubeClient, restarted: list[str], nodes: list[str], since: datetime
) -> list[tuple[str, str]]:
    """Delete the leases of ``restarted`` components last renewed before ``since`` (their dead holders'
    leases); (namespace, name) of each one deleted."""
    from helmdeck.cluster import ObjRef, delete_object, get_object

    deleted = []
    for namespace, name in _leases(restarted, nodes):
        ref = ObjRef("coordination.k8s.io/v1", "Lease", name, namespace)
        lease = get_object(client, ref)
        renewed = _renewed(lease) if lease else None
        if lease is not None and (renewed is None or renewed < since) and delete_object(client, ref):
            deleted.append((namespace, name))
    return deleted


def wait_leases_renewed(
    client: KubeClient, restarted: list[str], nodes: list[str], since: datetime, timeout: float, logs: Path
) -> None:
    """Return once every lease the restarted components hold was renewed after ``since``."""
    from helmdeck.cluster import ObjRef, get_object

    waiting = _leases(restarted, nodes)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        still = []
        for namespace, name in waiting:
            lease = None
            with contextlib.suppress(ClusterError):  # the API server may still be settling
                lease = get_object(client, ObjRef("coordination.k8s.io/v1", "Lease", name, namespace))
            renewed = _renewed(lease) if lease else None
            if renewed is None or renewed < since:
                still.append((namespace, name))
        waiting = still
        if waiting:
            time.sleep(0.3)
    if waiting:
        names = ", ".join(f"{ns}/{name}" for ns, name in waiting)
        raise SandboxError(
            f"restarted sandbox components did not take their leases within {timeout:.0f}s: {names}",
            where=str(logs),
            fix="read the component logs there; 'helmdeck sandbox down' then 'up' starts a new, empty sandbox",
        )
