"""The teardown is as wide as Helm's release writes (issue 18): an uninstall holds a release worker
while it waits for its objects to go, so a fixed width of 4 left the workers an operator added through
``HELMDECK_RELEASE_WORKERS`` idle, and a 1000-component undeploy waited on them."""

from __future__ import annotations

from typing import Any, cast

import pytest

from helmdeck.deploy.undeploy import Undeployer


def test_the_teardown_is_as_wide_as_the_release_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELMDECK_RELEASE_WORKERS", "12")
    assert Undeployer(cast(Any, None)).parallel == 12


def test_an_explicit_width_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELMDECK_RELEASE_WORKERS", "12")
    assert Undeployer(cast(Any, None), parallel=3).parallel == 3
