"""Shared by the doctor cluster tests (no tests here): small platforms written into tmp_path whose
components are the charts under charts/doctor, and direct installs that keep a failed release in
place for diagnosis (deploy would roll it back)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from helmdeck.core.session import PlatformSession
from helmdeck.doctor.findings import DoctorReport, Finding
from helmdeck.engine.options import InstallOptions
from helmdeck.engine.releases import Release
from helmdeck.errors import HelmdeckError
from helmdeck.spec import parse_platform
from tests.cluster.conftest import SandboxHandle
from tests.cluster.wait_support import wait_for

CHARTS = Path(__file__).resolve().parent / "charts" / "doctor"
FAIL = "sandbox.helmdeck.dev/fail"
T = TypeVar("T")


def platform_session(
    sandbox: SandboxHandle,
    tmp_path: Path,
    namespace: str,
    components: Sequence[Mapping[str, Any]],
    *,
    spec: Mapping[str, Any] | None = None,
    kubeconfig: str | None = None,
) -> PlatformSession:
    """A platform named after the test's namespace, all of whose namespaces are that namespace.

    Each component is ``{name, chart (a directory under charts/doctor), values: {...}, needs, gpu}``.
    """
    entries = []
    for c in components:
        entry: dict[str, Any] = {
            "name": c["name"],
            "chart": str(CHARTS / c.get("chart", "app")),
            "namespace": "services",
        }
        if c.get("values"):
            values_file = tmp_path / f"{c['name']}.values.yaml"
            values_file.write_text(yaml.safe_dump(dict(c["values"])))
            entry["values"] = [str(values_file)]
        for key in ("needs", "gpu"):
            if key in c:
                entry[key] = c[key]
        entries.append(entry)
    doc = {
        "apiVersion": "helmdeck.dev/v1",
        "kind": "Platform",
        "metadata": {"name": namespace},
        "spec": {
            "namespaces": {key: namespace for key in ("services", "admin", "jobs", "extensions")},
            **(spec or {}),
            "components": entries,
        },
    }
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    platform = parse_platform(path.read_text(), source=str(path), path=path)
    return PlatformSession(platform=platform, kubeconfig=kubeconfig or sandbox.kubeconfig)


def install(session: PlatformSession, name: str, *, timeout: float = 60) -> Release | HelmdeckError:
    """Install one component's release as deploy labels it, without health gate or rollback, so
    that whatever fails stays there to be diagnosed. A failed install (a hook) is returned."""
    desired = session.desired_one(name, {})
    try:
        return session.engine.install(
            desired.chart,
            desired.release,
            desired.values,
            InstallOptions(
                namespace=desired.namespace,
                labels=desired.labels(session.platform_id, session.environment),
                timeout=timeout,
                wait=False,
                component=name,
            ),
        )
    except HelmdeckError as err:
        return err


def eventually(probe: Callable[[], T | None], *, timeout: float = 60, every: float = 1.0) -> T:
    """The first truthy result of ``probe``, or an AssertionError after ``timeout`` seconds."""
    return wait_for("the condition", probe, timeout, every)


def of_check(report: DoctorReport, check: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check]


def dump(report: DoctorReport) -> str:
    return "\n".join(f.line() for f in report.sorted())
