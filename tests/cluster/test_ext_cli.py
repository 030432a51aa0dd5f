"""``helmdeck ext install | list --installed | uninstall`` on the sandbox, JSON and human output."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from helmdeck.cli import ext_cmds
from tests.cluster.ext_support import Platform

pytestmark = pytest.mark.cluster


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        return None

    ext_cmds.register(app)
    return app


def test_install_list_uninstall(plat: Platform) -> None:
    common = ["-f", str(plat.path), "--kubeconfig", plat.sandbox.kubeconfig, "--state-dir", str(plat.path.parent)]
    runner = CliRunner()
    installed = runner.invoke(
        _app(), ["ext", "install", "tiny-multi", "--param", "task=brain", "--instance-name", "b", *common, "-o", "json"]
    )
    assert installed.exit_code == 0, installed.output
    report = json.loads(installed.stdout)
    assert report["ok"] and [c["component"] for c in report["components"]] == ["tiny-base", "tiny-multi-b"]
    assert report["operation"] == "ext install tiny-multi" and report["platformRevision"] == 2

    bad = runner.invoke(_app(), ["ext", "install", "tiny-multi", "--param", "task=knee", *common])
    assert bad.exit_code != 0 and "parameter task: 'knee' is not a choice" in str(bad.exception)

    listed = runner.invoke(_app(), ["ext", "list", "--installed", *common, "-o", "json"])
    assert {(r["component"], r["extension"]) for r in json.loads(listed.stdout)["installed"]} == {
        ("tiny-base", "tiny-base"),
        ("tiny-multi-b", "tiny-multi"),
    }
    refused = runner.invoke(_app(), ["ext", "uninstall", "tiny-base", *common])
    assert refused.exit_code != 0 and "required by tiny-multi-b" in str(refused.exception)
    removed = runner.invoke(_app(), ["ext", "uninstall", "tiny-multi-b", *common])
    assert removed.exit_code == 0 and "tiny-multi-b: removed" in removed.output
