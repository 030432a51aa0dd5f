"""``helmdeck doctor`` before a deploy: the platform's rendered desired state against what the
cluster offers and allows, with every problem reported as a finding (never a traceback).

Cluster facts are read once (a list per kind, a get per namespace) and handed to the checks, which
are pure functions in their own modules. A fact that cannot be read (no permission to list nodes,
say) skips the checks that need it, with an info finding saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from helmdeck.cluster import (
    KindInfo,
    KubeClient,
    ObjRef,
    ServerVersion,
    get_object,
    kind_info,
    list_objects,
    server_version,
)
from helmdeck.cluster.access import Access, who_am_i
from helmdeck.cluster.errors import Forbidden, Unauthorized
from helmdeck.cluster.namespaces import foreign_namespaces
from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.doctor.capacity import check_capacity
from helmdeck.doctor.control_plane import check_control_plane
from helmdeck.doctor.custom_kinds import check_custom_kinds, crd_served_versions, platform_crds
from helmdeck.doctor.desired import REQUIRES_GPU_ANNOTATION, ComponentView, PlatformView
from helmdeck.doctor.findings import DoctorReport, Finding
from helmdeck.doctor.ingress import check_ingress_classes, default_ingress_class, is_ingress, route_conflicts, routes_of
from helmdeck.doctor.kube_version import ConstraintError, Version, satisfies
from helmdeck.doctor.permissions import MANIFEST_VERBS, Need, check_permissions, review_with
from helmdeck.doctor.quota import check_quotas
from helmdeck.doctor.registry import check_offline_images, check_pull_secret
from helmdeck.doctor.resources import LimitRangeItem, Quota, limit_range_items
from helmdeck.doctor.storage import check_storage
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.manifests import PlacedObject, is_builtin
from helmdeck.manifests.inventory import inventory
from helmdeck.secrets.store import placeholder_secrets

T = TypeVar("T")


@dataclass
class _Run:
    """One preflight run: the report being filled and the cluster facts read so far."""

    session: PlatformSession
    report: DoctorReport
    client: KubeClient | None = None
    version: ServerVersion | None = None
    namespaces: dict[str, bool | None] = field(default_factory=dict)  # None: could not tell

    def fact(self, what: str, read: Callable[[], T], default: T, skips: str) -> T:
        """Read one cluster fact; on refusal, note which checks are skipped and go on."""
        try:
            return read()
        except HelmdeckError as err:
            self.report.add(
                Finding(
                    "info",
                    "skipped",
                    None,
                    None,
                    f"could not {what} ({err.message}); {skips} skipped",
                    err.fix or "use credentials that may read it to get these checks",
                )
            )
            return default


def run_preflight(session: PlatformSession, *, offline: bool = False) -> DoctorReport:
    """Check the platform's desired state against the cluster; errors mean a deploy would fail."""
    start = time.monotonic()
    report = DoctorReport(session.platform_id, session.environment, "preflight")
    run = _Run(session, report)
    if _connect(run):
        _check_identity(run)
    view = _render(run)
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


# -- connection ------------------------------------------------------------------------------


def _connect(run: _Run) -> bool:
    run.report.checks.append("cluster")
    try:
        run.client = run.session.client
        run.version = server_version(run.client)
    except HelmdeckError as err:
        run.client = None
        run.report.add(
            Finding(
                "error",
                "cluster",
                None,
                err.where,
                err.message,
                err.fix or "check the kubeconfig and that the cluster is up",
            )
        )
        return False
    run.report.cluster = run.version.git_version
    return True


def _check_identity(run: _Run) -> None:
    """Reaching /version proves little (anonymous users may read it): ask who we are."""
    assert run.client is not None
    run.report.checks.append("credentials")
    try:
        user = who_am_i(run.client)
    except Unauthorized:
        run.report.add(
            Finding(
                "error",
                "credentials",
                None,
                None,
                "the cluster rejected the credentials (401 Unauthorized)",
                "refresh the credentials in the kubeconfig (expired token or certificate?)",
            )
        )
        return
    except Forbidden as err:
        if "system:anonymous" in err.message:
            run.report.add(_anonymous())
        return
    except ClusterError:
        return  # 404: an older cluster without SelfSubjectReview; the permission checks still run
    run.report.user = user
    if user == "system:anonymous":
        run.report.add(_anonymous())


def _anonymous() -> Finding:
    return Finding(
        "error",
        "credentials",
        None,
        None,
        "the cluster treats these credentials as anonymous (system:anonymous)",
        "use a kubeconfig context with a user token or client certificate",
    )


# -- desired state ---------------------------------------------------------------------------


