"""helmdeck at scale: deploy, no-change plan and deploy, status and undeploy of N components, each
figure against issue 18's target and against the floor measured in the same run.

The platform: N components in 10 layers, each on a copy of the example hello chart of its own and
needing two components of the layer below (bench_helmfile's layout), pods ready after 2-4 s.

The floor no tool can beat is the larger of
- the readiness delays along the longest ``needs`` chain, and
- the time the API server needs for the deploy's own writes: the writes helmdeck and Helm made
  (counted from the API server's request metrics, the control plane's own left out), at the rate
  a plain loop of Secret creates of a release's size reaches on the same cluster in the same run
  (with as many writers as the deploy's ``--parallel``).

Beside that floor, the bench measures what the cluster itself allows in the same run: a plain client
creating the deployed objects again (no Helm, no checks), each component once what it needs is
available (``bench.plain_install``). At 1000 components on 2 cores the control plane's own work for
every Deployment, ReplicaSet and pod makes that much longer than the readiness chain.

Each command runs as a process, as a user runs it; peak RSS is its VmHWM (helmdeck is one process).
Writes are counted per verb for every command; the no-change ones must make none.

    .venv/bin/python -m bench.bench_scale [--sizes 50 200 1000] [--parallel N] [--kubeconfig PATH]
        [--baseline GIT_REF] [--profile DIR]

``--baseline`` deploys the same platform with helmdeck at GIT_REF too (a worktree of it, its
``src`` first on PYTHONPATH), so a change is measured against what it replaces in one run.
``--profile`` writes a cProfile of each deploy to DIR. Without --kubeconfig a sandbox of its own is
started (and stopped unless HELMDECK_KEEP_SANDBOX=1), with enough simulated nodes for the pods.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bench_helmfile import (
    DELAYS,
    ENV,
    Measured,
    critical_path,
    delete_namespaces,
    layered,
    measure,
    mib,
    widest_layer,
    write_charts,
    write_helmdeck,
    write_values,
)
from bench.common import ROOT, bench_sandbox
from bench.control_plane import control_plane_cpu
from bench.plain_install import collect, plain_install
from helmdeck.cluster import ObjRef, apply_object, create_object, get_object
from helmdeck.cluster.client import make_client
from helmdeck.core.session import with_instance
from helmdeck.sandbox.request_metrics import RequestMetrics, Writes
from helmdeck.spec import load_platform

LAYERS = 10
#: what the control plane writes on its own as pods come and go (not helmdeck's writes)
CONTROLLERS = frozenset(
    {
        "pods",
        "pods/status",
        "pods/binding",
        "replicasets",
        "replicasets/status",
        "deployments/status",
        "endpoints",
        "endpointslices",
        "events",
        "serviceaccounts",
        "configmaps",
        "ipaddresses",
    }
)
#: issue 18's targets (seconds, ratios, MiB); by size where they differ
TARGETS: dict[str, dict[int, float]] = {
    "ratio": {50: 1.3, 200: 1.5, 1000: 2.0},
    "plan": {1000: 20.0},
    "nochange": {1000: 30.0},
    "status": {1000: 2.0},
    "undeploy": {1000: 120.0},
    "rss": {1000: 400.0},
}


def target(name: str, count: int) -> float | None:
    """The target for ``count`` components: the one of the nearest size at or above it."""
    sizes = sorted(TARGETS[name])
    return next((TARGETS[name][s] for s in sizes if count <= s), None)


def against(value: float, name: str, count: int, unit: str = "s") -> str:
    want = target(name, count)
    if want is None:
        return ""
    verdict = "met" if value <= want else "MISSED"
    return f"  (target <= {want:g}{unit}: {verdict})"


def helmdeck_writes(writes: Writes) -> int:
    return sum(n for (_, res), n in writes.counts.items() if res not in CONTROLLERS)


# -- the write rate -----------------------------------------------------------------------------------
def release_size(kubeconfig: str, namespace: str, release: str) -> int:
    """The bytes of a release's Secret as Helm stored it (its first revision)."""
    client = make_client(kubeconfig)
    secret = get_object(client, ObjRef("v1", "Secret", f"sh.helm.release.v1.{release}.v1", namespace))
    return len(((secret or {}).get("data") or {}).get("release", "")) or 4096


