"""The graph during a web deploy: the live status with the plan's new components added, each
coloured by the deploy's last progress state for it, else by the cluster's health."""

from __future__ import annotations

from typing import Any

from helmdeck.server.deploy_graph import overlay
from helmdeck.server.platform_graph import platform_graph_svg

STATUS: dict[str, Any] = {
    "platform": "demo",
    "components": [
        {"component": "first", "namespace": "services", "status": "deployed", "health": "healthy", "needs": []},
        {"component": "extra", "namespace": "services", "status": "deployed", "health": "failed", "needs": []},
    ],
}
PLAN = [
    {"component": "first", "namespace": "services", "action": "unchanged"},
    {"component": "second", "namespace": "services", "action": "install", "reason": "not installed"},
    {"component": "third", "namespace": "jobs", "action": "install"},
]
NEEDS = {"first": [], "second": ["first"], "third": ["second"]}


def _event(component: str, state: str) -> dict[str, str]:
    return {"time": "t", "component": component, "state": state, "detail": ""}


def test_before_the_deploy_new_components_are_drawn_absent_with_their_needs() -> None:
    rows = {c["component"]: c for c in overlay(STATUS, PLAN, NEEDS)["components"]}
    assert rows["second"]["health"] == "absent" and rows["second"]["needs"] == ["first"]
    assert rows["third"]["namespace"] == "jobs" and rows["first"]["health"] == "healthy"
    svg = platform_graph_svg(overlay(STATUS, PLAN, NEEDS))
    assert 'data-edge="first>second"' in svg and 'data-edge="second>third"' in svg
    assert "data-deploy" not in svg


def test_each_component_takes_the_colour_of_what_the_deploy_does_to_it() -> None:
    events = [
        _event("*", "preparing"),
        _event("first", "checking"),
        _event("first", "unchanged"),
        _event("second", "installing"),
        _event("second", "waiting"),
        _event("third", "skipped"),
        _event("extra", "failed"),
    ]
    rows = {c["component"]: c for c in overlay(STATUS, PLAN, NEEDS, events)["components"]}
    assert {n: (r["health"], r.get("deploy")) for n, r in rows.items()} == {
        "first": ("healthy", "unchanged"),
        "second": ("progressing", "waiting"),
        "third": ("absent", None),  # skipped: what the cluster says
        "extra": ("failed", "failed"),
    }
    svg = platform_graph_svg(overlay(STATUS, PLAN, NEEDS, events))
    assert 'data-testid="graph-node-second" data-health="progressing" data-marks="" data-deploy="waiting"' in svg
    assert ">waiting</text>" in svg  # the node's second line says what the deploy is doing


def test_without_a_status_the_plan_alone_is_drawn() -> None:
    rows = overlay(None, PLAN, NEEDS, [_event("second", "installed")])["components"]
    assert [(r["component"], r["health"]) for r in rows] == [
        ("first", "absent"),
        ("second", "healthy"),
        ("third", "absent"),
    ]
