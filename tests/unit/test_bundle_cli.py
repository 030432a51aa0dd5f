"""``helmdeck bundle``: the short form, ``create``, ``verify`` and ``images``, human and JSON."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from helmdeck.cli import bundle_cmds

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        pass

    bundle_cmds.register(app)
    return app


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "dashboards", tmp_path / "dashboards")
    return tmp_path / "dashboards" / "platform.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(make_app(), list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_short_form_and_create_write_the_same_bundle(platform: Path, tmp_path: Path) -> None:
    when = "2026-01-02T00:00:00"
    code, out = run(
        "bundle", "-f", str(platform), "-e", "demo", "--out-file", str(tmp_path / "a.tgz"), "--created", when
    )
    assert code == 0, out
    assert "wrote" in out and "sha256" in out
    code, out = run("bundle", "create", "-f", str(platform), "-e", "demo", "--out-file", str(tmp_path / "b.tgz"),
                    "--created", when)  # fmt: skip
    assert code == 0, out
    assert (tmp_path / "a.tgz").read_bytes() == (tmp_path / "b.tgz").read_bytes()


def test_json_report(platform: Path, tmp_path: Path) -> None:
    code, out = run("bundle", "-f", str(platform), "--out-file", str(tmp_path / "a.tgz"), "-o", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["path"] == str(tmp_path / "a.tgz")
    assert report["manifest"]["platform"] == "dashboards"


def test_no_output_file_prints_help(platform: Path) -> None:
    code, out = run("bundle", "-f", str(platform))
    assert code == 2
    assert "verify" in out and "images" in out


def test_build_options_before_a_subcommand_are_refused(platform: Path, tmp_path: Path) -> None:
    code, out = run("bundle", "--out-file", str(tmp_path / "x.tgz"), "verify", str(tmp_path / "x.tgz"))
    assert code == 2
    assert "give them after it" in out


def test_verify_and_images(platform: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "a.tgz"
    assert run("bundle", "-f", str(platform), "--out-file", str(bundle))[0] == 0
    code, out = run("bundle", "verify", str(bundle))
    assert code == 0 and "files match their checksums" in out
    code, out = run("bundle", "images", str(bundle), "-q")
    assert code == 0
    assert "registry.example.org/dashboards/backend:0.4.2" in out.splitlines()
    code, out = run("bundle", "images", str(bundle), "-o", "json")
    images = json.loads(out)["images"]
    assert {"image", "repository", "tag", "digest", "components", "environments"} <= set(images[0])


def test_verify_names_the_tampered_file_and_exits_1(platform: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "a.tgz"
    assert run("bundle", "-f", str(platform), "--out-file", str(bundle))[0] == 0
    tampered = tmp_path / "t.tgz"
    with tarfile.open(bundle, "r:gz") as src, tarfile.open(tampered, "w:gz") as dst:
        for info in src:
            stream = src.extractfile(info)
            data = stream.read() if stream else b""
            if info.name.endswith("/images.txt"):
                data = b"evil.example.org/miner:latest\n"
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    code, out = run("bundle", "verify", str(tampered))
    assert code == 1
    assert "images.txt" in out and "checksum differs" in out
    code, out = run("bundle", "verify", str(tampered), "-o", "json")
    assert code == 1
    assert json.loads(out)["problems"] == [
        {"path": "images.txt", "reason": "checksum differs: the file was changed or damaged"}
    ]