def write_rate(kubeconfig: str, namespace: str, size: int, count: int, writers: int) -> float:
    """Secret creates per second of ``size`` bytes each, ``writers`` at a time: the API server's
    write rate a deploy of releases of that size can reach at best."""
    client = make_client(kubeconfig)
    apply_object(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    payload = "x" * size

    def create(i: int) -> None:
        doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"probe-{i}"}, "data": {"release": payload}}
        create_object(client, doc, namespace=namespace)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(create, range(count)))
    return count / (time.perf_counter() - start)


def more_service_addresses(kubeconfig: str) -> None:
    """The sandbox serves Services from a /24 (254 addresses); a platform of 1000 needs more: a
    second ServiceCIDR (networking.k8s.io/v1) gives 65k."""
    client = make_client(kubeconfig)
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "ServiceCIDR",
        "metadata": {"name": "helmdeck-bench-scale"},
        "spec": {"cidrs": ["10.96.0.0/16"]},
    }
    apply_object(client, doc)


# -- one size -----------------------------------------------------------------------------------------
@dataclass
class Step:
    measured: Measured
    writes: Writes
    cluster_cpu: float | None = None  # the control plane's CPU seconds meanwhile (a local sandbox's)

    @property
    def seconds(self) -> float:
        return self.measured.seconds


@dataclass
class Result:
    count: int
    parallel: int
    chain_floor: float
    write_floor: float
    rate: float
    release_bytes: int
    steps: dict[str, Step] = field(default_factory=dict)
    report_seconds: float = 0.0
    plain_seconds: float = 0.0  # the same objects created by a plain client (bench.plain_install)
    plain_cluster_cpu: float | None = None  # the control plane's CPU meanwhile (a local sandbox's)

    @property
    def floor(self) -> float:
        return max(self.chain_floor, self.write_floor)

    @property
    def peak_kib(self) -> int:
        return max(s.measured.own_hwm_kib for s in self.steps.values())


class Runner:
    """Runs helmdeck commands on one platform, counting the API server's writes around each, and the
    control plane's CPU where the cluster is a local sandbox."""

    def __init__(self, kubeconfig: str, platform: Path, instance: str, cli: list[str], env: dict[str, str]) -> None:
        self.kubeconfig = kubeconfig
        self.metrics = RequestMetrics(kubeconfig)
        self.base = ["-f", str(platform), "--instance", instance, "--kubeconfig", kubeconfig]
        self.cli = cli
        self.env = env
        self.cwd = platform.parent

    def step(self, *args: str, profile: Path | None = None) -> Step:
        before, cpu_before = self.metrics.snapshot(), control_plane_cpu(self.kubeconfig)
        cli = self.cli
        if profile is not None:
            cli = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "helmdeck.cli.main"]
        measured = measure([*cli, *args, *self.base], self.env, self.cwd)
        writes = RequestMetrics.since(before, self.metrics.snapshot())
        return Step(measured, writes, _spent(self.kubeconfig, cpu_before))


def _spent(kubeconfig: str, before: float | None) -> float | None:
    after = control_plane_cpu(kubeconfig)
    return None if before is None or after is None else after - before


