"""Browser tests: the web UI in Debian's headless Chromium, driven by Playwright, against a server on
a loopback port operating a platform on the sandbox cluster."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import SandboxHandle, sandbox  # noqa: F401 - the session fixture, shared

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXT_CHARTS = Path(__file__).resolve().parents[1] / "unit" / "charts" / "extensions"
WEB_CHARTS = Path(__file__).resolve().parent / "charts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WebPlatform:
    url: str
    app: Any
    path: Path
    kubeconfig: str

    def token(self, role: str) -> str:
        name = f"{role}-{secrets.token_hex(2)}"
        return str(self.app.state.tokens.create(name, role)[1])


def write_platform(tmp_path: Path, instance: str) -> Path:
    (tmp_path / "env").mkdir(exist_ok=True)
    (tmp_path / "env" / "demo.yaml").write_text("global:\n  domain: web.sandbox.test\n")
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: webplat}}
            spec:
              instance: "{instance}"
              environments:
                demo: {{values: [env/demo.yaml]}}
              components:
                - name: base-config
                  chart: {EXT_CHARTS / "tiny-base"}
              extensions:
                catalog: ["{EXT_CHARTS}"]
            """
        )
    )
    return path


@contextlib.contextmanager
def serving(sandbox: SandboxHandle, tmp_path: Path, path: Path) -> Iterator[WebPlatform]:  # noqa: F811
    """The platform of ``path`` deployed (environment demo) and served on a loopback port; its
    namespaces are deleted afterwards."""
    import uvicorn
    from lightkube.resources.core_v1 import Namespace

    from helmdeck.core.session import PlatformSession
    from helmdeck.deploy.executor import Deployer
    from helmdeck.server.app import create_app
    from helmdeck.server.settings import ServerSettings
    from helmdeck.spec import load_platform

    session = PlatformSession(platform=load_platform(path), environment="demo", kubeconfig=sandbox.kubeconfig)
    try:
        assert Deployer(session).run().ok
        settings = ServerSettings(
            platform_file=path, state_dir=tmp_path / "state", kubeconfig=sandbox.kubeconfig, status_poll_seconds=0.5
        )
        app = create_app(settings)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        yield WebPlatform(f"http://127.0.0.1:{port}", app, path, sandbox.kubeconfig)
        server.should_exit = True
        thread.join(timeout=10)
    finally:
        client = sandbox.client()
        for ns in session.platform.all_namespaces():
            with contextlib.suppress(Exception):
                client.delete(Namespace, ns)


@pytest.fixture
def web_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[WebPlatform]:  # noqa: F811
    with serving(sandbox, tmp_path, write_platform(tmp_path, f"w{secrets.token_hex(3)}")) as served:
        yield served


def write_component_platform(tmp_path: Path, instance: str) -> Path:
    """One component with a Deployment, a Service, a ConfigMap, a claim and a Secret holding a
    generated platform secret: what the component page shows."""
    (tmp_path / "env").mkdir(exist_ok=True)
    (tmp_path / "env" / "demo.yaml").write_text("global:\n  domain: web.sandbox.test\n")
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: compplat}}
            spec:
              instance: "{instance}"
              environments:
                demo: {{values: [env/demo.yaml]}}
              secrets:
                app-password: {{generate: {{length: 24}}, into: [app.auth.password]}}
              components:
                - name: app
                  chart: {WEB_CHARTS / "compapp"}
            """
        )
    )
    return path


@pytest.fixture
def component_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[WebPlatform]:  # noqa: F811
    with serving(sandbox, tmp_path, write_component_platform(tmp_path, f"c{secrets.token_hex(3)}")) as served:
        yield served


def sign_in(page: Any, url: str, token: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    if shutil.which("true"):
        with contextlib.suppress(Exception):
            tab.screenshot(path=str(tmp_path / "last.png"))
    context.close()
