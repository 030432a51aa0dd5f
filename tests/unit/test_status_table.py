"""The status table shows the cluster's words as they are: a reason or name is text, not Rich
markup (Kubernetes' own "containers with unready status: [app]" lost its container name)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from helmdeck.cli import deploy_cmds, output
from helmdeck.cli.deploy_cmds import print_status
from helmdeck.core.status import ComponentStatus, PlatformStatus

REASON = "Deployment/api: containers with unready status: [app] :smile: [bold]x[/bold]"


def _printed(monkeypatch: pytest.MonkeyPatch, *, wide: bool, colour: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200, soft_wrap=True, force_terminal=colour, color_system="standard")
    monkeypatch.setattr(output, "console", console)
    monkeypatch.setattr(deploy_cmds, "console", console)
    monkeypatch.setattr(output.chosen, "wide", wide)
    failing = ComponentStatus(
        "api",
        "api",
        "services",
        "deployed",
        2,
        "api-1.0.0",
        "failed",
        REASON,
        objects=[{"object": {"kind": "Deployment", "name": "api[0]"}}],
        failing_pods=[{"name": "api-1", "health": {"reason": "unready: [app] :smile:"}}],
    )
    healthy = ComponentStatus("db", "db", "services", "deployed", 1, "db-1.0.0", "healthy")
    print_status(PlatformStatus("research", [failing, healthy]))
    return out.getvalue()


@pytest.mark.parametrize("wide", [False, True])
def test_reasons_and_pod_lines_are_shown_as_written(monkeypatch: pytest.MonkeyPatch, wide: bool) -> None:
    text = _printed(monkeypatch, wide=wide)
    assert REASON in text
    assert "pod api-1 unready: [app] :smile:" in text
    if wide:
        assert "Deployment/api[0]" in text


def test_health_keeps_its_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _printed(monkeypatch, wide=False, colour=True)
    assert "\x1b[1;31mfailed\x1b[0m" in text and "\x1b[32mhealthy\x1b[0m" in text
