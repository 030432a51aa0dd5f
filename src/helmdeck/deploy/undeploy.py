"""``helmdeck undeploy``: releases removed in reverse dependency order, stuck ones recovered, data
kept unless asked.

What is the platform's is :class:`PlatformInventory`'s answer, read before anything changes (the
releases' manifests go with them). Every claim of the inventory, in any namespace, is kept (even
those a chart templates itself, which Helm would delete), as are the secrets store and the revision
records (and the admin namespace holding them), and the PersistentVolumes a chart ships for those
claims, unless ``purge_data``: then exactly the inventory still there after the uninstall (that data,
and what Helm leaves: objects kept by ``helm.sh/resource-policy``, hooks) is listed first and
deleted only after confirmation. Without it, what Helm leaves is marked with
:data:`~helmdeck.labels.LEFT_BY_HELM_LABEL` and listed, so a later purge still knows it is the
platform's. A namespace goes only when helmdeck created it and nothing foreign is in it
(:mod:`helmdeck.deploy.undeploy_decisions`, which the dry run shares), before the platform's lock
is released; the report says what was left and why.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from helmdeck.cluster import ObjRef, delete_object, get_object, list_objects
from helmdeck.cluster.lease import lease_name
from helmdeck.cluster.namespaces import delete_namespaces, get_namespace
from helmdeck.core.claim_keeping import keep_claims, mark_left_by_helm
from helmdeck.core.inventory import LeftObject, PlatformInventory
from helmdeck.core.progress import Progress, no_progress
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.dag import reverse_order, run_dag
from helmdeck.deploy.recovery import uninstall_release
from helmdeck.deploy.undeploy_decisions import NamespaceFate, NamespaceReader, left_behind, namespace_fates, purge_list
from helmdeck.engine.release_writes import ReleaseLimits
from helmdeck.engine.releases import Release
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.labels import EXTENSION_LABEL
from helmdeck.revisions.journal import OperationJournal
from helmdeck.revisions.operation import platform_operation
from helmdeck.revisions.store import RevisionStore
from helmdeck.secrets.redact import known_redactor
from helmdeck.serialize import JsonObject, json_field
from helmdeck.wording import counted


@dataclass
class RemovedRelease(JsonObject):
    component: str
    release: str
    namespace: str
    status_before: str
    ok: bool
    note: str = ""


@dataclass
class UndeployReport(JsonObject):
    platform: str
    releases: list[RemovedRelease] = field(default_factory=list)
    kept: list[str] = field(default_factory=list, metadata=json_field(name="keptData"))
    deleted: list[str] = field(default_factory=list, metadata=json_field(name="deletedData"))
    fates: list[NamespaceFate] = field(default_factory=list, metadata=json_field(name="namespaces"))
    left: list[LeftObject] = field(default_factory=list)
    seconds: float = field(default=0.0, metadata=json_field(round=2))
    purged: bool = False

    __json_computed__ = ("ok",)
    __json_order__ = (
        "platform",
        "ok",
        "purged",
        "releases",
        "keptData",
        "deletedData",
        "namespaces",
        "left",
        "seconds",
    )

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.releases)

    @property
    def namespaces(self) -> list[dict[str, Any]]:
        return [n.as_dict() for n in self.fates]


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
        parallel: int | None = None,
        progress: Progress | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.session = session
        self.purge_data = purge_data
        self.confirm = confirm
        # As wide as Helm's release writes go (HELMDECK_RELEASE_WORKERS): an uninstall holds its worker
        # while it waits for its objects to go, so a narrower teardown left workers idle, and a wider one
        # would only queue for them.
        self.parallel = parallel or ReleaseLimits.from_env().workers
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
            inventory = PlatformInventory.read(s, live, leftovers=True)
            pods = self._platform_pods(inventory, NamespaceReader(s.client))
            # before anything is removed: Helm deletes every object of a release it uninstalls
            keep_claims(s.client, inventory, live)
            op.check()
            report.releases = self._remove_releases(live)
            not_deleted: list[tuple[ObjRef, str]] = []
            if self.purge_data:
                report.deleted, not_deleted = self._purge(inventory)
            else:
                report.kept = inventory.data()
                # what Helm left stays, marked: the label says whose it is once the release is gone
                mark_left_by_helm(s.client, inventory)
            # Namespaces go while the lock is held, and are waited for: a deploy that takes the lock
            # next must not find them half-deleted under its feet.
            op.check()
            after = NamespaceReader(s.client)
            report.fates = self._remove_namespaces(namespace_fates(inventory, after, purge=self.purge_data))
            gone = {f.name for f in report.fates if f.deleted}
            # Only now, and only where the namespace stays: a deleted namespace was waited for until it
            # was gone, pods and all (the namespace controller deletes them at once, where the garbage
            # collector's Deployment -> ReplicaSet -> Pod chain lags behind a large teardown).
            self._wait_pods_gone({ns: uids for ns, uids in pods.items() if ns not in gone})
            report.left = left_behind(inventory, report.fates, after, purge=self.purge_data)
            report.left += [LeftObject(str(ref), why) for ref, why in not_deleted if ref.namespace not in gone]
        report.seconds = time.monotonic() - start
        return report

    def data_to_purge(self) -> list[str]:
        """What ``purge_data`` would delete now (read-only): what a confirmation lists."""
        return purge_list(PlatformInventory.read(self.session, leftovers=True))

    def _remove_namespaces(self, fates: list[NamespaceFate]) -> list[NamespaceFate]:
        """Delete the namespaces that go together and wait for them together (the namespace
        controller empties them in parallel)."""
        going = [fate.name for fate in fates if fate.deleted]
        if self.session.admin_namespace in going:
            self._delete_lease()  # the lease lives there: deleting the namespace frees the lock with it
        if going:
            self.progress("*", "removing", f"namespaces {', '.join(going)}")
        errors = delete_namespaces(self.session.client, going, wait=self.timeout)
        redact = known_redactor()
        return [
            replace(fate, deleted=False, reason=redact.text(errors[fate.name].message)) if fate.name in errors else fate
            for fate in fates
        ]

    def _platform_pods(self, inventory: PlatformInventory, contents: NamespaceReader) -> dict[str, set[str]]:
        """The uids of the inventory's pods, by namespace: an undeploy waits for these and no
        others (another team's pods in a shared namespace are none of its business)."""
        out: dict[str, set[str]] = {}
        for ns in sorted({o.ref.namespace for o in inventory.objects if o.ref.namespace}):
            try:
                found = contents(ns)
            except HelmdeckError:
                continue  # unreadable: nothing to wait for that could be told apart
            pods = {_uid(o) for o in found if o.get("kind") == "Pod" and inventory.is_platform_pod(o, found)}
            if pods:
                out[ns] = pods
        return out

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

        def note_failure(exc: HelmdeckError) -> None:
            notes.append(f"uninstall failed: {known_redactor().text(exc.message)}")

        try:
            forced = uninstall_release(eng, rel.name, rel.namespace, self.timeout, wait=True, failed=note_failure)
        except HelmdeckError as exc:
            note_failure(exc)
            self.progress(name, "failed", notes[-1])
            return RemovedRelease(name, rel.name, rel.namespace, rel.status.value, False, "; ".join(notes))
        if forced:
            notes.append("recovered by uninstalling with hooks disabled")
        self.progress(name, "removed", "; ".join(notes))
        return RemovedRelease(name, rel.name, rel.namespace, rel.status.value, True, "; ".join(notes))

    def _wait_pods_gone(self, pods: dict[str, set[str]]) -> None:
        deadline = time.monotonic() + self.timeout
        client = self.session.client
        for ns, uids in sorted(pods.items()):
            while time.monotonic() < deadline:
                try:
                    live = {_uid(p) for p in list_objects(client, "v1", "Pod", namespace=ns)}
                except ClusterError:
                    break
                left = uids & live
                if not left:
                    break
                self.progress("*", "waiting", f"{counted(left, 'pod')} of the platform's terminating in {ns}")
                time.sleep(0.5)

    def _purge(self, inventory: PlatformInventory) -> tuple[list[str], list[tuple[ObjRef, str]]]:
        """Delete what is left of the inventory after the uninstall (what Helm leaves, the claims
        wherever they are, their volumes, the secrets store, the revision records) and nothing
        else; the items as the confirmation listed them (:func:`purge_list`), and what of Helm's
        leftovers could not be deleted (the purge goes on with the data: it is said, not hidden)."""
        s = self.session
        client = s.client
        deleted: list[str] = []
        failed: list[tuple[ObjRef, str]] = []
        for obj in inventory.helm_leaves():
            try:
                if delete_object(client, obj.ref):
                    deleted.append(str(obj.ref))
            except ClusterError as exc:
                failed.append((obj.ref, f"could not be deleted: {known_redactor().text(exc.message)}"))
        for claim in inventory.claims:
            if delete_object(client, claim.ref):
                deleted.append(str(claim))
        self._wait_gone([c.ref for c in inventory.claims], "deleted volume claim")
        # after their claims: a volume still bound stays terminating under its protection finalizer
        for volume in inventory.volumes:
            if delete_object(client, volume.ref):
                deleted.append(str(volume))
        self._wait_gone([v.ref for v in inventory.volumes], "deleted volume")
        data = inventory.data()
        if inventory.store is not None and delete_object(client, inventory.store):
            deleted.extend(item for item in data if item.startswith(f"Secret {inventory.store.namespace}/"))
        if inventory.namespaces.get(s.admin_namespace) is not None:
            count = RevisionStore(client, s.admin_namespace, s.platform_id).purge()
            if count:
                deleted.append(f"{counted(count, 'platform revision record')} in {s.admin_namespace}")
            count = OperationJournal(client, s.admin_namespace, s.platform_id, "").purge()
            if count:
                deleted.append(f"{counted(count, 'web service operation record')} in {s.admin_namespace}")
        return deleted, failed

    def _wait_gone(self, refs: Sequence[ObjRef], what: str) -> None:
        """Deleted claims and volumes linger until their protection finalizer goes; a claim's
        namespace can only be removed, and its volume let go, after that."""
        client = self.session.client
        deadline = time.monotonic() + self.timeout
        left = list(refs)
        while left and time.monotonic() < deadline:
            still = []
            for ref in left:
                with contextlib.suppress(ClusterError):  # unreadable counts as gone, as before
                    if get_object(client, ref):
                        still.append(ref)
            left = still
            if left:
                # "7 of 8 deleted volume claims": the count of what is left, of all that was deleted
                self.progress("*", "waiting", f"{len(left)} of {counted(refs, what)} still terminating")
                time.sleep(0.3)

    def _delete_lease(self) -> None:
        s = self.session
        with contextlib.suppress(ClusterError):
            delete_object(
                s.client, ObjRef("coordination.k8s.io/v1", "Lease", lease_name(s.platform_id), s.admin_namespace)
            )


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")
