"""What Helm recorded about a release revision beyond its manifest (its description and hooks),
read from the release Secret, and the findings for a release that is pending or failed: which
hook failed and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helmdeck.cluster import ObjRef, diagnose, get_object
from helmdeck.core.status import StoredRelease
from helmdeck.doctor.live.context import LiveDiagnosis
from helmdeck.doctor.live.job_failures import job_failure
from helmdeck.engine.storage import decode_release_data, release_secret_name
from helmdeck.errors import HelmdeckError


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class ReleaseRecord:
    """What Helm recorded about a release revision beyond its manifest: status text and hooks."""

    description: str
    hooks: tuple[Mapping[str, Any], ...] = ()

    @property
    def failed_hooks(self) -> list[Mapping[str, Any]]:
        return [h for h in self.hooks if _map(h.get("last_run")).get("phase") == "Failed"]


def decode_release_record(encoded: str) -> ReleaseRecord | None:
    """The record in a release Secret's ``data.release`` (Helm's format, decoded by the engine)."""
    data = decode_release_data(encoded)
    if data is None:
        return None
    hooks = tuple(h for h in _list(data.get("hooks")) if isinstance(h, Mapping))
    return ReleaseRecord(str(_map(data.get("info")).get("description", "")), hooks)


def check_release(d: LiveDiagnosis, component: str, stored: StoredRelease) -> None:
    if stored.status == "deployed":
        return
    record = read_release_record(d, stored)
    description = record.description if record else ""
    if stored.status.startswith("pending"):
        d.add(
            "warning",
            "release-pending",
            component,
            f"release {stored.namespace}/{stored.name}",
            f"revision {stored.revision} is {stored.status}: {description or 'an operation is running or died'}",
            "wait for the running operation; if its process is gone, the next deploy recovers the release",
        )
        return
    d.failed_releases.add(component)
    failed = record.failed_hooks if record else []
    for hook in failed:
        failed_hook(d, component, stored, hook)
    if not failed:
        d.add(
            "error",
            "release-failed",
            component,
            f"release {stored.namespace}/{stored.name}",
            f"revision {stored.revision} is {stored.status}" + (f": {description}" if description else ""),
            "fix the cause shown and deploy again (helmdeck deploy), or roll back (helmdeck rollback)",
        )


def read_release_record(d: LiveDiagnosis, stored: StoredRelease) -> ReleaseRecord | None:
    ref = ObjRef("v1", "Secret", release_secret_name(stored.name, stored.revision), stored.namespace)
    try:
        secret = get_object(d.client, ref)
    except HelmdeckError:
        return None
    encoded = _map(secret.get("data") if secret else None).get("release")
    return decode_release_record(str(encoded)) if encoded else None


def failed_hook(d: LiveDiagnosis, component: str, stored: StoredRelease, hook: Mapping[str, Any]) -> None:
    kind, name = str(hook.get("kind", "")), str(hook.get("name", ""))
    events = ", ".join(str(e) for e in _list(hook.get("events"))) or "hook"
    obj = f"{kind} {stored.namespace}/{name}"
    why = ""
    details: dict[str, Any] = {"events": list(_list(hook.get("events")))}
    if kind == "Job":
        try:
            report = diagnose(d.client, ObjRef("batch/v1", "Job", name, stored.namespace), log_lines=d.log_lines)
        except HelmdeckError:
            report = None
        if report is not None and report.health.state != "progressing":
            job_why, job_details = job_failure(d, report)
            why, details = f": {job_why}", {**details, **job_details}
        elif report is not None:
            why = " (the Job has since been deleted by its hook-delete-policy)"
    d.add(
        "error",
        "hook-failed",
        component,
        obj,
        f"the {events} hook {obj} of release {stored.name} failed{why}, so Helm marked revision "
        f"{stored.revision} failed",
        "fix the hook's cause (its image, command or the values it reads) and deploy again",
        **details,
    )
