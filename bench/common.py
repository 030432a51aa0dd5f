"""Shared pieces of the benchmarks: generated platforms, the helm CLI, a sandbox of their own."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from helmdeck.sandbox.binaries import locate
from helmdeck.sandbox.cluster import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD_CHARTS = ROOT / "examples" / "dashboards" / "charts"
HELLO = ROOT / "examples" / "charts" / "hello"
# the generated platforms live in temporary directories and name the repository's example charts
os.environ.setdefault("HELMDECK_ALLOW_OUTSIDE", "1")


def helm_binary() -> str:
    return str(locate()["helm"])


def write_platform(directory: Path, name: str, components: list[dict[str, Any]], **spec: Any) -> Path:
    doc = {
        "apiVersion": "helmdeck.dev/v1",
        "kind": "Platform",
        "metadata": {"name": name},
        "spec": {**spec, "components": components},
    }
    path = directory / "platform.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def mixed_components(count: int) -> list[dict[str, Any]]:
    """Realistic charts of the dashboards platform, cycled, each in a namespace of its own."""
    charts: list[tuple[str, dict[str, Any]]] = [
        ("redis", {}),
        ("viewer", {}),
        ("celery-worker", {}),
        ("mongo", {"auth": {"rootPassword": "bench-only-not-a-secret"}}),
        ("minio", {"auth": {"rootUser": "bench", "rootPassword": "bench-only-not-a-secret"}}),
        ("backend", {"mongo": {"password": "x" * 16}, "minio": {"accessKey": "bench", "secretKey": "y" * 16}}),
    ]
    out = []
    for i in range(count):
        chart, values = charts[i % len(charts)]
        out.append(
            {"name": f"{chart}-{i}", "chart": str(DASHBOARD_CHARTS / chart), "namespace": f"bench-{i}", "set": values}
        )
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kwargs)


@contextmanager
def bench_sandbox(name: str = "helmdeck-bench", nodes: int = 4) -> Iterator[str]:
    """A sandbox for one benchmark run, stopped afterwards unless HELMDECK_KEEP_SANDBOX=1 (a kwok
    node takes 110 pods)."""
    box = Sandbox(name)
    box.up(nodes=nodes)
    try:
        yield str(box.kubeconfig)
    finally:
        if os.environ.get("HELMDECK_KEEP_SANDBOX") != "1":
            box.down()


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):.3f}s p95 {p95:.3f}s (n={len(ordered)})"
