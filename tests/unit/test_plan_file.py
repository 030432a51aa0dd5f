"""Saved plans without a cluster: the file format (atomic, owner-only, no values, refused when
damaged) and the comparison that makes ``deploy --plan`` refuse a stale plan, on in-memory fakes."""

from __future__ import annotations

import json
import stat
import textwrap
from pathlib import Path
from typing import Any

import pytest

from helmdeck.deploy.executor import Deployer
from helmdeck.engine.options import InstallOptions
from helmdeck.errors import ConfigError
from helmdeck.plan.plan_file import differences, ensure_same, keyed_digest, read_plan_file, seal, write_plan_file
from helmdeck.plan.planner import make_plan
from helmdeck.plan.reviewed import record_plan, verify_plan
from tests.fakes import fake_session

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    (tmp_path / "api.yaml").write_text("replicaCount: 1\n")
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: pf}}
            spec:
              secrets:
                api-token: {{generate: {{length: 32}}, into: [api.token]}}
              components:
                - {{name: db, chart: {HELLO}, namespace: pf-data}}
                - {{name: api, chart: {HELLO}, namespace: pf-app, needs: [db], values: [api.yaml]}}
            """
        )
    )
    return path


def _doc(**overrides: Any) -> dict[str, Any]:
    salt = "00" * 16
    doc: dict[str, Any] = {
        "helmdeckVersion": "1.0.0",
        "createdAt": "2026-01-01T00:00:00Z",
        "platform": "pf",
        "instance": "",
        "environment": "demo",
        "platformFile": {"path": "/p/platform.yaml", "digest": "sha256:aa"},
        "cluster": {"server": "https://a:6443", "uid": "u1"},
        "salt": salt,
        "secrets": {"api-token": {"digest": keyed_digest(salt, "s3cret"), "stored": True}},
        "releases": {"db": {"release": "db", "namespace": "pf-data", "revision": 3, "status": "deployed"}},
        "components": [
            {
                "component": "db",
                "action": "upgrade",
                "chart": {"name": "hello", "version": "0.1.0", "digest": "sha256:c1"},
                "valuesDigest": keyed_digest(salt, {"a": 1}),
                "driftDigest": None,
            }
        ],
        "summary": "0 to install, 1 to change, 0 to remove",
    }
    doc.update(overrides)
    return doc


# --- the file -------------------------------------------------------------------------------------


def test_written_whole_for_the_owner_only_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan_file(path, _doc())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left behind
    text = path.read_text()
    assert text.startswith('{\n  "apiVersion": "helmdeck.dev/v1",\n  "kind": "Plan"')
    assert "s3cret" not in text
    doc = read_plan_file(path)
    assert doc["components"][0]["action"] == "upgrade" and doc["checksum"].startswith("sha256:")
    write_plan_file(path, _doc(environment="prod"))  # replaced, not appended to
    assert read_plan_file(path)["environment"] == "prod"


def test_a_digest_needs_the_salt() -> None:
    a, b = "00" * 16, "11" * 16
    assert keyed_digest(a, "pw") == keyed_digest(a, "pw") != keyed_digest(b, "pw")
    assert keyed_digest(a, {"x": 1, "y": 2}) == keyed_digest(a, {"y": 2, "x": 1})
    assert "pw" not in keyed_digest(a, "pw")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "not a helmdeck plan file (not JSON"),
        ("[1, 2]", "not a helmdeck plan file"),
        ('{"apiVersion": "helmdeck.dev/v1", "kind": "Platform"}', "not a helmdeck plan file"),
        ('{"apiVersion": "helmdeck.dev/v1", "kind": "Plan"}', "incomplete or damaged: helmdeckVersion"),
        (json.dumps(seal(_doc(salt="not hex"))), "incomplete or damaged: salt"),
        (json.dumps(seal(_doc(components=["db"]))), "incomplete or damaged: components"),
        (json.dumps({**seal(_doc()), "environment": "prod"}), "changed after helmdeck wrote it"),
    ],
)
def test_damaged_or_foreign_files_are_refused_plainly(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        read_plan_file(path)
    assert expected in err.value.message
    assert "plan --out" in (err.value.fix or "")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_plan_file(tmp_path / "nope.json")


# --- the comparison -------------------------------------------------------------------------------


def test_the_same_plan_has_no_differences() -> None:
    assert differences(_doc(), _doc(createdAt="later", summary="anything")) == []
    ensure_same(_doc(), _doc(), "plan.json")  # does not raise


def _changed_db(**fields: Any) -> dict[str, Any]:
    component = {**_doc()["components"][0], **fields}
    return _doc(components=[component])


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (_doc(environment="prod"), "environment: demo when planned, prod now"),
        (_doc(platform="other"), "platform: pf when planned, other now"),
        (_doc(cluster={"server": "https://a:6443", "uid": "u2"}), "cluster: planned against"),
        (_doc(cluster={"server": "https://b:6443", "uid": None}), "cluster: planned against"),
        (_doc(helmdeckVersion="2.0.0"), "helmdeck version: 1.0.0 when planned, 2.0.0 now"),
        (_doc(platformFile={"path": "/p/platform.yaml", "digest": "sha256:bb"}), "platform file: edited"),
        (
            _doc(secrets={"api-token": {"digest": keyed_digest("00" * 16, "rotated"), "stored": True}}),
            "secret api-token: changed since the plan",
        ),
        (
            _doc(releases={"db": {"release": "db", "namespace": "pf-data", "revision": 4, "status": "deployed"}}),
            "release of db: revision 3 (deployed) when planned, revision 4 (deployed) now",
        ),
        (_doc(releases={}), "release of db: revision 3 (deployed) when planned, absent now"),
        (_changed_db(chart={"name": "hello", "version": "0.1.0", "digest": "sha256:c2"}), "component db: chart"),
        (_changed_db(valuesDigest="hmac-sha256:other"), "component db: values changed since the plan"),
        (_changed_db(driftDigest="hmac-sha256:d"), "component db: live objects changed outside helmdeck"),
        (_changed_db(action="unchanged"), "component db: planned to upgrade, now it would unchanged"),
        (_doc(components=[]), "component db: gone from the plan"),
    ],
)
def test_every_kind_of_move_is_named(current: dict[str, Any], expected: str) -> None:
    found = differences(_doc(), current)
    assert any(line.startswith(expected) for line in found), found
    with pytest.raises(ConfigError) as err:
        ensure_same(_doc(), current, "plan.json")
    assert "nothing was deployed" in err.value.message and err.value.details["differences"] == found


def test_one_cluster_at_another_address_is_the_same_cluster() -> None:
    assert differences(_doc(), _doc(cluster={"server": "https://proxy:443", "uid": "u1"})) == []


# --- on the fakes: recorded, checked, refused before anything changes ------------------------------


def test_a_recorded_plan_holds_until_the_cluster_moves(platform_file: Path, tmp_path: Path) -> None:
    session, _kube, engine = fake_session(platform_file)
    assert Deployer(session, preflight=False).run().ok
    token = session.secrets(create=False)["api-token"]
    (tmp_path / "api.yaml").write_text("replicaCount: 2\n")
    plan = make_plan(session)
    doc = record_plan(session, plan)
    assert {c["component"]: c["action"] for c in doc["components"]} == {"db": "unchanged", "api": "upgrade"}
    assert token not in json.dumps(doc)
    assert doc["secrets"]["api-token"]["stored"] is True
    path = tmp_path / "plan.json"
    write_plan_file(path, doc)
    planned = read_plan_file(path)
    verify_plan(session, planned, str(path))  # nothing moved: the plan holds

    db = session.live_releases()["db"]
    desired = session.desired(["db"])["db"]
    engine.upgrade(desired.chart, db.name, desired.values, InstallOptions(namespace=db.namespace, labels=db.labels))
    with pytest.raises(ConfigError) as err:
        verify_plan(session, planned, str(path))
    assert (
        "release of db: revision 1 (deployed) when planned, revision 2 (deployed) now"
        in err.value.details["differences"]
    )

    writes = list(engine.calls)
    deployer = Deployer(session, preflight=False, before_changes=lambda: verify_plan(session, planned, str(path)))
    with pytest.raises(ConfigError, match="changed since the plan"):
        deployer.run()
    assert engine.calls == writes  # refused under the lock, before any release changed


def test_a_placeholder_secret_is_recorded_as_not_stored(platform_file: Path) -> None:
    session, _kube, _engine = fake_session(platform_file)
    doc = record_plan(session, make_plan(session))
    assert doc["secrets"]["api-token"]["stored"] is False
    assert {c["component"]: c["action"] for c in doc["components"]} == {"db": "install", "api": "install"}
    assert doc["releases"] == {}
    verify_plan(session, seal(doc), "plan.json")


def test_an_unwritable_place_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot write the plan file"):
        write_plan_file(tmp_path / "no" / "such" / "plan.json", _doc())


def test_the_diff_is_coloured_on_a_terminal_only() -> None:
    from io import StringIO

    from rich.console import Console

    from helmdeck.cli.saved_plan import diff_text

    diff = "--- live/x\n+++ desired/x\n@@ -1 +1 @@\n-  replicas: 1\n+  replicas: 2\n   same\n"
    shown = {}
    for terminal in (True, False):
        out = StringIO()
        Console(file=out, force_terminal=terminal, color_system="standard" if terminal else None).print(
            diff_text(diff), end=""
        )
        shown[terminal] = out.getvalue()
    assert shown[False] == diff
    assert "\x1b[31m-  replicas: 1" in shown[True] and "\x1b[32m+  replicas: 2" in shown[True]


def test_deploy_takes_the_plans_environment_and_refuses_only(tmp_path: Path) -> None:
    from helmdeck.cli.saved_plan import open_plan

    path = tmp_path / "plan.json"
    write_plan_file(path, _doc(instance="lab2"))
    assert open_plan(path, None, None, None)[1:] == ("demo", "lab2")
    assert open_plan(path, "prod", "", None)[1:] == ("prod", "")  # given ones win; the check then names them
    with pytest.raises(ConfigError, match="--only cannot be combined with --plan"):
        open_plan(path, None, None, ["db"])
