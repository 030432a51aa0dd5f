"""``helmdeck status``: every component's release (status, revision, chart) and health, with the
failing pods and why.

It stays cheap at scale: one list of Helm's release Secrets per namespace gives every release with
its manifest, and one list per (kind, namespace) gives the health of all objects: no request per
release, object or pod.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster import ListQuery, NotFound, ObjRef, list_each, observe
from helmdeck.cluster.watch import ObjectStatus
from helmdeck.core.session import PlatformSession
from helmdeck.core.targets import ReleaseTargets, release_targets
from helmdeck.engine.storage import decode_release_data
from helmdeck.errors import ClusterError
from helmdeck.labels import COMPONENT_LABEL, EXTENSION_LABEL, PLATFORM_LABEL

#: health states that mean a component is not (yet) what it should be
UNHEALTHY = frozenset({"failed", "progressing"})


@dataclass
class ComponentStatus:
    name: str
    release: str
    namespace: str
    status: str  # the Helm release status, or "not installed"
    revision: int | None
    chart: str
    health: str  # healthy | progressing | failed | unknown | absent
    reason: str = ""
    extension: str | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)  # only the ones not ready
    failing_pods: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.name,
            "release": self.release,
            "namespace": self.namespace,
            "status": self.status,
            "revision": self.revision,
            "chart": self.chart,
            "health": self.health,
            "reason": self.reason,
            "extension": self.extension,
            "unready": self.objects,
            "failingPods": self.failing_pods,
        }


@dataclass
class PlatformStatus:
    platform: str
    components: list[ComponentStatus]

    @property
    def healthy(self) -> bool:
        return all(c.health == "healthy" for c in self.components)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "healthy": self.healthy,
            "components": [c.as_dict() for c in self.components],
        }


@dataclass
class StoredRelease:
    name: str
    namespace: str
    revision: int
    status: str
    chart: str
    labels: dict[str, str]
    manifest: str


def decode_release(secret: Mapping[str, Any]) -> StoredRelease | None:
    """A release as Helm stores it in a Secret: base64 of gzip of the release JSON."""
    raw = (secret.get("data") or {}).get("release")
    data = decode_release_data(raw) if raw else None
    if data is None:
        return None
    meta = data.get("chart", {}).get("metadata", {})
    labels = dict((secret.get("metadata") or {}).get("labels") or {})
    return StoredRelease(
        name=str(data.get("name", "")),
        namespace=str(data.get("namespace", "")),
        revision=int(data.get("version", 0)),
        status=str(data.get("info", {}).get("status", "unknown")),
        chart=f"{meta.get('name', '')}-{meta.get('version', '')}",
        labels=labels,
        manifest=str(data.get("manifest", "")),
    )


def latest_releases(session: PlatformSession, namespaces: list[str]) -> dict[str, StoredRelease]:
    """The newest revision of every release of this platform in ``namespaces``, by component."""
    newest: dict[tuple[str, str], StoredRelease] = {}
    labels = {"owner": "helm", PLATFORM_LABEL: session.platform_id}
    listed = list_each(session.client, [ListQuery("v1", "Secret", ns, labels=labels) for ns in namespaces])
    for secrets in listed:
        if isinstance(secrets, NotFound):
            continue
        if isinstance(secrets, ClusterError):
            raise secrets
        for secret in secrets:
            rel = decode_release(secret)
            if rel is None:
                continue
            key = (rel.namespace, rel.name)
            if key not in newest or newest[key].revision < rel.revision:
                newest[key] = rel
    return {rel.labels.get(COMPONENT_LABEL, rel.name): rel for rel in newest.values()}


_TARGETS_CACHE: dict[tuple[str, str, int], ReleaseTargets] = {}


def release_objects(stored: StoredRelease, component: str) -> ReleaseTargets:
    """The objects of one release revision. A revision's manifest never changes, so its parse is
    kept: a status refresh (the web UI asks every few seconds) then parses only what changed."""
    key = (stored.namespace, stored.name, stored.revision)
    targets = _TARGETS_CACHE.get(key)
    if targets is None:
        if len(_TARGETS_CACHE) > 4096:
            _TARGETS_CACHE.clear()
        targets = release_targets(stored.manifest, stored.namespace, component)
        _TARGETS_CACHE[key] = targets
    return targets


def platform_status(session: PlatformSession) -> PlatformStatus:
    platform = session.platform
    releases = latest_releases(session, platform.all_namespaces())
    refs_of: dict[str, list[ObjRef]] = {}
    finished_jobs: set[ObjRef] = set()
    for name, stored in releases.items():
        if stored.status == "uninstalled":
            continue
        targets = release_objects(stored, name)
        refs_of[name] = list(targets.objects)
        if stored.status == "deployed":
            # a deployed release passed its gate: its TTL Jobs that are gone finished and were removed
            finished_jobs |= targets.ttl_jobs
    all_refs = [r for refs in refs_of.values() for r in refs]
    statuses = observe(session.client, all_refs, finished_jobs=finished_jobs) if all_refs else []
    by_ref: dict[ObjRef, ObjectStatus] = {st.ref: st for st in statuses}
    # releases outside the file (extensions, removed components) show while they exist
    extra = sorted(n for n, r in releases.items() if n not in platform.component_names and r.status != "uninstalled")
    names = list(platform.component_names) + extra
    out: list[ComponentStatus] = []
    for name in names:
        rel = releases.get(name)
        if rel is None or rel.status == "uninstalled":
            out.append(
                ComponentStatus(
                    name,
                    platform.release_name(name) if name in platform.component_names else name,
                    platform.namespace_of(name) if name in platform.component_names else "",
                    "not installed",
                    None,
                    "",
                    "absent",
                    "not deployed",
                )
            )
            continue
        comp_statuses = [by_ref[r] for r in refs_of.get(name, []) if r in by_ref]
        states = defaultdict(list)
        for st in comp_statuses:
            states[st.health.state].append(st)
        if states["failed"]:
            health, first = "failed", states["failed"][0]
            reason = f"{first.ref.kind}/{first.ref.name}: {first.health.reason}"
        elif states["progressing"] or [st for st in states["unknown"] if st.health.blocking]:
            first = (states["progressing"] + states["unknown"])[0]
            health, reason = "progressing", f"{first.ref.kind}/{first.ref.name}: {first.health.reason}"
        elif states["unknown"]:
            # never "healthy": nothing reports whether these objects work
            first = states["unknown"][0]
            health, reason = "unknown", f"{first.ref.kind}/{first.ref.name}: {first.health.reason}"
        else:
            health, reason = "healthy", f"{len(comp_statuses)} objects ready"
        if rel.status != "deployed" and health == "healthy":
            health, reason = "progressing" if rel.status.startswith("pending") else "failed", f"release {rel.status}"
        failing_pods = [
            p.as_dict() for st in states["failed"] + states["progressing"] for p in st.pods if p.health.state != "ready"
        ]
        out.append(
            ComponentStatus(
                name=name,
                release=rel.name,
                namespace=rel.namespace,
                status=rel.status,
                revision=rel.revision,
                chart=rel.chart,
                health=health,
                reason=reason,
                extension=rel.labels.get(EXTENSION_LABEL),
                objects=[st.as_dict() for st in comp_statuses if st.health.state != "ready"],
                failing_pods=failing_pods,
            )
        )
    return PlatformStatus(session.platform_id, out)
