"""``helmdeck doctor`` before a deploy: the platform's rendered desired state against what the
cluster offers and allows, with every problem reported as a finding (never a traceback).

This module holds the entry points and the order of the checks. Cluster facts are read once (a
list per kind, a get per namespace) by :class:`~helmdeck.doctor.preflight.run.PreflightRun` and
handed to the checks, which are pure functions in their own modules; a fact that cannot be read
(no permission to list nodes, say) skips the checks that need it, with an info finding saying so.
The connection and credentials (:mod:`~helmdeck.doctor.preflight.connection`), the rendering
(:mod:`~helmdeck.doctor.preflight.rendering`) and the checks that read more than one fact
(``custom_kinds``, ``namespaces``, ``permission_needs``, ``ingress``, ``quota``) have modules of their
own in this package; the pure checks live in :mod:`helmdeck.doctor.rules`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from helmdeck.cluster import ObjRef, get_object, list_objects
from helmdeck.core.session import PlatformSession
from helmdeck.doctor.findings import DoctorReport
from helmdeck.doctor.preflight.chart_kube_versions import check_kube_versions
from helmdeck.doctor.preflight.connection import check_identity, connect
from helmdeck.doctor.preflight.custom_kinds import check_served_kinds
from helmdeck.doctor.preflight.dry_run import check_dry_run
from helmdeck.doctor.preflight.image_presence import RegistryClient, check_images_present, credentials_from_pull_secret
from helmdeck.doctor.preflight.ingress import check_ingress
from helmdeck.doctor.preflight.namespaces import check_namespace_owners, read_namespaces
from helmdeck.doctor.preflight.node_ports import check_node_ports
from helmdeck.doctor.preflight.permission_needs import permission_needs
from helmdeck.doctor.preflight.permissions import check_permissions, review_with
from helmdeck.doctor.preflight.quota import check_namespace_quotas
from helmdeck.doctor.preflight.rendering import render
from helmdeck.doctor.preflight.run import PreflightRun, by_name
from helmdeck.doctor.rules.capacity import check_capacity
from helmdeck.doctor.rules.capacity_total import check_total_capacity
from helmdeck.doctor.rules.control_plane import check_control_plane
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.doctor.rules.registry import check_offline_images, check_pull_secret
from helmdeck.doctor.rules.storage import check_storage, provisioner_evidence
from helmdeck.manifests.inventory import inventory
from helmdeck.validation import catalog_findings, secret_source_findings


def run_preflight(session: PlatformSession, *, offline: bool = False) -> DoctorReport:
    """Check the platform's desired state against the cluster; errors mean a deploy would fail."""
    start = time.monotonic()
    report = DoctorReport(session.platform_id, session.environment, "preflight")
    run = PreflightRun(session, report)
    if connect(run):
        check_identity(run)
    view = render(run)
    if session.platform.spec.secrets:
        report.checks.append("secrets")
        stored = session.stored_secret_names() if run.client is not None else None
        report.extend(secret_source_findings(session.platform, stored))
    report.extend(catalog_findings(session.platform))
    if offline:
        report.checks.append("offline-images")
        images = inventory({c.name: (c.namespace, c.objects) for c in view.components.values()}).images
        registry = session.platform.spec.registry
        report.extend(check_offline_images(images, registry.url if registry else None))
    if run.client is not None:
        check_cluster(run, view)
    check_registry_images(run, view)
    report.seconds = time.monotonic() - start
    return report


def check_registry_images(run: PreflightRun, view: PlatformView) -> None:
    """Every image under the platform's registry is in it (when the registry answers from here)."""
    registry = run.session.platform.spec.registry
    if registry is None:
        return
    run.report.checks.append("images")
    images = inventory({c.name: (c.namespace, c.objects) for c in view.components.values()}).images
    # the pull secret check (run before, on the cluster) read the credentials
    registry_client = RegistryClient(credentials_from_pull_secret(run.pull_secret))
    run.report.extend(check_images_present(images, registry.url, registry_client))


def check_before_deploy(session: PlatformSession, *, offline: bool = False) -> DoctorReport:
    """The checks deploy runs before it changes anything; ``report.raise_for_errors()`` then stops
    the deploy on errors. Preflight only reads the cluster (it creates no secret, namespace or
    release), so a platform it stops leaves nothing behind.
    """
    return run_preflight(session, offline=offline)


