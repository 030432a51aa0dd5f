"""Preflight: the platform checked against the cluster before a deploy changes anything (``helmdeck
doctor``; deploy runs it too). This module runs the checks of the modules it imports, each fact read
once.
"""

from __future__ import annotations

import time

from helmdeck.cluster import (
    ObjRef,
    get_object,
    list_objects,
)
from helmdeck.cluster.namespaces import foreign_namespaces
from helmdeck.core.session import PlatformSession
from helmdeck.doctor.capacity import check_capacity
from helmdeck.doctor.connection import check_identity, connect
from helmdeck.doctor.control_plane import check_control_plane
from helmdeck.doctor.custom_kinds import check_custom_kinds
from helmdeck.doctor.desired import PlatformView
from helmdeck.doctor.desired_view import custom_kinds_used, render_platform
from helmdeck.doctor.findings import DoctorReport, Finding
from helmdeck.doctor.ingress_checks import check_ingress
from helmdeck.doctor.permission_needs import permission_needs
from helmdeck.doctor.permissions import check_permissions, review_with
from helmdeck.doctor.preflight_run import PreflightRun, by_name, served_kind
from helmdeck.doctor.quota_checks import check_namespace_quotas
from helmdeck.doctor.registry import check_offline_images, check_pull_secret
from helmdeck.doctor.storage import check_storage
from helmdeck.doctor.version_checks import check_kube_versions, crd_versions
from helmdeck.errors import HelmdeckError
from helmdeck.manifests.inventory import inventory


def run_preflight(session: PlatformSession, *, offline: bool = False) -> DoctorReport:
    """Check the platform's desired state against the cluster; errors mean a deploy would fail."""
    start = time.monotonic()
    report = DoctorReport(session.platform_id, session.environment, "preflight")
    run = PreflightRun(session, report)
    if connect(run):
        check_identity(run)
    view = render_platform(run)
    if offline:
        report.checks.append("offline-images")
        images = inventory({c.name: (c.namespace, c.objects) for c in view.components.values()}).images
        registry = session.platform.spec.registry
        report.extend(check_offline_images(images, registry.url if registry else None))
    if run.client is not None:
        _check_cluster(run, view)
    report.seconds = time.monotonic() - start
    return report


def check_before_deploy(session: PlatformSession, *, offline: bool = False) -> DoctorReport:
    """The checks deploy runs before it changes anything; ``report.raise_for_errors()`` then stops
    the deploy on errors. Preflight only reads the cluster (it creates no secret, namespace or
    release), so a platform it stops leaves nothing behind.
    """
    return run_preflight(session, offline=offline)


def _check_cluster(run: PreflightRun, view: PlatformView) -> None:
    client, report, platform = run.client, run.report, run.session.platform
    assert client is not None
    check_kube_versions(run, view)

    report.checks.append("control-plane")
    leases = run.fact(
        "read the control plane's leader leases",
        lambda: list(list_objects(client, "coordination.k8s.io/v1", "Lease", namespace="kube-system")),
        None,
        "control-plane checks",
    )
    if leases is not None:
        report.extend(check_control_plane(leases))

    report.checks.append("custom-kinds")
    served: dict[tuple[str, str], bool] = {}

    def is_served(api_version: str, kind: str) -> bool:
        if (api_version, kind) not in served:
            served[(api_version, kind)] = served_kind(run, api_version, kind) is not None
        return served[(api_version, kind)]

    missing = [k for k in custom_kinds_used(view.components.values()) if not is_served(*k)]
    cluster_versions = crd_versions(run) if missing else {}
    report.extend(check_custom_kinds(view, is_served, cluster_versions))

    for name in platform.all_namespaces():
        run.namespaces[name] = _namespace_exists(run, name)

    report.checks.append("namespace-owners")
    nothing: dict[str, str] = {}
    foreign = run.fact(
        "list namespaces",
        lambda: foreign_namespaces(run.session.client, run.session.platform_id),
        nothing,
        "namespace owner checks",
    )
    for name in platform.all_namespaces():
        if name in foreign:
            report.add(
                Finding(
                    "error",
                    "namespace-owners",
                    None,
                    f"Namespace {name}",
                    f"namespace {name} belongs to {foreign[name]}: two platforms would fight over its objects",
                    "set spec.instance (or --instance) so this platform's namespaces get a prefix, "
                    "or name other namespaces in spec.namespaces",
                )
            )

    report.checks.append("permissions")
    report.extend(check_permissions(permission_needs(run, view), review_with(client)))

    report.checks.append("storage")
    classes = run.fact(
        "list StorageClasses",
        lambda: by_name(list_objects(client, "storage.k8s.io/v1", "StorageClass")),
        None,
        "storage class checks",
    )
    if classes is not None:
        for placed in view:
            if placed.key.group == "storage.k8s.io" and placed.key.kind == "StorageClass":
                classes.setdefault(placed.key.name, placed.obj.body)
        entries = {c.name: (c.namespace, (*c.chart_crds, *c.objects)) for c in view.components.values()}
        report.extend(
            check_storage(
                inventory(entries), classes, platform_default=platform.spec.storage.storage_class.get("default")
            )
        )

    report.checks.append("capacity")
    nodes = run.fact(
        "list nodes", lambda: list(list_objects(client, "v1", "Node")), None, "GPU and node capacity checks"
    )
    if nodes is not None:
        report.extend(check_capacity(view, nodes, gpu_policy=platform.spec.gpu))

    report.checks.append("ingress")
    check_ingress(run, view)

    report.checks.append("quota")
    check_namespace_quotas(run, view, len(nodes or []) or 1)

    registry = platform.spec.registry
    if registry is not None and registry.credentials is not None:
        report.checks.append("pull-secret")
        admin, name = run.session.admin_namespace, registry.credentials.secret
        exists = run.namespaces.get(admin) is not False
        ref = ObjRef("v1", "Secret", name, admin)
        secret = run.fact(f"read Secret {admin}/{name}", lambda: get_object(client, ref), None, "the pull secret check")
        report.extend(check_pull_secret(name, admin, registry.url, secret if exists else None, namespace_exists=exists))


def _namespace_exists(run: PreflightRun, name: str) -> bool | None:
    assert run.client is not None
    try:
        return get_object(run.client, ObjRef("v1", "Namespace", name)) is not None
    except HelmdeckError:
        return None
