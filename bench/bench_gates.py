"""Health gates alone: N components, each a Deployment applied and then gated, K at once (as a
deploy runs them), with this tree's helmdeck and with a baseline's, one after the other on one
cluster. Prints each one's CPU seconds and wall time in the gating process and the watch streams
it opened (the API server's WATCH requests, counted once they end).

    .venv/bin/python -m bench.bench_gates [--gates 50] [--at-once 20] [--baseline GIT_REF]
        [--kubeconfig PATH]

Without --kubeconfig a sandbox of its own is started (and stopped unless HELMDECK_KEEP_SANDBOX=1).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.bench_scale import baseline_cli
from bench.common import ROOT, bench_sandbox


def _deployment(name: str, namespace: str, delay: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": {"sandbox.helmdeck.dev/ready-after": f"{delay}s"}},
                "spec": {"containers": [{"name": "app", "image": "registry.example.org/app:1"}]},
            },
        },
    }


def worker(kubeconfig: str, namespace: str, gates: int, at_once: int) -> None:
    """In the process measured: apply and gate every component, print the figures as JSON."""
    from helmdeck.cluster.client import make_client
    from helmdeck.cluster.kinds import apply_object
    from helmdeck.cluster.objects import ObjRef
    from helmdeck.cluster.watch import wait_healthy

    client = make_client(kubeconfig)
    ok = threading.Semaphore(0)

    def one(i: int) -> None:
        doc = apply_object(client, _deployment(f"c{i}", namespace, 2 + i % 3))
        if wait_healthy(client, [ObjRef.from_manifest(doc)], timeout=120).ok:
            ok.release()

    cpu, wall = time.process_time(), time.monotonic()
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        list(pool.map(one, range(gates)))
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    healthy = sum(1 for _ in range(gates) if ok.acquire(blocking=False))
    print(json.dumps({"cpu": cpu, "wall": wall, "healthy": healthy}))


def measure(kubeconfig: str, gates: int, at_once: int, env: dict[str, str]) -> dict[str, Any]:
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import Namespace

    from helmdeck.cluster.client import make_client
    from helmdeck.sandbox.request_metrics import RequestMetrics

    client = make_client(kubeconfig)
    namespace = f"bench-gates-{secrets.token_hex(3)}"
    client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    metrics = RequestMetrics(kubeconfig, verbs=frozenset({"WATCH"}))
    before = metrics.snapshot()
    cmd = [sys.executable, "-m", "bench.bench_gates", "--worker", namespace, "--kubeconfig", kubeconfig]
    cmd += ["--gates", str(gates), "--at-once", str(at_once)]
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the gating process failed:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    time.sleep(3)  # watches are counted once they end
    watches = RequestMetrics.since(before, metrics.snapshot()).counts
    # the gates' own: the control plane's watches of other kinds end now and then too
    figures["watches"] = sum(watches[("WATCH", r)] for r in ("deployments", "pods", "replicasets"))
    with contextlib.suppress(Exception):
        client.delete(Namespace, namespace)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gates", type=int, default=50)
    parser.add_argument("--at-once", type=int, default=20)
    parser.add_argument("--baseline", help="also measure helmdeck at this git ref")
    parser.add_argument("--kubeconfig")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.kubeconfig, args.worker, args.gates, args.at_once)
        return
    with contextlib.ExitStack() as stack:
        kubeconfig = args.kubeconfig or stack.enter_context(bench_sandbox("helmdeck-bench-gates", nodes=2))
        runs: list[tuple[str, dict[str, str]]] = [("this tree", {"PYTHONPATH": str(ROOT / "src")})]
        if args.baseline:
            runs.insert(0, (f"baseline {args.baseline}", stack.enter_context(baseline_cli(args.baseline))))
        print(f"{args.gates} gates, {args.at_once} at once, a Deployment each (ready after 2-4 s)")
        for name, env in runs:
            f = measure(kubeconfig, args.gates, args.at_once, env)
            print(
                f"  {name}: CPU {f['cpu']:.2f}s, wall {f['wall']:.1f}s, "
                f"{f['healthy']}/{args.gates} healthy, {f['watches']} watch streams (Deployments, Pods, ReplicaSets)"
            )


if __name__ == "__main__":
    main()
