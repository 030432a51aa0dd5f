"""Container logs through the sandbox's API server (``pods/log``, proxied to kwok): every pod has the
sandbox's default log and previous log; a kwok ``Logs`` object gives one pod a file of its own, cut
at a byte limit, and followed as it grows."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helmdeck.cluster.pod_log import LogRequest, LogUnavailable, follow_pod_log, read_pod_log
from helmdeck.sandbox.pod_logs import pod_logs_rule, write_log
from tests.cluster.conftest import SandboxHandle

pytestmark = pytest.mark.cluster


def _running_pod(sandbox: SandboxHandle, namespace: str) -> str:
    from lightkube.models.core_v1 import Container, PodSpec
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import Pod

    client = sandbox.client()
    pod = Pod(
        metadata=ObjectMeta(name="logger", namespace=namespace),
        spec=PodSpec(containers=[Container(name="main", image="busybox")], automountServiceAccountToken=False),
    )
    client.create(pod)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = client.get(Pod, "logger", namespace=namespace)
        if got.status and got.status.phase == "Running":
            return "logger"
        time.sleep(0.2)
    raise AssertionError("the pod did not run")


def test_default_log_own_file_cap_and_follow(sandbox: SandboxHandle, namespace: str, tmp_path: Path) -> None:
    from helmdeck.cluster import apply_object

    client = sandbox.client()
    pod = _running_pod(sandbox, namespace)
    lines, cut = read_pod_log(client, LogRequest(namespace, pod, "main"))
    assert any("simulated (kwok) node" in line for line in lines) and not cut
    previous, _ = read_pod_log(client, LogRequest(namespace, pod, "main", previous=True))
    assert previous[0].startswith("sandbox: the previous run")
    with pytest.raises(LogUnavailable, match="container"):
        read_pod_log(client, LogRequest(namespace, pod, "nope"))

    current = tmp_path / "main.log"
    write_log(current, [f"line {i}" for i in range(10)])
    apply_object(client, pod_logs_rule(namespace, pod, current), force=True)
    deadline = time.monotonic() + 20
    while read_pod_log(client, LogRequest(namespace, pod, "main"))[0][:1] != ["line 0"]:
        assert time.monotonic() < deadline, "kwok never served the pod's own file"
        time.sleep(0.3)
    assert read_pod_log(client, LogRequest(namespace, pod, "main", tail_lines=2))[0] == ["line 8", "line 9"]
    # 7 bytes a line: the limit falls inside the third, which is left out
    assert read_pod_log(client, LogRequest(namespace, pod, "main", limit_bytes=17)) == (["line 0", "line 1"], True)

    async def follow() -> list[str]:
        seen: list[str] = []
        async for line in follow_pod_log(client, LogRequest(namespace, pod, "main", tail_lines=1)):
            seen.append(line)
            if line == "line 9":
                await asyncio.sleep(0.5)
                write_log(current, ["written while followed"], append=True)
            if line == "written while followed":
                break
        return seen

    # in a thread of its own: a Playwright session of the same run keeps a loop in this one
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(asyncio.run, asyncio.wait_for(follow(), 20)).result()
    assert seen == ["line 9", "written while followed"]
