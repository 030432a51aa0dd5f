"""What the platform needs permission for, to be asked of the cluster in access reviews: creating
and patching each object it installs, creating its missing namespaces, storing Helm releases and
platform records (Secrets), and holding the platform lock (a Lease)."""

from __future__ import annotations

from helmdeck.cluster.access import Access
from helmdeck.doctor.preflight.permissions import MANIFEST_VERBS, Need
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.doctor.rules.custom_kinds import platform_crds
from helmdeck.doctor.rules.desired import PlatformView


def permission_needs(run: PreflightRun, view: PlatformView) -> list[Need]:
    crd_plurals = {key: s[0].plural for key, s in platform_crds(view).items() if s and s[0].plural}
    needs: list[Need] = []
    for placed in view:
        info = run.kind(placed.obj.api_version, placed.obj.kind)
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
