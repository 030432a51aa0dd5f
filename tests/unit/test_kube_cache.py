"""Each worker's Kubernetes client cache (in memory, its own, gone with the worker) and its Go collector."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from helmdeck.engine import kube_cache
from helmdeck.engine.release_writes import ReleaseLimits
from helmdeck.engine.worker_process import WorkerProcess, go_runtime_env


def test_a_worker_gets_a_directory_of_its_own_unless_the_user_chose_one(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    path = kube_cache.private_dir(env, root=tmp_path)
    assert path is not None and env["KUBECACHEDIR"] == path
    assert Path(path).parent == tmp_path and Path(path).name.startswith("helmdeck-kube-cache-")
    assert not Path(path).exists()  # client-go makes it when it first writes
    assert kube_cache.private_dir({}, root=tmp_path) != path  # unguessable, one per worker

    chosen = {"KUBECACHEDIR": "/srv/kube-cache"}
    assert kube_cache.private_dir(chosen, root=tmp_path) is None
    assert chosen == {"KUBECACHEDIR": "/srv/kube-cache"}
    nowhere: dict[str, str] = {}
    assert kube_cache.private_dir(nowhere, root=tmp_path / "no-shm") is None and not nowhere


def test_only_a_workers_own_directory_is_removed(tmp_path: Path) -> None:
    mine = tmp_path / "helmdeck-kube-cache-0123"
    (mine / "discovery").mkdir(parents=True)
    users = tmp_path / "cache"
    users.mkdir()
    kube_cache.remove(str(mine))
    kube_cache.remove(str(users))
    kube_cache.remove(None)
    assert not mine.exists() and users.exists()


def _environ(worker: WorkerProcess) -> list[bytes]:
    """The worker's environment (empty for a moment while it is still being exec'd)."""
    deadline = time.monotonic() + 10
    while not (raw := Path(f"/proc/{worker.process.pid}/environ").read_bytes()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return raw.split(b"\0")


def _cache_of(worker: WorkerProcess) -> Path:
    environ = _environ(worker)
    [value] = [e.split(b"=", 1)[1] for e in environ if e.startswith(b"KUBECACHEDIR=")]
    path = Path(value.decode())
    assert path == Path(str(worker.kube_cache)) and path.parent == kube_cache.SHARED_MEMORY
    (path / "discovery").mkdir(parents=True)  # as client-go does at a worker's first install
    return path


def test_the_cache_goes_when_the_parent_kills_the_worker_or_the_worker_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECACHEDIR", raising=False)
    killed = WorkerProcess(ReleaseLimits(), prefix="helmdeck-test-")
    path = _cache_of(killed)
    killed.kill()
    assert not path.exists()

    ended = WorkerProcess(ReleaseLimits(), prefix="helmdeck-test-")
    path = _cache_of(ended)
    assert ended.process.stdin is not None
    ended.process.stdin.close()  # as when its parent dies: it ends on its own
    assert ended.process.wait(timeout=30) == 0
    assert not path.exists()
    ended.kill()


def test_go_collects_less_often_in_a_worker_unless_the_user_tuned_it() -> None:
    env: dict[str, str] = {}
    go_runtime_env(env, 4096 * 1024 * 1024)
    assert env == {"GOGC": "200", "GOMEMLIMIT": str(3072 * 1024 * 1024)}  # collects harder near the cap
    for tuned in ({"GOGC": "50"}, {"GOMEMLIMIT": "1GiB"}):
        env = dict(tuned)
        go_runtime_env(env, 4096 * 1024 * 1024)
        assert env == tuned


def test_a_worker_starts_with_the_tuned_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    worker = WorkerProcess(ReleaseLimits(), prefix="helmdeck-test-")
    try:
        environ = _environ(worker)
        assert b"GOGC=200" in environ and f"GOMEMLIMIT={3072 * 1024 * 1024}".encode() in environ
    finally:
        worker.kill()
