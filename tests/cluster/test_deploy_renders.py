"""A deploy renders each chart once: its preflight's renderings serve the deploy itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import helmdeck.engine.render as render_module
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.platform_files import platform

pytestmark = pytest.mark.cluster

HELLO = examples_dir() / "charts" / "hello"


def test_a_deploy_renders_each_component_once(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    components = [{"name": f"c{i}", "chart": str(HELLO), "namespace": "services"} for i in range(3)]
    spec = {"secrets": {"token": {"generate": {"length": 24}, "into": ["c0.podAnnotations.token"]}}}
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components, spec=spec)
    rendered: Counter[str] = Counter()
    real = render_module.render

    def counting(*args: Any, **kwargs: Any) -> Any:
        rendered[str(kwargs.get("component"))] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(render_module, "render", counting)
    try:
        first = Deployer(session()).run()  # first deploy: preflight renders with placeholder secrets
        assert first.ok, first.as_dict()
        assert rendered == {"c0": 2, "c1": 1, "c2": 1}  # c0 again, with the generated secret
        rendered.clear()
        again = Deployer(session(("c1.replicas=1",))).run()
        assert again.ok, again.as_dict()
        assert rendered == {"c0": 1, "c1": 1, "c2": 1}
        # outside a deploy a session renders anew: values files may have changed on disk
        s = session()
        secrets = s.secrets(create=False)
        s.desired_one("c1", secrets)
        s.desired_one("c1", secrets)
        assert rendered["c1"] == 3
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
