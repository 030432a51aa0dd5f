"""The deploy timeline: the critical chain and its floor, the revision record's compact form, and a
deploy on the in-memory fakes recording every component's phases."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from helmdeck.deploy.executor import Deployer
from helmdeck.revisions.store import RevisionStore
from helmdeck.revisions.timeline import (
    FIRST_READY,
    INSTALL,
    LAST_READY,
    RENDER,
    ComponentTimeline,
    Span,
    Timeline,
)
from tests.fakes import fake_session, session_on, write_platform_file

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


def comp(name: str, needs: tuple[str, ...], start: float, install: float, wait: float) -> ComponentTimeline:
    """A component that started at ``start``, wrote for ``install`` s and waited ``wait`` s for readiness."""
    gate = start + install
    return ComponentTimeline(
        name,
        needs,
        "installed",
        Span(start, gate + wait),
        {
            INSTALL: Span(start, gate),
            FIRST_READY: Span(gate, gate + wait / 2),
            LAST_READY: Span(gate + wait / 2, gate + wait),
        },
    )


def diamond() -> Timeline:
    """db and cache at once; api needs both and waited for db (which ended later); ui needs api;
    docs stands alone and is long but ends before ui."""
    t = Timeline(seconds=13.0, platform={"preflight": Span(0.0, 0.5)})
    for c in (
        comp("db", (), 1.0, 0.5, 4.0),  # ends 5.5
        comp("cache", (), 1.0, 0.5, 1.0),  # ends 2.5
        comp("api", ("db", "cache"), 5.6, 0.4, 3.0),  # ends 9.0
        comp("ui", ("api",), 9.1, 0.4, 2.0),  # ends 11.5
        comp("docs", (), 1.0, 0.5, 9.0),  # ends 10.5
    ):
        t.components[c.name] = c
    return t


def test_the_critical_chain_follows_the_need_that_finished_last() -> None:
    t = diamond()
    assert t.critical_chain() == ["db", "api", "ui"]
    assert t.floor() == pytest.approx(4.0 + 3.0 + 2.0)
    data = t.as_dict()
    assert data["criticalChain"] == ["db", "api", "ui"]
    assert data["floor"] == pytest.approx(9.0)
    assert data["chainSeconds"] == pytest.approx(11.5)
    assert data["overhead"] == pytest.approx(2.5)
    assert {c["component"]: c["critical"] for c in data["components"]} == {
        "db": True,
        "cache": False,
        "api": True,
        "ui": True,
        "docs": False,
    }


def test_components_that_never_ran_are_off_the_chain() -> None:
    t = diamond()
    t.components["late"] = ComponentTimeline("late", ("ui",), "skipped")
    assert t.critical_chain() == ["db", "api", "ui"]
    assert Timeline().critical_chain() == [] and Timeline().floor() == 0.0


def test_the_compact_form_reads_back_the_same_and_stays_small() -> None:
    t = diamond()
    back = Timeline.from_compact(json.loads(json.dumps(t.compact())))
    assert back.as_dict() == t.as_dict()
    assert Timeline.from_dict(t.as_dict()).as_dict() == t.as_dict()
    big = Timeline(seconds=80.0)
    for i in range(200):
        needs = (f"component-{i - 1:03d}",) if i else ()
        big.components[f"component-{i:03d}"] = comp(f"component-{i:03d}", needs, i * 0.4, 0.3, 2.2)
    zipped = gzip.compress(json.dumps(big.compact()).encode())
    assert len(zipped) < 16_000, len(zipped)  # a revision Secret must stay far below 1 MiB


def test_an_unknown_compact_version_is_refused_with_a_fix() -> None:
    from helmdeck.errors import ConfigError

    with pytest.raises(ConfigError, match="format version"):
        Timeline.from_compact({"v": 99})


def test_a_deploy_records_each_components_phases_in_its_report_and_its_revision(tmp_path: Path) -> None:
    path = write_platform_file(
        tmp_path,
        "fk",
        f"""
        components:
          - {{name: db, chart: {HELLO}, namespace: fk-data}}
          - {{name: api, chart: {HELLO}, namespace: fk-app, needs: [db]}}
          - {{name: web, chart: {HELLO}, namespace: fk-app}}
        """,
    )
    session, kube, engine = fake_session(path)
    report = Deployer(session, preflight=False, parallel=2).run()  # preflight needs a real API server
    assert report.ok
    data = report.as_dict()["timeline"]
    assert {p["phase"] for p in data["platformPhases"]} == {"prepare", "final-check"}
    by_name = {c["component"]: c for c in data["components"]}
    assert set(by_name) == {"db", "api", "web"}
    for c in by_name.values():
        phases = {p["phase"]: p for p in c["phases"]}
        assert set(phases) >= {RENDER, INSTALL, FIRST_READY, LAST_READY}, c
        assert 0.0 <= c["start"] <= phases[INSTALL]["start"] <= phases[INSTALL]["end"] <= c["end"]
        assert phases[FIRST_READY]["end"] <= phases[LAST_READY]["end"] <= c["end"] <= data["seconds"]
    assert by_name["api"]["needs"] == ["db"]
    assert by_name["api"]["start"] >= by_name["db"]["end"]
    assert data["criticalChain"][-1] == max(by_name, key=lambda n: by_name[n]["end"])

    stored = RevisionStore(session.client, session.admin_namespace, session.platform_id).latest()
    assert stored is not None and stored.timeline is not None
    assert Timeline.from_compact(stored.timeline).critical_chain() == data["criticalChain"]
    secret = kube.one("Secret", f"helmdeck.rev.{session.platform_id}.v1", "admin")
    assert secret is not None
    assert "c" in json.loads(gzip.decompress(base64.b64decode(secret["data"]["record"])))["timeline"]

    # nothing to change: no install, and healthy components need no gate (one status of the
    # platform told their health, recorded as the final check)
    again = Deployer(session_on(path, kube, engine), preflight=False).run()
    assert again.timeline is not None and not again.recorded
    spans = {p for c in again.timeline.components.values() for p in c.phases}
    assert INSTALL not in spans and FIRST_READY not in spans
    assert {p["phase"] for p in again.as_dict()["timeline"]["platformPhases"]} == {"prepare", "final-check"}
    assert {c.health for c in again.components} == {"healthy"}


def test_a_failed_component_shows_its_undo_and_a_skipped_one_no_span(tmp_path: Path) -> None:
    path = write_platform_file(
        tmp_path,
        "fk",
        f"""
        components:
          - {{name: db, chart: {HELLO}, namespace: fk-data}}
          - {{name: api, chart: {HELLO}, namespace: fk-app, needs: [db]}}
        """,
    )
    session, _, engine = fake_session(path)
    engine.broken.add("db")
    report = Deployer(session, preflight=False).run()
    assert report.timeline is not None
    db, api = report.timeline.components["db"], report.timeline.components["api"]
    assert db.outcome == "failed" and {INSTALL, FIRST_READY, LAST_READY, "undo"} <= set(db.phases)
    assert api.span is None and api.needs == ("db",) and api.outcome == "skipped"
    assert report.timeline.critical_chain() == ["db"]
    stored = RevisionStore(session.client, session.admin_namespace, session.platform_id).latest()
    assert stored is not None and stored.result == "failed" and stored.timeline is not None
