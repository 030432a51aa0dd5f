"""The web service answers an error with the status its class declares (``http_status``), never one
guessed from the message's words: a revision that does not exist is 404 whatever its text says, a
busy release or platform is 409, and a cluster error that happens to mention a revision is 503."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helmdeck.cluster.errors import PlatformBusy
from helmdeck.engine.sdk_errors import ReleaseBusyError
from helmdeck.errors import ClusterError, ConfigError, HelmdeckError
from helmdeck.revisions.store import RevisionNotFound

from .server_support import bearer, make_app


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RevisionNotFound("revision 9 was pruned"), 404),
        (ReleaseBusyError("another operation (install/upgrade/rollback) is in progress"), 409),
        (PlatformBusy("platform tinyplat is being changed by ana@host since 12:00"), 409),
        (ClusterError('release "web" has no revision 3 of its chart in storage'), 503),
        (ConfigError("platform tinyplat has no revision 9"), 422),
    ],
)
def test_the_status_is_the_errors_own(tmp_path: Path, error: HelmdeckError, status: int) -> None:
    app, backend, tokens = make_app(tmp_path)

    def revision(number: int) -> dict[str, object]:
        raise error

    backend.revision = revision  # type: ignore[method-assign]
    with TestClient(app) as client:
        answer = client.get("/api/v1/history/9", headers=bearer(tokens["viewer"]))
    assert answer.status_code == status and answer.json()["error"] == error.message