def check_cluster(run: PreflightRun, view: PlatformView) -> None:
    """Every check against the cluster, in order; each says in ``report.checks`` that it ran."""
    client, report = run.client, run.report
    assert client is not None
    assert run.version is not None
    report.checks.append("kube-version")
    report.extend(check_kube_versions(view, run.version))

    report.checks.append("control-plane")
    _check_control_plane(run)

    report.checks.append("custom-kinds")
    check_served_kinds(run, view)

    read_namespaces(run)
    check_namespace_owners(run)

    report.checks.append("permissions")
    report.extend(check_permissions(permission_needs(run, view), review_with(client)))

    report.checks.append("storage")
    _check_storage(run, view)

    report.checks.append("capacity")
    nodes = _check_capacity(run, view)

    report.checks.append("ingress")
    check_ingress(run, view)

    report.checks.append("quota")
    check_namespace_quotas(run, view, len(nodes or []) or 1)

    check_node_ports(run, view)  # the API server's dry run checks neither range nor clashes
    # last: every other check is cheaper, and this one asks the API server once per changed object
    check_dry_run(run, view)

    _check_pull_secret(run)


def _check_control_plane(run: PreflightRun) -> None:
    leases = run.listed(
        "read the control plane's leader leases",
        "coordination.k8s.io/v1",
        "Lease",
        "control-plane checks",
        namespace="kube-system",
    )
    if leases is not None:
        run.report.extend(check_control_plane(leases))


def _check_storage(run: PreflightRun, view: PlatformView) -> None:
    client = run.client
    assert client is not None
    listed = run.listed("list StorageClasses", "storage.k8s.io/v1", "StorageClass", "storage class checks")
    if listed is None:
        return
    classes = by_name(listed)
    shipped_volumes: dict[str, Mapping[str, Any]] = {}
    for placed in view:
        if placed.key.group == "storage.k8s.io" and placed.key.kind == "StorageClass":
            classes.setdefault(placed.key.name, placed.obj.body)
        elif placed.key.group == "" and placed.key.kind == "PersistentVolume":
            shipped_volumes[placed.key.name] = placed.obj.body
    entries = {c.name: (c.namespace, (*c.chart_crds, *c.objects)) for c in view.components.values()}
    run.report.extend(
        check_storage(
            inventory(entries),
            classes,
            platform_default=run.session.platform.spec.storage.storage_class.get("default"),
            volumes=shipped_volumes,
            provisioners=run.fact(
                "find the cluster's volume provisioners (CSI drivers, Leases, PersistentVolumes)",
                lambda: provisioner_evidence(
                    list_objects(client, "storage.k8s.io/v1", "CSIDriver"),
                    list_objects(client, "coordination.k8s.io/v1", "Lease"),
                    list_objects(client, "v1", "PersistentVolume"),
                ),
                None,
                "naming only working StorageClasses in fixes",
            ),
        )
    )


def _check_capacity(run: PreflightRun, view: PlatformView) -> list[Any] | None:
    """GPU and node capacity, then the platform-wide capacity; the nodes (None: not listed)."""
    nodes = run.listed("list nodes", "v1", "Node", "GPU and node capacity checks")
    if nodes is not None:
        run.report.extend(check_capacity(view, nodes, gpu_policy=run.session.platform.spec.gpu))
        pods = run.listed("list pods in every namespace", "v1", "Pod", "the platform-wide capacity check")
        if pods is not None:
            run.report.extend(check_total_capacity(view, nodes, pods))
    return nodes


def _check_pull_secret(run: PreflightRun) -> None:
    client = run.client
    assert client is not None
    registry = run.session.platform.spec.registry
    if registry is not None and registry.credentials is not None:
        run.report.checks.append("pull-secret")
        admin, name = run.session.admin_namespace, registry.credentials.secret
        exists = run.namespaces.get(admin) is not False
        ref = ObjRef("v1", "Secret", name, admin)
        secret = run.fact(f"read Secret {admin}/{name}", lambda: get_object(client, ref), None, "the pull secret check")
        run.pull_secret = secret if exists else None
        run.report.extend(check_pull_secret(name, admin, registry.url, run.pull_secret, namespace_exists=exists))
