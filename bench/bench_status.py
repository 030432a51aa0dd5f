"""The web service at scale: the status endpoint (GET /api/v1/status) and the overview page (GET /)
for a platform of 100 components on the sandbox, p50 and p95 over a bounded number of requests
sent one after another over loopback.

Three ways of asking: the default (the reading all clients share, refreshed in the background every
second while anyone looks; requests are spaced by --pause so refreshes happen during the run),
``?fresh=true`` (every request reads the cluster), and the overview page. Baseline, in the same
process: what a service without helmdeck's status would do per request, one `helm status` (Helm SDK)
per component. Target: p95 <= 150 ms, fresh too.

    .venv/bin/python -m bench.bench_status [--components 100] [--requests 100] [--kubeconfig PATH]

Without --kubeconfig a sandbox of its own is started (and stopped unless HELMDECK_KEEP_SANDBOX=1).
The platform (instance "bench-status") is left deployed with --keep, so reruns skip the deploy.
``--platform FILE --instance NAME --kubeconfig PATH`` measures a platform deployed already (e.g.
bench_scale's 1000, written by ``bench.scale_platform``): nothing deployed or removed, no baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import uvicorn

from bench.common import HELLO, bench_sandbox, write_platform
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.server.app import create_app
from helmdeck.server.settings import ServerSettings
from helmdeck.spec import load_platform

INSTANCE = "bench-status"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
        f"max {ordered[-1] * 1000:6.1f} ms  (n={len(ordered)})"
    )


def measure(call: Callable[[], None], requests: int, warmup: int = 3, pause: float = 0.0) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
        time.sleep(pause)
    return samples


@contextlib.contextmanager
def serving(settings: ServerSettings) -> Iterator[tuple[str, str]]:
    app = create_app(settings)
    token = app.state.tokens.create(f"bench-{secrets.token_hex(2)}", "viewer")[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--kubeconfig", help="use this cluster instead of a sandbox of the benchmark's own")
    parser.add_argument("--keep", action="store_true", help="leave the platform deployed for the next run")
    parser.add_argument(
        "--pause", type=float, default=0.05, help="seconds between requests, so background refreshes fall within"
    )
    parser.add_argument("--platform", type=Path, help="a platform deployed already (with --kubeconfig)")
    parser.add_argument("--instance", help="its instance (with --platform)")
    parser.add_argument("--environment", help="its environment (with --platform)")
    args = parser.parse_args()
    if args.platform:
        if not args.kubeconfig:
            raise SystemExit("--platform needs --kubeconfig: the cluster it is deployed on")
        deployed(args.platform, args.kubeconfig, args.instance, args.environment, args.requests)
        return
    with contextlib.ExitStack() as stack:
        kubeconfig = args.kubeconfig or stack.enter_context(bench_sandbox())
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="helmdeck-bench-status-")))
        components = [
            {"name": f"hello-{i:03d}", "chart": str(HELLO), "namespace": f"ns{i % 4}", "set": {"replicas": 1}}
            for i in range(args.components)
        ]
        path = write_platform(work, "statusbench", components, instance=INSTANCE)
        session = PlatformSession(platform=load_platform(path), kubeconfig=kubeconfig)
        start = time.perf_counter()
        report = Deployer(session, parallel=8).run()
        if not report.ok:
            raise SystemExit(f"deploy failed: {[c.message for c in report.components if not c.ok][:3]}")
        print(f"platform of {args.components} components ready in {time.perf_counter() - start:.1f}s")

        settings = ServerSettings(
            platform_file=path, state_dir=work / "state", kubeconfig=kubeconfig, status_poll_seconds=2.0
        )
        with serving(settings) as (url, token), httpx.Client(base_url=url, timeout=30) as client:
            headers = {"Authorization": f"Bearer {token}"}

            def status(fresh: bool = False) -> None:
                response = client.get("/api/v1/status", headers=headers, params={"fresh": fresh})
                response.raise_for_status()
                assert len(response.json()["components"]) == args.components

            form = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert csrf is not None
            client.post("/login", data={"token": token, "csrf_token": csrf.group(1), "next": "/"})

            def overview() -> None:
                response = client.get("/")
                response.raise_for_status()
                assert response.text.count('data-testid="component-hello-') == args.components

            api_samples = measure(status, args.requests, pause=args.pause)
            fresh_samples = measure(lambda: status(fresh=True), args.requests)
            page_samples = measure(overview, args.requests, pause=args.pause)

        reader = PlatformSession(platform=load_platform(path), kubeconfig=kubeconfig)
        names = reader.platform.component_names

        def per_release() -> None:
            for name in names:
                reader.engine.status(name, namespace=reader.platform.namespace_of(name))

        baseline = measure(per_release, max(5, args.requests // 10), warmup=1)

        n = args.components
        print(f"GET /api/v1/status             ({n} components): {percentiles(api_samples)}")
        print(f"GET /api/v1/status?fresh=true  ({n} components): {percentiles(fresh_samples)}")
        print(f"GET / overview page            ({n} components): {percentiles(page_samples)}")
        print(f"baseline: one helm status per component       : {percentiles(baseline)}")
        for label, samples in (("status", api_samples), ("status?fresh=true", fresh_samples)):
            ratio = statistics.median(baseline) / statistics.median(samples)
            print(f"{label} p50 is {ratio:.1f}x faster than the baseline")
        for label, samples in (("status", api_samples), ("status?fresh=true", fresh_samples)):
            p95 = sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]
            print(f"target {label} p95 <= 150 ms: {'met' if p95 <= 0.150 else 'NOT met'} ({p95 * 1000:.1f} ms)")
        if not args.keep:
            Undeployer(PlatformSession(platform=load_platform(path), kubeconfig=kubeconfig), purge_data=True).run()


def deployed(path: Path, kubeconfig: str, instance: str | None, environment: str | None, requests: int) -> None:
    """The status endpoint, shared and fresh, of a platform deployed already."""
    with tempfile.TemporaryDirectory(prefix="helmdeck-bench-status-") as work:
        settings = ServerSettings(
            platform_file=path,
            instance=instance,
            environment=environment,
            state_dir=Path(work) / "state",
            kubeconfig=kubeconfig,
            status_poll_seconds=2.0,
        )
        with serving(settings) as (url, token), httpx.Client(base_url=url, timeout=120) as client:
            headers = {"Authorization": f"Bearer {token}"}
            count = 0

            def status(fresh: bool = False) -> None:
                nonlocal count
                response = client.get("/api/v1/status", headers=headers, params={"fresh": fresh})
                response.raise_for_status()
                count = len(response.json()["components"])

            fresh_samples = measure(lambda: status(fresh=True), requests)
            api_samples = measure(status, requests, pause=0.05)
    print(f"GET /api/v1/status             ({count} components): {percentiles(api_samples)}")
    print(f"GET /api/v1/status?fresh=true  ({count} components): {percentiles(fresh_samples)}")
    p95 = sorted(fresh_samples)[max(0, round(0.95 * len(fresh_samples)) - 1)]
    print(f"target status?fresh=true p95 <= 1 s (1000 components): {'met' if p95 <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
