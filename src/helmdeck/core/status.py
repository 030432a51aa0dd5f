"""``helmdeck status``: every component's release (status, revision, chart) and health, with the
failing pods and why.

What a release holds is what the inventory counts
(:func:`~helmdeck.core.inventory_parts.release_parts`): its objects in any namespace, cluster-scoped
ones, and the claims of its StatefulSets' claim templates, so health covers the data undeploy keeps.

It stays cheap at scale: one list of Helm's release Secrets per namespace gives every release with
its manifest, and one list per (kind, namespace) gives the health of all objects: no request per
release, object or pod.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster import ListQuery, ObjRef, get_object, list_each, observe_snapshot
from helmdeck.cluster.gate_state import ObjectStatus
from helmdeck.cluster.health_state import MISSING_RULE, not_created_yet
from helmdeck.cluster.health_state import Health as ObjectHealth
from helmdeck.cluster.kinds import items_of, normalize
from helmdeck.cluster.per_client import PerClient
from helmdeck.core.inventory_parts import ReleaseParts, release_parts
from helmdeck.core.session import PlatformSession
from helmdeck.engine.storage import decode_release_data, newest_release_secrets, newest_revisions
from helmdeck.errors import ClusterError
from helmdeck.health import Health
from helmdeck.labels import COMPONENT_LABEL, EXTENSION_LABEL, PLATFORM_LABEL
from helmdeck.manifests.objects import ManifestObject
from helmdeck.manifests.parse import parse_manifest_stream
from helmdeck.serialize import JsonObject, json_field
from helmdeck.wording import counted

#: the component health of status, by the name it had before every output shared one enum
ComponentHealth = Health


@dataclass
class ComponentStatus(JsonObject):
    name: str = field(metadata=json_field(name="component"))
    release: str
    namespace: str
    status: str  # the Helm release status, or "not installed"
    revision: int | None
    chart: str
    health: Health
    reason: str = ""
    extension: str | None = None
    # only the ones not ready
    objects: list[dict[str, Any]] = field(default_factory=list, metadata=json_field(name="unready"))
    failing_pods: list[dict[str, Any]] = field(default_factory=list)
    # every object with its health and the rule that judged it
    checked: list[dict[str, Any]] = field(default_factory=list, metadata=json_field(name="objects"))


@dataclass
class PlatformStatus(JsonObject):
    platform: str
    components: list[ComponentStatus]

    __json_computed__ = ("healthy",)
    __json_order__ = ("platform", "healthy", "components")

    @property
    def healthy(self) -> bool:
        return all(c.health == Health.healthy for c in self.components)


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


def release_queries(session: PlatformSession, namespaces: list[str], *, metadata_only: bool = False) -> list[ListQuery]:
    """The lists of this platform's Helm release Secrets, one per namespace."""
    labels = {"owner": "helm", PLATFORM_LABEL: session.platform_id}
    return [ListQuery("v1", "Secret", ns, labels=labels, metadata_only=metadata_only) for ns in namespaces]


def latest_releases(
    session: PlatformSession,
    namespaces: list[str],
    listed: list[list[dict[str, Any]] | ClusterError] | None = None,
) -> dict[str, StoredRelease]:
    """The newest revision of every release of this platform in ``namespaces``, by component
    (``listed``: the :func:`release_queries` lists, when the caller made them)."""
    if listed is None:
        if _memory(session.client).decoded:
            # a status read them through this client before: their metadata tells which changed
            known = _latest_from_metadata(
                session, list_each(session.client, release_queries(session, namespaces, metadata_only=True))
            )
            if known is not None:
                return known
        listed = list_each(session.client, release_queries(session, namespaces))
    return _by_component(_decoded(session, secret) for secret in _newest_secrets(listed))


def _latest_from_metadata(
    session: PlatformSession, listed: list[list[dict[str, Any]] | ClusterError]
) -> dict[str, StoredRelease] | None:
    """:func:`latest_releases` from metadata-only lists: a release whose newest Secret was decoded
    before at this resourceVersion is taken from memory, a few others are read one by one; None
    when many changed (a whole list is then cheaper than reading them one by one)."""
    releases: list[StoredRelease | None] = []
    missing = []
    decoded = _memory(session.client).decoded
    for item in _newest_secrets(listed):
        key = _version_key(item)
        if key is not None and key in decoded:
            releases.append(decoded[key])
        else:
            missing.append(item)
    if len(missing) > _READ_ONE_BY_ONE:
        return None
    for item in missing:
        meta = item.get("metadata") or {}
        secret = get_object(session.client, ObjRef("v1", "Secret", str(meta.get("name")), str(meta.get("namespace"))))
        if secret is None:  # removed since it was listed: the whole list tells what is newest now
            return None
        releases.append(_decoded(session, secret))
    return _by_component(releases)


_READ_ONE_BY_ONE = 8


def _newest_secrets(listed: list[list[dict[str, Any]] | ClusterError]) -> list[Mapping[str, Any]]:
    return newest_release_secrets(items_of(listed))


def _by_component(releases: Iterable[StoredRelease | None]) -> dict[str, StoredRelease]:
    return {rel.labels.get(COMPONENT_LABEL, rel.name): rel for rel in newest_revisions(releases)}


