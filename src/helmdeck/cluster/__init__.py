"""The cluster port: Kubernetes access through lightkube.

Objects are handled as dicts (the API's shape), so any kind, custom ones included, works the same.
"""

from helmdeck.cluster.client import KubeClient, ServerVersion, make_async_client, make_client, server_version
from helmdeck.cluster.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Unauthorized
from helmdeck.cluster.events import EventSummary, recent_events, summarize_events
from helmdeck.cluster.failures import FailureReport, diagnose
from helmdeck.cluster.kinds import (
    KindInfo,
    apply_object,
    delete_object,
    get_object,
    kind_info,
    list_objects,
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
from helmdeck.cluster.readiness import Health, health
from helmdeck.cluster.watch import GateResult, ObjectStatus, observe, wait_healthy

__all__ = [
    "Conflict",
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
    "LogTail",
    "NamespaceRemoval",
    "NamespaceState",
    "NotFound",
    "ObjRef",
    "ObjectStatus",
    "PlatformLock",
    "PodSummary",
    "ServerVersion",
    "Unauthorized",
    "apply_object",
    "default_holder",
    "delete_namespace_if_empty",
    "delete_object",
    "describe",
    "diagnose",
    "ensure_namespaces",
    "get_object",
    "health",
    "kind_info",
    "list_objects",
    "make_async_client",
    "make_client",
    "observe",
    "recent_events",
    "resource_for",
    "server_version",
    "summarize_events",
    "summarize_pod",
    "tail_logs",
    "wait_healthy",
]
