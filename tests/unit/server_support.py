"""A fake platform behind the web service's backend protocol, and an app built on it, for the HTTP
tests (no cluster). Catalog, parameter checks and uploads are the real ones."""

from __future__ import annotations

import copy
import io
import tarfile
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from helmdeck.core.component_detail import LIVE_KEYS, ComponentNotFound
from helmdeck.errors import ClusterError, ConfigError
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.upload import UploadPolicy, accept_upload
from helmdeck.revisions.store import RevisionNotFound
from helmdeck.server.app import create_app
from helmdeck.server.backend import ExtensionAsk, NotAvailable
from helmdeck.server.operations import Journal, Running
from helmdeck.server.settings import ServerSettings

from .ext_support import EXT_CHARTS

ROLES = ("viewer", "operator", "admin")


def component_status(name: str, health: str = "healthy", extension: str | None = None) -> dict[str, Any]:
    return {
        "component": name,
        "release": name,
        "namespace": "extensions" if extension else "services",
        "status": "deployed",
        "revision": 1,
        "chart": f"{extension or name}-0.1.0",
        "health": health,
        "reason": "2 objects ready" if health == "healthy" else "Deployment/x: 0/1 ready",
        "extension": extension,
        "unready": [],
        "failingPods": [] if health == "healthy" else [{"name": f"{name}-abc", "health": {"reason": "CrashLoop"}}],
    }


def component_detail_of(status: dict[str, Any]) -> dict[str, Any]:
    """A component page's data as the real backend shapes it: a Deployment over a ReplicaSet and a pod."""
    name = status["component"]
    pod = {
        "kind": "Pod",
        "name": f"{name}-7d9f-x2k4q",
        "namespace": status["namespace"],
        "health": status["health"],
        "reason": "running and ready",
        "current": True,
        "hook": "",
        "pod": {
            "phase": "Running",
            "node": "node-0",
            "containers": [
                {
                    "name": "main",
                    "init": False,
                    "ready": True,
                    "state": "running",
                    "reason": None,
                    "message": None,
                    "restarts": 0,
                    "exitCode": None,
                    "lastReason": None,
                    "image": "registry.example.org/app:1",
                }
            ],
        },
        "children": [],
    }
    rs = {**pod, "kind": "ReplicaSet", "name": f"{name}-7d9f", "reason": "1/1 ready", "pod": None, "children": [pod]}
    deployment = {**rs, "kind": "Deployment", "name": name, "children": [rs]}
    return {
        "component": name,
        "installed": True,
        "release": status["release"],
        "namespace": status["namespace"],
        "revision": 2,
        "previousRevision": 1,
        "status": "deployed",
        "chart": status["chart"],
        "appVersion": "1.0",
        "updated": "2026-01-02T00:00:00Z",
        "description": "helmdeck deploy",
        "extension": status["extension"],
        "revisions": [
            {
                "revision": 2,
                "status": "deployed",
                "chart": status["chart"],
                "updated": "2026-01-02T00:00:00Z",
                "description": "",
            },
            {
                "revision": 1,
                "status": "superseded",
                "chart": status["chart"],
                "updated": "2026-01-01T00:00:00Z",
                "description": "",
            },
        ],
        "tree": [deployment],
        "events": [
            {
                "object": f"Deployment/{name}",
                "namespace": status["namespace"],
                "type": "Normal",
                "reason": "ScalingReplicaSet",
                "message": f"Scaled up replica set {name}-7d9f from 0 to 1",
                "count": 1,
                "firstSeen": "2026-01-02T00:00:00+00:00",
                "lastSeen": "2026-01-02T00:00:00+00:00",
                "source": "deployment-controller",
            }
        ],
        "values": "password: <redacted:db-password>\nreplicas: 1\n",
        "suppliedValues": "password: <redacted:db-password>\n",
        "manifest": "# Deployment/services/web\napiVersion: apps/v1\nkind: Deployment\n",
        "valuesDiff": "--- values r1\n+++ values r2\n@@ -1 +1 @@\n-replicas: 2\n+replicas: 1\n",
        "manifestDiff": "",
    }