@dataclass
class _Memory:
    """What the statuses read through one client remember between readings (a client is one
    cluster: uids and platform ids of another cluster must not match)."""

    #: decoded releases by (uid, resourceVersion) of their Secret: only the newest revision of
    #: each release is decoded, so this holds about one entry per release
    decoded: dict[tuple[str, str], StoredRelease | None] = field(default_factory=dict)
    #: the lists the last status of each platform took besides the release Secrets; the next
    #: status makes them together with the Secret lists, in one round instead of two
    lists: dict[str, list[ListQuery]] = field(default_factory=dict)


_memory = PerClient(_Memory)


def _version_key(secret: Mapping[str, Any]) -> tuple[str, str] | None:
    meta = secret.get("metadata") or {}
    uid, version = str(meta.get("uid") or ""), str(meta.get("resourceVersion") or "")
    return (uid, version) if uid and version else None


def _decoded(session: PlatformSession, secret: Mapping[str, Any]) -> StoredRelease | None:
    """:func:`decode_release`, once per version of a Secret: unzipping every release again cost a
    status of 100 components, refreshed every second by the web service, about 15 ms each time."""
    key = _version_key(secret)
    if key is None:
        return decode_release(secret)
    decoded = _memory(session.client).decoded
    if key not in decoded:
        if len(decoded) > 4096:
            decoded.clear()
        decoded[key] = decode_release(secret)
    return decoded[key]


_PARTS_CACHE: dict[tuple[str, str, int, str], ReleaseParts] = {}
_OBJECTS_CACHE: dict[tuple[str, str, int, str], tuple[ManifestObject, ...]] = {}


def manifest_objects(stored: StoredRelease, component: str) -> tuple[ManifestObject, ...]:
    """The objects of one release revision's manifest, parsed once: drift compares them with the
    live objects each time the web service looks (every 20 s), and parsing 1000 manifests again
    took seconds of each look. Keyed as :func:`release_objects`; the bodies are only read."""
    key = (stored.namespace, stored.name, stored.revision, stored.manifest)
    objects = _OBJECTS_CACHE.get(key)
    if objects is None:
        if len(_OBJECTS_CACHE) > 4096:
            _OBJECTS_CACHE.clear()
        objects = tuple(parse_manifest_stream(stored.manifest, component=component))
        _OBJECTS_CACHE[key] = objects
    return objects


def release_objects(stored: StoredRelease, component: str) -> ReleaseParts:
    """The parts of one release revision, as the inventory counts them (its objects in any
    namespace, and the claims of its claim templates). A revision's manifest never changes, so its
    parse is kept: a status refresh (the web UI asks every few seconds) then parses only what
    changed. The manifest is part of the key: a release uninstalled and installed again starts at
    revision 1 again, with other objects. Parsed without a client (so it answers for any cluster):
    each object's scope is the cluster's, taken when the status looks it up."""
    key = (stored.namespace, stored.name, stored.revision, stored.manifest)
    parts = _PARTS_CACHE.get(key)
    if parts is None:
        if len(_PARTS_CACHE) > 4096:
            _PARTS_CACHE.clear()
        parts = release_parts(None, stored.manifest, stored.namespace, component, release=stored.name)
        _PARTS_CACHE[key] = parts
    return parts


#: a claim of a claim template not there (yet): the StatefulSet makes it before its pod
_NOT_MADE_YET = ObjectHealth("progressing", "its StatefulSet has not made it yet", rule=MISSING_RULE)


@dataclass
class _Objects:
    """The objects of the platform's releases that status judges, by release."""

    refs_of: dict[str, list[ObjRef]] = field(default_factory=dict)
    finished_jobs: set[ObjRef] = field(default_factory=set)
    template_claims: set[ObjRef] = field(default_factory=set)


def platform_status(session: PlatformSession) -> PlatformStatus:
    platform = session.platform
    memory = _memory(session.client)
    releases, prelisted = _read_releases(session, memory)
    objects = _release_objects(session, releases)
    statuses = _observe(session, memory, objects, prelisted)
    by_ref: dict[ObjRef, ObjectStatus] = {st.ref: st for st in statuses}
    # releases outside the file (extensions, removed components) show while they exist
    declared = set(platform.component_names)
    extra = sorted(n for n, r in releases.items() if n not in declared and r.status != "uninstalled")
    out: list[ComponentStatus] = []
    for name in list(platform.component_names) + extra:
        rel = releases.get(name)
        if rel is None or rel.status == "uninstalled":
            out.append(_not_installed(session, name))
        else:
            out.append(_component_status(name, rel, objects, by_ref))
    return PlatformStatus(session.platform_id, out)


