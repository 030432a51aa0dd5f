"""``helmdeck undeploy``: releases removed in reverse dependency order, stuck ones recovered, data
kept unless asked.

PersistentVolumeClaims (even those a chart templates itself, which Helm would delete), the secrets
store and the platform's revision records stay (and so does the admin namespace holding them)
unless ``purge_data``; then everything is listed first and removed only after confirmation, and
only what belongs to this platform (:mod:`helmdeck.deploy.claims`). Namespaces helmdeck created
are removed once empty, before the platform's lock is released.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster import ObjRef, delete_namespace_if_empty, delete_object, get_object, list_objects
from helmdeck.cluster.lease import lease_name
from helmdeck.cluster.namespaces import get_namespace
from helmdeck.core.progress import Progress, no_progress
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.claims import Claim, ReleaseClaims, platform_claims, protect, release_claims
from helmdeck.deploy.dag import reverse_order, run_dag
from helmdeck.engine.releases import Release
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.labels import EXTENSION_LABEL
from helmdeck.revisions.journal import OperationJournal
from helmdeck.revisions.operation import platform_operation
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


def data_inventory(session: PlatformSession, owned: Sequence[ReleaseClaims] = ()) -> list[str]:
    """Everything ``--purge-data`` deletes, as ``Kind namespace/name``: the platform's claims (see
    :mod:`helmdeck.deploy.claims`), its secrets store, its revision records and the web service's
    operation records, nothing else."""
    client = session.client
    out = [str(c) for c in platform_claims(client, session.platform_id, session.platform.all_namespaces(), owned)]
    admin = session.admin_namespace
    if get_namespace(client, admin) is not None:
        if get_object(client, ObjRef("v1", "Secret", session.platform.secret_store_name, admin)) is not None:
            out.append(f"Secret {admin}/{session.platform.secret_store_name} (the secrets store)")
        revisions = RevisionStore(client, admin, session.platform_id).list()
        if revisions:
            out.append(f"{len(revisions)} platform revision records in {admin}")
        operations = OperationJournal(client, admin, session.platform_id, "").records()
        if operations:
            out.append(f"{len(operations)} web service operation records in {admin}")
    return out


def teardown_graph(session: PlatformSession, live: dict[str, Release]) -> dict[str, set[str]]:
    """Which releases each release waits for before it is uninstalled: its dependents, and every
    extension (extensions go first: every component is treated as something they might use)."""
    needs_map = session.platform.needs_map()
    extensions = [n for n in live if live[n].labels.get(EXTENSION_LABEL)]
    needs = {n: [] if n in extensions else [d for d in needs_map.get(n, []) if d in live] for n in live}
    teardown = reverse_order(needs)
    for n in live:
        if n not in extensions:
            teardown[n].update(extensions)
    return teardown


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
        self.progress = progress or no_progress
        self.timeout = timeout

    def run(self) -> UndeployReport:
        start = time.monotonic()
        s = self.session
        report = UndeployReport(s.platform_id, purged=self.purge_data)
        if self.purge_data:
            to_purge = self.data_to_purge()
            if to_purge and self.confirm is not None and not self.confirm(to_purge):
                raise HelmdeckError("undeploy cancelled: nothing was changed", exit_code=1)
        admin = get_namespace(s.client, s.admin_namespace)
        # no admin namespace (or one being deleted): nothing of this platform can be locked or left
        usable = admin is not None and (admin.get("status") or {}).get("phase") != "Terminating"
        with platform_operation(s, locked=usable) as op:
            live = s.live_releases()
            owned = [release_claims(s.engine, name, rel) for name, rel in live.items()]
            for release in owned:
                # before anything is removed: Helm deletes every object of a release it uninstalls
                protect(s.client, s.platform_id, live[release.component].name, release)
            op.check()
            report.releases = self._remove_releases(live)
            self._wait_pods_gone({rel.namespace for rel in live.values()})
            if self.purge_data:
                report.deleted = self._purge()
            else:
                report.kept = data_inventory(s, owned)
            # Namespaces go while the lock is held, and are waited for: a deploy that takes the lock
            # next must not find them half-deleted under its feet.
            op.check()
            report.namespaces = self._remove_namespaces()
        report.seconds = time.monotonic() - start
        return report

    def data_to_purge(self) -> list[str]:
        """What ``purge_data`` would delete now (read-only): what a confirmation lists."""
        s = self.session
        owned = [release_claims(s.engine, name, rel) for name, rel in s.live_releases().items()]
        return data_inventory(s, owned)

    def _remove_namespaces(self) -> list[dict[str, Any]]:
        s = self.session
        out = []
        admin = s.admin_namespace
        for ns in s.platform.all_namespaces():
            if ns == admin:
                continue
            self.progress("*", "removing", f"namespace {ns} if empty")
            out.append(self._remove_namespace(ns))
        if self.purge_data:
            # the lease lives here: deleting the namespace frees the lock with it
            self._delete_lease()
            out.insert(0, self._remove_namespace(admin))
        else:
            out.insert(0, {"name": admin, "deleted": False, "reason": "keeps the secrets store and history"})
        return out

    def _remove_namespace(self, ns: str) -> dict[str, Any]:
        client = self.session.client
        try:
            return delete_namespace_if_empty(client, ns, self.session.platform_id, wait=self.timeout).as_dict()
        except HelmdeckError as exc:
            return {"name": ns, "deleted": False, "reason": known_redactor().text(exc.message)}

    def _remove_releases(self, live: dict[str, Release]) -> list[RemovedRelease]:
        names = list(live)
        teardown = teardown_graph(self.session, live)
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
                    pods = list(list_objects(client, "v1", "Pod", namespace=ns))
                except ClusterError:
                    break
                if not pods:
                    break
                self.progress("*", "waiting", f"{len(pods)} pods terminating in {ns}")
                time.sleep(0.5)

    def _purge(self) -> list[str]:
        """Delete the platform's data (claims it owns, secrets store, revision records) and only that."""
        s = self.session
        client = s.client
        deleted: list[str] = []
        claims = platform_claims(client, s.platform_id, s.platform.all_namespaces())
        for claim in claims:
            if delete_object(client, ObjRef("v1", "PersistentVolumeClaim", claim.name, claim.namespace)):
                deleted.append(str(claim))
        self._wait_claims_gone(claims)
        if get_namespace(client, s.admin_namespace) is not None:
            if delete_object(client, ObjRef("v1", "Secret", s.platform.secret_store_name, s.admin_namespace)):
                deleted.append(f"Secret {s.admin_namespace}/{s.platform.secret_store_name}")
            count = RevisionStore(client, s.admin_namespace, s.platform_id).purge()
            if count:
                deleted.append(f"{count} platform revision records")
            count = OperationJournal(client, s.admin_namespace, s.platform_id, "").purge()
            if count:
                deleted.append(f"{count} web service operation records")
        return deleted

    def _wait_claims_gone(self, claims: Sequence[Claim]) -> None:
        """Deleted claims linger until their protection finalizer goes; their namespaces can only be
        removed after that."""
        client = self.session.client
        deadline = time.monotonic() + self.timeout
        left = list(claims)
        while left and time.monotonic() < deadline:
            still = []
            for claim in left:
                with contextlib.suppress(ClusterError):  # unreadable counts as gone, as before
                    if get_object(client, ObjRef("v1", "PersistentVolumeClaim", claim.name, claim.namespace)):
                        still.append(claim)
            left = still
            if left:
                self.progress("*", "waiting", f"{len(left)} volume claims being deleted")
                time.sleep(0.3)

    def _delete_lease(self) -> None:
        s = self.session
        with contextlib.suppress(ClusterError):
            delete_object(
                s.client, ObjRef("coordination.k8s.io/v1", "Lease", lease_name(s.platform_id), s.admin_namespace)
            )