class FakeBackend:
    def __init__(self, state_dir: Path) -> None:
        self._state_dir = state_dir
        #: changes (rollback, install) run once this is set; a test clears it to see one still running
        self.proceed = threading.Event()
        self.proceed.set()
        self.components = [component_status("web"), component_status("db", "failed")]
        self.catalog_ = Catalog([str(EXT_CHARTS)], state_dir / "extensions")
        self.revisions: list[dict[str, Any]] = [self._revision(1, "deploy"), self._revision(2, "deploy")]
        self.calls: list[tuple[str, Any]] = []
        self.has_doctor = False
        self.cluster_down = False  # component_detail fails as with an unreachable cluster
        self.release_revision = 2  # the revision component pages show (a test deploys another)
        self.status_down = False  # status fails so
        self.gpu = False  # no node offers a GPU
        self.journal_: Journal | None = None  # where operations are written down (none: memory only)
        self.cancels: list[threading.Event | None] = []  # the stop request each change was given

    def _work(self) -> None:
        if not self.proceed.wait(30):
            raise AssertionError("the test never let the operation proceed (backend.proceed.set())")

    def _revision(self, n: int, operation: str) -> dict[str, Any]:
        return {
            "revision": n,
            "platform": "tinyplat",
            "environment": "demo",
            "spec_digest": "abc",
            "operation": operation,
            "user": "tester",
            "created": f"2026-01-0{n}T00:00:00+00:00",
            "result": "succeeded",
            "message": "",
            "components": {
                c["component"]: {
                    "release": c["release"],
                    "namespace": c["namespace"],
                    "chart": c["chart"].rsplit("-", 1)[0],
                    "chart_version": "0.1.0",
                    "revision": 1,
                    "status": "deployed",
                    "extension": c["extension"],
                }
                for c in self.components
            },
        }

    @property
    def platform_id(self) -> str:
        return "tinyplat"

    @property
    def state_dir(self) -> Path:
        return self._state_dir

    def info(self) -> dict[str, Any]:
        return {
            "platform": "tinyplat",
            "name": "tinyplat",
            "instance": "",
            "environment": "demo",
            "namespaces": {"services": "services", "extensions": "extensions", "admin": "admin"},
            "components": ["web", "db"],
        }

    def gpu_available(self) -> bool:
        return self.gpu

    def journal(self) -> Journal | None:
        return self.journal_

    def status(self) -> dict[str, Any]:
        if self.status_down:
            raise ClusterError("cannot reach the cluster: connection refused", fix="check the kubeconfig")
        comps = copy.deepcopy(self.components)
        return {"platform": "tinyplat", "healthy": all(c["health"] == "healthy" for c in comps), "components": comps}

    def history(self) -> list[dict[str, Any]]:
        from helmdeck.revisions.timeline import listed_revision

        return [listed_revision(r) for r in copy.deepcopy(self.revisions)]

    def revision(self, number: int) -> dict[str, Any]:
        for r in self.revisions:
            if r["revision"] == number:
                return copy.deepcopy(r)
        raise RevisionNotFound(f"platform tinyplat has no revision {number}", fix="pick a recorded revision")

    def check_rollback(self, revision: int | None) -> None:
        if revision is not None:
            self.revision(revision)

    def preview_rollback(self, revision: int) -> dict[str, Any]:
        self.revision(revision)
        change = {
            "component": "web",
            "action": "rollback",
            "release": "web",
            "namespace": "tiny",
            "fromRevision": 2,
            "fromChart": "web-1.1.0",
            "fromStatus": "deployed",
            "toRevision": 1,
            "toChart": "web-1.0.0",
            "note": "",
        }
        counts = {"rollback": 1, "install": 0, "uninstall": 0, "unchanged": 0}
        return {"dryRun": True, "target": revision, "components": [change], "counts": counts}

    def rollback(self, revision: int | None, run: Running) -> dict[str, Any]:
        self.cancels.append(run.cancel)
        run.progress("web", "rollback", "revision 2 -> 1")
        self._work()
        self.revisions.append(self._revision(len(self.revisions) + 1, f"rollback to {revision}"))
        self.calls.append(("rollback", revision))
        return {"ok": True, "target": revision, "steps": []}

    def catalog(self) -> dict[str, Any]:
        cat = self.catalog_.load()
        return {"extensions": [e.as_dict() for e in cat.latest()], "problems": [p.as_dict() for p in cat.problems]}

    def extension(self, name: str) -> dict[str, Any]:
        return self.catalog_.get(name).as_dict()

    def pod_log_sources(self, name: str) -> list[dict[str, Any]]:
        self.component_detail(name)
        return [
            {
                "pod": "p1",
                "namespace": "tiny",
                "containers": [{"name": "c1", "init": False, "restarts": 1, "state": "running"}],
            }
        ]

    def _log_target(self, name: str, pod: str, container: str) -> None:
        from helmdeck.core.pod_logs import NoSuchContainer

        if (pod, container) != ("p1", "c1"):
            raise NoSuchContainer(f"component {name} has no pod {pod!r}", fix="pick one the page lists")

    def pod_log(
        self, name: str, pod: str, container: str, previous: bool, tail_lines: int | None, limit_bytes: int | None
    ) -> dict[str, Any]:
        self.component_detail(name)
        self._log_target(name, pod, container)
        lines = ["previous run"] if previous else ["started", "password <redacted:db-password>"]
        return {
            "component": name,
            "namespace": "tiny",
            "pod": pod,
            "container": container,
            "previous": previous,
            "restarts": 1,
            "tailLines": tail_lines or 500,
            "limitBytes": limit_bytes or 262144,
            "lines": lines[-(tail_lines or 500) :] if tail_lines != 0 else [],
            "truncated": False,
            "unavailable": None,
        }

    def follow_pod_log(self, name: str, pod: str, container: str, tail_lines: int | None) -> Any:
        self.component_detail(name)
        self._log_target(name, pod, container)

        async def lines() -> Any:
            for line in ("started", "ready"):
                yield line

        return lines()

    def compare_revisions(self, old: int, new: int) -> dict[str, Any]:
        a, b = self.revision(old), self.revision(new)
        side = {
            "chart": "web",
            "chartVersion": "0.1.0",
            "revision": 1,
            "status": "deployed",
            "release": "web",
            "namespace": "tiny",
        }
        return {
            "from": {"revision": a["revision"], "operation": a["operation"], "created": a["created"]},
            "to": {"revision": b["revision"], "operation": b["operation"], "created": b["created"]},
            "components": [
                {
                    "component": "web",
                    "change": "unchanged",
                    "from": side,
                    "to": side,
                    "valuesDiff": "",
                    "manifestDiff": "",
                    "missing": [],
                }
            ],
            "counts": {"added": 0, "removed": 0, "changed": 0, "unchanged": 1},
        }

    def installed(self) -> list[dict[str, Any]]:
        return [
            {
                "component": c["component"],
                "extension": c["extension"],
                "release": c["release"],
                "namespace": c["namespace"],
                "version": "0.1.0",
                "revision": 1,
                "status": "deployed",
                "updated": None,
                "health": c["health"],
                "reason": c["reason"],
                "links": c.get("links", []),
            }
            for c in self.components
            if c["extension"]
        ]

    def check_install(self, ask: ExtensionAsk) -> list[dict[str, Any]]:
        name, parameters, instance_name = ask.name, ask.parameters, ask.instance_name
        ext = self.catalog_.get(name, ask.version)
        ext.check_parameters(parameters)
        component = f"{name}-{instance_name}" if instance_name else name
        if not ext.multi_install and any(c["component"] == component for c in self.components):
            raise ConfigError(f"extension {name} is already installed and is not multi-install", fix="uninstall it")
        return [{"component": component, "extension": name, "version": ext.version}]

    def install(self, ask: ExtensionAsk, run: Running) -> dict[str, Any]:
        name, parameters, instance_name = ask.name, ask.parameters, ask.instance_name
        self.cancels.append(run.cancel)
        component = f"{name}-{instance_name}" if instance_name else name
        run.progress(component, "installing", f"{name}-0.1.0")
        self._work()
        self.components.append(component_status(component, extension=name))
        run.progress(component, "installed", "revision 1")
        self.calls.append(("install", (name, parameters, instance_name)))
        return {"ok": True, "operation": f"ext install {name}", "components": []}

    def check_uninstall(self, name: str, force: bool) -> dict[str, Any]:
        for c in self.components:
            if c["component"] == name and c["extension"]:
                if (
                    c["extension"] == "tiny-base"
                    and not force
                    and any(x["extension"] == "tiny-app" for x in self.components)
                ):
                    raise ConfigError("extension tiny-base is required by tiny-app", fix="uninstall tiny-app first")
                return {"component": name}
        raise ConfigError(f"no installed extension named {name!r}", fix="see the installed extensions")

    def preview_uninstall(self, name: str) -> dict[str, Any]:
        self.check_uninstall(name, force=True)
        required = [x["component"] for x in self.components if name == "tiny-base" and x["extension"] == "tiny-app"]
        objects = [
            {"kind": "Deployment", "name": name, "namespace": "tiny", "kept": False, "data": False},
            {"kind": "PersistentVolumeClaim", "name": f"{name}-data", "namespace": "tiny", "kept": False, "data": True},
            {"kind": "PersistentVolumeClaim", "name": f"{name}-cache", "namespace": "tiny", "kept": True, "data": True},
        ]
        kept = [f"PersistentVolumeClaim tiny/{name}-cache"]
        return {
            "component": name,
            "release": name,
            "namespace": "tiny",
            "requiredBy": required,
            "objects": objects,
            "keptData": kept,
        }

    def uninstall(self, name: str, force: bool, run: Running, purge_data: bool = False) -> dict[str, Any]:
        run.progress(name, "uninstalling", "")
        self._work()
        self.components = [c for c in self.components if c["component"] != name]
        self.calls.append(("uninstall", (name, force, True) if purge_data else (name, force)))
        return {"ok": True, "operation": f"ext uninstall {name}", "components": []}

    def component_detail(self, name: str) -> dict[str, Any]:
        found = next((c for c in self.components if c["component"] == name), None)
        if found is None:
            raise ComponentNotFound(f"no component named {name!r} in platform tinyplat", fix="pick one on the overview")
        if self.cluster_down:
            raise ClusterError("cannot reach the cluster: connection refused", fix="check the kubeconfig")
        return {**component_detail_of(found), "revision": self.release_revision}

    def component_live(self, name: str) -> dict[str, Any]:
        detail = self.component_detail(name)
        return {key: detail[key] for key in LIVE_KEYS}

    def upload(self, data: bytes, filename: str) -> dict[str, Any]:
        policy = UploadPolicy("admin", "extensions", max_archive_bytes=1024 * 1024)
        return accept_upload(data, filename, self.state_dir / "extensions", policy).as_dict()

    def doctor(self, mode: str) -> dict[str, Any]:
        if not self.has_doctor:
            raise NotAvailable("the doctor is not part of this helmdeck build yet", fix="run 'helmdeck status'")
        finding = {
            "severity": "error",
            "check": "pods",
            "component": "db",
            "object": "Pod services/db-abc",
            "reason": "container db restarts (CrashLoopBackOff)",
            "fix": "read its log",
        }
        return {
            "platform": "tinyplat",
            "environment": "demo",
            "mode": mode,
            "ok": False,
            "cluster": "v1.33.0",
            "user": "tester",
            "summary": "1 error",
            "checks": ["pods"],
            "findings": [finding],
            "seconds": 0.1,
        }


def make_app(tmp_path: Path, **settings: Any) -> tuple[FastAPI, FakeBackend, dict[str, str]]:
    """An app on a fake backend, with one token per role (name = role)."""
    backend = FakeBackend(tmp_path / "state")
    app = create_app(ServerSettings(status_poll_seconds=0.2, **settings), backend)
    tokens = {role: app.state.tokens.create(role, role)[1] for role in ROLES}
    return app, backend, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def chart_archive(name: str = "up", extra_template: bytes = b"") -> bytes:
    """A small chart as an upload would carry it (.tgz bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path, data in (
            (f"{name}/Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n".encode()),
            (f"{name}/templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" + extra_template),
        ):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()
