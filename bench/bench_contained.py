"""The cost of containment: N renders and N installs + uninstalls with Helm in this process (the
engine before issue 17) against the same through helmdeck's contained workers (render workers;
release-write workers), measured in the same run.

Renders need no cluster. Installs use a sandbox of their own (or ``--kubeconfig``), the small
example chart ``hello`` in one namespace, ``--parallel`` at a time as deploy runs them, without
waiting for readiness (the gate is helmdeck's own, outside Helm). Prints each side and the ratio
contained / in-process (1.00x: containment costs nothing).

    .venv/bin/python -m bench.bench_contained                      # 40 components, ~2 minutes
    .venv/bin/python -m bench.bench_contained --components 200 --rounds 3
    .venv/bin/python -m bench.bench_contained --kubeconfig PATH    # an existing cluster
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import helm_python
from lightkube import Client, KubeConfig
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from bench.common import HELLO, bench_sandbox, summary, timed
from helmdeck.engine import _abi, contained, release_writes
from helmdeck.engine.charts import ChartCache, LoadedChart, load_chart
from helmdeck.engine.helm_sdk import HelmSdkEngine
from helmdeck.engine.options import InstallOptions, UninstallOptions
from helmdeck.engine.render import render


def _names(count: int) -> list[str]:
    return [f"c{i:03d}" for i in range(count)]


def _parallel(work: Callable[[str], object], names: list[str], parallel: int) -> None:
    with ThreadPoolExecutor(parallel) as pool:
        for _ in pool.map(work, names):
            pass


# -- renders -----------------------------------------------------------------------------------


def render_in_process(chart: LoadedChart, names: list[str]) -> None:
    """What render did before: Helm's engine on a chart handle in this process."""
    for name in names:
        with chart.handle() as handle:
            _abi.render(handle, {"replicas": 1}, name=name, namespace="bench", is_install=True)


def render_contained(chart: LoadedChart, names: list[str]) -> None:
    for name in names:
        render(chart, {"replicas": 1}, name, "bench")


# -- installs ----------------------------------------------------------------------------------


def install_in_process(kubeconfig: str, chart: LoadedChart, namespace: str, names: list[str], parallel: int) -> None:
    """What the engine's install did before (its contained dry run left out: the plain cost)."""

    def one(name: str) -> None:
        with (
            helm_python.Config(kubeconfig_path=kubeconfig, namespace=namespace) as config,
            chart.handle(exclusive=True) as handle,
        ):
            _abi.chart_write(
                "install", config, handle, name, {"replicas": 1}, None, {"namespace": namespace, "wait": "hookOnly"}
            )

    _parallel(one, names, parallel)


def uninstall_in_process(kubeconfig: str, namespace: str, names: list[str], parallel: int) -> None:
    def one(name: str) -> None:
        with helm_python.Config(kubeconfig_path=kubeconfig, namespace=namespace) as config:
            _abi.uninstall(config, name, wait="hookOnly")

    _parallel(one, names, parallel)


def install_contained(
    engine: HelmSdkEngine, chart: LoadedChart, namespace: str, names: list[str], parallel: int
) -> None:
    _parallel(
        lambda name: engine.install(chart, name, {"replicas": 1}, InstallOptions(namespace=namespace)), names, parallel
    )


def uninstall_contained(engine: HelmSdkEngine, namespace: str, names: list[str], parallel: int) -> None:
    _parallel(lambda name: engine.uninstall(name, UninstallOptions(namespace=namespace)), names, parallel)


@contextlib.contextmanager
def cluster(kubeconfig: str | None) -> Iterator[str]:
    if kubeconfig:
        yield kubeconfig
        return
    with bench_sandbox("helmdeck-bench-contained", nodes=2) as made:
        yield made


