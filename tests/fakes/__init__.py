"""In-memory fakes of helmdeck's ports (the cluster and the Helm engine) for unit tests of the
services' state machines; the sandbox tests in tests/cluster check the same services for real."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from helmdeck.cluster import ObjRef
from helmdeck.cluster.snapshot import observe
from helmdeck.cluster.watch import GateResult, Outcome, UpdateCallback
from helmdeck.core.session import PlatformSession
from tests.fakes.engine import FakeEngine, settle
from tests.fakes.kube import FakeKube, api_error
from tests.fakes.platform_file import write_platform_file

__all__ = [
    "FakeEngine",
    "FakeKube",
    "api_error",
    "fake_gate",
    "fake_session",
    "session_on",
    "settle",
    "write_platform_file",
]


def fake_gate(
    client: Any,
    objects: Sequence[ObjRef],
    timeout: float,
    on_update: UpdateCallback | None = None,
    *,
    finished_jobs: Iterable[ObjRef] = (),
    **_: Any,
) -> GateResult:
    """The health gate on a snapshot of the fake cluster, judged by the real readiness rules: what
    the controllers (``settle``) left is final, so not ready means timed out."""
    statuses = observe(client, objects, finished_jobs=finished_jobs)
    if on_update is not None:
        on_update(statuses)
    failed = next((s for s in statuses if s.health.state == "failed"), None)
    outcome: Outcome = (
        "failed"
        if failed
        else ("ready" if all(s.health.ready or s.health.state == "unknown" for s in statuses) else "timeout")
    )
    return GateResult(outcome, tuple(statuses), 0.0, failed)


def fake_session(platform_file: Path, **kwargs: Any) -> tuple[PlatformSession, FakeKube, FakeEngine]:
    kube = FakeKube()
    engine = FakeEngine(kube)
    return session_on(platform_file, kube, engine, **kwargs), kube, engine


def session_on(platform_file: Path, kube: FakeKube, engine: FakeEngine, *sets: str, **kwargs: Any) -> PlatformSession:
    """A new session on fakes that already hold a platform (``sets``: command-line ``--set``s)."""
    if sets:
        kwargs["cli_sets"] = sets
    return PlatformSession(platform_file, client=kube, engine=engine, health_gate=fake_gate, **kwargs)  # type: ignore[arg-type]
