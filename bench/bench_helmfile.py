"""`helmdeck deploy` against `helmfile sync --wait` on the same layered platform, in the same run.

The platform: layers of components (12 components: 3 layers of 4, 50: 5 of 10, 200: 8 of 25), each
needing two of the layer below, one namespace per layer, each on a copy of the example hello chart
of its own (`--shared-chart`: all on the one chart, which helmfile syncs one release at a time, as
it holds a lock per chart around each `helm upgrade`). Values are layered
the same way for both tools: base files (`values/common.yaml`, `values/layer-N.yaml`), then the
environment overlay `env/bench/<component>.yaml`, which sets each pod's readiness delay in the
sandbox (2, 3 or 4 seconds, cycled). helmdeck gets a platform file (the overlay as the component's
own files for environment `bench`), helmfile an equivalent `helmfile.yaml` (releases with `needs`,
the same values files in the same order, run with `-e bench sync --wait --skip-deps` and the sandbox's
helm as `--helm-binary`). Every run deploys into fresh namespaces (instance prefix `hd<N>-` and
`hf<N>-`).

Measured per size: the wall time of each command (both run as processes, as a user runs them), the
critical path (the longest `needs` chain, summing each component's own install + ready time from
helmdeck's report) and helmdeck's ratio to it, and peak memory, sampled every 100 ms from /proc:
the process's own high-water mark (VmHWM; helmdeck is one process), and for helmfile also the
largest helm it started and the tree's resident memory summed (helmfile and its concurrent helms).

Targets (issue 12): helmfile / helmdeck >= 5x at 50 components; helmdeck within 1.2x of the
critical path at 50 and 200 components.

    tools/build.sh helmfile                                  # once: builds helmfile from its Go module
    .venv/bin/python -m bench.bench_helmfile [--sizes 12 50 200] [--parallel N] [--kubeconfig PATH]

Without --kubeconfig a sandbox of its own is started (and stopped unless HELMDECK_KEEP_SANDBOX=1);
with it, the namespaces the benchmark made are deleted at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.common import HELLO, bench_sandbox, helm_binary, write_platform
from helmdeck.core.session import with_instance
from helmdeck.sandbox import binaries
from helmdeck.sandbox.binaries import locate, optional_binary
from helmdeck.spec import load_platform

READY_AFTER = "sandbox.helmdeck.dev/ready-after"
DELAYS = (2, 3, 4)  # seconds before a component's pod turns ready, cycled
ENV = "bench"
#: layers per size; other sizes get about n ** 0.4 layers
LAYERS = {12: 3, 50: 5, 200: 8}
HELMFILE_VERSION = binaries.read_versions(binaries.tools_dir()).get("HELMFILE_VERSION", "?")
TIMEOUT = 900  # seconds either tool may take


# -- the platform ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Component:
    name: str
    layer: int
    delay: int
    needs: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return f"layer-{self.layer}"


def layered(count: int, layers: int | None = None) -> list[Component]:
    """``count`` components in layers (``layers`` of them, or as the size's default); each needs two
    components of the layer below."""
    layers = layers or LAYERS.get(count) or max(1, round(count**0.4))
    width = math.ceil(count / layers)
    out: list[Component] = []
    below: list[str] = []
    for layer in range(layers):
        names = [f"l{layer}-c{i}" for i in range(min(width, count - len(out)))]
        for i, name in enumerate(names):
            needs = tuple(dict.fromkeys(below[j % len(below)] for j in (i, i + 1))) if below else ()
            out.append(Component(name, layer, DELAYS[len(out) % len(DELAYS)], needs))
        below = names
    return out


def widest_layer(components: list[Component]) -> int:
    return max(sum(1 for c in components if c.layer == layer) for layer in {c.layer for c in components})


def write_charts(directory: Path, components: list[Component], shared: bool) -> dict[str, str]:
    """Each component's chart: a copy of hello of its own, as on a platform of distinct charts, or
    with ``shared`` the one hello chart for all (helmfile then syncs them one at a time: it holds a
    lock per chart and version around each helm upgrade)."""
    if shared:
        return {c.name: str(HELLO) for c in components}
    out = {}
    for c in components:
        shutil.copytree(HELLO, directory / "charts" / c.name)
        out[c.name] = f"./charts/{c.name}"
    return out


def write_values(directory: Path, components: list[Component]) -> None:
    """The values files both tools read: base files per layer and the environment overlay."""
    (directory / "values").mkdir(parents=True, exist_ok=True)
    (directory / "env" / ENV).mkdir(parents=True, exist_ok=True)
    common = {"replicas": 1, "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}}}
    (directory / "values" / "common.yaml").write_text(yaml.safe_dump(common))
    for layer in sorted({c.layer for c in components}):
        layer_values = {"podAnnotations": {"bench.helmdeck.dev/layer": str(layer)}}
        (directory / "values" / f"layer-{layer}.yaml").write_text(yaml.safe_dump(layer_values))
    for c in components:
        overlay = {"podAnnotations": {READY_AFTER: f"{c.delay}s"}}
        (directory / "env" / ENV / f"{c.name}.yaml").write_text(yaml.safe_dump(overlay))


def base_values(c: Component) -> list[str]:
    return ["values/common.yaml", f"values/layer-{c.layer}.yaml"]


def write_helmdeck(directory: Path, components: list[Component], charts: dict[str, str]) -> Path:
    comps = [
        {
            "name": c.name,
            "chart": charts[c.name],
            "namespace": c.namespace,
            **({"needs": list(c.needs)} if c.needs else {}),
            "values": base_values(c),
            "environments": {ENV: {"values": [f"env/{ENV}/{c.name}.yaml"]}},
            "health": {"timeout": f"{TIMEOUT // 60}m"},
        }
        for c in components
    ]
    return write_platform(directory, "hfbench", comps, namespaces={"admin": "admin"}, environments={ENV: {}})


def write_helmfile(directory: Path, components: list[Component], charts: dict[str, str], prefix: str) -> Path:
    def namespace(c: Component) -> str:
        return f"{prefix}-{c.namespace}"

    by_name = {c.name: c for c in components}
    environments: dict[str, Any] = {"environments": {ENV: {}}}  # helmfile wants them in a YAML document of their own
    doc = {
        "helmDefaults": {"createNamespace": True, "wait": True, "timeout": TIMEOUT},
        "releases": [
            {
                "name": c.name,
                "namespace": namespace(c),
                "chart": charts[c.name],
                **({"needs": [f"{namespace(by_name[n])}/{n}" for n in c.needs]} if c.needs else {}),
                "values": [*base_values(c), f"env/{ENV}/{c.name}.yaml"],
            }
            for c in components
        ],
    }
    path = directory / "helmfile.yaml"
    path.write_text(yaml.safe_dump_all([environments, doc], sort_keys=False))
    return path


def critical_path(components: list[Component], seconds: dict[str, float]) -> tuple[float, list[str]]:
    """The longest ``needs`` chain by the sum of each component's own install + ready time."""
    best: dict[str, tuple[float, list[str]]] = {}
    for c in components:  # layers come in order: whatever a component needs is already in best
        before = max((best[n] for n in c.needs), default=(0.0, []))
        best[c.name] = (before[0] + seconds[c.name], [*before[1], c.name])
    return max(best.values())


# -- running a process and its memory ---------------------------------------------------------------
@dataclass
class Measured:
    seconds: float
    stdout: str
    stderr: str
    own_hwm_kib: int = 0  # the process itself: its VmHWM (the kernel's high-water mark)
    largest_hwm_kib: int = 0  # the largest VmHWM of a process it started (helmfile's helms)
    tree_rss_kib: int = 0  # the process tree's resident memory summed, at the sample it peaked
    samples: int = 0
    cpu_seconds: float = 0.0  # user + system time of the process and the children it waited for
    # the process tree's proportional set size summed, at the sample it peaked: what the tree holds,
    # each page shared by several of its processes (a library, a forked parent's pages) counted once
    tree_pss_kib: int = 0


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def _pss_kib(pid: int) -> int:
    """A process's proportional set size, or 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
    except (OSError, ValueError):
        return 0


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, or zeros once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if line.startswith(("VmRSS", "VmHWM")))
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return 0, 0


@dataclass
class _Sampler:
    """Samples a process tree every ``interval`` seconds. High-water marks are the kernel's, so a
    process seen once has its true peak; a helm that lived less than the interval may be missed."""

    pid: int
    interval: float = 0.1
    own_hwm: int = 0
    largest_hwm: int = 0
    tree_peak: int = 0
    tree_pss: int = 0
    samples: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while True:
            children = _children()
            tree, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(children.get(pid, []))
            memory = [_memory_kib(pid) for pid in tree]
            self.own_hwm = max(self.own_hwm, memory[0][1])
            self.largest_hwm = max([self.largest_hwm, *(hwm for _, hwm in memory[1:])])
            self.tree_peak = max(self.tree_peak, sum(rss for rss, _ in memory))
            self.tree_pss = max(self.tree_pss, sum(map(_pss_kib, tree)))
            self.samples += 1
            if self.stop.wait(self.interval):
                return


def measure(cmd: list[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run ``cmd`` to the end: wall time, output, and memory as described in the module docstring."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd, text=True)
        sampler = _Sampler(proc.pid)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        # the exited process stays a zombie until reaped, with its /proc/PID/status readable no more:
        # wait without reaping, take a last sample while its children are still listed, then reap
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        seconds = time.perf_counter() - start
        sampler.stop.set()
        thread.join()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        tail = "\n".join([*stdout.splitlines()[:40], "...", *stderr.splitlines()[-20:]])
        raise SystemExit(f"{' '.join(cmd[:3])} ... exited {proc.returncode}:\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(
        seconds,
        stdout,
        stderr,
        sampler.own_hwm,
        sampler.largest_hwm,
        sampler.tree_peak,
        sampler.samples,
        cpu,
        sampler.tree_pss,
    )


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


# -- one size ---------------------------------------------------------------------------------------
@dataclass
class Result:
    count: int
    layers: int
    parallel: int
    helmdeck: Measured
    helmdeck_inner: float  # the deploy report's own seconds (no interpreter start-up)
    helmfile: Measured
    critical: float
    chain: list[str]
    delays_only: float  # the readiness delays alone along the longest chain: an instant installer's time


def bench_size(
    kubeconfig: str,
    workdir: Path,
    helmfile: Path,
    count: int,
    parallel: int | None,
    run_id: str,
    made: list[str],
    shared_chart: bool = False,
) -> Result:
    """Deploy ``count`` components with each tool; ``made`` gets the namespaces before they exist."""
    components = layered(count)
    layers = len({c.layer for c in components})
    parallel = parallel or min(32, widest_layer(components))
    directory = workdir / f"size-{count}"
    directory.mkdir()
    write_values(directory, components)
    charts = write_charts(directory, components, shared_chart)
    platform = write_helmdeck(directory, components, charts)
    hd_instance, hf_prefix = f"hd{run_id}-{count}", f"hf{run_id}-{count}"
    helmfile_yaml = write_helmfile(directory, components, charts, hf_prefix)
    env = {**os.environ, "KUBECONFIG": kubeconfig, "NO_COLOR": "1"}
    ours_ns = with_instance(load_platform(platform), hd_instance).all_namespaces()  # admin, services, jobs too
    theirs_ns = [f"{hf_prefix}-layer-{layer}" for layer in range(layers)]
    made += ours_ns + theirs_ns

    helmdeck_cli = str(Path(sys.executable).with_name("helmdeck"))
    ours = measure(
        [
            helmdeck_cli,
            "deploy",
            "-f",
            str(platform),
            "-e",
            ENV,
            "--instance",
            hd_instance,
            "--parallel",
            str(parallel),
            "--kubeconfig",
            kubeconfig,
            "-o",
            "json",
        ],
        env,
        directory,
    )
    report: dict[str, Any] = json.loads(ours.stdout)
    if not report["ok"]:
        raise SystemExit(f"helmdeck deploy failed: {[c['message'] for c in report['components'] if c['message']][:3]}")
    seconds = {c["component"]: float(c["seconds"]) for c in report["components"]}
    critical, chain = critical_path(components, seconds)
    # the sandbox's Service range (10.0.0.0/24) holds one platform of 200 at a time, not two
    delete_namespaces(kubeconfig, ours_ns, wait=True)

    theirs = measure(
        [
            str(helmfile),
            "-f",
            str(helmfile_yaml),
            "-e",
            ENV,
            "--helm-binary",
            helm_binary(),
            "sync",
            "--wait",
            "--skip-deps",
        ],
        env,
        directory,
    )
    delete_namespaces(kubeconfig, theirs_ns, wait=True)
    delays_only, _ = critical_path(components, {c.name: float(c.delay) for c in components})
    return Result(count, layers, parallel, ours, float(report["seconds"]), theirs, critical, chain, delays_only)


def print_result(r: Result) -> None:
    hd, hf = r.helmdeck, r.helmfile
    print(f"{r.count} components: {r.layers} layers, 2 needs each, pods ready after {'/'.join(map(str, DELAYS))}s")
    print(
        f"  helmdeck deploy --parallel {r.parallel}:    {hd.seconds:7.2f}s  (its report: {r.helmdeck_inner:.2f}s; "
        f"CPU {hd.cpu_seconds:.1f}s)"
    )
    print(f"  helmfile sync --wait (needs):     {hf.seconds:7.2f}s  (CPU {hf.cpu_seconds:.1f}s with its helms)")
    print(f"  critical path ({len(r.chain)} components, from helmdeck's report): {r.critical:.2f}s")
    print(f"  readiness delays alone along the longest chain: {r.delays_only:.2f}s")
    print(
        f"  ratio helmfile / helmdeck: {hf.seconds / hd.seconds:.1f}x" + ("  (target >= 5x)" if r.count == 50 else "")
    )
    target = "  (target <= 1.2x)" if r.count >= 50 else ""
    inner = r.helmdeck_inner / r.critical
    print(f"  helmdeck / critical path:  {hd.seconds / r.critical:.2f}x (report: {inner:.2f}x){target}")
    print(f"  peak RSS helmdeck: {mib(hd.own_hwm_kib)} (one process, VmHWM)")
    print(
        f"  peak RSS helmfile: {mib(hf.own_hwm_kib)} itself, {mib(hf.largest_hwm_kib)} largest helm, "
        f"{mib(hf.tree_rss_kib)} with its concurrent helm processes summed (sampled {hf.samples} times)"
    )


def delete_namespaces(kubeconfig: str, namespaces: list[str], *, wait: bool = False) -> None:
    """Delete the namespaces, and with ``wait`` until they are gone (with their Services)."""
    kubectl = str(locate()["kubectl"])
    flags = ["--ignore-not-found", f"--wait={str(wait).lower()}", "--timeout=300s"]
    subprocess.run(
        [kubectl, "--kubeconfig", kubeconfig, "delete", "namespace", *flags, *namespaces],
        capture_output=True,
        check=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[12, 50], help="components per platform (e.g. 12 50 200)"
    )
    parser.add_argument("--parallel", type=int, help="helmdeck deploy --parallel (default: the widest layer, <= 32)")
    parser.add_argument("--kubeconfig", help="use this cluster instead of a sandbox of the benchmark's own")
    parser.add_argument(
        "--shared-chart", action="store_true", help="every component on the one hello chart, not a copy of its own"
    )
    args = parser.parse_args()
    helmfile = optional_binary("helmfile")
    if helmfile is None:
        print("skipped: helmfile is not built; build it once with `tools/build.sh helmfile` (a cold build took")
        print("16 minutes on 2 busy cores, from the Go module proxy), then run this again.")
        return
    if not Path(importlib.util.cache_from_source(binaries.__file__)).exists():
        print("note: helmdeck's bytecode is not compiled (PYTHONDONTWRITEBYTECODE?), so each helmdeck process")
        print("compiles what it imports first, seconds of its wall time: run scripts/setup.sh, or")
        print("`uv sync --locked --compile-bytecode && .venv/bin/python -m compileall -q src`, first.")
    run_id = f"{int(time.time()) % 100000}"
    # one platform is deployed at a time; kwok nodes take 110 pods each
    nodes = max(4, math.ceil(max(args.sizes) / 100) + 1)
    made: list[str] = []
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="helmdeck-bench-helmfile-") as tmp:
        if args.kubeconfig:
            kubeconfig = args.kubeconfig
            stack.callback(lambda: delete_namespaces(kubeconfig, made))
        else:
            kubeconfig = stack.enter_context(bench_sandbox("helmdeck-bench-helmfile", nodes=nodes))
        charts = "all on the one hello chart" if args.shared_chart else "each on a copy of the hello chart of its own"
        print(f"helmdeck deploy vs helmfile sync --wait (helmfile {HELMFILE_VERSION}); components {charts}")
        for count in args.sizes:
            result = bench_size(
                kubeconfig, Path(tmp), helmfile, count, args.parallel, run_id, made, shared_chart=args.shared_chart
            )
            print_result(result)


if __name__ == "__main__":
    main()
