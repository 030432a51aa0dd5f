"""Which containers' logs a component page may read, and the limits of a read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from helmdeck.core.pod_logs import (
    DEFAULT_LIMIT_BYTES,
    DEFAULT_TAIL,
    MAX_TAIL,
    NoSuchContainer,
    log_request,
    log_sources,
    log_target,
)
from helmdeck.errors import ConfigError
from helmdeck.sandbox.pod_logs import cri_line, pod_logs_rule


def _pod(name: str, *containers: tuple[str, int]) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "name": name,
        "namespace": "svc",
        "children": [],
        "pod": {"containers": [{"name": c, "init": False, "restarts": r, "state": "running"} for c, r in containers]},
    }


LIVE = {
    "component": "app",
    "tree": [
        {
            "kind": "Deployment",
            "name": "app",
            "namespace": "svc",
            "children": [
                {"kind": "ReplicaSet", "name": "app-1", "namespace": "svc", "children": [_pod("app-1-a", ("web", 2))]}
            ],
        },
        {"kind": "Job", "name": "migrate", "namespace": "svc", "children": [_pod("migrate-x", ("run", 0))]},
        {"kind": "Service", "name": "app", "namespace": "svc", "children": []},
    ],
}


def test_sources_are_the_pods_of_the_tree() -> None:
    assert [(s["pod"], [c["name"] for c in s["containers"]]) for s in log_sources(LIVE)] == [
        ("app-1-a", ["web"]),
        ("migrate-x", ["run"]),
    ]


def test_only_the_components_own_containers() -> None:
    target = log_target(LIVE, "app-1-a", "web")
    assert (target.namespace, target.restarts) == ("svc", 2)
    with pytest.raises(NoSuchContainer, match=r"no pod 'kube-apiserver'.*app-1-a, migrate-x"):
        log_target(LIVE, "kube-apiserver", "web")
    with pytest.raises(NoSuchContainer, match=r"no container 'db'.*containers: web"):
        log_target(LIVE, "app-1-a", "db")


def test_limits() -> None:
    target = log_target(LIVE, "app-1-a", "web")
    req = log_request(target)
    assert (req.tail_lines, req.limit_bytes) == (DEFAULT_TAIL, DEFAULT_LIMIT_BYTES)
    assert log_request(target, tail_lines=10**9).tail_lines == MAX_TAIL
    assert log_request(target, previous=True).params(follow=False)["previous"] == "true"
    with pytest.raises(ConfigError, match="tailLines is -1"):
        log_request(target, tail_lines=-1)


def test_sandbox_log_files_and_rules() -> None:
    assert cri_line("hello").endswith(" stdout F hello\n")
    rule = pod_logs_rule("svc", "app-1-a", "/tmp/a.log", containers=["web"])  # type: ignore[arg-type]
    assert rule["metadata"] == {"name": "app-1-a", "namespace": "svc"}
    assert rule["spec"]["logs"] == [{"logsFile": "/tmp/a.log", "follow": True, "containers": ["web"]}]


def test_a_follow_is_redacted_cut_and_capped() -> None:
    import asyncio

    from helmdeck.core.pod_logs import MAX_LINE, capped

    closed: list[bool] = []

    async def lines() -> Any:
        try:
            yield "password s3cret-value"
            yield "x" * (MAX_LINE + 100)
            for i in range(1000):
                yield f"line {i}"
        finally:
            closed.append(True)

    async def run() -> list[str]:
        redact = lambda text: text.replace("s3cret-value", "<redacted:pw>")  # noqa: E731
        return [line async for line in capped(lines(), redact, cap_bytes=MAX_LINE + 100)]

    # in a thread of its own: a Playwright session of the same run keeps a loop in this one
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, run()).result()
    assert got[0] == "password <redacted:pw>"
    assert got[1] == "x" * MAX_LINE + " …(line cut)"
    assert len(got) < 50 and got[-1].startswith("line ") and closed == [True]
