"""The sandbox cluster: a real control plane with simulated nodes, run by kwokctl's binary runtime.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the kwok controller run as local
processes (no containers). kwok marks pods Running or Succeeded, or fails them as a pod's
``sandbox.helmdeck.dev/fail`` annotation asks (``stages.yaml``); the same stages provision volumes
for the ``standard`` StorageClass (``storage.yaml``). Container logs come from files (``pod_logs``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from helmdeck.cluster.health_state import condition_true
from helmdeck.errors import ClusterError, SandboxError
from helmdeck.sandbox import DEFAULT_NAME
from helmdeck.sandbox.binaries import SandboxBinaries, cache_root, locate
from helmdeck.sandbox.pod_logs import LOG_CRDS, cluster_logs_config
from helmdeck.serialize import JsonObject

if TYPE_CHECKING:
    from helmdeck.cluster import KubeClient

#: who owns the sandbox's own objects (nodes, storage class) in server-side apply
FIELD_MANAGER = "helmdeck-sandbox"

GPU_RESOURCE = "nvidia.com/gpu"
_COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller")

#: The client-side rate limits of the control plane's own controllers. Their defaults (20 requests
#: a second for kube-controller-manager, 50 for kube-scheduler) are sized for a control plane on
#: machines of its own; in the sandbox, a deploy of 200 components kept the controller manager's
#: requests waiting 1340 s in its limiter (its ReplicaSets, pods and status updates queued behind one
#: another), which made every pod turn ready seconds late and measured the sandbox, not the deploy.
#: Raised here as kwokctl's own scale setting does, on these two clients only (the API server keeps
#: its limits and its priority and fairness).
CONTROLLER_CLIENT_LIMITS = {"kube-api-qps": "500", "kube-api-burst": "1000"}


@dataclass
class ComponentState:
    name: str
    pid: int | None
    alive: bool
    log: Path


@dataclass
class SandboxStatus(JsonObject):
    name: str
    exists: bool
    running: bool
    kubeconfig: Path | None
    components: list[ComponentState] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    server: str | None = None
    version: str | None = None

    __json_order__ = (
        "name",
        "exists",
        "running",
        "kubeconfig",
        "server",
        "version",
        "components",
        "nodes",
    )

    @property
    def dead(self) -> list[ComponentState]:
        return [c for c in self.components if not c.alive]


@dataclass
class UpResult:
    name: str
    kubeconfig: Path
    reused: bool
    seconds: float
    nodes: list[str]
    restarted: list[str] = field(default_factory=list)  # components found dead and started again
    warnings: list[str] = field(default_factory=list)


def _stage_text(name: str) -> str:
    return resources.files("helmdeck.sandbox").joinpath(name).read_text()


def workdir() -> Path:
    return cache_root() / "sandbox"


class Sandbox:
    """One named sandbox cluster under ``~/.cache/helmdeck/sandbox/clusters/<name>``."""

    def __init__(self, name: str = DEFAULT_NAME, *, binaries: SandboxBinaries | None = None) -> None:
        if not name or not name.replace("-", "").isalnum() or name != name.lower():
            raise SandboxError(f"invalid sandbox name {name!r}", fix="use lower-case letters, digits and dashes")
        self.name = name
        self._binaries = binaries

    # -- paths ---------------------------------------------------------------------------------
    @property
    def cluster_dir(self) -> Path:
        return workdir() / "clusters" / self.name

    @property
    def kubeconfig(self) -> Path:
        return self.cluster_dir / "kubeconfig.yaml"

    @property
    def binaries(self) -> SandboxBinaries:
        if self._binaries is None:
            self._binaries = locate()
        return self._binaries

    def exists(self) -> bool:
        return (self.cluster_dir / "kwok.yaml").exists()

    # -- kwokctl ---------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KWOK_WORKDIR"] = str(workdir())
        # kwokctl must never reach out for binaries: everything it runs is given as a local path
        env["KWOK_KUBE_VERSION"] = self.binaries.kube_version
        return env

    def _kwokctl(self, *args: str, timeout: float = 300, step: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.binaries["kwokctl"]), "--name", self.name, *args]
        try:
            proc = subprocess.run(cmd, env=self._env(), capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(
                f"kwokctl timed out after {timeout:.0f}s during '{step}'",
                where=str(self.cluster_dir / "logs"),
                fix="look at the component logs there; 'helmdeck sandbox down' cleans up",
            ) from exc
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            raise SandboxError(
                f"kwokctl failed during '{step}' (exit {proc.returncode}):\n{tail}",
                where=str(self.cluster_dir / "logs"),
                fix="look at the component logs there; 'helmdeck sandbox down' cleans up",
            )
        return proc

    def _config_file(self) -> Path:
        b = self.binaries
        options = {
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
            "kind": "KwokctlConfiguration",
            "options": {
                "runtime": "binary",
                # no authentication on etcd or kwok: nothing of the sandbox may be reachable from
                # another machine
                "bindAddress": "127.0.0.1",
                "kubeVersion": b.kube_version,
                "kubeApiserverBinary": str(b["kube-apiserver"]),
                "kubeControllerManagerBinary": str(b["kube-controller-manager"]),
                "kubeSchedulerBinary": str(b["kube-scheduler"]),
                "kubectlBinary": str(b["kubectl"]),
                "kwokControllerBinary": str(b["kwok"]),
                "etcdBinary": str(b["etcd"]),
                "kubeAuthorization": True,
                "kubeAdmission": True,
                "nodeLeaseDurationSeconds": 40,
                # a pod's log served from a file of its own (helmdeck.sandbox.pod_logs)
                "enableCRDs": list(LOG_CRDS),
            },
            "componentsPatches": [
                {"name": name, "extraArgs": [{"key": k, "value": v} for k, v in CONTROLLER_CLIENT_LIMITS.items()]}
                for name in ("kube-controller-manager", "kube-scheduler")
            ],
        }
        path = workdir() / f"{self.name}-config.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        logs = yaml.safe_dump(cluster_logs_config(self.cluster_dir), sort_keys=False)
        path.write_text(
            yaml.safe_dump(options, sort_keys=False) + "---\n" + logs + "---\n" + _stage_text("stages.yaml")
        )
        return path

    # -- lifecycle ------------------------------------------------------------------------------
    def up(self, *, nodes: int = 2, gpu_node: bool = False, timeout: float = 180) -> UpResult:
        """Start the sandbox, or reuse it when it already runs healthy."""
        if nodes < 1:
            raise SandboxError("a sandbox needs at least one node", fix="pass --nodes 1 or more")
        start = time.monotonic()
        if self.exists():
            status = self.status()
            restarted = [c.name for c in status.dead]
            since = datetime.now(UTC)
            if restarted:
                # the cluster's state is in etcd's data directory: start what died, keep everything
                self._restart(restarted, timeout)
            self._wait_api(timeout)
            self._apply_storage()  # a sandbox made by an older helmdeck gets today's storage objects
            names = self._ensure_nodes(nodes, gpu_node)
            if restarted:
                self._take_over_leases(restarted, since, timeout)
                self._wait_nodes_ready(names, timeout)
            result = UpResult(self.name, self.kubeconfig, True, time.monotonic() - start, names, restarted)
            if self._binds_everywhere():
                result.warnings.append(
                    "this sandbox was created listening on every address (no authentication on etcd and "
                    "kwok); recreate it (helmdeck sandbox down, then up) to bind it to 127.0.0.1 only"
                )
            return result
        config = self._config_file()
        self._kwokctl(
            "--config",
            str(config),
            "create",
            "cluster",
            "--wait",
            f"{int(timeout)}s",
            "--timeout",
            f"{int(timeout)}s",
            # the sandbox's own kubeconfig is enough: never touch the user's ~/.kube/config
            "--kubeconfig=",
            timeout=timeout + 60,
            step="create cluster",
        )
        self._wait_api(timeout)
        self._apply_storage()
        names = self._ensure_nodes(nodes, gpu_node)
        self._wait_nodes_ready(names, timeout)
        self._wait_default_service_account(timeout)
        return UpResult(self.name, self.kubeconfig, False, time.monotonic() - start, names)

    def _restart_component(self, name: str, timeout: float) -> None:
        component = next(c for c in self._components() if c.name == name)
        _terminate(component)
        self._restart([name], timeout)

    def _restart(self, dead: list[str], timeout: float) -> None:
        # kwokctl starts only the components it finds not running, and it takes a pid file naming an
        # unreaped zombie (or, after a reboot, someone else's process) for a running one
        for name in dead:
            with contextlib.suppress(FileNotFoundError):
                (self.cluster_dir / "pids" / f"{name}.pid").unlink()
        self._kwokctl("start", "cluster", "--wait", f"{int(timeout)}s", timeout=timeout + 60, step="start cluster")
        still = [c.name for c in self.status().dead]
        if still:
            raise SandboxError(
                f"sandbox {self.name}: {', '.join(still)} died and would not start again",
                where=str(self.cluster_dir / "logs"),
                fix="read the component logs there; 'helmdeck sandbox down' then 'up' starts a new, empty sandbox",
            )

    def _take_over_leases(self, restarted: list[str], since: datetime, timeout: float) -> None:
        from helmdeck.cluster import list_objects
        from helmdeck.sandbox.takeover import NODE_LEASE_NAMESPACE, release_stale_leases, wait_leases_renewed

        client = self.client()
        nodes = [str(n["metadata"]["name"]) for n in list_objects(client, "v1", "Node")]
        released = release_stale_leases(client, restarted, nodes, since)
        if "kwok-controller" in restarted and any(ns == NODE_LEASE_NAMESPACE for ns, _ in released):
            # kwok failed to create the node leases it found taken, and tries again only at its next
            # renewal, about 50 s later: a kwok started now creates them at once
            self._restart_component("kwok-controller", timeout)
        wait_leases_renewed(client, restarted, nodes, since, timeout, self.cluster_dir / "logs")

    def _binds_everywhere(self) -> bool:
        try:
            text = (self.cluster_dir / "kwok.yaml").read_text()
        except OSError:
            return False
        return "bindAddress: 0.0.0.0" in text

    def down(self) -> bool:
        """Stop the sandbox and remove its state; False when there was none."""
        if not self.exists() and not self.cluster_dir.exists():
            return False
        components = self._components()
        with contextlib.suppress(SandboxError):
            self._kwokctl("delete", "cluster", "--kubeconfig=", timeout=120, step="delete cluster")
        for component in components:
            _terminate(component)
        shutil.rmtree(self.cluster_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (workdir() / f"{self.name}-config.yaml").unlink()
        return True

    # -- inspection -----------------------------------------------------------------------------
    def _components(self) -> list[ComponentState]:
        pid_dir = self.cluster_dir / "pids"
        log_dir = self.cluster_dir / "logs"
        out: list[ComponentState] = []
        for name in _COMPONENTS:
            pid = _read_pid(pid_dir / f"{name}.pid")
            out.append(ComponentState(name, pid, pid is not None and _alive(pid, name), log_dir / f"{name}.log"))
        return out

    def status(self) -> SandboxStatus:
        if not self.exists():
            return SandboxStatus(self.name, exists=False, running=False, kubeconfig=None)
        components = self._components()
        st = SandboxStatus(
            self.name,
            exists=True,
            running=any(c.alive for c in components),
            kubeconfig=self.kubeconfig if self.kubeconfig.exists() else None,
            components=components,
        )
        if st.running and st.kubeconfig and not st.dead:
            with contextlib.suppress(Exception):
                from helmdeck.cluster import list_objects, server_version
                from helmdeck.cluster.client import server_url

                client = self.client()
                st.server = server_url(client)
                st.version = server_version(client).git_version
                for node in list_objects(client, "v1", "Node"):
                    st.nodes.append({"name": node["metadata"]["name"], "ready": condition_true(node, "Ready")})
        return st

    # -- cluster objects ------------------------------------------------------------------------
    def client(self) -> KubeClient:
        from helmdeck.cluster import make_client

        return make_client(str(self.kubeconfig), check=False)

    def _wait_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                from helmdeck.cluster import server_version

                server_version(self.client())
                return
            except Exception as exc:  # the API server is still starting
                last = exc
                time.sleep(0.5)
        raise SandboxError(
            f"the sandbox API server did not answer within {timeout:.0f}s: {last}",
            where=str(self.cluster_dir / "logs" / "kube-apiserver.log"),
            fix="read that log; 'helmdeck sandbox status' names any component that died",
        )

    def _apply_storage(self) -> None:
        from helmdeck.cluster import apply_object

        client = self.client()
        for doc in yaml.safe_load_all(_stage_text("storage.yaml")):
            if doc:
                apply_object(client, doc, force=True, field_manager=FIELD_MANAGER)

    def _ensure_nodes(self, count: int, gpu_node: bool) -> list[str]:
        from helmdeck.cluster import apply_object

        client = self.client()
        names = [f"sandbox-node-{i}" for i in range(count)]
        specs = [_node_manifest(n, gpu=False) for n in names]
        if gpu_node:
            names.append("sandbox-gpu-0")
            specs.append(_node_manifest("sandbox-gpu-0", gpu=True))
        for spec in specs:
            apply_object(client, spec, force=True, field_manager=FIELD_MANAGER)
        return names

    def _wait_nodes_ready(self, names: list[str], timeout: float) -> None:
        from helmdeck.cluster import list_objects

        client = self.client()
        deadline = time.monotonic() + timeout
        waiting = set(names)
        while waiting and time.monotonic() < deadline:
            for node in list_objects(client, "v1", "Node"):
                # Ready is not enough: until the node controller lifts its not-ready taint, the
                # scheduler (and preflight) still refuse the node
                if condition_true(node, "Ready") and not _unready_taints(node):
                    waiting.discard(node["metadata"]["name"])
            if waiting:
                time.sleep(0.3)
        if waiting:
            raise SandboxError(
                f"sandbox nodes not Ready after {timeout:.0f}s: {', '.join(sorted(waiting))}",
                where=str(self.cluster_dir / "logs" / "kwok-controller.log"),
                fix="read that log; kwok marks nodes Ready",
            )

    def _wait_default_service_account(self, timeout: float) -> None:
        from helmdeck.cluster import ObjRef, get_object

        client = self.client()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ClusterError):  # the API server may still be settling
                if get_object(client, ObjRef("v1", "ServiceAccount", "default", "default")) is not None:
                    return
            time.sleep(0.3)
        raise SandboxError(
            "the controller manager did not create the default ServiceAccount",
            where=str(self.cluster_dir / "logs" / "kube-controller-manager.log"),
            fix="read that log",
        )


def _node_manifest(name: str, *, gpu: bool) -> dict[str, Any]:
    # ephemeral-storage too: charts with resource presets (bitnami's) request it
    capacity = {"cpu": "32", "memory": "128Gi", "pods": "110", "ephemeral-storage": "500Gi"}
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "type": "kwok",
        "sandbox.helmdeck.dev/node": "true",
    }
    if gpu:
        capacity[GPU_RESOURCE] = "4"
        labels["nvidia.com/gpu.present"] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {},
        "status": {"capacity": capacity, "allocatable": dict(capacity)},
    }


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int, name: str) -> bool:
    """Is ``pid`` a live process of the component ``name``? A pid file outlives a reboot, and its pid
    may then belong to any other process, which must never be taken for the sandbox (nor killed)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or someone else's: we start ours as ourselves
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return False  # it ended while we looked
    # a zombie still answers kill(0); it is dead for our purposes
    return stat.split(") ", 1)[1][:1] != "Z" and Path(argv0).name == name


def _terminate(component: ComponentState, grace: float = 5.0) -> None:
    pid = component.pid
    if pid is None or not _alive(pid, component.name):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid, component.name):
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        if _alive(pid, component.name):
            os.kill(pid, signal.SIGKILL)


def list_sandboxes() -> Iterator[str]:
    root = workdir() / "clusters"
    if root.is_dir():
        for child in sorted(root.iterdir()):
            if (child / "kwok.yaml").exists():
                yield child.name


_UNREADY_TAINTS = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})


def _unready_taints(node: dict[str, Any]) -> list[str]:
    return [str(t.get("key")) for t in (node.get("spec") or {}).get("taints") or [] if t.get("key") in _UNREADY_TAINTS]
