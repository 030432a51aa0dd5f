"""The cluster port: Kubernetes access through lightkube.

Objects are handled as dicts (the API's shape), so any kind, custom ones included, works the same.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.cluster.client import KubeClient, ServerVersion, make_async_client, make_client, server_version
    from helmdeck.cluster.dry_run import DryRun, dry_run_apply, dry_run_create
    from helmdeck.cluster.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Unauthorized
    from helmdeck.cluster.events import EventSummary, recent_events, summarize_events
    from helmdeck.cluster.failures import FailureReport, diagnose
    from helmdeck.cluster.gate_state import ObjectStatus
    from helmdeck.cluster.health_state import Health
    from helmdeck.cluster.kinds import (
        KindInfo,
        ListQuery,
        apply_object,
        create_object,
        delete_object,
        get_object,
        kind_info,
        list_each,
        list_objects,
        merge_patch_object,
        replace_object,
        resource_for,
    )
    from helmdeck.cluster.lease import LeaseInfo, PlatformLock, default_holder, describe
    from helmdeck.cluster.namespaces import (
        NamespaceRemoval,
        NamespaceState,
        delete_namespace_if_empty,
        ensure_namespaces,
    )
    from helmdeck.cluster.objects import ObjRef
    from helmdeck.cluster.pods import LogTail, PodSummary, summarize_pod, tail_logs
    from helmdeck.cluster.readiness import health
    from helmdeck.cluster.snapshot import Snapshot, observe, observe_snapshot
    from helmdeck.cluster.watch import GateResult, wait_healthy

_EXPORTS: dict[str, tuple[str, str]] = {
    "KubeClient": ("helmdeck.cluster.client", "KubeClient"),
    "ServerVersion": ("helmdeck.cluster.client", "ServerVersion"),
    "make_async_client": ("helmdeck.cluster.client", "make_async_client"),
    "make_client": ("helmdeck.cluster.client", "make_client"),
    "server_version": ("helmdeck.cluster.client", "server_version"),
    "DryRun": ("helmdeck.cluster.dry_run", "DryRun"),
    "dry_run_apply": ("helmdeck.cluster.dry_run", "dry_run_apply"),
    "dry_run_create": ("helmdeck.cluster.dry_run", "dry_run_create"),
    "Conflict": ("helmdeck.cluster.errors", "Conflict"),
    "Forbidden": ("helmdeck.cluster.errors", "Forbidden"),
    "Gone": ("helmdeck.cluster.errors", "Gone"),
    "Invalid": ("helmdeck.cluster.errors", "Invalid"),
    "NotFound": ("helmdeck.cluster.errors", "NotFound"),
    "Unauthorized": ("helmdeck.cluster.errors", "Unauthorized"),
    "EventSummary": ("helmdeck.cluster.events", "EventSummary"),
    "recent_events": ("helmdeck.cluster.events", "recent_events"),
    "summarize_events": ("helmdeck.cluster.events", "summarize_events"),
    "FailureReport": ("helmdeck.cluster.failures", "FailureReport"),
    "diagnose": ("helmdeck.cluster.failures", "diagnose"),
    "KindInfo": ("helmdeck.cluster.kinds", "KindInfo"),
    "apply_object": ("helmdeck.cluster.kinds", "apply_object"),
    "create_object": ("helmdeck.cluster.kinds", "create_object"),
    "replace_object": ("helmdeck.cluster.kinds", "replace_object"),
    "merge_patch_object": ("helmdeck.cluster.kinds", "merge_patch_object"),
    "delete_object": ("helmdeck.cluster.kinds", "delete_object"),
    "get_object": ("helmdeck.cluster.kinds", "get_object"),
    "kind_info": ("helmdeck.cluster.kinds", "kind_info"),
    "list_objects": ("helmdeck.cluster.kinds", "list_objects"),
    "list_each": ("helmdeck.cluster.kinds", "list_each"),
    "ListQuery": ("helmdeck.cluster.kinds", "ListQuery"),
    "resource_for": ("helmdeck.cluster.kinds", "resource_for"),
    "LeaseInfo": ("helmdeck.cluster.lease", "LeaseInfo"),
    "PlatformLock": ("helmdeck.cluster.lease", "PlatformLock"),
    "default_holder": ("helmdeck.cluster.lease", "default_holder"),
    "describe": ("helmdeck.cluster.lease", "describe"),
    "NamespaceRemoval": ("helmdeck.cluster.namespaces", "NamespaceRemoval"),
    "NamespaceState": ("helmdeck.cluster.namespaces", "NamespaceState"),
    "delete_namespace_if_empty": ("helmdeck.cluster.namespaces", "delete_namespace_if_empty"),
    "ensure_namespaces": ("helmdeck.cluster.namespaces", "ensure_namespaces"),
    "ObjRef": ("helmdeck.cluster.objects", "ObjRef"),
    "LogTail": ("helmdeck.cluster.pods", "LogTail"),
    "PodSummary": ("helmdeck.cluster.pods", "PodSummary"),
    "summarize_pod": ("helmdeck.cluster.pods", "summarize_pod"),
    "tail_logs": ("helmdeck.cluster.pods", "tail_logs"),
    "Health": ("helmdeck.cluster.health_state", "Health"),
    "health": ("helmdeck.cluster.readiness", "health"),
    "GateResult": ("helmdeck.cluster.watch", "GateResult"),
    "ObjectStatus": ("helmdeck.cluster.gate_state", "ObjectStatus"),
    "observe": ("helmdeck.cluster.snapshot", "observe"),
    "observe_snapshot": ("helmdeck.cluster.snapshot", "observe_snapshot"),
    "Snapshot": ("helmdeck.cluster.snapshot", "Snapshot"),
    "wait_healthy": ("helmdeck.cluster.watch", "wait_healthy"),
}

__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "Conflict",
    "DryRun",
    "EventSummary",
    "FailureReport",
    "Forbidden",
    "GateResult",
    "Gone",
    "Health",
    "Invalid",
    "KindInfo",
    "KubeClient",
    "LeaseInfo",
    "ListQuery",
    "LogTail",
    "NamespaceRemoval",
    "NamespaceState",
    "NotFound",
    "ObjRef",
    "ObjectStatus",
    "PlatformLock",
    "PodSummary",
    "ServerVersion",
    "Snapshot",
    "Unauthorized",
    "apply_object",
    "create_object",
    "default_holder",
    "delete_namespace_if_empty",
    "delete_object",
    "describe",
    "diagnose",
    "dry_run_apply",
    "dry_run_create",
    "ensure_namespaces",
    "get_object",
    "health",
    "kind_info",
    "list_each",
    "list_objects",
    "make_async_client",
    "make_client",
    "merge_patch_object",
    "observe",
    "observe_snapshot",
    "recent_events",
    "replace_object",
    "resource_for",
    "server_version",
    "summarize_events",
    "summarize_pod",
    "tail_logs",
    "wait_healthy",
]