def _render(run: _Run) -> PlatformView:
    """Each component's rendered objects; a component that fails to render is a finding."""
    session, platform = run.session, run.session.platform
    run.report.checks.append("render")
    secrets: dict[str, str] = {}
    if platform.spec.secrets and run.client is not None:
        try:
            secrets = session.secrets(create=False)
        except HelmdeckError as err:
            run.report.add(
                Finding(
                    "warning",
                    "render",
                    None,
                    err.where,
                    f"secrets unavailable: {err.message}",
                    err.fix or "check access to the admin namespace",
                )
            )
    if not secrets and platform.spec.secrets:
        secrets = placeholder_secrets(platform)
    views: list[ComponentView] = []
    for name in platform.component_names:
        try:
            desired = session.desired_one(name, secrets)
        except HelmdeckError as err:
            run.report.add(
                Finding("error", "render", name, err.where, err.message, err.fix or "fix the chart or its values")
            )
            continue
        views.append(_component_view(run, desired))
    cluster_scoped = _served_cluster_scoped(run, views)
    return PlatformView(views, cluster_scoped=cluster_scoped)


def _component_view(run: _Run, desired: DesiredComponent) -> ComponentView:
    component = run.session.platform.component(desired.name)
    annotation = desired.chart.annotations.get(REQUIRES_GPU_ANNOTATION, "").strip().lower()
    return ComponentView(
        name=desired.name,
        namespace=desired.namespace,
        objects=(*desired.rendered.manifests, *desired.rendered.hooks),
        chart_crds=desired.rendered.crds,
        chart=desired.chart,
        needs=tuple(component.needs),
        gpu=component.gpu or annotation == "true",
    )


def _custom_kinds_used(views: Iterable[ComponentView]) -> set[tuple[str, str]]:
    return {
        (obj.api_version, obj.kind)
        for view in views
        for obj in view.objects
        if obj.kind and obj.api_version and not is_builtin(obj.group, obj.kind)
    }


def _served_cluster_scoped(run: _Run, views: list[ComponentView]) -> set[tuple[str, str]]:
    """Custom kinds the cluster serves as cluster-scoped, so objects of them are placed right."""
    if run.client is None:
        return set()
    out = set()
    for api_version, kind in _custom_kinds_used(views):
        info = _kind(run, api_version, kind)
        if info is not None and not info.namespaced:
            out.add((info.group, kind))
    return out


def _kind(run: _Run, api_version: str, kind: str) -> KindInfo | None:
    try:
        return kind_info(run.client, api_version, kind)
    except HelmdeckError:
        return None


# -- checks against the cluster --------------------------------------------------------------


