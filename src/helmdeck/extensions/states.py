"""An installed extension's state as Kaapana's extension page names it: installed, pending, failed,
uninstalling, and completed for a one-shot extension (a chart of Jobs only, such as Kaapana's
``kaapanaint`` ones, whose Jobs have all finished).

Decided from the release's Helm status, the component's health (the same as ``status``) and its
objects; an install or uninstall the web service is running for the extension counts too, since
Helm shows a release ``uninstalling`` only for the moment it deletes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

State = Literal["installed", "pending", "failed", "uninstalling", "completed"]
STATES: tuple[State, ...] = ("installed", "pending", "failed", "uninstalling", "completed")

#: kinds that run something; a chart whose only ones are Jobs is a one-shot extension
_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"})


def one_shot(objects: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a release's objects (status rows: ``{"object": {"kind"...}, ...}``) run only Jobs."""
    kinds = {str((row.get("object") or {}).get("kind", "")) for row in objects}
    workloads = kinds & _WORKLOADS
    return bool(workloads) and workloads == {"Job"}


def extension_state(row: Mapping[str, Any], objects: Iterable[Mapping[str, Any]] = ()) -> State:
    """``row``: an installed extension with its Helm ``status`` and component ``health``."""
    status, health = str(row.get("status", "")), str(row.get("health", ""))
    if status == "uninstalling":
        return "uninstalling"
    if status.startswith("pending-"):
        return "pending"
    if status == "failed" or health == "failed":
        return "failed"
    if health == "progressing":
        return "pending"
    if status == "deployed" and health == "healthy" and one_shot(objects):
        return "completed"
    return "installed"


def with_operations(rows: list[dict[str, Any]], running: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the state an operation in progress gives them: an uninstall running for a
    component makes it ``uninstalling`` (an install shows as ``pending`` from its release already)."""
    uninstalling = {str(op.get("target")) for op in running if op.get("kind") == "ext uninstall"}
    for row in rows:
        if row.get("component") in uninstalling:
            row["state"] = "uninstalling"
    return rows
