"""What the web service does to the platform, behind one interface the API and the pages call.

:class:`ClusterBackend` is the real one: the same services the CLI uses (status, revisions,
rollback, extension manager, catalog, uploads) on a platform file and a cluster. Tests of the HTTP
layer put a fake behind the same :class:`PlatformBackend` protocol.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from helmdeck.app.extensions import check_uninstall, extension_manager, platform_catalog, preview_uninstall
from helmdeck.app.opening import LastDeployed, open_platform
from helmdeck.app.rules import target_platform
from helmdeck.cluster import default_holder
from helmdeck.core.component_detail import component_detail, component_live
from helmdeck.core.open_links import component_links
from helmdeck.core.status import platform_status
from helmdeck.errors import HelmdeckError
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.manager import ExtensionManager
from helmdeck.extensions.state import default_state_dir, upload_dir
from helmdeck.extensions.states import extension_state
from helmdeck.extensions.upload import UploadPolicy, accept_upload
from helmdeck.revisions.journal import OperationJournal
from helmdeck.revisions.rollback import rollback_platform
from helmdeck.revisions.store import RevisionStore
from helmdeck.server.backend_views import ViewsMixin
from helmdeck.server.operations import Journal, Progress, Running
from helmdeck.server.settings import ServerSettings
from helmdeck.spec import Platform

if TYPE_CHECKING:
    from helmdeck.core.session import PlatformSession


class NotAvailable(HelmdeckError):
    """A feature this installation does not have (yet)."""

    http_status: ClassVar[int] = 501


@dataclass(frozen=True)
class ExtensionAsk:
    """An extension to install, as asked (the API's install request, the page's form)."""

    name: str
    parameters: dict[str, Any]
    instance_name: str | None = None
    #: a catalog version; None: the newest
    version: str | None = None


class PlatformBackend(Protocol):
    @property
    def platform_id(self) -> str: ...

    @property
    def state_dir(self) -> Path: ...

    def info(self) -> dict[str, Any]: ...

    def status(self) -> dict[str, Any]: ...

    def history(self) -> list[dict[str, Any]]: ...

    def revision(self, number: int) -> dict[str, Any]: ...

    def check_rollback(self, revision: int | None) -> None: ...

    def preview_rollback(self, revision: int) -> dict[str, Any]: ...

    def rollback(self, revision: int | None, run: Running) -> dict[str, Any]: ...

    def catalog(self) -> dict[str, Any]: ...

    def extension(self, name: str) -> dict[str, Any]: ...

    def installed(self) -> list[dict[str, Any]]: ...

    def check_install(self, ask: ExtensionAsk) -> list[dict[str, Any]]: ...

    def install(self, ask: ExtensionAsk, run: Running) -> dict[str, Any]: ...

    def check_uninstall(self, name: str, force: bool) -> dict[str, Any]: ...

    def uninstall(self, name: str, force: bool, run: Running, purge_data: bool = False) -> dict[str, Any]: ...

    def preview_uninstall(self, name: str) -> dict[str, Any]: ...

    def upload(self, data: bytes, filename: str) -> dict[str, Any]: ...

    def doctor(self, mode: str) -> dict[str, Any]: ...

    def component_detail(self, name: str) -> dict[str, Any]: ...

    def component_live(self, name: str) -> dict[str, Any]: ...

    def gpu_available(self) -> bool: ...

    def journal(self) -> Journal | None: ...


class ClusterBackend(ViewsMixin):
    """The platform of ``settings.platform_file`` on the cluster of ``settings.kubeconfig``."""

    def __init__(self, settings: ServerSettings, platform: Platform | None = None) -> None:
        self.settings = settings
        self.platform = platform if platform is not None else target_platform(settings.target())
        self._reader: PlatformSession | None = None
        self._lock = threading.Lock()
        # component name -> (monotonic time, live part): shared by the pages open on one component
        self._live: dict[str, tuple[float, dict[str, Any]]] = {}
        self._links_cache: tuple[float, tuple[Any, ...], dict[str, list[dict[str, str]]]] | None = None
        self._drift_cache: tuple[float, dict[str, str]] | None = None

    @property
    def platform_id(self) -> str:
        return self.platform.prefixed(self.platform.name)

    def reload_platform(self) -> None:
        """Read the platform file again: a deploy from the web deployed the file as it is now (edited
        since the service started), and the overview should show what it deployed."""
        platform = target_platform(self.settings.target())
        with self._lock:
            self.platform, self._reader = platform, None
            self._links_cache = self._drift_cache = None

    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir or default_state_dir(self.platform_id)

    # -- sessions --------------------------------------------------------------------------------
    def _session(self, last_deployed: LastDeployed = LastDeployed.ignore) -> PlatformSession:
        target = self.settings.target()
        if last_deployed is LastDeployed.ignore:
            target = target.replace(environment=None)
        return open_platform(target, platform=self.platform, last_deployed=last_deployed)

    def _read(self) -> PlatformSession:
        """One long-lived session for reads: its cluster client (and connection pool) is reused."""
        with self._lock:
            if self._reader is None:
                self._reader = self._session()
            return self._reader

    def _operating(self) -> PlatformSession:
        """A session for one operation: the service's environment, else the one last deployed."""
        return self._session(LastDeployed.adopt)

    def _catalog(self) -> Catalog:
        return platform_catalog(self.platform, self.state_dir)

    def _manager(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> ExtensionManager:
        return extension_manager(
            self.settings.target(),
            self.platform,
            self._catalog(),
            progress=progress,
            interrupt=cancel,
            timeout=self.settings.operation_timeout,
        )

    def journal(self) -> OperationJournal:
        """Where this service writes its operations down as they run (the platform's admin namespace)."""
        s = self._read()
        return OperationJournal(s.client, s.admin_namespace, s.platform_id, default_holder())

    # -- reads -----------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        p = self.platform
        return {
            "platform": self.platform_id,
            "name": p.name,
            "instance": p.instance,
            "environment": self.settings.environment,
            "namespaces": {key: p.logical_namespace(key) for key in p.spec.namespaces},
            "components": p.component_names,
        }

    def status(self) -> dict[str, Any]:
        data = platform_status(self._read()).as_dict()
        # extensions uninstalled (history kept for rollback) are no longer part of the platform
        declared = set(self.platform.component_names)
        data["components"] = [
            c for c in data["components"] if c["component"] in declared or c["status"] != "not installed"
        ]
        data["healthy"] = all(c["health"] == "healthy" for c in data["components"])
        needs = self.platform.needs_map()
        links = self._links(data["components"])
        drift = self._drift([c["component"] for c in data["components"] if c["status"] == "deployed"])
        for c in data["components"]:
            c["needs"] = needs.get(c["component"], [])
            c["links"] = links.get(c["component"], [])
            c["drift"] = drift.get(c["component"])
        return data

    #: drift is looked for every this many status intervals: each look lists every kind of object
    #: the releases hold (and asks the API server about the suspects), a status lists far fewer
    DRIFT_EVERY = 10

    def _drift(self, deployed: list[str]) -> dict[str, str]:
        """What drifted, by component (the plan's drift summary), read again every
        ``DRIFT_EVERY`` status intervals; a look that fails keeps the last one."""
        with self._lock:
            cached = self._drift_cache
        if cached is not None and time.monotonic() - cached[0] < self.DRIFT_EVERY * self.settings.status_poll_seconds:
            return cached[1]
        from helmdeck.plan.drift import platform_drift

        try:
            found = {name: d.summary() for name, d in platform_drift(self._read(), deployed).items()}
        except HelmdeckError:
            found = cached[1] if cached is not None else {}
        with self._lock:
            self._drift_cache = (time.monotonic(), found)
        return found

    def _links(self, components: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """Each component's "open" links. They change with a release's revision (its objects), so
        they are read again when a revision changes, and otherwise once a minute (a node's address, a
        NodePort assigned later), not with every status reading."""
        key = tuple((c["component"], c["revision"]) for c in components)
        with self._lock:
            cached = self._links_cache
        if cached is not None and cached[1] == key and time.monotonic() - cached[0] < 60:
            return cached[2]
        links = component_links(self._read(), components)
        with self._lock:
            self._links_cache = (time.monotonic(), key, links)
        return links

    def _store(self) -> RevisionStore:
        s = self._read()
        return RevisionStore(s.client, s.admin_namespace, s.platform_id)

    def history(self) -> list[dict[str, Any]]:
        from helmdeck.revisions.timeline import listed_revision

        return [listed_revision(r.to_json()) for r in self._store().list()]

    def revision(self, number: int) -> dict[str, Any]:
        return self._store().get(number).to_json()

    def catalog(self) -> dict[str, Any]:
        catalog = self._catalog().load()
        return {
            "extensions": [e.as_dict() for e in catalog.latest()],
            "problems": [p.as_dict() for p in catalog.problems],
        }

    def extension(self, name: str) -> dict[str, Any]:
        return self._catalog().get(name).as_dict()

    def installed(self) -> list[dict[str, Any]]:
        by_name = {c["component"]: c for c in self.status()["components"]}
        out = []
        for inst in ExtensionManager(self._read(), self._catalog()).installed():
            row = inst.as_dict()
            st = by_name.get(inst.component, {})
            row["health"] = st.get("health", "unknown")
            row["reason"] = st.get("reason", "")
            row["links"] = st.get("links", [])
            row["state"] = extension_state(row, st.get("objects") or [])
            out.append(row)
        return out

    def gpu_available(self) -> bool:
        """Whether an extension that needs a GPU could run: GPUs allowed and a node offering one."""
        from helmdeck.extensions.gpu import cluster_has_gpu

        return self.platform.spec.gpu != "off" and cluster_has_gpu(self._read().client)

    def component_detail(self, name: str) -> dict[str, Any]:
        """One component's release, object tree with health, events, values, manifests and changes
        since the previous revision, secrets redacted."""
        return component_detail(self._read(), name)

    def component_live(self, name: str) -> dict[str, Any]:
        """What of the component page changes without a new revision: release status, object tree
        with health, events. Every open page's stream asks for it each poll interval; pages open on
        the same component share a reading younger than half an interval instead of each making one."""
        max_age = self.settings.status_poll_seconds / 2
        with self._lock:
            cached = self._live.get(name)
        if cached is not None and time.monotonic() - cached[0] < max_age:
            return cached[1]
        taken = time.monotonic()
        live = component_live(self._read(), name)  # errors are not kept: the next ask tries again
        with self._lock:
            self._live[name] = (taken, live)
        return live

    def doctor(self, mode: str) -> dict[str, Any]:
        """Live diagnosis of the running platform (``live``) or the checks made before a deploy
        (``preflight``)."""
        try:
            from helmdeck.doctor.live import diagnose_platform
            from helmdeck.doctor.preflight import run_preflight
        except ImportError as exc:
            raise NotAvailable(
                f"the doctor is not part of this helmdeck build ({exc})",
                fix="run 'helmdeck status' for component health and failing pods",
            ) from None
        session = self._operating()
        report = diagnose_platform(session) if mode == "live" else run_preflight(session)
        result: dict[str, Any] = report.as_dict()
        return result

    # -- changes ---------------------------------------------------------------------------------
    def check_rollback(self, revision: int | None) -> None:
        if revision is not None:
            self._store().get(revision)

    def preview_rollback(self, revision: int) -> dict[str, Any]:
        """What rolling back to ``revision`` would do, per component; nothing changes."""
        from helmdeck.revisions.rollback_preview import preview_rollback

        return preview_rollback(self._session(), revision).as_dict()

    def rollback(self, revision: int | None, run: Running) -> dict[str, Any]:
        return rollback_platform(self._session(), revision, progress=run.progress, interrupt=run.cancel).as_dict()

    def check_install(self, ask: ExtensionAsk) -> list[dict[str, Any]]:
        steps = self._manager().plan_install(
            ask.name, ask.parameters, instance_name=ask.instance_name, version=ask.version
        )
        return [
            {"component": s.component, "extension": s.extension.name, "version": s.extension.version} for s in steps
        ]

    def install(self, ask: ExtensionAsk, run: Running) -> dict[str, Any]:
        manager = self._manager(run.progress, run.cancel)
        report = manager.install(ask.name, ask.parameters, instance_name=ask.instance_name, version=ask.version)
        return report.as_dict()

    def check_uninstall(self, name: str, force: bool) -> dict[str, Any]:
        return check_uninstall(self._manager(), name, force).as_dict()

    def uninstall(self, name: str, force: bool, run: Running, purge_data: bool = False) -> dict[str, Any]:
        """Its volume claims are kept unless ``purge_data`` (the caller's explicit ask: the API's
        ``purgeData``, the page's checkbox after its preview listed them)."""
        return self._manager(run.progress, run.cancel).uninstall(name, force=force, purge_data=purge_data).as_dict()

    def preview_uninstall(self, name: str) -> dict[str, Any]:
        """What uninstalling ``name`` would delete and keep, and who needs it; nothing changes."""
        return preview_uninstall(self._manager(), name)

    def upload(self, data: bytes, filename: str) -> dict[str, Any]:
        policy = UploadPolicy(
            admin_namespace=self.platform.admin_namespace,
            extensions_namespace=self.platform.logical_namespace("extensions"),
            max_archive_bytes=self.settings.max_upload_bytes,
            allow_cluster_scoped=self.settings.allow_cluster_scoped_uploads,
        )
        return accept_upload(data, os.path.basename(filename), upload_dir(self.state_dir), policy).as_dict()
