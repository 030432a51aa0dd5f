"""RealPaths resolves as Path.resolve() does, and link_out_of finds what a walk of the chart finds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helmdeck.spec.real_paths import RealPaths, link_out_of


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "sub" / "f.yaml").write_text("a: 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("x")
    (tmp_path / "dirlink").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "filelink").symlink_to(tmp_path / "real" / "sub" / "f.yaml")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real" / "loop")
    return tmp_path


def test_real_paths_resolve_as_path_resolve_does(tree: Path) -> None:
    real = RealPaths()
    cases = [
        tree / "real" / "sub" / "f.yaml",
        tree / "dirlink" / "sub" / "f.yaml",  # a linked directory
        tree / "real" / "filelink",  # a linked file
        tree / "dirlink" / "missing.yaml",  # not there
        tree / "real" / "sub" / ".." / "sub" / "f.yaml",
        tree / "real" / "sub" / "f.yaml" / "below",  # below a file
        Path("/"),
    ]
    for path in cases * 2:  # the second time from what it remembers
        assert real.resolve(path) == path.resolve(), path
    with pytest.raises(RuntimeError):
        real.resolve(tree / "real" / "loop")


def _walked(chart: Path, base: Path) -> tuple[Path, Path] | None:
    """What the check did before: os.walk, each directory's subdirectories and then its files."""
    for root, dirs, files in os.walk(chart):
        for name in (*dirs, *files):
            entry = Path(root) / name
            if entry.is_symlink() and not entry.resolve().is_relative_to(base):
                return entry, entry.resolve()
    return None


def test_link_out_of_finds_the_link_a_walk_of_the_chart_finds_first(tmp_path: Path) -> None:
    base = tmp_path / "platform"
    chart = base / "chart"
    for sub in ("a/deep", "b", "templates"):
        (chart / sub).mkdir(parents=True)
    (chart / "values.yaml").write_text("a: 1\n")
    (tmp_path / "secret").write_text("x")
    (chart / "inside").symlink_to(chart / "values.yaml")
    assert link_out_of(chart, base, 1000) is None
    (chart / "b" / "z").symlink_to(tmp_path / "secret")
    (chart / "a" / "deep" / "y").symlink_to(tmp_path / "secret")
    (chart / "templates" / "x").symlink_to(tmp_path)
    (chart / "zlink").symlink_to(tmp_path / "secret")
    assert link_out_of(chart, base, 1000) == _walked(chart, base)
    (chart / "dirlink").symlink_to(tmp_path)  # a link to a directory comes before the files
    assert link_out_of(chart, base, 1000) == _walked(chart, base) == (chart / "dirlink", tmp_path)
    assert link_out_of(chart, base, 0) is None  # too many entries: Helm refuses the chart itself
