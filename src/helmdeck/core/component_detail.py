"""One component as the web UI's component page shows it, like Argo CD's application view: its
release, the tree of its objects with their health, their recent events, the values and manifests
of its current revision and what changed since the previous one, every secret redacted.

Reads: one labelled list of release Secrets per platform namespace, one list per (kind, namespace)
of the release's objects plus the namespaces' pods and ReplicaSets (and Jobs, where a CronJob is),
one list of events per namespace.

:func:`component_live` is the part of the page that changes between revisions (release status,
tree, events), for the page's live stream: the values, manifests and diffs change only with a
revision and are not read again for it.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import yaml

from helmdeck.cluster import ObjRef, observe_snapshot, recent_events
from helmdeck.core.inventory_parts import ReleaseParts, release_parts
from helmdeck.core.release_history import ReleaseRecord, component_revisions, latest_revisions
from helmdeck.core.resource_tree import TreeNode, build_tree
from helmdeck.core.session import PlatformSession
from helmdeck.errors import HelmdeckError
from helmdeck.manifests import parse_manifest_stream
from helmdeck.secrets.redact import Redactor, known_redactor, remember
from helmdeck.secrets.release_redact import (
    manifest_objects,
    redact_secret_data,
    redact_values,
    redacted_manifest,
    schema_secret_paths,
)
from helmdeck.serialize import JsonObject, computed, json_field
from helmdeck.spec.value_paths import split_key
from helmdeck.values.merge import coalesce

EVENTS_SHOWN = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ComponentNotFound(HelmdeckError):
    """No component or release of the platform has this name."""

    http_status: ClassVar[int] = 404


#: the release's keys in a component's JSON (flattened in among the component's own), and what
#: they show for a component never installed
_NOT_INSTALLED: dict[str, Any] = {
    "release": None,
    "namespace": None,
    "revision": None,
    "status": "not installed",
    "chart": "",
    "appVersion": "",
    "updated": None,
    "description": "",
    "extension": None,
}
_RELEASE_KEYS = tuple(_NOT_INSTALLED)

#: what :func:`component_live` answers: the keys of :meth:`ComponentDetail.as_dict` that change
#: without a new revision, and those naming the release and revision they belong to
LIVE_KEYS = ("component", "installed", *_RELEASE_KEYS, "tree", "events")


@dataclass
class ComponentDetail(JsonObject):
    component: str
    installed: bool
    release: ReleaseRecord | None = field(default=None, metadata=json_field(exclude=True))
    previous_revision: int | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)
    tree: list[TreeNode] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    values: str = ""  # YAML, redacted: the chart's defaults under what helmdeck supplied, as Helm merges them
    supplied_values: str = ""  # YAML, redacted: what helmdeck supplied
    manifest: str = ""  # YAML, redacted
    values_diff: str = ""
    manifest_diff: str = ""

    __json_computed__ = (computed("release_keys", spread=_RELEASE_KEYS),)
    __json_order__ = (
        "component",
        "installed",
        "release",
        "namespace",
        "revision",
        "previousRevision",
        "status",
        "chart",
        "appVersion",
        "updated",
        "description",
        "extension",
        "revisions",
        "tree",
        "events",
        "values",
        "suppliedValues",
        "manifest",
        "valuesDiff",
        "manifestDiff",
    )

    def release_keys(self) -> dict[str, Any]:
        """The release's part of the JSON; a component never installed shows defaults."""
        rel = self.release
        if rel is None:
            return dict(_NOT_INSTALLED)
        return {
            "release": rel.release,
            "namespace": rel.namespace,
            "revision": rel.revision,
            "status": rel.status,
            "chart": rel.chart,
            "appVersion": rel.app_version,
            "updated": rel.updated,
            "description": rel.description,
            "extension": rel.extension,
        }


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False) if data else ""


def _diff(old: str, new: str, old_name: str, new_name: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=old_name, tofile=new_name
        )
    )


