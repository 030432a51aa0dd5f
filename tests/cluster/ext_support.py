"""Shared pieces of the extension tests on the sandbox: the platform file with an extension catalog
and a handle on it (the ``plat`` fixture itself is in conftest.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from helmdeck.core.session import PlatformSession
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.manager import ExtensionManager
from helmdeck.spec import load_platform
from tests.cluster.conftest import SandboxHandle

EXT_CHARTS = Path(__file__).resolve().parents[1] / "unit" / "charts" / "extensions"
KAAPANA_CHARTS = EXT_CHARTS.parent / "kaapana"


def platform_file(tmp_path: Path, instance: str, catalog: list[Path]) -> Path:
    (tmp_path / "env").mkdir(exist_ok=True)
    (tmp_path / "env" / "demo.yaml").write_text("global:\n  domain: demo.sandbox.test\n")
    entries = ", ".join(f'"{c}"' for c in catalog)
    text = textwrap.dedent(
        f"""\
        apiVersion: helmdeck.dev/v1
        kind: Platform
        metadata: {{name: extplat}}
        spec:
          instance: "{instance}"
          storage: {{fastDataDir: /data/fast, slowDataDir: /data/slow}}
          environments:
            demo: {{values: [env/demo.yaml]}}
          components:
            - name: base-config
              chart: {EXT_CHARTS / "tiny-base"}
              namespace: services
          extensions:
            catalog: [{entries}]
        """
    )
    path = tmp_path / "platform.yaml"
    path.write_text(text)
    return path


class Platform:
    def __init__(self, sandbox: SandboxHandle, path: Path) -> None:
        self.sandbox = sandbox
        self.path = path

    def session(self, env: str | None = "demo") -> PlatformSession:
        return PlatformSession(platform=load_platform(self.path), environment=env, kubeconfig=self.sandbox.kubeconfig)

    def manager(self, **kwargs: Any) -> ExtensionManager:
        s = self.session()
        return ExtensionManager(s, Catalog.for_platform(s.platform), failure_grace=3.0, **kwargs)
