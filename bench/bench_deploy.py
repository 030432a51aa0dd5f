"""Deploy of a 12-component platform (dependency depth 3, pods ready after a fixed delay), against a
sequential `helm upgrade --install --wait` loop; and a no-change plan of 50 components, against
`helm template` + `helm get manifest` + diff per release. Both on a sandbox of their own.

Targets: deploy 3x faster than the loop or better, and within 1.3x of the critical path (the sum of
readiness delays along the longest chain).

    .venv/bin/python -m bench.bench_deploy [--delay 3] [--plan-components 50]
"""

from __future__ import annotations

import argparse
import difflib
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.common import HELLO, bench_sandbox, helm_binary, run, summary, timed, write_platform
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.plan.planner import make_plan
from helmdeck.spec import load_platform

LEVELS = 3
PER_LEVEL = 4
READY_AFTER = "sandbox.helmdeck.dev/ready-after"


def layered_components(delay: float, namespace: str) -> list[dict[str, Any]]:
    """LEVELS levels of PER_LEVEL components; each needs two of the level below."""
    out = []
    for level in range(LEVELS):
        for i in range(PER_LEVEL):
            comp: dict[str, Any] = {
                "name": f"l{level}-c{i}",
                "chart": str(HELLO),
                "namespace": namespace,
                "set": {"replicas": 1, "podAnnotations": {READY_AFTER: f"{delay}s"}},
            }
            if level:
                comp["needs"] = [f"l{level - 1}-c{i}", f"l{level - 1}-c{(i + 1) % PER_LEVEL}"]
            out.append(comp)
    return out


def helm_loop(kubeconfig: str, delay: float, namespace: str) -> float:
    helm = helm_binary()
    env = {**os.environ, "KUBECONFIG": kubeconfig}

    def loop() -> None:
        for level in range(LEVELS):  # dependency order, one at a time, as deploy scripts do
            for i in range(PER_LEVEL):
                run(
                    [
                        helm,
                        "upgrade",
                        "--install",
                        f"l{level}-c{i}",
                        str(HELLO),
                        "-n",
                        namespace,
                        "--create-namespace",
                        "--wait",
                        "--timeout",
                        "5m",
                        "--set",
                        "replicas=1",
                        "--set",
                        f"podAnnotations.sandbox\\.helmdeck\\.dev/ready-after={delay}s",
                    ],
                    env=env,
                )

    seconds, _ = timed(loop)
    return seconds


def bench_deploy(kubeconfig: str, workdir: Path, delay: float) -> None:
    path = write_platform(
        workdir,
        "benchdeploy",
        layered_components(delay, "work"),
        namespaces={"admin": "admin", "work": "work"},
        instance="hd",
    )
    session = PlatformSession(path, kubeconfig=kubeconfig)
    seconds, report = timed(lambda: Deployer(session, parallel=PER_LEVEL).run())
    assert report.ok, report.as_dict()
    baseline = helm_loop(kubeconfig, delay, "baseline")
    critical = LEVELS * delay
    print(f"deploy: {LEVELS * PER_LEVEL} components, depth {LEVELS}, pods ready after {delay}s")
    print(f"  helmdeck deploy (parallel {PER_LEVEL}):        {seconds:.2f}s")
    print(f"  baseline helm upgrade --install --wait loop: {baseline:.2f}s")
    print(f"  critical path (sum of delays on the longest chain): {critical:.2f}s")
    print(f"  ratio baseline / helmdeck: {baseline / seconds:.1f}x (target >= 3x)")
    print(f"  helmdeck / critical path: {seconds / critical:.2f}x (target <= 1.3x)")


def bench_plan(kubeconfig: str, workdir: Path, count: int, rounds: int) -> None:
    comps = [
        {"name": f"svc-{i}", "chart": str(HELLO), "namespace": "work", "set": {"replicas": 1}} for i in range(count)
    ]
    (workdir / "plan").mkdir()
    path = write_platform(
        workdir / "plan", "benchplan", comps, namespaces={"admin": "admin", "work": "work"}, instance="pl"
    )
    assert Deployer(PlatformSession(path, kubeconfig=kubeconfig), parallel=8).run().ok
    ours = []
    for _ in range(rounds):
        seconds, plan = timed(lambda: make_plan(PlatformSession(path, kubeconfig=kubeconfig)))
        assert not plan.has_changes
        ours.append(seconds)

    platform = load_platform(path)
    session = PlatformSession(platform=platform, kubeconfig=kubeconfig)
    desired = session.desired()
    jobs = []
    for name, d in desired.items():
        values = workdir / f"{name}.values.yaml"
        values.write_text(yaml.safe_dump(d.values))
        jobs.append((d.release, str(d.chart.path), d.namespace, str(values)))
    helm = helm_binary()
    env = {**os.environ, "KUBECONFIG": kubeconfig}

    def baseline() -> None:
        for release, chart, namespace, values_file in jobs:
            want = run([helm, "template", release, chart, "-n", namespace, "-f", values_file], env=env).stdout
            live = run([helm, "get", "manifest", release, "-n", namespace], env=env).stdout
            list(difflib.unified_diff(live.splitlines(), want.splitlines()))

    theirs = [timed(baseline)[0] for _ in range(rounds)]
    print(f"no-change plan of {count} components:")
    print(f"  helmdeck plan: {summary(ours)}")
    print(f"  baseline helm template + helm get manifest + diff per release: {summary(theirs)}")
    print(f"  ratio baseline / helmdeck (medians): {statistics.median(theirs) / statistics.median(ours):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=3.0, help="seconds before a pod turns ready")
    parser.add_argument("--plan-components", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_sandbox() as kubeconfig:
        bench_deploy(kubeconfig, Path(tmp), args.delay)
        bench_plan(kubeconfig, Path(tmp), args.plan_components, args.rounds)


if __name__ == "__main__":
    main()
