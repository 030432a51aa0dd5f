"""``undeploy --dry-run``, ``rollback --dry-run``, the purge confirmation and a user's interrupt of
a deploy, on the in-memory fakes: what a dry run says is what the operation then does, a dry run
writes nothing, and an interrupt starts nothing new but lets running components finish."""

from __future__ import annotations

import copy
import json
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from helmdeck.cli import confirm as confirm_module
from helmdeck.cli import deploy_cmds
from helmdeck.cli import progress as progress_module
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.deploy.undeploy_preview import preview_undeploy
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.revisions.rollback import rollback_platform
from helmdeck.revisions.rollback_preview import preview_rollback
from helmdeck.revisions.store import RevisionStore
from tests.fakes import FakeEngine, FakeKube, fake_session, session_on

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


def _write(path: Path, components: str) -> Path:
    path.write_text(
        textwrap.dedent(
            """
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {name: fk}
            spec:
              components:
            """
        )
        + textwrap.indent(textwrap.dedent(components).strip("\n"), "    ")
        + "\n"
    )
    return path


COMPONENTS = f"""
- {{name: db, chart: {HELLO}, namespace: fk-data}}
- {{name: api, chart: {HELLO}, namespace: fk-app, needs: [db]}}
- {{name: web, chart: {HELLO}, namespace: fk-app}}
"""


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "platform.yaml", COMPONENTS)


def _session(path: Path, kube: FakeKube, engine: FakeEngine, sets: tuple[str, ...] = ()) -> PlatformSession:
    return session_on(path, kube, engine, *sets)


def _state(kube: FakeKube) -> dict[Any, Any]:
    return copy.deepcopy(kube.objects)


# --- undeploy --dry-run ---------------------------------------------------------------------------


