"""The operation journal and the runner's stop (issue 17): an operation is written to the cluster when
it starts, at each new state of a component and when it ends; a record left running by a dead
service is marked interrupted with what it had done; a stopping service refuses new operations
(503) and lets the running one finish."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from helmdeck.revisions.journal import OperationJournal
from helmdeck.server.operations import OperationRunner, ShuttingDown
from tests.fakes.kube import FakeKube

from .server_support import bearer, make_app


def _journal(kube: FakeKube, holder: str = "svc@host pid 1") -> OperationJournal:
    return OperationJournal(kube, "admin", "plat", holder)


def test_an_operation_is_journaled_as_it_runs_and_when_it_ends() -> None:
    kube = FakeKube()
    journal = _journal(kube)
    runner = OperationRunner(journal=journal)
    go = threading.Event()
    seen: list[dict[str, Any]] = []

    def work(progress: Any) -> dict[str, Any]:
        progress("app", "installing", "app-0.1.0")
        progress("app", "waiting", "Deployment/app: 0/1 ready")
        progress("app", "waiting", "Deployment/app: 0/1 ready (again)")  # same state: not written again
        seen.extend(journal.records())
        go.wait(10)
        progress("app", "installed", "revision 1")
        return {"ok": True}

    op = runner.start("ext install", "app", "alice", work)
    while not seen:
        threading.Event().wait(0.01)
    [running] = seen
    assert running["state"] == "running" and running["components"] == {"app": "waiting"}
    assert running["holder"] == "svc@host pid 1" and running["actor"] == "alice"
    go.set()
    done = runner.wait(op.id, 10)
    assert done is not None and done.state == "succeeded"
    [final] = journal.records()
    assert final["state"] == "succeeded" and final["components"] == {"app": "installed"}


def test_a_record_left_running_by_a_dead_service_is_found_and_marked_interrupted() -> None:
    kube = FakeKube()
    dead = _journal(kube, "svc@host pid 999")
    record = {
        "id": "abc123",
        "kind": "ext install",
        "target": "app",
        "actor": "alice",
        "started": "2026-12-07T03:00:00.000+00:00",
        "finished": None,
        "state": "running",
        "events": [{"time": "t", "component": "app", "state": "installing", "detail": ""}],
        "result": None,
        "error": None,
    }
    dead.begin(record)
    alive = _journal(kube, "svc@host pid 2")
    # a holder that still holds the lease is left alone
    assert alive.recover(holder_alive=lambda _h: True) == []
    [found] = alive.recover(holder_alive=lambda _h: False)
    assert found["state"] == "interrupted" and "app installing" in found["error"]
    runner = OperationRunner(journal=alive)
    runner.recover()  # after a restart the record is listed again
    op = runner.get("abc123")
    assert (
        op is not None
        and op.state == "interrupted"
        and op.result
        == {
            "ok": False,
            "interrupted": True,
            "components": {"app": "installing"},
        }
    )


def test_a_stopping_runner_takes_no_new_operation_and_lets_the_running_one_finish() -> None:
    runner = OperationRunner()
    go = threading.Event()
    asked: list[bool] = []

    def work(_progress: Any) -> dict[str, Any]:
        go.wait(10)
        return {"ok": True}

    cancel = threading.Event()
    op = runner.start("rollback", "1", "alice", work, cancel=cancel)
    [running] = runner.close("signal 15")
    assert running is op and cancel.is_set()
    try:
        runner.start("rollback", "2", "bob", work)
        asked.append(True)
    except ShuttingDown as exc:
        assert "shutting down" in exc.message
    assert asked == []
    assert not runner.wait_idle(0.2)
    go.set()
    assert runner.wait_idle(10)
    assert op.state == "succeeded"


def test_an_operation_past_the_grace_period_is_recorded_interrupted() -> None:
    kube = FakeKube()
    journal = _journal(kube)
    runner = OperationRunner(journal=journal)
    go = threading.Event()

    def work(progress: Any) -> dict[str, Any]:
        progress("app", "installing", "")
        go.wait(10)
        return {"ok": True}

    op = runner.start("ext install", "app", "alice", work)
    runner.close("signal 15")
    assert not runner.wait_idle(0.2)
    runner.abandon("the web service stopped")
    go.set()
    threading.Event().wait(0.2)
    assert op.state == "interrupted"  # the late end does not overwrite the record
    [record] = journal.records()
    assert record["state"] == "interrupted" and record["result"]["components"] == {"app": "installing"}


def test_the_api_answers_503_while_stopping(tmp_path: Path) -> None:
    app, backend, tokens = make_app(tmp_path)
    backend.proceed.clear()
    with TestClient(app) as client:
        started = client.post("/api/v1/rollback", json={"revision": 1}, headers=bearer(tokens["operator"]))
        assert started.status_code == 202, started.text
        app.state.runner.close("signal 15")
        refused = client.post(
            "/api/v1/extensions/install", json={"name": "tiny-app"}, headers=bearer(tokens["operator"])
        )
        assert refused.status_code == 503 and "shutting down" in refused.json()["error"]
        assert client.get("/healthz").status_code == 503
        assert client.get("/api/v1/status", headers=bearer(tokens["viewer"])).status_code == 200  # reads go on
        backend.proceed.set()
        assert app.state.runner.wait_idle(10)


def test_purge_deletes_the_platform_s_records_only() -> None:
    kube = FakeKube()
    mine, other = _journal(kube), OperationJournal(kube, "admin", "other", "svc@host pid 1")
    for journal, op_id in ((mine, "a1"), (mine, "a2"), (other, "b1")):
        journal.begin({"id": op_id, "state": "succeeded", "started": op_id, "events": []})
    assert mine.purge() == 2
    assert mine.records() == [] and [r["id"] for r in other.records()] == ["b1"]


def test_a_predecessor_with_our_identity_is_dead() -> None:
    """In a container every restart may be ``root@pod pid 1``: same holder, another run."""
    kube = FakeKube()
    before = _journal(kube, "root@pod pid 1")
    before.begin({"id": "c1", "state": "running", "started": "t", "events": []})
    after = _journal(kube, "root@pod pid 1")
    [found] = after.recover(holder_alive=lambda _h: True)  # only another identity can be alive
    assert found["id"] == "c1" and found["state"] == "interrupted"
    after.begin({"id": "c2", "state": "running", "started": "u", "events": []})
    assert after.recover(holder_alive=lambda _h: False) == []  # a writer never marks its own
