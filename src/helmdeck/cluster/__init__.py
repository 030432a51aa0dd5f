"""The cluster port: Kubernetes access through lightkube.

Objects are handled as dicts (the API's shape), so any kind, custom ones included, works the same.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
Its names are listed once, as the imports under ``TYPE_CHECKING`` (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.cluster.client import KubeClient as KubeClient
    from helmdeck.cluster.client import ServerVersion as ServerVersion
    from helmdeck.cluster.client import make_async_client as make_async_client
    from helmdeck.cluster.client import make_client as make_client
    from helmdeck.cluster.client import server_version as server_version
    from helmdeck.cluster.dry_run import DryRun as DryRun
    from helmdeck.cluster.dry_run import dry_run_objects as dry_run_objects
    from helmdeck.cluster.errors import Conflict as Conflict
    from helmdeck.cluster.errors import Forbidden as Forbidden
    from helmdeck.cluster.errors import Gone as Gone
    from helmdeck.cluster.errors import Invalid as Invalid
    from helmdeck.cluster.errors import NotFound as NotFound
    from helmdeck.cluster.errors import Unauthorized as Unauthorized
    from helmdeck.cluster.events import EventSummary as EventSummary
    from helmdeck.cluster.events import recent_events as recent_events
    from helmdeck.cluster.events import summarize_events as summarize_events
    from helmdeck.cluster.failures import FailureReport as FailureReport
    from helmdeck.cluster.failures import diagnose as diagnose
    from helmdeck.cluster.gate_state import ObjectStatus as ObjectStatus
    from helmdeck.cluster.health_state import Health as Health
    from helmdeck.cluster.kinds import KindInfo as KindInfo
    from helmdeck.cluster.kinds import ListQuery as ListQuery
    from helmdeck.cluster.kinds import apply_object as apply_object
    from helmdeck.cluster.kinds import create_object as create_object
    from helmdeck.cluster.kinds import delete_object as delete_object
    from helmdeck.cluster.kinds import get_object as get_object
    from helmdeck.cluster.kinds import kind_info as kind_info
    from helmdeck.cluster.kinds import list_each as list_each
    from helmdeck.cluster.kinds import list_objects as list_objects
    from helmdeck.cluster.kinds import merge_patch_object as merge_patch_object
    from helmdeck.cluster.kinds import replace_object as replace_object
    from helmdeck.cluster.kinds import resource_for as resource_for
    from helmdeck.cluster.lease import LeaseInfo as LeaseInfo
    from helmdeck.cluster.lease import PlatformLock as PlatformLock
    from helmdeck.cluster.lease import default_holder as default_holder
    from helmdeck.cluster.lease import describe as describe
    from helmdeck.cluster.namespaces import NamespaceRemoval as NamespaceRemoval
    from helmdeck.cluster.namespaces import NamespaceState as NamespaceState
    from helmdeck.cluster.namespaces import delete_namespace_if_empty as delete_namespace_if_empty
    from helmdeck.cluster.namespaces import ensure_namespaces as ensure_namespaces
    from helmdeck.cluster.objects import ObjRef as ObjRef
    from helmdeck.cluster.pods import LogTail as LogTail
    from helmdeck.cluster.pods import PodSummary as PodSummary
    from helmdeck.cluster.pods import summarize_pod as summarize_pod
    from helmdeck.cluster.pods import tail_logs as tail_logs
    from helmdeck.cluster.readiness import health as health
    from helmdeck.cluster.snapshot import Snapshot as Snapshot
    from helmdeck.cluster.snapshot import observe as observe
    from helmdeck.cluster.snapshot import observe_snapshot as observe_snapshot
    from helmdeck.cluster.watch import GateResult as GateResult
    from helmdeck.cluster.watch import wait_healthy as wait_healthy


__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