def _cpu() -> float:
    """CPU seconds of this process, its reaped children and its live workers (render and release)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in contained.worker_pids() + release_writes.worker_pids():
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _ratio(ours: list[float], theirs: list[float]) -> str:
    return f"{sorted(ours)[len(ours) // 2] / sorted(theirs)[len(theirs) // 2]:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--components", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=4, help="installs at a time (deploy's default: 4)")
    parser.add_argument("--kubeconfig", help="an existing cluster instead of a sandbox of the bench's own")
    parser.add_argument("--no-installs", action="store_true", help="renders only (no cluster)")
    args = parser.parse_args()
    os.environ.setdefault("HELMDECK_RELEASE_WORKERS", str(args.parallel))
    chart = load_chart(HELLO, cache=ChartCache())
    names = _names(args.components)

    render_in_process(chart, names[:2])  # both sides warm: Helm loaded, a render worker started
    render_contained(chart, names[:2])
    renders: dict[str, list[float]] = {"in-process": [], "contained": []}
    for round_ in range(args.rounds):
        sides = [("in-process", render_in_process), ("contained", render_contained)]
        for side, fn in sides if round_ % 2 == 0 else sides[::-1]:  # alternate which side runs first
            started = time.perf_counter()
            fn(chart, names)
            renders[side].append(time.perf_counter() - started)
    print(
        f"components: {args.components}, rounds: {args.rounds}, render workers: {contained.Limits.from_env().workers}"
    )
    print(f"render, in process:  {summary(renders['in-process'])}")
    print(f"render, contained:   {summary(renders['contained'])}")
    print(f"render ratio (contained / in process, medians): {_ratio(renders['contained'], renders['in-process'])}")
    if args.no_installs:
        return

    with cluster(args.kubeconfig) as kubeconfig:
        client = Client(KubeConfig.from_file(kubeconfig))
        engine = HelmSdkEngine(kubeconfig)

        def one_side(side: str, namespace: str) -> tuple[float, float]:
            if side == "in-process":
                up, _ = timed(lambda: install_in_process(kubeconfig, chart, namespace, names, args.parallel))
                down, _ = timed(lambda: uninstall_in_process(kubeconfig, namespace, names, args.parallel))
            else:
                up, _ = timed(lambda: install_contained(engine, chart, namespace, names, args.parallel))
                down, _ = timed(lambda: uninstall_contained(engine, namespace, names, args.parallel))
            return up, down

        installs: dict[str, list[float]] = {"in-process": [], "contained": []}
        uninstalls: dict[str, list[float]] = {"in-process": [], "contained": []}
        cpu: dict[str, list[float]] = {"in-process": [], "contained": []}
        for round_ in range(args.rounds):
            order = ["in-process", "contained"] if round_ % 2 == 0 else ["contained", "in-process"]
            for side in order:
                namespace = f"bench-{secrets.token_hex(3)}"
                client.create(Namespace(metadata=ObjectMeta(name=namespace)))
                try:
                    cpu_from = _cpu()
                    up, down = one_side(side, namespace)
                    cpu[side].append(_cpu() - cpu_from)
                    installs[side].append(up)
                    uninstalls[side].append(down)
                finally:
                    client.delete(Namespace, namespace)
        print(f"release workers: {release_writes.ReleaseLimits.from_env().workers}, parallel: {args.parallel}")
        for label, table in (("install", installs), ("uninstall", uninstalls)):
            print(f"{label}, in process:  {summary(table['in-process'])}")
            print(f"{label}, contained:   {summary(table['contained'])}")
            print(f"{label} ratio (contained / in process, medians): {_ratio(table['contained'], table['in-process'])}")
        print(f"install+uninstall CPU (this process and its workers), in process: {summary(cpu['in-process'])}")
        print(f"install+uninstall CPU (this process and its workers), contained:  {summary(cpu['contained'])}")
        print(f"CPU ratio (contained / in process, medians): {_ratio(cpu['contained'], cpu['in-process'])}")
        per = [s / args.components * 1000 for s in installs["contained"]]
        print(f"contained install per component: {min(per):.0f}-{max(per):.0f} ms (wall, {args.parallel} at a time)")


if __name__ == "__main__":
    main()
