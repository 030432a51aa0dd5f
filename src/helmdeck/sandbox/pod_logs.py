"""Container logs on the sandbox's simulated nodes.

No process runs in a kwok pod, so there is no log a kubelet could read. kwok's server answers the
kubelet's log endpoint (``/containerLogs/...``, which the API server's ``pods/log`` proxies to) from
files named by ``ClusterLogs`` and ``Logs`` rules, in the CRI log format a container runtime writes
(``<RFC 3339 time> stdout F <line>``), following them as they grow. The sandbox gives:

- every pod the cluster's default log file, and its ``previous`` log file for a restarted container
  (a ``ClusterLogs`` rule in kwok's configuration, read when kwok starts);
- the ``Logs`` kind served by the API server, so a test or a user points one pod at a file of its own
  and writes to it while a client follows: ``pod_logs_rule`` builds such an object.

A sandbox made by an older helmdeck has neither: ``helmdeck sandbox down`` and ``up`` makes a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: the kwok kinds the sandbox's API server serves (kwok watches their objects)
LOG_CRDS = ("Logs",)
KWOK_API = "kwok.x-k8s.io/v1alpha1"

_CURRENT = (
    "sandbox: this container runs on a simulated (kwok) node, no process writes to it",
    "sandbox: these lines come from the sandbox's default log file",
    "sandbox: to serve a pod a log of its own, create a kwok Logs object naming a file (see helmdeck.sandbox.pod_logs)",
)
_PREVIOUS = (
    "sandbox: the previous run of this container, before it restarted",
    "sandbox: it exited",
)


def cri_line(text: str, at: datetime | None = None, stream: str = "stdout") -> str:
    """One line as a container runtime writes it into a log file (what kwok and the kubelet read)."""
    stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{stamp} {stream} F {text}\n"


def write_log(path: Path, lines: Iterable[str], *, append: bool = False) -> None:
    """Write (or append) ``lines`` to a log file in the CRI format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as out:
        for line in lines:
            out.write(cri_line(line))
            out.flush()


def default_log_files(cluster_dir: Path) -> tuple[Path, Path]:
    """The cluster's default (current, previous) container log files, written when missing."""
    current, previous = cluster_dir / "pod-logs" / "current.log", cluster_dir / "pod-logs" / "previous.log"
    for path, lines in ((current, _CURRENT), (previous, _PREVIOUS)):
        if not path.exists():
            write_log(path, lines)
    return current, previous


def cluster_logs_config(cluster_dir: Path) -> dict[str, Any]:
    """kwok's configuration object giving every pod's containers the default log files."""
    current, previous = default_log_files(cluster_dir)
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": "sandbox-default-logs"},
        "spec": {"logs": [{"logsFile": str(current), "previousLogsFile": str(previous), "follow": True}]},
    }


def pod_logs_rule(
    namespace: str,
    pod: str,
    logs_file: Path,
    previous_file: Path | None = None,
    containers: Sequence[str] = (),
) -> dict[str, Any]:
    """A kwok ``Logs`` object: the pod's containers (all when ``containers`` is empty) read their log
    from ``logs_file`` and, for ``previous``, from ``previous_file``. kwok's rule is named after the pod."""
    log: dict[str, Any] = {"logsFile": str(logs_file), "follow": True}
    if previous_file is not None:
        log["previousLogsFile"] = str(previous_file)
    if containers:
        log["containers"] = list(containers)
    return {
        "apiVersion": KWOK_API,
        "kind": "Logs",
        "metadata": {"name": pod, "namespace": namespace},
        "spec": {"logs": [log]},
    }
