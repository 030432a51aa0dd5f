"""tools/build.sh and helmdeck.sandbox.binaries agree on every module's cache directory, and the
optional modules (helmfile) stay out of what a default build (CI, the sandbox) builds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helmdeck.sandbox import binaries

BUILD = Path(__file__).resolve().parents[2] / "tools" / "build.sh"


def _print_dirs(*modules: str) -> dict[str, str]:
    out = subprocess.run(["bash", str(BUILD), "--print-dirs", *modules], capture_output=True, text=True, check=True)
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


def test_default_build_is_the_sandbox_modules_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELMDECK_CACHE", str(tmp_path))
    dirs = _print_dirs()
    assert set(dirs) == set(binaries.MODULE_BINARIES)
    assert not set(dirs) & set(binaries.OPTIONAL_MODULE_BINARIES)
    for module, directory in dirs.items():
        assert directory == str(binaries.module_dir(module))


def test_optional_module_is_built_when_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELMDECK_CACHE", str(tmp_path))
    directory = _print_dirs("helmfile")["helmfile"]
    assert directory == str(binaries.module_dir("helmfile"))
    assert Path(directory).name.startswith("helmfile-v")
    assert binaries.optional_binary("helmfile") is None  # nothing built under tmp_path
    Path(directory).mkdir(parents=True)
    (Path(directory) / "helmfile").write_text("")
    assert binaries.optional_binary("helmfile") is None  # a partial build does not count
    (Path(directory) / ".complete").write_text("")
    assert binaries.optional_binary("helmfile") == Path(directory) / "helmfile"


def test_unknown_module_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELMDECK_CACHE", str(tmp_path))
    out = subprocess.run(["bash", str(BUILD), "--print-dirs", "nope"], capture_output=True, text=True, check=False)
    assert out.returncode != 0
    assert "unknown module 'nope'" in out.stderr and "optional: helmfile" in out.stderr
