"""``bundle verify``: every file checked against its checksum, every problem named by file."""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from helmdeck.bundle import BundleError, create_bundle, read_images, verify_bundle
from helmdeck.bundle.checksums import format_sums, parse_sums, sha256_hex
from helmdeck.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WHEN = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
ROOT = "dashboards-bundle/"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bundle")
    shutil.copytree(EXAMPLES / "dashboards", tmp / "dashboards")
    return create_bundle(tmp / "dashboards" / "platform.yaml", tmp / "dash.tgz", created=WHEN).path


def rewritten(bundle: Path, tmp_path: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """A copy of ``bundle`` with its members changed by ``change`` (tar rebuilt by hand, like an attacker)."""
    files: dict[str, bytes] = {}
    with tarfile.open(bundle, "r:gz") as tar:
        for info in tar:
            stream = tar.extractfile(info)
            files[info.name] = stream.read() if stream else b""
    change(files)
    out = tmp_path / "changed.tgz"
    with tarfile.open(out, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def problems(path: Path) -> dict[str, str]:
    result = verify_bundle(path)
    return {p.path: p.reason for p in result.problems}


def test_a_fresh_bundle_verifies(bundle: Path) -> None:
    result = verify_bundle(bundle)
    assert result.ok, result.problems
    assert result.root == "dashboards-bundle"
    assert result.manifest is not None and result.manifest.platform == "dashboards"
    assert len(result.files) == len(result.manifest.files) + 2


def test_a_changed_file_is_named(bundle: Path, tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        files[ROOT + "values/env/demo.yaml"] += b"\nglobal: {evil: true}\n"

    tampered = rewritten(bundle, tmp_path, edit)
    assert problems(tampered) == {"values/env/demo.yaml": "checksum differs: the file was changed or damaged"}
    with pytest.raises(BundleError, match=r"values/env/demo\.yaml") as caught:
        verify_bundle(tampered).raise_for_problems()
    assert caught.value.problems[0].path == "values/env/demo.yaml"
    with pytest.raises(BundleError, match=r"values/env/demo\.yaml"):
        read_images(tampered)


def test_a_changed_chart_is_named(bundle: Path, tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        files[ROOT + "charts/mongo-0.3.0.tgz"] = files[ROOT + "charts/redis-0.2.0.tgz"]

    assert list(problems(rewritten(bundle, tmp_path, edit))) == ["charts/mongo-0.3.0.tgz"]


def test_added_and_removed_files_are_named(bundle: Path, tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        del files[ROOT + "charts/viewer-0.4.0.tgz"]
        files[ROOT + "values/extra.yaml"] = b"injected: true\n"

    found = problems(rewritten(bundle, tmp_path, edit))
    assert found == {
        "charts/viewer-0.4.0.tgz": "listed in SHA256SUMS but missing from the bundle",
        "values/extra.yaml": "not listed in SHA256SUMS: it was added to the bundle",
    }


def test_checksums_rewritten_without_the_manifest_are_caught(bundle: Path, tmp_path: Path) -> None:
    """Editing a file and SHA256SUMS, but not bundle.json, is still named."""

    def edit(files: dict[str, bytes]) -> None:
        files[ROOT + "platform.yaml"] += b"# changed\n"
        sums = parse_sums(files[ROOT + "SHA256SUMS"]).checksums
        sums["platform.yaml"] = sha256_hex(files[ROOT + "platform.yaml"])
        files[ROOT + "SHA256SUMS"] = format_sums(sums)

    found = problems(rewritten(bundle, tmp_path, edit))
    assert found == {"platform.yaml": "bundle.json and SHA256SUMS disagree about its checksum"}


def test_unsafe_members_are_named(bundle: Path, tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        files[ROOT + "../../outside.yaml"] = b"x"

    found = problems(rewritten(bundle, tmp_path, edit))
    assert found == {"dashboards-bundle/../../outside.yaml": "path escapes the bundle (..)"}


def test_a_symlink_member_is_named(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "link.tgz"
    with tarfile.open(bundle, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            dst.addfile(info, src.extractfile(info))
        link = tarfile.TarInfo(ROOT + "values/link.yaml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        dst.addfile(link)
    found = problems(out)
    assert "symbolic link" in found["dashboards-bundle/values/link.yaml"]


def test_a_second_top_directory_is_refused(bundle: Path, tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        files["other/platform.yaml"] = b"x"

    found = problems(rewritten(bundle, tmp_path, edit))
    assert "no single top directory" in found["/"]


def test_missing_checksums_and_garbage_are_reported(bundle: Path, tmp_path: Path) -> None:
    def drop(files: dict[str, bytes]) -> None:
        del files[ROOT + "SHA256SUMS"]

    assert problems(rewritten(bundle, tmp_path, drop)) == {"SHA256SUMS": "missing: nothing can be checked"}
    garbage = tmp_path / "garbage.tgz"
    garbage.write_bytes(b"\x1f\x8b not really")
    assert list(problems(garbage)) == ["garbage.tgz"]
    with pytest.raises(ConfigError, match="does not exist"):
        verify_bundle(tmp_path / "nope.tgz")


def test_an_extracted_bundle_checks_with_sha256sum(bundle: Path, tmp_path: Path) -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum is not installed")
    with tarfile.open(bundle, "r:gz") as tar:
        tar.extractall(tmp_path, filter="data")
    done = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=tmp_path / ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