def test_undeploy_dry_run_names_the_order_namespaces_and_data_and_writes_nothing(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    assert Deployer(session, preflight=False).run().ok
    before, writes = _state(kube), len(kube.writes)
    engine.calls.clear()

    kept = preview_undeploy(_session(platform_file, kube, engine))
    purged = preview_undeploy(_session(platform_file, kube, engine), purge_data=True)

    assert kube.objects == before and len(kube.writes) == writes and engine.calls == []
    steps = {r.component: r.step for r in kept.releases}
    assert steps["api"] < steps["db"]  # dependents first, as the undeploy does them
    assert [r.component for r in kept.releases] == sorted(steps, key=lambda n: (steps[n], n))
    assert all(r.chart.startswith("hello-") and r.status == "deployed" for r in kept.releases)
    by_ns = {n.name: n for n in kept.namespaces}
    assert not by_ns["admin"].deleted and "history" in by_ns["admin"].reason
    assert by_ns["fk-app"].deleted and by_ns["fk-data"].deleted
    assert any("platform revision record" in item for item in kept.kept_data) and kept.deleted_data == []
    assert purged.deleted_data == kept.kept_data and purged.kept_data == []
    assert {n.name: n.deleted for n in purged.namespaces}["admin"] is True

    data = kept.as_dict()
    assert data["dryRun"] is True and data["operation"] == "undeploy"
    assert set(data["releases"][0]) >= {"step", "component", "release", "namespace", "status", "revision", "chart"}

    # the dry run said what the undeploy then does
    report = Undeployer(_session(platform_file, kube, engine), timeout=1).run()
    uninstalled = [name for op, name, _ in engine.calls if op == "uninstall"]
    assert uninstalled.index("api") < uninstalled.index("db")
    assert {ns["name"] for ns in report.namespaces if ns["deleted"]} == {n.name for n in kept.namespaces if n.deleted}


def test_a_stuck_release_is_named_in_the_dry_run(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    Deployer(session, preflight=False).run()
    engine._set_status(engine._records("web", "fk-app")[-1], ReleaseStatus.PENDING_UPGRADE)
    preview = preview_undeploy(_session(platform_file, kube, engine))
    web = next(r for r in preview.releases if r.component == "web")
    assert web.status == "pending-upgrade" and "recovered" in web.note


# --- rollback --dry-run ---------------------------------------------------------------------------


def test_rollback_dry_run_names_revisions_and_charts_and_writes_nothing(platform_file: Path, tmp_path: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    assert Deployer(session, preflight=False).run().ok
    # revision 2: web changed, and a component added (which a rollback to 1 removes)
    bigger = _write(tmp_path / "bigger.yaml", COMPONENTS + f"- {{name: extra, chart: {HELLO}, namespace: fk-app}}\n")
    assert Deployer(_session(bigger, kube, engine, ("web.replicas=3",)), preflight=False).run().ok
    before, writes = _state(kube), len(kube.writes)
    engine.calls.clear()

    preview = preview_rollback(_session(bigger, kube, engine))

    assert kube.objects == before and len(kube.writes) == writes and engine.calls == []
    by = {c.component: c for c in preview.changes}
    assert preview.target == 1
    assert (by["web"].action, by["web"].from_revision, by["web"].to_revision) == ("rollback", 2, 1)
    assert by["web"].from_chart == by["web"].to_chart and by["web"].to_chart.startswith("hello-")
    assert by["db"].action == "unchanged" and by["api"].action == "unchanged"
    assert by["extra"].action == "uninstall"
    data = preview.as_dict()
    assert data["dryRun"] is True and data["counts"] == {"rollback": 1, "install": 0, "uninstall": 1, "unchanged": 2}
    assert {"fromRevision", "toRevision", "fromChart", "toChart"} <= set(data["components"][0])

    report = rollback_platform(_session(bigger, kube, engine))
    assert {s.component: s.action for s in report.steps} == {c.component: c.action for c in preview.changes}
    # and removed components come back as installs
    again = preview_rollback(_session(bigger, kube, engine), 2)
    assert {c.component: c.action for c in again.changes}["extra"] == "install"


# --- interrupt ------------------------------------------------------------------------------------


def test_an_interrupt_starts_nothing_new_and_lets_the_running_component_finish(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    interrupt = threading.Event()
    original = engine.install

    def install_then_interrupt(*args: Any, **kwargs: Any) -> Any:
        release = original(*args, **kwargs)
        interrupt.set()  # Ctrl-C while db is being installed
        return release

    engine.install = install_then_interrupt  # type: ignore[method-assign]
    report = Deployer(session, preflight=False, parallel=1, interrupt=interrupt).run()

    assert report.interrupted and not report.ok
    by = {c.name: c for c in report.components}
    assert by["db"].outcome.value == "installed" and by["db"].health == "healthy"  # finished, gate passed
    assert report.not_started() == ["api", "web"]
    assert by["api"].message == "not started: interrupted"
    assert [name for op, name, _ in engine.calls if op == "install"] == ["db"]
    assert all(not r.status.pending for r in session.live_releases().values())
    assert report.as_dict()["notStarted"] == ["api", "web"] and report.as_dict()["interrupted"] is True
    store = RevisionStore(session.client, session.admin_namespace, session.platform_id)
    assert [r.result for r in store.list()] == ["failed"]  # what was done is recorded
    lease = kube.one("Lease", "helmdeck-lock-fk", "admin")
    assert lease is not None and not (lease.get("spec") or {}).get("holderIdentity")


def test_an_interrupt_during_preflight_changes_nothing(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    interrupt = threading.Event()
    interrupt.set()
    report = Deployer(session, preflight=False, interrupt=interrupt).run()
    assert report.interrupted and report.not_started() == ["db", "api", "web"]
    assert engine.calls == [] and kube.writes == []


# --- the CLI: confirmation before the live display, dry runs as one JSON object -------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        return None

    deploy_cmds.register(app)
    return app


@pytest.fixture
def deployed(platform_file: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FakeKube, FakeEngine, list[str]]:
    """A deployed platform the CLI's commands open, and a log of when the live display started."""
    session, kube, engine = fake_session(platform_file)
    assert Deployer(session, preflight=False).run().ok
    events: list[str] = []
    monkeypatch.setattr(deploy_cmds, "open_session", lambda *a, **k: _session(platform_file, kube, engine))
    real_live = progress_module.live_progress

    @contextmanager
    def live(title: str, enabled: bool, *rest: Any) -> Iterator[Any]:
        events.append("live display")
        with real_live(title, enabled, *rest) as table:
            yield table

    monkeypatch.setattr(progress_module, "live_progress", live)
    return kube, engine, events


def test_purge_asks_before_the_live_display_starts(
    deployed: tuple[FakeKube, FakeEngine, list[str]], platform_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube, engine, events = deployed
    monkeypatch.setattr(confirm_module, "stdin_is_terminal", lambda: True)
    before = _state(kube)
    engine.calls.clear()
    declined = CliRunner().invoke(_app(), ["undeploy", "-f", str(platform_file), "--purge-data"], input="n\n")
    assert declined.exit_code == 1 and "nothing was changed" in str(declined.exception)
    assert "--purge-data will permanently delete" in declined.output and "Delete all of this?" in declined.output
    assert events == [] and engine.calls == [] and kube.objects == before  # no display, no change

    accepted = CliRunner().invoke(_app(), ["undeploy", "-f", str(platform_file), "--purge-data"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.index("Delete all of this?") < accepted.output.index("undeployed")
    assert events == ["live display"]
    assert kube.find("Secret", "admin") == []


def test_purge_without_a_terminal_needs_yes(
    deployed: tuple[FakeKube, FakeEngine, list[str]], platform_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube, engine, events = deployed
    monkeypatch.setattr(confirm_module, "stdin_is_terminal", lambda: False)
    before = _state(kube)
    engine.calls.clear()
    refused = CliRunner().invoke(_app(), ["undeploy", "-f", str(platform_file), "--purge-data"])
    assert refused.exit_code != 0 and "pass --yes" in str(refused.exception)
    assert events == [] and engine.calls == [] and kube.objects == before
    done = CliRunner().invoke(_app(), ["undeploy", "-f", str(platform_file), "--purge-data", "--yes", "-o", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["purged"] is True


def test_dry_runs_print_one_json_object_and_change_nothing(
    deployed: tuple[FakeKube, FakeEngine, list[str]], platform_file: Path
) -> None:
    kube, engine, events = deployed
    before = _state(kube)
    engine.calls.clear()
    runner = CliRunner()
    undeploy = runner.invoke(_app(), ["undeploy", "-f", str(platform_file), "--purge-data", "--dry-run", "-o", "json"])
    assert undeploy.exit_code == 0, undeploy.output
    data = json.loads(undeploy.stdout)
    assert data["dryRun"] and data["purgeData"] and data["deletedData"]
    human = runner.invoke(_app(), ["undeploy", "-f", str(platform_file), "--dry-run"])
    assert human.exit_code == 0 and "nothing was changed" in human.output and "kept:" in human.output
    rollback = runner.invoke(_app(), ["rollback", "1", "-f", str(platform_file), "--dry-run", "-o", "json"])
    assert rollback.exit_code == 0, rollback.output
    assert json.loads(rollback.stdout)["target"] == 1
    assert kube.objects == before and engine.calls == [] and events == []


def test_the_first_ctrl_c_sets_the_event_and_the_second_exits_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import signal

    from helmdeck.cli import interrupt as interrupt_module

    exits: list[int] = []

    def fake_exit(code: int) -> None:
        exits.append(code)

    monkeypatch.setattr(interrupt_module.os, "_exit", fake_exit)
    before = signal.getsignal(signal.SIGINT)
    with interrupt_module.graceful_interrupt() as interrupted:
        os.kill(os.getpid(), signal.SIGINT)
        assert interrupted.is_set() and exits == []
        os.kill(os.getpid(), signal.SIGINT)
        assert exits == [130]
    assert signal.getsignal(signal.SIGINT) is before  # the previous handler is back
    err = capsys.readouterr().err
    assert "interrupt received, finishing current steps" in err and "aborted" in err


def test_a_second_ctrl_c_during_a_release_write_cancels_it_and_a_third_exits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a release write in its worker, the second Ctrl-C cancels the writes (the operation then
    unwinds and releases the lock itself) instead of leaving the process with the lock held."""
    import os
    import signal

    from helmdeck.cli import interrupt as interrupt_module
    from helmdeck.engine import release_writes
    from helmdeck.engine.options import UninstallOptions
    from helmdeck.engine.sdk_errors import ReleaseTimeoutError

    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    monkeypatch.setattr(interrupt_module, "_running_writes", lambda: 1)
    monkeypatch.setattr(interrupt_module, "_UNWIND_SECONDS", 3600.0)  # the watchdog stays asleep
    try:
        with interrupt_module.graceful_interrupt() as interrupted:
            os.kill(os.getpid(), signal.SIGINT)
            assert interrupted.is_set() and exits == []
            os.kill(os.getpid(), signal.SIGINT)
            assert exits == [] and release_writes._stopping.is_set()
            with pytest.raises(ReleaseTimeoutError, match="not started: interrupted by a second"):
                release_writes.run(
                    release_writes.Write("uninstall", "x", {}, UninstallOptions(namespace="ns")),
                    state=lambda: "the release is deployed",
                )
            os.kill(os.getpid(), signal.SIGINT)
            assert exits == [130]
    finally:
        release_writes.resume()
    err = capsys.readouterr().err
    assert "stopping: cancelling the running release writes" in err and "aborted" in err
