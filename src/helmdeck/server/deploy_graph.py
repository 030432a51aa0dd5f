"""The platform graph during a web deploy: the overview's graph (:mod:`platform_graph`) with each
component coloured by what the deploy has done to it so far, so the graph lights up component by
component as the executor reports progress, and by the cluster's health where the deploy has not
reached it (yet).

Components the plan installs that the running service's platform file does not have yet are drawn
too (absent), with the ``needs`` of the file the plan was made from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helmdeck.health import Health
from helmdeck.revisions.journal import component_states

#: executor progress state -> the health colour its node takes
_WORKING = {"installing", "upgrading", "waiting", "checking", "repairing", "recovering", "rolling back", "removing"}
_DONE = {"installed", "upgraded", "unchanged", "removed"}


def deploy_health(state: str) -> Health | None:
    """The colour of a component the deploy reports ``state`` for (None: the cluster's health)."""
    if state in _WORKING:
        return Health.progressing
    if state in _DONE:
        return Health.healthy
    if state == "failed":
        return Health.failed
    return None


def overlay(
    status: Mapping[str, Any] | None,
    plan_components: Sequence[Mapping[str, Any]],
    needs: Mapping[str, Sequence[str]],
    events: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A status document for :func:`platform_graph_svg`: the live ``status`` (may be None when the
    cluster did not answer), the plan's components added when missing, each coloured by its last
    state in ``events`` (an operation's progress) when there is one."""
    rows: dict[str, dict[str, Any]] = {}
    for c in (status or {}).get("components") or []:
        rows[str(c["component"])] = dict(c)
    for p in plan_components:
        name = str(p["component"])
        if name not in rows:
            rows[name] = {
                "component": name,
                "namespace": p.get("namespace") or "",
                "status": "not installed",
                "health": Health.absent,
                "reason": p.get("reason") or "",
            }
    for p in plan_components:
        # what the plan does to it, marked on its node (and on its namespace's when collapsed, so
        # at 200 components the namespaces that change show before they are expanded)
        if str(p.get("action") or "unchanged") != "unchanged":
            rows[str(p["component"])]["planned"] = str(p["action"])
    for name, row in rows.items():
        if name in needs:
            row["needs"] = [n for n in needs[name] if n in rows]
    states = {k: v for k, v in component_states([dict(e) for e in events]).items() if k != "*"}
    for name, state in states.items():
        health = deploy_health(state)
        if name in rows and health is not None:
            rows[name]["health"] = health
            rows[name]["deploy"] = state
            rows[name].pop("planned", None)  # reached: its node says what the deploy does now
    return {**(status or {}), "components": list(rows.values())}
