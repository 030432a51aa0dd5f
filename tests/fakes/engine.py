"""An in-memory Helm engine for unit tests of deploy, rollback and undeploy.

Charts render for real (Helm's template engine runs in process, no cluster needed); releases are
kept as Helm keeps them, as ``sh.helm.release.v1.<name>.v<revision>`` Secrets in a :class:`FakeKube`,
so the services that read Helm's storage directly (status, claims) see them. Installing applies the
release's objects to the FakeKube and lets :func:`settle` play the controllers: every workload
becomes ready unless its component is listed in ``FakeEngine.broken`` (then its Deployment fails
its progress deadline). Failures of Helm itself are injected per (operation, release).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from helmdeck.engine.charts import LoadedChart
from helmdeck.engine.options import InstallOptions, ListOptions, RenderOptions, RollbackOptions, UninstallOptions
from helmdeck.engine.port import Values
from helmdeck.engine.releases import HELM_SYSTEM_LABELS, Release, ReleaseStatus
from helmdeck.engine.render import RenderedRelease, render
from helmdeck.engine.storage import decode_release_data, encode_release_data, release_secret_name
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.manifests import parse_manifest_stream
from tests.fakes.kube import FakeKube


def settle(kube: FakeKube, doc: Mapping[str, Any], *, broken: bool) -> dict[str, Any]:
    """The object as its controller would leave it: workloads rolled out (or failed), claims bound,
    Jobs complete."""
    out = copy.deepcopy(dict(doc))
    kind = out.get("kind")
    spec = out.get("spec") or {}
    if kind in ("Deployment", "StatefulSet"):
        replicas = int(spec.get("replicas", 1))
        out["status"] = {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": 0 if broken else replicas,
            "availableReplicas": 0 if broken else replicas,
            "currentReplicas": replicas,
            "currentRevision": "r1",
            "updateRevision": "r1",
            "conditions": [
                {
                    "type": "Progressing",
                    "status": "False" if broken else "True",
                    "reason": "ProgressDeadlineExceeded" if broken else "NewReplicaSetAvailable",
                },
                {"type": "Available", "status": "False" if broken else "True", "reason": "MinimumReplicas"},
            ],
        }
    elif kind == "Job":
        out["status"] = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    elif kind == "PersistentVolumeClaim":
        out["status"] = {"phase": "Bound"}
    return out


class FakeEngine:
    """Implements :class:`helmdeck.engine.port.HelmEngine` in memory."""

    def __init__(self, kube: FakeKube, namespace: str = "default") -> None:
        self.kube = kube
        self._namespace = namespace
        self._lock = threading.Lock()
        #: components whose workloads never become ready
        self.broken: set[str] = set()
        #: (operation, release) -> error raised instead of doing it, once (a list: one per attempt)
        self.fail: dict[tuple[str, str], HelmdeckError | list[HelmdeckError]] = {}
        #: every call, as (operation, release, revision or None)
        self.calls: list[tuple[str, str, int | None]] = []
        #: the options of each release's last install or upgrade
        self.write_options: dict[str, InstallOptions] = {}

    @property
    def namespace(self) -> str:
        return self._namespace

    # -- storage ----------------------------------------------------------------------------------
    def _records(self, name: str, namespace: str) -> list[dict[str, Any]]:
        out = []
        for secret in self.kube.find("Secret", namespace):
            labels = secret["metadata"].get("labels") or {}
            if labels.get("owner") == "helm" and labels.get("name") == name:
                data = decode_release_data(secret["data"]["release"])
                if data is not None:
                    out.append(data)
        return sorted(out, key=lambda r: int(r["version"]))

    def _store(self, record: dict[str, Any], labels: Mapping[str, str]) -> None:
        name, ns, version = record["name"], record["namespace"], int(record["version"])
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {
                "name": release_secret_name(name, version),
                "namespace": ns,
                "labels": {
                    **labels,
                    "owner": "helm",
                    "name": name,
                    "status": record["info"]["status"],
                    "version": str(version),
                },
            },
            "data": {"release": encode_release_data(record)},
        }
        existing = self.kube.one("Secret", secret["metadata"]["name"], ns)
        if existing is not None:
            secret["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
        self.kube.put(secret)

    def _set_status(self, record: dict[str, Any], status: ReleaseStatus) -> None:
        record["info"]["status"] = status.value
        labels = {k: v for k, v in (record.get("labels") or {}).items() if k not in HELM_SYSTEM_LABELS}
        self._store(record, labels)

    @staticmethod
    def _release(record: Mapping[str, Any]) -> Release:
        meta = record["chart"]["metadata"]
        return Release(
            name=record["name"],
            namespace=record["namespace"],
            revision=int(record["version"]),
            status=ReleaseStatus.parse(record["info"]["status"]),
            chart_name=meta["name"],
            chart_version=meta["version"],
            app_version=meta.get("appVersion"),
            updated=datetime.now(UTC),
            description=record["info"].get("description", ""),
            labels=dict(record.get("labels") or {}),
            manifest=record.get("manifest", ""),
        )

    def _apply_objects(self, manifest: str, namespace: str, component: str | None) -> None:
        broken = component in self.broken
        for doc in parse_manifest_stream(manifest):
            body = dict(doc.body)
            meta = dict(body.get("metadata") or {})
            if body.get("kind") not in ("Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass"):
                meta.setdefault("namespace", namespace)
            body["metadata"] = meta
            self.kube.put(settle(self.kube, body, broken=broken))

    def _remove_objects(self, manifest: str, namespace: str) -> None:
        for doc in parse_manifest_stream(manifest):
            body = doc.body
            meta = body.get("metadata") or {}
            if (meta.get("annotations") or {}).get("helm.sh/resource-policy") == "keep":
                continue
            ns = "" if body.get("kind") == "Namespace" else str(meta.get("namespace") or namespace)
            key = (str(body.get("apiVersion")), str(body.get("kind")), ns, str(meta.get("name")))
            self.kube.objects.pop(key, None)

    def _check_fail(self, operation: str, release: str) -> None:
        planned = self.fail.get((operation, release))
        if planned is None:
            return
        if isinstance(planned, list):
            err = planned.pop(0)
            if not planned:
                del self.fail[(operation, release)]
        else:
            err = self.fail.pop((operation, release))  # type: ignore[assignment]
        raise err

    # -- the port ---------------------------------------------------------------------------------
    def render(
        self, chart: LoadedChart, values: Values, release_name: str, options: RenderOptions = RenderOptions()
    ) -> RenderedRelease:
        ns = options.namespace or self._namespace
        return render(chart, values, release_name, ns, is_upgrade=options.is_upgrade)

    def _write_revision(
        self,
        operation: str,
        chart: LoadedChart,
        release_name: str,
        values: Mapping[str, Any] | None,
        ns: str,
        options: InstallOptions,
    ) -> Release:
        labels, description, component = options.labels, options.description, options.component
        with self._lock:
            self.write_options[release_name] = options
            self._check_fail(operation, release_name)
            history = self._records(release_name, ns)
            version = int(history[-1]["version"]) + 1 if history else 1
            rendered = render(chart, values, release_name, ns, is_upgrade=operation == "upgrade")
            record = {
                "name": release_name,
                "namespace": ns,
                "version": version,
                "info": {"status": ReleaseStatus.DEPLOYED.value, "description": description or operation},
                "chart": {"metadata": dict(chart.metadata)},
                "config": dict(values or {}),
                "manifest": rendered.manifest_text(),
                "labels": dict(labels or {}),
            }
            for previous in history:
                if previous["info"]["status"] == ReleaseStatus.DEPLOYED.value:
                    self._set_status(previous, ReleaseStatus.SUPERSEDED)
            self._apply_objects(record["manifest"], ns, component or (labels or {}).get("helmdeck.dev/component"))
            self._store(record, labels or {})
            self.calls.append((operation, release_name, version))
            return self._release(record)

    def install(
        self, chart: LoadedChart, release_name: str, values: Values, options: InstallOptions = InstallOptions()
    ) -> Release:
        ns = options.namespace or self._namespace
        live = self._records(release_name, ns)
        if live and live[-1]["info"]["status"] != ReleaseStatus.UNINSTALLED.value:
            raise ClusterError(f"cannot re-use a name that is still in use: {release_name}")
        return self._write_revision("install", chart, release_name, values, ns, options)

    def upgrade(
        self, chart: LoadedChart, release_name: str, values: Values, options: InstallOptions = InstallOptions()
    ) -> Release:
        ns = options.namespace or self._namespace
        if not self._records(release_name, ns):
            raise ClusterError(f'release "{release_name}" has no deployed releases')
        return self._write_revision("upgrade", chart, release_name, values, ns, options)

    def rollback(self, release_name: str, revision: int, options: RollbackOptions = RollbackOptions()) -> Release:
        ns = options.namespace or self._namespace
        with self._lock:
            self._check_fail("rollback", release_name)
            history = self._records(release_name, ns)
            target = next((r for r in history if int(r["version"]) == revision), None)
            if target is None:
                raise ClusterError(f"release {release_name} has no revision {revision}")
            for previous in history:
                if previous["info"]["status"] == ReleaseStatus.DEPLOYED.value:
                    self._set_status(previous, ReleaseStatus.SUPERSEDED)
            record = copy.deepcopy(target)
            record["version"] = int(history[-1]["version"]) + 1
            record["info"] = {"status": ReleaseStatus.DEPLOYED.value, "description": f"Rollback to {revision}"}
            if history:
                self._remove_objects(history[-1]["manifest"], ns)
            labels = record.get("labels") or {}
            self._apply_objects(record["manifest"], ns, labels.get("helmdeck.dev/component"))
            self._store(record, labels)
            self.calls.append(("rollback", release_name, record["version"]))
            return self._release(record)

    def uninstall(self, release_name: str, options: UninstallOptions = UninstallOptions()) -> Release | None:
        ns = options.namespace or self._namespace
        with self._lock:
            self._check_fail("uninstall", release_name)
            history = self._records(release_name, ns)
            if not history:
                if options.ignore_not_found:
                    return None
                raise ClusterError(f"release: not found: {release_name}")
            latest = history[-1]
            self._remove_objects(latest["manifest"], ns)
            self.calls.append(("uninstall", release_name, None))
            if options.keep_history:
                self._set_status(latest, ReleaseStatus.UNINSTALLED)
            else:
                for record in history:
                    name = release_secret_name(release_name, int(record["version"]))
                    self.kube.objects.pop(("v1", "Secret", ns, name), None)
            return self._release(latest)

    def history(
        self, release_name: str, *, namespace: str | None = None, with_descriptions: bool = False
    ) -> list[Release]:
        return [self._release(r) for r in self._records(release_name, namespace or self._namespace)]

    def list_releases(self, options: ListOptions = ListOptions()) -> list[Release]:
        namespace, selector = options.namespace, options.selector
        wanted = dict(part.split("=", 1) for part in selector.split(",")) if selector else {}
        newest: dict[tuple[str, str], dict[str, Any]] = {}
        for (_, kind, ns, _), secret in list(self.kube.objects.items()):
            if kind != "Secret" or (not options.all_namespaces and ns != (namespace or self._namespace)):
                continue
            labels = secret["metadata"].get("labels") or {}
            if labels.get("owner") != "helm" or any(labels.get(k) != v for k, v in wanted.items()):
                continue
            record = decode_release_data(secret["data"]["release"])
            if record is None:
                continue
            key = (record["namespace"], record["name"])
            if key not in newest or int(newest[key]["version"]) < int(record["version"]):
                newest[key] = record
        return [replace(self._release(r), manifest="") for r in newest.values()]  # as Helm lists: no manifest

    def status(self, release_name: str, *, namespace: str | None = None, revision: int | None = None) -> Release:
        history = self._records(release_name, namespace or self._namespace)
        if revision is not None:
            history = [r for r in history if int(r["version"]) == revision]
        if not history:
            raise ClusterError(f"release: not found: {release_name}")
        return self._release(history[-1])

    def get_manifest(self, release_name: str, revision: int | None = None, *, namespace: str | None = None) -> str:
        return self.status(release_name, namespace=namespace, revision=revision).manifest

    def get_values(
        self, release_name: str, *, namespace: str | None = None, revision: int | None = None
    ) -> dict[str, Any]:
        history = self._records(release_name, namespace or self._namespace)
        if revision is not None:
            history = [r for r in history if int(r["version"]) == revision]
        return dict(history[-1]["config"]) if history else {}

    def check_reachable(self) -> None:
        return None