def _check_cluster(run: _Run, view: PlatformView) -> None:
    client, report, platform = run.client, run.report, run.session.platform
    assert client is not None
    _check_kube_versions(run, view)

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
            served[(api_version, kind)] = _kind(run, api_version, kind) is not None
        return served[(api_version, kind)]

    missing = [k for k in _custom_kinds_used(view.components.values()) if not is_served(*k)]
    cluster_versions = _crd_versions(run) if missing else {}
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
    report.extend(check_permissions(_permission_needs(run, view), review_with(client)))

    report.checks.append("storage")
    classes = run.fact(
        "list StorageClasses",
        lambda: _by_name(list_objects(client, "storage.k8s.io/v1", "StorageClass")),
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
    _check_ingress(run, view)

    report.checks.append("quota")
    _check_quotas(run, view, len(nodes or []) or 1)

    registry = platform.spec.registry
    if registry is not None and registry.credentials is not None:
        report.checks.append("pull-secret")
        admin, name = run.session.admin_namespace, registry.credentials.secret
        exists = run.namespaces.get(admin) is not False
        ref = ObjRef("v1", "Secret", name, admin)
        secret = run.fact(f"read Secret {admin}/{name}", lambda: get_object(client, ref), None, "the pull secret check")
        report.extend(check_pull_secret(name, admin, registry.url, secret if exists else None, namespace_exists=exists))


def _check_kube_versions(run: _Run, view: PlatformView) -> None:
    assert run.version is not None
    run.report.checks.append("kube-version")
    cluster = run.version.git_version or f"v{run.version.semver}"
    try:
        Version.parse(cluster)
    except ConstraintError:
        cluster = f"v{run.version.semver}"
    for component in view.components.values():
        chart = component.chart
        constraint = chart.kube_version if chart is not None else None
        if not constraint:
            continue
        obj = f"chart {chart}"
        try:
            ok = satisfies(constraint, cluster)
        except ConstraintError as err:
            run.report.add(
                Finding(
                    "error",
                    "kube-version",
                    component.name,
                    obj,
                    f"Chart.yaml kubeVersion {constraint!r} is not a valid constraint ({err}); "
                    "Helm refuses to install the chart",
                    "fix kubeVersion in the chart's Chart.yaml (for example >=1.25.0-0), or use another chart version",
                )
            )
            continue
        if not ok:
            run.report.add(
                Finding(
                    "error",
                    "kube-version",
                    component.name,
                    obj,
                    f"chart {chart} requires Kubernetes {constraint}, but the cluster runs {cluster}",
                    "use a version of the chart that supports this Kubernetes version, or upgrade the cluster",
                    {"constraint": constraint, "cluster": cluster},
                )
            )


def _crd_versions(run: _Run) -> dict[tuple[str, str], tuple[str, ...]]:
    assert run.client is not None
    client = run.client
    crds: list[dict[str, Any]] = run.fact(
        "list CustomResourceDefinitions",
        lambda: list(list_objects(client, "apiextensions.k8s.io/v1", "CustomResourceDefinition")),
        [],
        "version hints for custom kinds",
    )
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        if kind:
            out[(str(spec.get("group", "")), str(kind))] = crd_served_versions(crd)
    return out


def _namespace_exists(run: _Run, name: str) -> bool | None:
    assert run.client is not None
    try:
        return get_object(run.client, ObjRef("v1", "Namespace", name)) is not None
    except HelmdeckError:
        return None


def _by_name(objects: Iterable[dict[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(o["metadata"]["name"]): o for o in objects}


def _permission_needs(run: _Run, view: PlatformView) -> list[Need]:
    crd_plurals = {key: s[0].plural for key, s in platform_crds(view).items() if s and s[0].plural}
    needs: list[Need] = []
    for placed in view:
        info = _kind(run, placed.obj.api_version, placed.obj.kind)
        plural = info.plural if info is not None else crd_plurals.get((placed.key.group, placed.key.kind))
        if not plural:
            continue  # an unknown kind: the custom-kinds check reports it
        for verb in MANIFEST_VERBS:
            needs.append(
                Need(
                    Access(verb, placed.key.group, plural, placed.key.namespace or ""),
                    placed.component,
                    str(placed.ref),
                    f"installs {placed.ref}",
                )
            )
    session = run.session
    for name, exists in run.namespaces.items():
        if exists is False:
            needs.append(
                Need(
                    Access("create", "", "namespaces", ""),
                    None,
                    f"Namespace {name}",
                    "creates the platform's namespaces",
                )
            )
    release_namespaces = {c.namespace for c in view.components.values()}
    for ns in sorted(release_namespaces | {session.admin_namespace}):
        for verb in ("create", "update"):
            needs.append(Need(Access(verb, "", "secrets", ns), None, None, "stores Helm releases and platform records"))
    for verb in ("create", "update"):
        needs.append(
            Need(
                Access(verb, "coordination.k8s.io", "leases", session.admin_namespace),
                None,
                None,
                "holds the platform lock",
            )
        )
    return needs


def _check_ingress(run: _Run, view: PlatformView) -> None:
    client = run.client
    assert client is not None
    ingresses = [p for p in view if is_ingress(p.key.group, p.key.kind)]
    if not ingresses:
        return
    classes = run.fact(
        "list IngressClasses",
        lambda: _by_name(list_objects(client, "networking.k8s.io/v1", "IngressClass")),
        None,
        "ingress class checks",
    )
    if classes is None:
        return
    run.report.extend(check_ingress_classes(ingresses, classes))
    live = run.fact(
        "list the cluster's Ingresses",
        lambda: list(list_objects(client, "networking.k8s.io/v1", "Ingress")),
        None,
        "the ingress host conflict check",
    )
    if live is None:
        return
    default = default_ingress_class(classes)
    ours_keys = {(p.key.namespace, p.key.name) for p in ingresses}
    theirs = [
        route
        for obj in live
        if (obj["metadata"].get("namespace"), obj["metadata"]["name"]) not in ours_keys
        for route in routes_of(obj, None, default)
    ]
    ours = [(p.component, str(p.ref), r) for p in ingresses for r in routes_of(p.obj.body, p.key.namespace, default)]
    run.report.extend(route_conflicts(ours, theirs))


def _check_quotas(run: _Run, view: PlatformView, node_count: int) -> None:
    client = run.client
    assert client is not None
    namespaces = sorted(
        {p.key.namespace for p in view if p.key.namespace and run.namespaces.get(p.key.namespace) is not False}
    )
    quotas: dict[str, list[Quota]] = {}
    limits: dict[str, list[LimitRangeItem]] = {}
    for ns in namespaces:
        quotas[ns] = run.fact(
            f"list ResourceQuotas in {ns}", _reader(_quotas_in, client, ns), [], f"quota checks in {ns}"
        )
        limits[ns] = run.fact(
            f"list LimitRanges in {ns}", _reader(_limits_in, client, ns), [], f"LimitRange checks in {ns}"
        )

    def live(placed: PlacedObject) -> Mapping[str, Any] | None:
        if not quotas.get(placed.key.namespace or ""):
            return None  # only quotas need the running state
        try:
            return get_object(
                client, ObjRef(placed.obj.api_version, placed.key.kind, placed.key.name, placed.key.namespace)
            )
        except HelmdeckError:
            return None

    run.report.extend(check_quotas(view, quotas, limits, live, daemon_nodes=node_count))


def _reader(read: Callable[[KubeClient, str], T], client: KubeClient, namespace: str) -> Callable[[], T]:
    return lambda: read(client, namespace)


def _quotas_in(client: KubeClient, namespace: str) -> list[Quota]:
    return [Quota.from_object(q) for q in list_objects(client, "v1", "ResourceQuota", namespace=namespace)]


def _limits_in(client: KubeClient, namespace: str) -> list[LimitRangeItem]:
    return [i for lr in list_objects(client, "v1", "LimitRange", namespace=namespace) for i in limit_range_items(lr)]
