"""A plan as it was reviewed: recorded from a live plan (``plan --out``), and checked again against
the platform and the cluster right before ``deploy --plan`` changes anything.

Checking compares the whole plan made again (same salt, so digests are comparable) with the saved
one: a release another actor upgraded, an edited platform or values file, a chart rebuilt, a secret
rotated, objects drifted since the review, another environment or cluster, all refuse the deploy.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helmdeck.cluster import ObjRef, get_object
from helmdeck.cluster.client import server_url
from helmdeck.core.session import PlatformSession
from helmdeck.errors import HelmdeckError
from helmdeck.plan.plan_file import ensure_same, keyed_digest, new_salt
from helmdeck.plan.planner import Plan, make_plan
from helmdeck.secrets.store import placeholder_secrets


def _masked(values: Any, secret_names: dict[str, str]) -> Any:
    """The values with every secret replaced by its name: their digest must not be a second way to
    test guesses of a secret (each secret has its own digest)."""
    if isinstance(values, dict):
        return {k: _masked(v, secret_names) for k, v in values.items()}
    if isinstance(values, list):
        return [_masked(v, secret_names) for v in values]
    if isinstance(values, str) and values in secret_names:
        return f"<secret {secret_names[values]}>"
    return values


def cluster_identity(session: PlatformSession) -> dict[str, str | None]:
    server: str | None = None
    try:
        server = server_url(session.client)
    except AttributeError:  # a client without a kubeconfig (the in-memory one of tests)
        server = None
    try:
        namespace = get_object(session.client, ObjRef("v1", "Namespace", "kube-system"))
    except HelmdeckError:  # not allowed to read it: the address has to do
        namespace = None
    uid = ((namespace or {}).get("metadata") or {}).get("uid")
    return {"server": server, "uid": uid}


def _file_digest(path: Path | None) -> str | None:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else None


def plan_document(session: PlatformSession, plan: Plan, *, salt: str, created: str) -> dict[str, Any]:
    """What the plan was made against, as the plan file records it (no values, only digests)."""
    from helmdeck import __version__

    platform = session.platform
    stored = session.secrets(create=False) if platform.spec.secrets else {}
    placeholders = placeholder_secrets(platform) if platform.spec.secrets else {}
    secret_names = {value: name for name, value in stored.items()}
    components = []
    for c in plan.components:
        d = plan.desired.get(c.name)
        components.append(
            {
                "component": c.name,
                "release": c.release,
                "namespace": c.namespace,
                "action": c.action.value,
                "reason": c.reason,
                "liveRevision": c.live_revision,
                "liveStatus": c.live_status,
                "chart": {"name": d.chart.name, "version": d.chart.version, "digest": d.chart.digest} if d else None,
                "valuesDigest": keyed_digest(salt, _masked(d.values, secret_names)) if d else None,
                "driftDigest": keyed_digest(salt, c.drift) if c.drift else None,
            }
        )
    return {
        "helmdeckVersion": __version__,
        "createdAt": created,
        "platform": plan.platform,
        "instance": platform.spec.instance,
        "environment": plan.environment,
        "platformFile": {
            "path": str(platform.source_path) if platform.source_path else None,
            "digest": _file_digest(platform.source_path),
        },
        "cluster": cluster_identity(session),
        "salt": salt,
        "secrets": {
            name: {"digest": keyed_digest(salt, value), "stored": value != placeholders.get(name)}
            for name, value in sorted(stored.items())
        },
        "releases": {
            name: {"release": r.name, "namespace": r.namespace, "revision": r.revision, "status": r.status.value}
            for name, r in sorted(plan.live.items())
        },
        "components": components,
        "summary": plan.summary(),
    }


def record_plan(session: PlatformSession, plan: Plan) -> dict[str, Any]:
    """A new plan file's content for ``plan``, made from ``session`` just now."""
    created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return plan_document(session, plan, salt=new_salt(), created=created)


def verify_plan(session: PlatformSession, planned: dict[str, Any], source: str) -> None:
    """Raise, naming every difference, unless planning now gives exactly the saved plan."""
    current = plan_document(
        session, make_plan(session, with_diff=False), salt=planned["salt"], created=planned["createdAt"]
    )
    ensure_same(planned, current, source)