def bench_size(
    kubeconfig: str,
    workdir: Path,
    count: int,
    parallel: int | None,
    run_id: str,
    made: list[str],
    *,
    cli: list[str],
    env_extra: dict[str, str],
    label: str,
    profile: Path | None,
) -> Result:
    components = layered(count, LAYERS)
    parallel = parallel or min(32, widest_layer(components))
    directory = workdir / f"{label}-{count}"
    directory.mkdir()
    write_values(directory, components)
    charts = write_charts(directory, components, shared=False)
    platform = write_helmdeck(directory, components, charts)
    instance = f"{label}{run_id}-{count}"
    namespaces = with_instance(load_platform(platform), instance).all_namespaces()
    probe_ns = f"probe{run_id}-{label}-{count}"
    made += [*namespaces, probe_ns]
    env = {**os.environ, "KUBECONFIG": kubeconfig, "NO_COLOR": "1", **env_extra}
    run = Runner(kubeconfig, platform, instance, cli, env)
    chain_floor, _ = critical_path(components, {c.name: float(c.delay) for c in components})

    deploy = run.step("deploy", "-e", ENV, "--parallel", str(parallel), "-o", "json", profile=profile)
    report: dict[str, Any] = json.loads(deploy.measured.stdout)
    if not report["ok"]:
        failed = [c["message"] for c in report["components"] if c["message"] and c["outcome"] != "installed"]
        raise SystemExit(f"helmdeck deploy failed: {failed[:3]}")
    first = components[0]
    size = release_size(kubeconfig, f"{instance}-{first.namespace}", first.name)
    writes = helmdeck_writes(deploy.writes)
    rate = write_rate(kubeconfig, probe_ns, size, min(max(writes, 200), 2000), parallel)
    result = Result(count, parallel, chain_floor, writes / rate, rate, size, report_seconds=float(report["seconds"]))
    result.steps["deploy"] = deploy
    result.steps["plan"] = run.step("plan", "-e", ENV, "-o", "json")
    result.steps["nochange"] = run.step("deploy", "-e", ENV, "--parallel", str(parallel), "-o", "json")
    result.steps["status"] = run.step("status", "-o", "json")
    objects = collect(kubeconfig, namespaces)
    result.steps["undeploy"] = run.step("undeploy", "--yes", "-o", "json")
    delete_namespaces(kubeconfig, [probe_ns, *namespaces], wait=True)
    plain_of = {c.name: f"plain{run_id}-{label}-{count}-{c.namespace}" for c in components}
    made += sorted(set(plain_of.values()))
    needs = {c.name: c.needs for c in components}
    cpu_before = control_plane_cpu(kubeconfig)
    result.plain_seconds = plain_install(kubeconfig, objects, needs, plain_of, parallel=parallel)
    result.plain_cluster_cpu = _spent(kubeconfig, cpu_before)
    delete_namespaces(kubeconfig, sorted(set(plain_of.values())), wait=True)
    return result


