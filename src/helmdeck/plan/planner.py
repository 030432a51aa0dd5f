"""The plan: for each component, install / upgrade / unchanged / remove, with a manifest diff
against the live release (secret values redacted).

Each component's action follows from its release's state (:mod:`helmdeck.plan.state`, the
decision deploy acts on too). A release is in sync when it is deployed, carries the config digest of
what helmdeck would install now (chart content + values: comparing digests needs no manifest
download, which keeps a no-change plan of many components cheap) and its live objects have not
drifted (:mod:`helmdeck.plan.drift`). A release changed behind helmdeck's back (``helm upgrade`` by
hand) carries no matching digest and shows up as an upgrade.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from helmdeck.cluster import ServerVersion, server_version
from helmdeck.core.chart_kube_version import kube_version_refusal
from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.engine.charts import calls_lookup
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.labels import EXTENSION_LABEL
from helmdeck.manifests import parse_manifest_stream
from helmdeck.plan.destructive import DestructiveChange, destructive_changes, removed_objects
from helmdeck.plan.state import Action as Action  # where callers have always found it
from helmdeck.plan.state import ReleaseState, classify, release_states
from helmdeck.secrets.redact import known_redactor, remember
from helmdeck.serialize import JsonObject, computed, json_field
from helmdeck.spec.value_paths import lookup, split_key


@dataclass
class ComponentPlan(JsonObject):
    name: str = field(metadata=json_field(name="component"))
    release: str
    namespace: str
    action: Action
    reason: str
    chart: str = ""
    #: the release's state (absent, locked, failed, out-of-sync, drifted, in-sync; removed ones: None)
    state: ReleaseState | None = None
    live_revision: int | None = None
    live_status: str | None = None
    live_chart: str | None = None
    diff: str = ""
    drift: list[str] = field(default_factory=list)  # live objects edited or deleted outside helmdeck
    destructive: list[DestructiveChange] = field(default_factory=list)

    __json_order__ = (
        "component",
        "release",
        "namespace",
        "action",
        "state",
        "reason",
        "chart",
        "liveRevision",
        "liveStatus",
        "liveChart",
        "diff",
        "drift",
        "destructive",
    )


@dataclass
class Plan(JsonObject):
    platform: str
    environment: str | None
    components: list[ComponentPlan] = field(default_factory=list)
    placeholder_secrets: bool = field(default=False, metadata=json_field(exclude=True))
    #: what each component was planned to become, so a saved plan can pin it (never serialized)
    desired: dict[str, DesiredComponent] = field(default_factory=dict, repr=False, metadata=json_field(exclude=True))
    #: every release of the platform the plan was made against, extensions too (never serialized)
    live: dict[str, Release] = field(default_factory=dict, repr=False, metadata=json_field(exclude=True))

    __json_computed__ = (computed("has_changes", name="changes"), "summary", "destructive")
    __json_order__ = (
        "platform",
        "environment",
        "changes",
        "summary",
        "destructive",
        "components",
    )

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.unchanged for c in self.components)

    @property
    def destructive(self) -> list[DestructiveChange]:
        return [d for c in self.components for d in c.destructive]

    def summary(self) -> str:
        """ "2 to install, 1 to change, 0 to remove" (unchanged ones are not counted)."""
        count = {a: sum(1 for c in self.components if c.action is a) for a in Action}
        line = (
            f"{count[Action.install]} to install, {count[Action.upgrade]} to change, {count[Action.remove]} to remove"
        )
        if count[Action.blocked]:
            line += f"; {count[Action.blocked]} blocked (Helm would refuse)"
        if self.destructive:
            line += f"; {len(self.destructive)} destructive"
        return line

    def by_name(self) -> dict[str, ComponentPlan]:
        return {c.name: c for c in self.components}


def decide(desired: DesiredComponent, live: Release | None) -> tuple[Action, str]:
    """The action and reason for a release, drift left aside (see :func:`classify`)."""
    decision = classify(desired, live)
    return decision.action, decision.reason


def make_plan(session: PlatformSession, *, with_diff: bool = True, create_secrets: bool = False) -> Plan:
    desired = session.desired(create_secrets=create_secrets)
    live = session.live_releases()
    plan = Plan(
        session.platform_id,
        session.environment,
        placeholder_secrets=session._secrets_are_placeholders,
        desired=desired,
        live=live,
    )
    states = release_states(session, desired, live, session.platform.component_names)
    cluster_version = _cluster_version(session) if any(d.chart.kube_version for d in desired.values()) else None
    for name in session.platform.component_names:
        d = desired[name]
        rel = live.get(name)
        decision = states[name]
        action, reason = decision.action, decision.reason
        refusal = kube_version_refusal(d.chart.kube_version, cluster_version) if cluster_version else None
        if refusal is not None and action is not Action.unchanged:
            action, reason = Action.blocked, f"{action.value} refused: chart {d.chart.name} {refusal.message}"
        entry = ComponentPlan(
            name=name,
            release=d.release,
            namespace=d.namespace,
            action=action,
            reason=reason,
            state=decision.state,
            chart=f"{d.chart.name}-{d.chart.version}",
            live_revision=rel.revision if rel else None,
            live_status=rel.status.value if rel else None,
            live_chart=rel.chart if rel else None,
            drift=decision.drift.lines() if decision.drift is not None else [],
        )
        if with_diff and action is not Action.unchanged:
            live_text = ""
            if rel is not None and rel.status is not ReleaseStatus.UNINSTALLED:
                live_text = session.engine.get_manifest(rel.name, namespace=rel.namespace)
                # after `secrets rotate` the live release still holds the old values, which the
                # store has forgotten: learn them from the release itself before showing anything
                remember(previous_secret_values(session, name, rel))
            entry.diff = manifest_diff(live_text, d, name)
            entry.destructive = component_destructive_changes(session, d, live_text)
        plan.components.append(entry)
    for name, rel in sorted(live.items()):
        if name in desired or rel.labels.get(EXTENSION_LABEL) or rel.status is ReleaseStatus.UNINSTALLED:
            continue
        plan.components.append(
            ComponentPlan(
                name=name,
                release=rel.name,
                namespace=rel.namespace,
                action=Action.remove,
                reason="no longer in the platform file",
                live_revision=rel.revision,
                live_status=rel.status.value,
                live_chart=rel.chart,
                destructive=removal_destructive_changes(session, name, rel) if with_diff else [],
            )
        )
    return plan


def _cluster_version(session: PlatformSession) -> ServerVersion | None:
    """The cluster's version, for charts' kubeVersion; None when it cannot be read (the deploy's
    preflight asks again and says why)."""
    try:
        return server_version(session.client)
    except ClusterError:
        return None


def _objects(text: str, namespace: str, component: str) -> dict[str, dict[str, Any]]:
    return {_key(o.body, namespace): dict(o.body) for o in parse_manifest_stream(text, component=component)}


def _desired_objects(d: DesiredComponent) -> dict[str, dict[str, Any]]:
    return {_key(o.body, d.namespace): dict(o.body) for o in d.rendered.manifests}


def _managed_secret(session: PlatformSession) -> Callable[[str], bool]:
    """Whether a Secret value (plain, or base64 as in ``data``) is one of the platform's own secrets."""
    known = set(session.secrets(create=False).values()) if session.platform.spec.secrets else set()

    def managed(value: str) -> bool:
        if value in known:
            return True
        try:
            return base64.b64decode(value, validate=True).decode() in known
        except (ValueError, UnicodeDecodeError):
            return False

    return managed


