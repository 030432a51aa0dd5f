"""Small platform files written into a test's tmp_path, for the cluster tests (no tests here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from helmdeck.core.session import PlatformSession
from helmdeck.spec import parse_platform
from tests.cluster.conftest import SandboxHandle

CHARTS = Path(__file__).resolve().parent / "charts"


def values_file(tmp_path: Path, name: str, values: Mapping[str, Any]) -> str:
    path = tmp_path / f"{name}.values.yaml"
    path.write_text(yaml.safe_dump(dict(values)))
    return str(path)


def platform(
    sandbox: SandboxHandle,
    tmp_path: Path,
    name: str,
    namespaces: Mapping[str, str],
    components: Sequence[Mapping[str, Any]],
    *,
    spec: Mapping[str, Any] | None = None,
) -> Callable[..., PlatformSession]:
    """A platform file in ``tmp_path``; returns a factory of fresh sessions on it (``sets`` are
    command-line ``--set`` expressions). Logical namespaces not given (jobs, extensions) share the
    services one, so tests never meet in helmdeck's default namespaces."""
    namespaces = {key: namespaces["services"] for key in ("jobs", "extensions")} | dict(namespaces)
    doc = {
        "apiVersion": "helmdeck.dev/v1",
        "kind": "Platform",
        "metadata": {"name": name},
        "spec": {"namespaces": dict(namespaces), **(spec or {}), "components": list(components)},
    }
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))

    def session(sets: tuple[str, ...] = ()) -> PlatformSession:
        loaded = parse_platform(path.read_text(), source=str(path), path=path)
        return PlatformSession(platform=loaded, kubeconfig=sandbox.kubeconfig, cli_sets=sets)

    return session