class _Redaction:
    """The secrets of one page: the platform's (declared paths and stored values), the chart schema's,
    and credential-named keys. Declared secrets join the process-wide set; guessed ones stay here."""

    def __init__(self, session: PlatformSession, component: str) -> None:
        self.session = session
        # extensions are releases, not declared components: the platform injects nothing into them
        declared = component in session.platform.component_names
        targets = session.platform.secret_targets(component) if declared else []
        self.paths = [(name, split_key(path)) for name, path in targets]
        self.local: dict[str, str] = {}
        if session.platform.spec.secrets:
            # the stored values, remembered by the store as it reads them; unreadable, the values at
            # the declared paths are hidden all the same
            with contextlib.suppress(HelmdeckError):
                session.secrets(create=False)

    def values(self, rel: ReleaseRecord, label: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The release's computed and supplied values, redacted."""
        paths = self.paths + [(f"value {'.'.join(p)}", p) for p in schema_secret_paths(rel.schema)]
        declared = {name for name, _ in paths}
        supplied, found = redact_values(rel.config, paths)
        remember({f"{k}{label}": v for k, v in found.items() if k in declared})
        self.local.update({f"{k}{label}": v for k, v in found.items() if k not in declared and len(v) >= 4})
        computed, found_computed = redact_values(coalesce(rel.defaults, rel.config), paths)
        self.local.update({f"{k}{label}": v for k, v in found_computed.items() if len(v) >= 4})
        return computed, supplied

    def redact(self, data: dict[str, Any]) -> dict[str, Any]:
        return Redactor(self.local).redact(known_redactor().redact(data))


def _manifest_diff(old: ReleaseRecord, new: ReleaseRecord, component: str) -> str:
    before = manifest_objects(old.manifest, old.namespace, component)
    after = manifest_objects(new.manifest, new.namespace, component)
    chunks = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        a_text = _yaml(redact_secret_data(a, b)) if a else ""
        b_text = _yaml(redact_secret_data(b, a)) if b else ""
        chunks.append(
            _diff(
                a_text,
                b_text,
                f"r{old.revision}/{key}" if a else "/dev/null",
                f"r{new.revision}/{key}" if b else "/dev/null",
            )
        )
    return "".join(chunks)


def _events(session: PlatformSession, tree: Iterable[TreeNode]) -> list[dict[str, Any]]:
    involved: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for node in (n for root in tree for n in root.walk()):
        if node.namespace:
            involved[node.namespace].add((node.kind, node.name))
    out = []
    for namespace, objects in sorted(involved.items()):
        out += recent_events(session.client, namespace, objects, limit=EVENTS_SHOWN)
    out.sort(key=lambda e: (e.last_seen or _EPOCH, e.sequence), reverse=True)  # newest first
    return [e.as_dict() for e in out[:EVENTS_SHOWN]]


def _not_found(session: PlatformSession, component: str) -> ComponentNotFound:
    return ComponentNotFound(
        f"no component named {component!r} in platform {session.platform_id}",
        where=component,
        fix="pick one on the overview",
    )


@functools.lru_cache(maxsize=64)
def _parts(manifest: str, namespace: str, component: str) -> ReleaseParts:
    """What the inventory counts as the release's (its objects in any namespace, the claims of its
    claim templates). A revision's manifest never changes: the live stream parses it once, not at
    every reading; without a client, the snapshot takes each object's scope from the cluster."""
    return release_parts(None, manifest, namespace, component)


@functools.lru_cache(maxsize=64)
def _hook_targets(hooks: tuple[tuple[str, str], ...], namespace: str, component: str) -> tuple[tuple[ObjRef, str], ...]:
    """Each object of the hooks' manifests (``(manifest, events)`` pairs) with the hook's events."""
    return tuple(
        (ObjRef.from_manifest(obj.body, namespace), events)
        for manifest, events in hooks
        for obj in parse_manifest_stream(manifest, component=component)
    )


def _hooks(release: ReleaseRecord, component: str) -> tuple[tuple[ObjRef, str], ...]:
    """The release's hook objects, each with the events that run it ("pre-install, pre-upgrade")."""
    pairs = tuple(
        (str(h.get("manifest") or ""), ", ".join(str(e) for e in h.get("events") or ())) for h in release.hooks
    )
    return _hook_targets(pairs, release.namespace, component)


def _observe(session: PlatformSession, detail: ComponentDetail, current: ReleaseRecord, component: str) -> None:
    """The tree of the release's objects as they are now (the inventory's: in any namespace, and the
    claims of its claim templates), hooks that still exist included (a hook Job's pods tell why an
    install or upgrade failed), and their events."""
    parts = _parts(current.manifest, current.namespace, component)
    hooks = _hooks(current, component)
    finished = parts.ttl_jobs if current.status == "deployed" else frozenset[ObjRef]()
    objects = list(dict.fromkeys([*parts.refs(), *(ref for ref, _ in hooks)]))
    snapshot = observe_snapshot(
        session.client, objects, finished_jobs=finished, cronjob_jobs=True, rules=session.health_rules
    )
    detail.tree = build_tree(snapshot, hooks={(ref.kind, ref.name): events for ref, events in hooks})
    detail.events = _events(session, detail.tree)


def component_live(session: PlatformSession, component: str) -> dict[str, Any]:
    """What of the component page changes without a new revision (:data:`LIVE_KEYS` of
    :meth:`ComponentDetail.as_dict`), redacted as the page is. Decodes only the two newest release
    revisions (their secrets redact events and container messages), not the whole history."""
    revisions = latest_revisions(session, component, 2)
    if not revisions:
        if component in session.platform.component_names:
            return _live(ComponentDetail(component, installed=False).as_dict())
        raise _not_found(session, component)
    current = revisions[-1]
    redaction = _Redaction(session, component)
    redaction.values(current, "")
    if len(revisions) > 1:
        redaction.values(revisions[-2], " (previous)")
    detail = ComponentDetail(component, installed=current.status != "uninstalled", release=current)
    if detail.installed:
        _observe(session, detail, current, component)
    return redaction.redact(_live(detail.as_dict()))


def _live(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in LIVE_KEYS}


def component_detail(session: PlatformSession, component: str) -> dict[str, Any]:
    """The component page's data (:meth:`ComponentDetail.as_dict`), redacted. Raises
    :class:`ComponentNotFound` for a name that is neither declared nor a release of the platform."""
    revisions = component_revisions(session, component)
    if not revisions:
        if component in session.platform.component_names:
            return ComponentDetail(component, installed=False).as_dict()
        raise _not_found(session, component)
    current = revisions[-1]
    previous = revisions[-2] if len(revisions) > 1 else None
    redaction = _Redaction(session, component)
    computed, supplied = redaction.values(current, "")
    detail = ComponentDetail(component, installed=current.status != "uninstalled", release=current)
    detail.revisions = [
        {
            "revision": r.revision,
            "status": r.status,
            "chart": r.chart,
            "updated": r.updated,
            "description": r.description,
        }
        for r in reversed(revisions)
    ]
    if previous is not None:
        detail.previous_revision = previous.revision
        old_computed, _ = redaction.values(previous, " (previous)")
        detail.values_diff = _diff(
            _yaml(old_computed), _yaml(computed), f"values r{previous.revision}", f"values r{current.revision}"
        )
        detail.manifest_diff = _manifest_diff(previous, current, component)
    if detail.installed:
        _observe(session, detail, current, component)
    detail.values = _yaml(computed)
    detail.supplied_values = _yaml(supplied)
    detail.manifest = redacted_manifest(current.manifest, current.namespace, component, Redactor())
    # last, once every secret of both revisions is known: nothing shown escapes it (events and
    # container messages included)
    return redaction.redact(detail.as_dict())


def component_redactor(session: PlatformSession, component: str) -> Callable[[str], str]:
    """What the component page redacts, for text read later (its containers' logs): the platform's
    secrets (those this process learnt since included) and the values at secret paths of the
    release's two newest revisions."""
    redaction = _Redaction(session, component)
    for rel, label in zip(reversed(latest_revisions(session, component, 2)), ("", " (previous)"), strict=False):
        redaction.values(rel, label)
    local = Redactor(redaction.local)
    return lambda text: local.text(known_redactor().text(text))