def print_result(r: Result, label: str) -> None:
    d = r.steps["deploy"]
    ratio = d.seconds / r.floor
    print(
        f"{label}: {r.count} components, {LAYERS} layers, 2 needs each, pods ready after {'/'.join(map(str, DELAYS))}s"
    )
    print(f"  floor {r.floor:.1f}s = max(readiness chain {r.chain_floor:.1f}s, writes {r.write_floor:.1f}s:")
    print(f"    {helmdeck_writes(d.writes)} writes at {r.rate:.0f}/s, Secret creates of {r.release_bytes} bytes)")
    print(
        f"  deploy --parallel {r.parallel}: {d.seconds:7.1f}s (report {r.report_seconds:.1f}s) "
        f"= {ratio:.2f}x floor{against(ratio, 'ratio', r.count, 'x')}; CPU {d.measured.cpu_seconds:.1f}s"
    )
    print(f"    writes: {d.writes.by_verb()}")
    print(
        f"  the cluster alone: {r.plain_seconds:.1f}s for a plain client creating the same objects in the same"
        f" order, no Helm (deploy = {d.seconds / r.plain_seconds:.2f}x that)"
    )
    if d.cluster_cpu is not None and r.plain_cluster_cpu is not None:
        # on a local sandbox helmdeck and the control plane share the cores: their CPU over the
        # cores is a wall time no deploy on this machine can go below
        cores = os.cpu_count() or 1
        bound = (d.cluster_cpu + d.measured.cpu_seconds) / cores
        print(
            f"  CPU on {cores} shared cores: the control plane {d.cluster_cpu:.1f}s during the deploy"
            f" ({r.plain_cluster_cpu:.1f}s during the plain client's), helmdeck and its workers"
            f" {d.measured.cpu_seconds:.1f}s: at least {bound:.1f}s of wall time ({bound / r.floor:.2f}x floor);"
            f" the plain client's share alone {r.plain_cluster_cpu / cores:.1f}s"
        )
    for key, name in (("plan", "no-change plan"), ("nochange", "no-change deploy")):
        s = r.steps[key]
        print(f"  {name}: {s.seconds:7.1f}s{against(s.seconds, key, r.count)}; writes {s.writes.total}: {s.writes}")
    s = r.steps["status"]
    print(f"  status (CLI, fresh): {s.seconds:7.1f}s{against(s.seconds, 'status', r.count)}")
    s = r.steps["undeploy"]
    print(f"  undeploy: {s.seconds:7.1f}s{against(s.seconds, 'undeploy', r.count)}")
    # helmdeck's Helm runs in worker processes (rendering, release writes): the target holds for
    # the whole tree, its pages shared between processes counted once
    pss = max(s.measured.tree_pss_kib for s in r.steps.values())
    rss = max(s.measured.tree_rss_kib for s in r.steps.values())
    print(
        f"  peak memory: {mib(pss)} PSS of helmdeck and its workers{against(pss / 1024, 'rss', r.count, ' MiB')};"
        f" the main process {mib(r.peak_kib)} (VmHWM), the tree's RSS summed {mib(rss)}"
    )


@contextlib.contextmanager
def baseline_cli(ref: str) -> Any:
    """helmdeck as it was at ``ref``: a detached worktree, its ``src`` first on PYTHONPATH."""
    with tempfile.TemporaryDirectory(prefix="helmdeck-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True)
        try:
            yield {"PYTHONPATH": str(tree / "src")}
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200], help="components (e.g. 50 200 1000)")
    parser.add_argument("--parallel", type=int, help="deploy --parallel (default: the widest layer, <= 32)")
    parser.add_argument("--kubeconfig", help="use this cluster instead of a sandbox of the benchmark's own")
    parser.add_argument("--baseline", help="also run helmdeck at this git ref, in the same run")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each deploy here")
    args = parser.parse_args()
    run_id = f"{int(time.time()) % 100000}"
    nodes = max(4, math.ceil(max(args.sizes) * 1.2 / 110) + 1)  # a kwok node takes 110 pods
    cli = [sys.executable, "-m", "helmdeck.cli.main"]
    made: list[str] = []
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="helmdeck-bench-scale-") as tmp:
        if args.kubeconfig:
            kubeconfig = args.kubeconfig
            stack.callback(lambda: delete_namespaces(kubeconfig, made))
        else:
            kubeconfig = stack.enter_context(bench_sandbox("helmdeck-bench-scale", nodes=nodes))
        if max(args.sizes) > 200:
            more_service_addresses(kubeconfig)
        runs: list[tuple[str, dict[str, str]]] = [("hd", {})]
        if args.baseline:
            runs.insert(0, ("base", stack.enter_context(baseline_cli(args.baseline))))
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        for count in args.sizes:
            for label, extra in runs:
                profile = args.profile / f"{label}-{count}.prof" if args.profile else None
                result = bench_size(
                    kubeconfig,
                    Path(tmp),
                    count,
                    args.parallel,
                    run_id,
                    made,
                    cli=cli,
                    env_extra=extra,
                    label=label,
                    profile=profile,
                )
                print_result(result, "baseline " + args.baseline if label == "base" else "helmdeck")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
