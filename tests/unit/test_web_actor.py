"""Changes made through the web service are recorded as the signed-in user's, not as the service's
OS account: the platform history then says who acted."""

from __future__ import annotations

import threading
from typing import Any

from helmdeck.core.progress import acting_as, current_user
from helmdeck.server.operations import OperationRunner


def test_an_operation_runs_as_its_actor() -> None:
    runner = OperationRunner()
    seen: dict[str, str] = {}

    def work(_progress: Any) -> dict[str, Any]:
        seen["user"] = current_user()
        return {"ok": True}

    op = runner.start("rollback", "lab", "alice", work)
    done = runner.wait(op.id, timeout=10)
    assert done is not None and done.state == "succeeded"
    assert seen["user"] == "alice (web)"
    assert current_user() != "alice (web)"  # only inside the operation


def test_acting_as_is_scoped_and_per_thread() -> None:
    outside = current_user()
    other: list[str] = []
    with acting_as("bob (web)"):
        assert current_user() == "bob (web)"
        thread = threading.Thread(target=lambda: other.append(current_user()))
        thread.start()
        thread.join()
    assert current_user() == outside
    assert other == [outside]  # another thread (another request) is not bob's
