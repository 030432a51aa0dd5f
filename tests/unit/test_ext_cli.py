"""``helmdeck ext`` and ``helmdeck serve token`` without a cluster (list, show, upload, tokens)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import typer
from typer.testing import CliRunner

from helmdeck.cli import ext_cmds, serve_cmd

from .ext_support import write_platform


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        return None

    ext_cmds.register(app)
    serve_cmd.register(app)
    return app


def _archive(name: str, template: bytes) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path, data in (
            (f"{name}/Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n".encode()),
            (f"{name}/templates/x.yaml", template),
        ):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_list_show_and_upload(tmp_path: Path) -> None:
    write_platform(tmp_path)
    f = str(tmp_path / "platform.yaml")
    state = str(tmp_path / "state")
    runner = CliRunner()
    listed = runner.invoke(_app(), ["ext", "list", "-f", f, "--state-dir", state, "-o", "json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert "tiny-app" in [e["name"] for e in data["extensions"]] and data["problems"]
    human = runner.invoke(_app(), ["ext", "list", "-f", f, "--state-dir", state])
    assert "Tiny app" in human.output and "tiny-base>=0.1.0 <1.0.0" in human.output
    shown = runner.invoke(_app(), ["ext", "show", "tiny-app", "-f", f, "--state-dir", state])
    assert shown.exit_code == 0 and "one of minimal, scipy, pytorch" in shown.output and "(secret)" in shown.output

    good = tmp_path / "good-1.0.0.tgz"
    good.write_bytes(_archive("good", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: g}\n"))
    up = runner.invoke(_app(), ["ext", "upload", str(good), "-f", f, "--state-dir", state, "-o", "json"])
    assert up.exit_code == 0, up.output
    assert json.loads(up.stdout)["path"].endswith("extensions/good-1.0.0")
    after = runner.invoke(_app(), ["ext", "show", "good", "-f", f, "--state-dir", state, "-o", "json"])
    assert json.loads(after.stdout)["version"] == "1.0.0"

    evil = tmp_path / "evil-1.0.0.tgz"
    evil.write_bytes(
        _archive("evil", b"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: e}\n")
    )
    refused = runner.invoke(_app(), ["ext", "upload", str(evil), "-f", f, "--state-dir", state])
    assert refused.exit_code != 0 and "cluster-scoped" in str(refused.exception)
    allowed = runner.invoke(
        _app(), ["ext", "upload", str(evil), "-f", f, "--state-dir", state, "--allow-cluster-scoped"]
    )
    assert allowed.exit_code == 0 and "accepted evil 1.0.0" in allowed.output


def test_serve_token_commands(tmp_path: Path) -> None:
    write_platform(tmp_path)
    args = ["-f", str(tmp_path / "platform.yaml"), "--state-dir", str(tmp_path / "state")]
    runner = CliRunner()
    created = runner.invoke(_app(), ["serve", "token", "create", "--role", "operator", "--name", "ci", *args])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("hdk_")
    assert secret not in (tmp_path / "state" / "tokens.json").read_text()
    listed = runner.invoke(_app(), ["serve", "token", "list", *args, "-o", "json"])
    assert [t["name"] for t in json.loads(listed.stdout)["tokens"]] == ["ci"] and secret not in listed.stdout
    revoked = runner.invoke(_app(), ["serve", "token", "revoke", "ci", *args])
    assert revoked.exit_code == 0 and "revoked token ci" in revoked.output
    bad = runner.invoke(_app(), ["serve", "token", "create", "--role", "root", "--name", "x", *args])
    assert bad.exit_code != 0 and "is not a role" in str(bad.exception)


def test_a_secret_parameter_on_the_command_line_is_refused_unless_insecure_argv(tmp_path: Path) -> None:
    """Issue 17: a token given as --param was read from /proc/PID/cmdline during the install."""
    import subprocess
    import sys

    write_platform(tmp_path)
    common = ["-f", str(tmp_path / "platform.yaml"), "--state-dir", str(tmp_path / "state")]
    params = ["-p", "profile=minimal", "-p", "size=1Gi", "-p", "tokenless=false", "-p", "token=visible"]
    argv = [sys.executable, "-m", "helmdeck.cli.main", "ext", "install", "tiny-app", *params, *common]
    # no cluster is reachable: a refusal must come before any attempt to reach one
    env = {"KUBECONFIG": str(tmp_path / "none.yaml"), "PATH": "/usr/bin:/bin", "HELMDECK_ALLOW_OUTSIDE": "1"}
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    text = " ".join(refused.stderr.split())
    assert refused.returncode != 0 and "refused: secret parameter token was given on the command line" in text
    assert "HELMDECK_PARAM_TOKEN" in text and "--insecure-argv" in text and "Traceback" not in refused.stderr
    allowed = subprocess.run([*argv, "--insecure-argv"], capture_output=True, text=True, timeout=120, env=env)
    assert "refused: secret parameter" not in allowed.stderr and "warning:" in allowed.stderr
