#!/usr/bin/env python3
"""Screenshots of the web UI for the README, made from the sandbox so they stay current.

Starts (or reuses) a sandbox, deploys a reference platform (examples/dashboards, environment demo),
serves the web UI on a loopback port and writes, with Playwright in Debian's Chromium:

  docs/screenshots/overview-graph.png   the overview's platform graph
  docs/screenshots/plan.png             the plan page (only when the UI has one: /plan)
  docs/screenshots/timeline.png         the deploy timeline of the latest revision

Usage: .venv/bin/python scripts/screenshots.py [--sandbox NAME] [--keep] [--width 1000]

The platform's namespaces are deleted afterwards, and the sandbox stopped unless it was running
before or --keep is given.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PLATFORM = ROOT / "examples" / "dashboards" / "platform.yaml"
OUT = ROOT / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _sandbox(name: str, keep: bool) -> Iterator[str]:
    from helmdeck.sandbox.cluster import Sandbox

    box = Sandbox(name)
    running = box.exists() and box.status().running
    result = box.up(nodes=2)
    try:
        yield str(result.kubeconfig)
    finally:
        if not running and not keep:
            box.down()


@contextlib.contextmanager
def _deployed(kubeconfig: str, platform: Path, environment: str) -> Iterator[None]:
    from helmdeck.core.session import PlatformSession
    from helmdeck.deploy.executor import Deployer
    from helmdeck.spec import load_platform

    session = PlatformSession(platform=load_platform(platform), environment=environment, kubeconfig=kubeconfig)
    report = Deployer(session).run()
    if not report.ok:
        raise SystemExit(f"the deploy of {platform} failed: {report}")
    try:
        yield
    finally:
        from helmdeck.deploy.undeploy import Undeployer

        with contextlib.suppress(Exception):
            Undeployer(session, purge_data=True, confirm=lambda _: True).run()


@contextlib.contextmanager
def _served(kubeconfig: str, platform: Path, environment: str, state: Path) -> Iterator[tuple[str, str]]:
    """The web UI on a loopback port, and an admin token's secret."""
    import uvicorn

    from helmdeck.server.app import create_app
    from helmdeck.server.settings import ServerSettings

    settings = ServerSettings(
        platform_file=platform, state_dir=state, kubeconfig=kubeconfig, environment=environment, status_poll_seconds=1
    )
    app = create_app(settings)
    token = str(app.state.tokens.create("screenshots", "admin")[1])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _shoot(url: str, token: str, out: Path, width: int) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.set_default_timeout(60_000)
        page.goto(f"{url}/login")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        # every component healthy on the graph before it is taken
        page.wait_for_function(
            "() => { const n = document.querySelectorAll('[data-testid^=graph-node-]');"
            " return n.length > 0 && [...n].every(e => e.dataset.health === 'healthy'); }"
        )
        written.append(_save(page.locator('[data-testid="graph"]'), out / "overview-graph.png"))

        plan = page.goto(f"{url}/plan")
        if plan is not None and plan.ok:
            page.wait_for_load_state("networkidle")
            written.append(_save(page.locator("main"), out / "plan.png"))
        else:
            print("no /plan page in this build: plan.png not made", file=sys.stderr)

        page.goto(f"{url}/history")
        link = page.locator('[data-testid^="timeline-"]').first
        link.click()
        page.locator('[data-testid="timeline"]').wait_for()
        written.append(_save(page.locator("main"), out / "timeline.png"))
        browser.close()
    return written


def _save(locator: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sandbox", default="screenshots", help="the sandbox's name (default: screenshots)")
    parser.add_argument("--platform", type=Path, default=PLATFORM, help="the platform file to deploy")
    parser.add_argument("--environment", default="demo")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNG files go")
    parser.add_argument("--width", type=int, default=1000, help="the browser's width in pixels")
    parser.add_argument("--keep", action="store_true", help="leave the sandbox running afterwards")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory() as state,
        _sandbox(args.sandbox, args.keep) as kubeconfig,
        _deployed(kubeconfig, args.platform, args.environment),
        _served(kubeconfig, args.platform, args.environment, Path(state)) as (url, token),
    ):
        for path in _shoot(url, token, args.out, args.width):
            print(
                f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size} bytes)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
