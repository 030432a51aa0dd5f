"""Shared helpers for the extension and server unit tests: a small platform file on disk whose
catalog is tests/unit/charts/extensions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from helmdeck.spec import Platform, load_platform

EXT_CHARTS = Path(__file__).parent / "charts" / "extensions"


def write_platform(tmp: Path, *, instance: str = "", gpu: str = "auto", catalog: str | None = None) -> Platform:
    (tmp / "charts").mkdir(exist_ok=True)
    (tmp / "env").mkdir(exist_ok=True)
    (tmp / "env" / "demo.yaml").write_text("global:\n  domain: demo.example.test\n")
    text = textwrap.dedent(
        f"""\
        apiVersion: helmdeck.dev/v1
        kind: Platform
        metadata: {{name: tinyplat}}
        spec:
          instance: "{instance}"
          registry: {{url: registry.example.test/lab}}
          storage: {{fastDataDir: /data/fast, slowDataDir: /data/slow}}
          gpu: {gpu}
          environments:
            demo: {{values: [env/demo.yaml]}}
          components:
            - name: web
              chart: {EXT_CHARTS / "tiny-base"}
          extensions:
            catalog: ["{catalog or EXT_CHARTS}"]
        """
    )
    path = tmp / "platform.yaml"
    path.write_text(text)
    return load_platform(path)