def component_destructive_changes(
    session: PlatformSession, d: DesiredComponent, live_text: str
) -> list[DestructiveChange]:
    """What upgrading ``d`` over its live manifest would destroy (nothing for a first install)."""
    if not live_text:
        return []
    live = _objects(live_text, d.namespace, d.name)
    want = _desired_objects(d)
    changes = destructive_changes(d.name, live, want, d.namespace, managed_secret=_managed_secret(session))
    if calls_lookup(d.chart):
        # rendered here without a cluster, where lookup finds nothing: the install keeps what it finds
        changes = [c for c in changes if c.change != "secret-regenerated"]
    return changes


def removal_destructive_changes(session: PlatformSession, component: str, rel: Release) -> list[DestructiveChange]:
    """What uninstalling a release dropped from the platform file would destroy."""
    try:
        text = session.engine.get_manifest(rel.name, namespace=rel.namespace)
    except HelmdeckError:
        return []
    return removed_objects(component, _objects(text, rel.namespace, component), rel.namespace)


def _key(body: Mapping[str, Any], default_ns: str) -> str:
    meta = body.get("metadata") or {}
    return f"{body.get('kind')}/{meta.get('namespace') or default_ns}/{meta.get('name')}"


def previous_secret_values(session: PlatformSession, component: str, rel: Release) -> dict[str, str]:
    """The secret values the live release was installed with, by secret name (marked previous)."""
    targets = session.platform.secret_targets(component)
    if not targets:
        return {}
    try:
        values = session.engine.get_values(rel.name, namespace=rel.namespace)
    except HelmdeckError:
        return {}
    out = {}
    for secret, path in targets:
        found, value = lookup(values, split_key(path))
        if found and isinstance(value, str) and value:
            out[f"{secret} (previous)"] = value
    return out


def _digest(value: Any) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()


def _redact_secret_data(body: dict[str, Any], other: Mapping[str, Any] | None, *, side: str) -> dict[str, Any]:
    """Secret payloads never reach a diff. A value the other side has too (compared by digest)
    becomes ``<redacted>`` on both sides, so it shows no change; a changed one becomes
    ``<redacted, live value>`` / ``<redacted, new value>``, so it shows as one -/+ pair."""
    if body.get("kind") != "Secret":
        return body
    out = dict(body)
    for section in ("data", "stringData"):
        values = body.get(section)
        if isinstance(values, Mapping):
            theirs = (other or {}).get(section) or {}
            theirs = theirs if isinstance(theirs, Mapping) else {}
            out[section] = {
                k: "<redacted>" if k in theirs and _digest(theirs[k]) == _digest(v) else f"<redacted, {side} value>"
                for k, v in values.items()
            }
    return out


def manifest_diff(live_text: str, desired: DesiredComponent, component: str) -> str:
    live = _objects(live_text, desired.namespace, component)
    want = _desired_objects(desired)
    chunks: list[str] = []
    for key in sorted(set(live) | set(want)):
        old, new = live.get(key), want.get(key)
        if old == new:
            continue
        old_text = yaml.safe_dump(_redact_secret_data(old, new, side="live"), sort_keys=True) if old else ""
        new_text = yaml.safe_dump(_redact_secret_data(new, old, side="new"), sort_keys=True) if new else ""
        chunks.extend(
            difflib.unified_diff(
                old_text.splitlines(keepends=True),
                new_text.splitlines(keepends=True),
                fromfile=f"live/{key}" if old else "/dev/null",
                tofile=f"desired/{key}" if new else "/dev/null",
            )
        )
    return known_redactor().text("".join(chunks))
