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


def test_an_answer_resolves_as_itself_without_a_look(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reading resolves the platform's paths while validating them, then checks where the answers
    lie: the answers are not looked up again (that was half of the check at 1000 components)."""
    real = RealPaths()
    paths = [tree / "real" / "sub" / "f.yaml", tree / "dirlink" / "sub" / "f.yaml", tree / "real" / "filelink"]
    answers = [real.resolve(p) for p in paths]
    expected = [p.resolve() for p in paths]
    looks: list[object] = []
    lstat = os.lstat

    def counted(path: object, *args: object, **kwargs: object) -> os.stat_result:
        looks.append(path)
        return lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", counted)
    again = [real.resolve(a) for a in answers]
    assert looks == []
    assert again == expected


def test_a_reading_looks_up_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helmdeck.spec import load_platform

    monkeypatch.delenv("HELMDECK_ALLOW_OUTSIDE", raising=False)  # where the files lie is checked
    components = []
    for i in range(5):
        chart = tmp_path / "charts" / f"c{i}"
        chart.mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: c{i}\nversion: 0.1.0\n")
        (tmp_path / f"c{i}.yaml").write_text("a: 1\n")
        components.append(f"    - {{name: c{i}, chart: charts/c{i}, values: [c{i}.yaml]}}")
    platform = tmp_path / "platform.yaml"
    platform.write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n  components:\n"
        + "\n".join(components)
        + "\n"
    )
    looks: list[str] = []
    lstat = os.lstat

    def counted(path: object, *args: object, **kwargs: object) -> os.stat_result:
        looks.append(str(path))
        return lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", counted)
    assert len(load_platform(platform).components) == 5
    values_looks = [p for p in looks if Path(p).name.startswith("c") and p.endswith(".yaml")]
    assert sorted(values_looks) == sorted(str(tmp_path / f"c{i}.yaml") for i in range(5))
