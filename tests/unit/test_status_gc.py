"""A CLI status reads its platform and the cluster with the cyclic garbage collector paused (the
decoded lists are a large tree of dicts, none a cycle, and collections walked it again and again),
and leaves the collector as it found it: a ``--watch`` loop still collects between readings."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from typer.testing import CliRunner

from helmdeck.app import opening
from helmdeck.cli.app import app_for
from helmdeck.core import status
from helmdeck.core.status import PlatformStatus
from helmdeck.gc_policy import paused


def test_paused_restores_the_collector_as_it_was() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_status_reads_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, bool]] = []

    def fake_open(*_: Any, **__: Any) -> object:
        seen.append(("open", gc.isenabled()))
        return object()

    def fake_status(_: object) -> PlatformStatus:
        seen.append(("status", gc.isenabled()))
        return PlatformStatus("p", [])

    monkeypatch.setattr(opening, "open_platform", fake_open)
    monkeypatch.setattr(status, "platform_status", fake_status)
    result = CliRunner().invoke(app_for(["status"]), ["status", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert seen == [("open", False), ("status", False)]
    assert gc.isenabled()
