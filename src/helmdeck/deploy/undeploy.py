"""``helmdeck undeploy``: releases removed in reverse dependency order, stuck ones recovered, data
kept unless asked.

PersistentVolumeClaims, the secrets store and the platform's revision records stay (and so does the
admin namespace holding them) unless ``purge_data``; then everything is listed first and removed
only after confirmation. Namespaces helmdeck created are removed once empty.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lightkube.core.exceptions import ApiError
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import PersistentVolumeClaim, Pod, Secret

from helmdeck.cluster import PlatformLock, delete_namespace_if_empty
from helmdeck.cluster.lease import lease_name
from helmdeck.cluster.namespaces import get_namespace
from helmdeck.deploy.dag import reverse_order, run_dag
from helmdeck.deploy.executor import Progress, _noop
from helmdeck.deploy.session import EXTENSION_LABEL, PlatformSession
from helmdeck.engine.releases import Release
from helmdeck.errors import HelmdeckError
from helmdeck.revisions.store import RevisionStore
from helmdeck.secrets.redact import known_redactor


@dataclass
class RemovedRelease:
    component: str
    release: str
    namespace: str
    status_before: str
    ok: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "release": self.release,
            "namespace": self.namespace,
            "statusBefore": self.status_before,
            "ok": self.ok,
            "note": self.note,
        }


@dataclass
class UndeployReport:
    platform: str
    releases: list[RemovedRelease] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    namespaces: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    purged: bool = False

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.releases)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "ok": self.ok,
            "purged": self.purged,
            "releases": [r.as_dict() for r in self.releases],
            "keptData": self.kept,
            "deletedData": self.deleted,
            "namespaces": self.namespaces,
            "seconds": round(self.seconds, 2),
        }


def data_inventory(session: PlatformSession) -> list[str]:
    """Everything ``--purge-data`` deletes, as ``Kind namespace/name``."""
    client = session.client
    out: list[str] = []
    for ns in session.platform.all_namespaces():
        if get_namespace(client, ns) is None:
            continue
        for pvc in client.list(PersistentVolumeClaim, namespace=ns):
            out.append(f"PersistentVolumeClaim {ns}/{pvc.metadata.name}")  # type: ignore[union-attr]
    admin = session.admin_namespace
    if get_namespace(client, admin) is not None:
        try:
            client.get(Secret, session.platform.secret_store_name, namespace=admin)
            out.append(f"Secret {admin}/{session.platform.secret_store_name} (the secrets store)")
        except ApiError as exc:
            if exc.status.code != 404:
                raise
        revisions = RevisionStore(client, admin, session.platform_id).list()
        if revisions:
            out.append(f"{len(revisions)} platform revision records in {admin}")
    return out


class Undeployer:
    def __init__(
        self,
        session: PlatformSession,
        *,
        purge_data: bool = False,
        confirm: Callable[[list[str]], bool] | None = None,
        parallel: int = 4,
        progress: Progress | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.session = session
        self.purge_data = purge_data
        self.confirm = confirm
        self.parallel = parallel
        self.progress = progress or _noop
        self.timeout = timeout

    def run(self) -> UndeployReport:
        start = time.monotonic()
        s = self.session
        report = UndeployReport(s.platform_id, purged=self.purge_data)
        to_purge: list[str] = []
        if self.purge_data:
            to_purge = data_inventory(s)
            if to_purge and self.confirm is not None and not self.confirm(to_purge):
                raise HelmdeckError("undeploy cancelled: nothing was changed", exit_code=1)
        admin = get_namespace(s.client, s.admin_namespace)
        # no admin namespace (or one being deleted): nothing of this platform can be locked or left
        usable = admin is not None and (admin.get("status") or {}).get("phase") != "Terminating"
        lock = PlatformLock(s.client, s.admin_namespace, s.platform_id) if usable else None
        if lock is not None:
            lock.acquire()
        try:
            live = s.live_releases()
            report.releases = self._remove_releases(live)
            self._wait_pods_gone({rel.namespace for rel in live.values()})
            if self.purge_data:
                report.deleted = self._purge()
            else:
                report.kept = data_inventory(s)
        finally:
            if lock is not None:
                lock.release()
        if self.purge_data:
            self._delete_lease()
        for ns in s.platform.all_namespaces():
            if ns == s.admin_namespace and not self.purge_data:
                report.namespaces.append(
                    {"name": ns, "deleted": False, "reason": "keeps the secrets store and history"}
                )
                continue
            report.namespaces.append(delete_namespace_if_empty(s.client, ns, s.platform_id).as_dict())
        report.seconds = time.monotonic() - start
        return report

    def _remove_releases(self, live: dict[str, Release]) -> list[RemovedRelease]:
        needs_map = self.session.platform.needs_map()
        names = list(live)
        # extensions go first: every component is treated as something they might use
        needs: dict[str, list[str]] = {}
        platform_names = [n for n in names if not live[n].labels.get(EXTENSION_LABEL)]
        for n in names:
            if live[n].labels.get(EXTENSION_LABEL):
                needs[n] = []
            else:
                needs[n] = [d for d in needs_map.get(n, []) if d in live]
        teardown = reverse_order(needs)
        for ext in (n for n in names if live[n].labels.get(EXTENSION_LABEL)):
            for n in platform_names:
                teardown[n].add(ext)
        results: dict[str, RemovedRelease] = {}
        lock = threading.Lock()

        def work(name: str) -> RemovedRelease:
            result = self._uninstall(name, live[name])
            with lock:
                results[name] = result
            return result

        run_dag(teardown, work, parallel=self.parallel, failed=lambda r: False)
        return [results[n] for n in names if n in results]

    def _uninstall(self, name: str, rel: Release) -> RemovedRelease:
        eng = self.session.engine
        self.progress(name, "uninstalling", f"{rel.status.value} revision {rel.revision}")
        notes = []
        if rel.status.pending:
            notes.append(f"was stuck {rel.status.value}")
        for disable_hooks in (False, True):
            try:
                eng.uninstall(
                    rel.name,
                    namespace=rel.namespace,
                    disable_hooks=disable_hooks,
                    wait=True,
                    timeout=self.timeout,
                    ignore_not_found=True,
                )
                if disable_hooks:
                    notes.append("recovered by uninstalling with hooks disabled")
                self.progress(name, "removed", "; ".join(notes))
                return RemovedRelease(name, rel.name, rel.namespace, rel.status.value, True, "; ".join(notes))
            except HelmdeckError as exc:
                notes.append(f"uninstall failed: {known_redactor().text(exc.message)}")
        self.progress(name, "failed", notes[-1])
        return RemovedRelease(name, rel.name, rel.namespace, rel.status.value, False, "; ".join(notes))

    def _wait_pods_gone(self, namespaces: set[str]) -> None:
        deadline = time.monotonic() + self.timeout
        client = self.session.client
        for ns in sorted(namespaces):
            while time.monotonic() < deadline:
                try:
                    pods = list(client.list(Pod, namespace=ns))
                except ApiError:
                    break
                if not pods:
                    break
                self.progress("*", "waiting", f"{len(pods)} pods terminating in {ns}")
                time.sleep(0.5)

    def _purge(self) -> list[str]:
        s = self.session
        client = s.client
        deleted: list[str] = []
        for ns in s.platform.all_namespaces():
            if get_namespace(client, ns) is None:
                continue
            for pvc in client.list(PersistentVolumeClaim, namespace=ns):
                name = pvc.metadata.name  # type: ignore[union-attr]
                client.delete(PersistentVolumeClaim, name, namespace=ns)  # type: ignore[arg-type]
                deleted.append(f"PersistentVolumeClaim {ns}/{name}")
        self._wait_claims_gone()
        if get_namespace(client, s.admin_namespace) is not None:
            try:
                client.delete(Secret, s.platform.secret_store_name, namespace=s.admin_namespace)
                deleted.append(f"Secret {s.admin_namespace}/{s.platform.secret_store_name}")
            except ApiError as exc:
                if exc.status.code != 404:
                    raise
            count = RevisionStore(client, s.admin_namespace, s.platform_id).purge()
            if count:
                deleted.append(f"{count} platform revision records")
        return deleted

    def _wait_claims_gone(self) -> None:
        """Deleted claims linger until their protection finalizer goes; their namespaces can only be
        removed after that."""
        client = self.session.client
        deadline = time.monotonic() + self.timeout
        for ns in self.session.platform.all_namespaces():
            while time.monotonic() < deadline:
                try:
                    left = list(client.list(PersistentVolumeClaim, namespace=ns))
                except ApiError:
                    break
                if not left:
                    break
                self.progress("*", "waiting", f"{len(left)} volume claims being deleted in {ns}")
                time.sleep(0.3)

    def _delete_lease(self) -> None:
        s = self.session
        with contextlib.suppress(ApiError):
            s.client.delete(Lease, lease_name(s.platform_id), namespace=s.admin_namespace)
