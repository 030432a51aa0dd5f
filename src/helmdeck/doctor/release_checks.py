"""Releases that are not deployed: pending (an operation runs or died) or failed, with the failed
Helm hook and its Job's explanation when a hook is why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.cluster import ObjRef, diagnose, get_object
from helmdeck.core.status import StoredRelease
from helmdeck.doctor.diagnosis import list_of, mapping_of
from helmdeck.doctor.workload_checks import WorkloadChecks
from helmdeck.engine.storage import decode_release_data, release_secret_name
from helmdeck.errors import HelmdeckError


@dataclass(frozen=True)
class ReleaseRecord:
    """What Helm recorded about a release revision beyond its manifest: status text and hooks."""

    description: str
    hooks: tuple[Mapping[str, Any], ...] = ()

    @property
    def failed_hooks(self) -> list[Mapping[str, Any]]:
        return [h for h in self.hooks if mapping_of(h.get("last_run")).get("phase") == "Failed"]


def decode_release_record(encoded: str) -> ReleaseRecord | None:
    """What Helm's release Secret payload says beyond the manifest (decoded by the engine port)."""
    data = decode_release_data(encoded)
    if data is None:
        return None
    hooks = tuple(h for h in list_of(data.get("hooks")) if isinstance(h, Mapping))
    return ReleaseRecord(str(mapping_of(data.get("info")).get("description", "")), hooks)


class ReleaseChecks(WorkloadChecks):
    def _check_release(self, component: str, stored: StoredRelease) -> None:
        if stored.status == "deployed":
            return
        record = self._release_record(stored)
        description = record.description if record else ""
        if stored.status.startswith("pending"):
            self.add(
                "warning",
                "release-pending",
                component,
                f"release {stored.namespace}/{stored.name}",
                f"revision {stored.revision} is {stored.status}: {description or 'an operation is running or died'}",
                "wait for the running operation; if its process is gone, the next deploy recovers the release",
            )
            return
        self.failed_releases.add(component)
        failed = record.failed_hooks if record else []
        for hook in failed:
            self._failed_hook(component, stored, hook)
        if not failed:
            self.add(
                "error",
                "release-failed",
                component,
                f"release {stored.namespace}/{stored.name}",
                f"revision {stored.revision} is {stored.status}" + (f": {description}" if description else ""),
                "fix the cause shown and deploy again (helmdeck deploy), or roll back (helmdeck rollback)",
            )

    def _release_record(self, stored: StoredRelease) -> ReleaseRecord | None:
        ref = ObjRef("v1", "Secret", release_secret_name(stored.name, stored.revision), stored.namespace)
        try:
            secret = get_object(self.client, ref)
        except HelmdeckError:
            return None
        encoded = mapping_of(secret.get("data") if secret else None).get("release")
        return decode_release_record(str(encoded)) if encoded else None

    def _failed_hook(self, component: str, stored: StoredRelease, hook: Mapping[str, Any]) -> None:
        kind, name = str(hook.get("kind", "")), str(hook.get("name", ""))
        events = ", ".join(str(e) for e in list_of(hook.get("events"))) or "hook"
        obj = f"{kind} {stored.namespace}/{name}"
        why = ""
        details: dict[str, Any] = {"events": list(list_of(hook.get("events")))}
        if kind == "Job":
            try:
                report = diagnose(
                    self.client, ObjRef("batch/v1", "Job", name, stored.namespace), log_lines=self.log_lines
                )
            except HelmdeckError:
                report = None
            if report is not None and report.health.state != "progressing":
                job_why, job_details = self._job_failure(report)
                why, details = f": {job_why}", {**details, **job_details}
            elif report is not None:
                why = " (the Job has since been deleted by its hook-delete-policy)"
        self.add(
            "error",
            "hook-failed",
            component,
            obj,
            f"the {events} hook {obj} of release {stored.name} failed{why}, so Helm marked revision "
            f"{stored.revision} failed",
            "fix the hook's cause (its image, command or the values it reads) and deploy again",
            **details,
        )
