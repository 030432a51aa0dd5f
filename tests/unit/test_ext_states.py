"""Kaapana's extension states from a release's Helm status, its health and its objects."""

from __future__ import annotations

from typing import Any

import pytest

from helmdeck.extensions.states import extension_state, one_shot, with_operations


def _objects(*kinds: str) -> list[dict[str, Any]]:
    return [{"object": {"kind": k, "name": f"x{i}"}, "health": {"state": "ready"}} for i, k in enumerate(kinds)]


@pytest.mark.parametrize(
    ("status", "health", "kinds", "state"),
    [
        ("deployed", "healthy", ("Deployment", "Service"), "installed"),
        ("deployed", "healthy", ("Job", "ConfigMap"), "completed"),
        ("deployed", "healthy", ("Job", "Deployment"), "installed"),
        ("deployed", "healthy", ("ConfigMap",), "installed"),
        ("deployed", "progressing", ("Job",), "pending"),
        ("deployed", "progressing", ("Deployment",), "pending"),
        ("pending-install", "progressing", ("Deployment",), "pending"),
        ("pending-upgrade", "healthy", ("Deployment",), "pending"),
        ("failed", "healthy", ("Deployment",), "failed"),
        ("deployed", "failed", ("Job",), "failed"),
        ("uninstalling", "healthy", ("Deployment",), "uninstalling"),
        # objects whose health nothing reports (a custom resource without status) are not pending
        ("deployed", "unknown", ("Deployment",), "installed"),
    ],
)
def test_state(status: str, health: str, kinds: tuple[str, ...], state: str) -> None:
    assert extension_state({"status": status, "health": health}, _objects(*kinds)) == state


def test_one_shot_needs_a_job_and_nothing_else_running() -> None:
    assert one_shot(_objects("Job", "Job", "ServiceAccount"))
    assert not one_shot(_objects("ServiceAccount"))
    assert not one_shot(_objects("Job", "CronJob"))


def test_a_running_uninstall_marks_its_component() -> None:
    rows = [{"component": "a", "extension": "x", "state": "installed"}, {"component": "b", "state": "failed"}]
    running = [{"kind": "ext uninstall", "target": "b"}, {"kind": "rollback", "target": "a"}]
    assert [r["state"] for r in with_operations(rows, running)] == ["installed", "uninstalling"]
