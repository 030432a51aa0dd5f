"""The floor measured on the cluster itself: the platform's own objects created by a plain client,
each component as soon as the Deployments it needs are available, with no Helm, no checks and no
records. What this takes is what the cluster allows in the run (the readiness delays, and the
control plane's own work for every Deployment, ReplicaSet and pod on the same cores): no tool can
deploy the platform faster than this.

bench_scale takes a deployed platform's live objects (:func:`collect`), and after helmdeck's
undeploy creates them again in namespaces of their own (:func:`plain_install`).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from lightkube.resources.apps_v1 import Deployment

from helmdeck.cluster import apply_object, create_object, list_objects
from helmdeck.cluster.client import make_client
from helmdeck.deploy.dag import TaskState, run_dag

INSTANCE_LABEL = "app.kubernetes.io/instance"  # Helm's release name: the component
#: what the API server sets on an object, so it cannot be created again as read
_SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences")


def _as_created(obj: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    doc = copy.deepcopy(dict(obj))
    doc.pop("status", None)
    meta = doc["metadata"]
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    meta["namespace"] = namespace
    meta.get("annotations", {}).pop("deployment.kubernetes.io/revision", None)
    if doc["kind"] == "Service":  # the cluster gives the copy addresses of its own
        for key in ("clusterIP", "clusterIPs"):
            doc["spec"].pop(key, None)
    return doc


def collect(kubeconfig: str, namespaces: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each component's Deployments and Services as the cluster has them, by release name."""
    client = make_client(kubeconfig)
    out: dict[str, list[dict[str, Any]]] = {}
    for namespace in namespaces:
        for api_version, kind in (("apps/v1", "Deployment"), ("v1", "Service")):
            for obj in list_objects(client, api_version, kind, namespace=namespace):
                release = (obj["metadata"].get("labels") or {}).get(INSTANCE_LABEL)
                if release:
                    out.setdefault(str(release), []).append(dict(obj))
    return out


class _Available:
    """Deployments available in one namespace, from a watch: who waits is woken when one is."""

    def __init__(self, kubeconfig: str, namespace: str) -> None:
        self.names: set[str] = set()
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, args=(kubeconfig, namespace), daemon=True)
        self.thread.start()

    def _follow(self, kubeconfig: str, namespace: str) -> None:
        client = make_client(kubeconfig)
        while not self.stop.is_set():
            for _, dep in client.watch(Deployment, namespace=namespace):
                status, spec, meta = dep.status, dep.spec, dep.metadata
                ready = bool(
                    status
                    and spec
                    and meta
                    and (status.observedGeneration or 0) >= (meta.generation or 0)
                    and (status.availableReplicas or 0) >= (spec.replicas or 0)
                    and (status.updatedReplicas or 0) >= (spec.replicas or 0)
                )
                if ready and meta and meta.name:
                    with self.changed:
                        self.names.add(meta.name)
                        self.changed.notify_all()
                if self.stop.is_set():
                    return

    def wait(self, names: set[str], timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: names <= self.names, timeout=timeout)


def plain_install(
    kubeconfig: str,
    objects: Mapping[str, list[dict[str, Any]]],
    needs: Mapping[str, Sequence[str]],
    namespace_of: Mapping[str, str],
    *,
    parallel: int,
    timeout: float = 900,
) -> float:
    """Seconds to create every component's objects in ``namespace_of[component]``, each once what
    it needs is available, until every Deployment is available (``parallel`` writers at a time)."""
    client = make_client(kubeconfig)
    for namespace in sorted(set(namespace_of.values())):
        apply_object(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    watches = {ns: _Available(kubeconfig, ns) for ns in set(namespace_of.values())}
    writers = threading.BoundedSemaphore(parallel)

    def install(name: str) -> bool:
        namespace = namespace_of[name]
        with writers:
            for obj in objects[name]:
                create_object(client, _as_created(obj, namespace), namespace=namespace)
        wanted = {o["metadata"]["name"] for o in objects[name] if o["kind"] == "Deployment"}
        return watches[namespace].wait(wanted, timeout)

    start = time.perf_counter()
    # a thread per waiting component, as a tool whose waits cost nothing; writes stay at ``parallel``
    outcomes = run_dag(needs, install, parallel=len(needs), failed=lambda ok: not ok)
    seconds = time.perf_counter() - start
    for watch in watches.values():
        watch.stop.set()
    failed = [n for n, o in outcomes.items() if o.state is not TaskState.succeeded]
    if failed:
        raise SystemExit(f"the plain install did not finish: {failed[:3]}")
    return seconds