def _read_releases(
    session: PlatformSession, memory: _Memory
) -> tuple[dict[str, StoredRelease], dict[Any, list[dict[str, Any]] | ClusterError]]:
    """The latest release of each component, and the lists the previous status needed (read together
    with the release Secrets, in one round)."""
    namespaces = session.platform.all_namespaces()
    known = memory.lists.get(session.platform_id)
    guessed = known or []
    # after a first status, the Secrets' metadata tells which releases changed; only those are read
    secret_queries = release_queries(session, namespaces, metadata_only=known is not None)
    listed = list_each(session.client, secret_queries + guessed)
    secret_lists = listed[: len(secret_queries)]
    releases = (
        _latest_from_metadata(session, secret_lists)
        if known is not None
        else latest_releases(session, namespaces, secret_lists)
    )
    if releases is None:  # many releases changed: their Secrets listed whole
        releases = latest_releases(session, namespaces)
    # a guess that no longer matches (a release changed its objects) is only a list too many: the
    # snapshot lists what it needs and was not guessed
    prelisted = {q.key: result for q, result in zip(guessed, listed[len(secret_queries) :], strict=True)}
    return releases, prelisted


def _release_objects(session: PlatformSession, releases: Mapping[str, StoredRelease]) -> _Objects:
    out = _Objects()
    for name, stored in releases.items():
        if stored.status == "uninstalled":
            continue
        parts = release_objects(stored, name)
        # as the snapshot names them: a cluster-scoped object (a CRD, a PriorityClass) without the
        # release's namespace, else its health would never be found
        out.refs_of[name] = list(dict.fromkeys(normalize(session.client, ref)[0] for ref in parts.refs()))
        out.template_claims.update(parts.template_claims())
        if stored.status == "deployed":
            # a deployed release passed its gate: its TTL Jobs that are gone finished and were removed
            out.finished_jobs |= parts.ttl_jobs
    return out


def _observe(
    session: PlatformSession,
    memory: _Memory,
    objects: _Objects,
    prelisted: dict[Any, list[dict[str, Any]] | ClusterError],
) -> list[ObjectStatus]:
    """The health of every object, in one snapshot; the lists it took are remembered for the next status."""
    all_refs = [r for refs in objects.refs_of.values() for r in refs]
    statuses: list[ObjectStatus] = []
    lists: list[ListQuery] = []
    if all_refs:
        snapshot = observe_snapshot(
            session.client,
            all_refs,
            finished_jobs=objects.finished_jobs,
            prelisted=prelisted,
            rules=session.health_rules,
            absent_is_missing=True,  # a pending release's objects are told apart below
        )
        statuses, lists = snapshot.statuses, snapshot.queries
    if len(memory.lists) > 64:
        memory.lists.clear()
    memory.lists[session.platform_id] = lists
    return statuses


def _not_installed(session: PlatformSession, name: str) -> ComponentStatus:
    platform = session.platform
    in_file = platform.has_component(name)
    return ComponentStatus(
        name,
        platform.release_name(name) if in_file else name,
        platform.namespace_of(name) if in_file else "",
        "not installed",
        None,
        "",
        Health.absent,
        "not deployed",
    )


def _component_status(
    name: str, rel: StoredRelease, objects: _Objects, by_ref: Mapping[ObjRef, ObjectStatus]
) -> ComponentStatus:
    comp_statuses = [
        ObjectStatus(st.ref, _NOT_MADE_YET, st.pods) if st.ref in objects.template_claims and st.health.missing else st
        for st in (by_ref[r] for r in objects.refs_of.get(name, []) if r in by_ref)
    ]
    if rel.status.startswith("pending"):
        # Helm is still creating this release's objects: one not there yet is not missing
        comp_statuses = [
            ObjectStatus(st.ref, not_created_yet(), st.pods) if st.health.missing else st for st in comp_statuses
        ]
    states: dict[str, list[ObjectStatus]] = defaultdict(list)
    for st in comp_statuses:
        states[st.health.state].append(st)
    health, reason = _health(rel, states, comp_statuses)
    failing_pods = [
        p.as_dict() for st in states["failed"] + states["progressing"] for p in st.pods if p.health.state != "ready"
    ]
    return ComponentStatus(
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
        checked=[{"object": st.ref.as_dict(), "health": st.health.as_dict()} for st in comp_statuses],
    )


def _health(
    rel: StoredRelease, states: Mapping[str, list[ObjectStatus]], comp_statuses: list[ObjectStatus]
) -> tuple[Health, str]:
    """The component's health and why: the worst of its objects', then its release's status."""
    health: Health
    if states["failed"]:
        health, first = Health.failed, states["failed"][0]
        reason = f"{first.ref.kind}/{first.ref.name}: {first.health.reason}"
    elif states["progressing"] or [st for st in states["unknown"] if st.health.blocking]:
        first = (states["progressing"] + states["unknown"])[0]
        health, reason = Health.progressing, f"{first.ref.kind}/{first.ref.name}: {first.health.reason}"
    elif states["unknown"]:
        # never "healthy": nothing reports whether these objects work
        first = states["unknown"][0]
        health, reason = Health.unknown, f"{first.ref.kind}/{first.ref.name}: {first.health.reason}"
    else:
        health, reason = Health.healthy, f"{counted(comp_statuses, 'object')} ready"
    if rel.status != "deployed" and health is Health.healthy:
        pending = rel.status.startswith("pending")
        health = Health.progressing if pending else Health.failed
        reason = f"release {rel.status}"
    return health, reason
