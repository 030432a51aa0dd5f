"""One set of YAML limits for every file helmdeck or Helm reads, checked on libyaml's events before
any parser builds anything: the platform's files, every YAML file Helm loads from a chart (its
subcharts' included, archived or not), uploads and rendered manifests."""

from __future__ import annotations

import io
import shutil
import tarfile
import time
from pathlib import Path

import pytest

from helmdeck.engine.charts import ChartCache, check_chart_yaml, load_chart
from helmdeck.errors import ConfigError
from helmdeck.manifests.parse import parse_documents
from helmdeck.yaml_limits import MAX_DEPTH, check_yaml_structure
from tests.unit.hostile_support import HOSTILE

CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"


def _bomb(fan: int = 10, levels: int = 8) -> str:
    lines = ["a0: &a0 [" + ", ".join(["x"] * fan) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _strings(size: int = 100_000) -> str:
    """About 100 KB that Go's yaml decoder (few aliases) expands to 100 MB of text."""
    text = f's: &s "{"x" * size}"\n'
    text += "l1: &l1 [" + ", ".join(["*s"] * 10) + "]\n"
    text += "l2: &l2 [" + ", ".join(["*l1"] * 10) + "]\n"
    return text + "l3: [" + ", ".join(["*l2"] * 10) + "]\n"


def _chart(root: Path, name: str, values: str = "a: 1\n") -> Path:
    (root / name / "templates").mkdir(parents=True)
    (root / name / "Chart.yaml").write_text(CHART.format(name=name))
    (root / name / "values.yaml").write_text(values)
    (root / name / "templates" / "cm.yaml").write_text(CM)
    return root / name


def _tgz(chart: Path) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        tar.add(chart, arcname=chart.name)
    return raw.getvalue()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_bomb(), "its aliases expand to more than 500,000 values"),
        (_strings(), "its aliases expand to more than 64 MiB of text"),
        ("x: " + "[" * 30000 + "]" * 30000 + "\n", f"values nested more than {MAX_DEPTH} levels deep"),
        ("a: &a [1, *a]\n", "an alias refers to a value that contains it"),
    ],
    ids=["fan-out", "long-strings", "brackets", "recursive"],
)
def test_structure_limits(text: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError, match=message):
        check_yaml_structure(text, "f.yaml")
    assert time.monotonic() - started < 2


def test_what_real_files_hold_passes() -> None:
    check_yaml_structure(_bomb(fan=10, levels=4) + "b: [1, 2, {c: d}]\n---\nother: document\n", "f.yaml")
    check_yaml_structure("not: [valid\n", "f.yaml")  # syntax is the parser's to report


def test_anchors_are_per_document() -> None:
    docs = "\n---\n".join(f"a: &a [{', '.join(['x'] * 1000)}]\nb: [*a, *a]" for _ in range(50))
    check_yaml_structure(docs, "f.yaml")  # 50 documents of 3,000 values each


@pytest.mark.parametrize("archived", [False, True], ids=["directory", "archive"])
def test_a_subcharts_values_are_checked_before_helm_reads_them(tmp_path: Path, archived: bool) -> None:
    parent = _chart(tmp_path, "parent")
    (parent / "Chart.yaml").write_text(
        CHART.format(name="parent") + "dependencies:\n  - name: sub\n    version: 0.1.0\n"
    )
    (parent / "charts").mkdir()
    sub = _chart(tmp_path / "src", "sub", _strings())
    if archived:
        (parent / "charts" / "sub-0.1.0.tgz").write_bytes(_tgz(sub))
    else:
        shutil.copytree(sub, parent / "charts" / "sub")
    with pytest.raises(ConfigError, match=r"sub/values.yaml.*64 MiB of text"):
        load_chart(parent, cache=ChartCache())


def test_a_chart_archive_is_checked(tmp_path: Path) -> None:
    archive = tmp_path / "bomb-0.1.0.tgz"
    archive.write_bytes(_tgz(_chart(tmp_path, "bomb", _bomb())))
    with pytest.raises(ConfigError, match=r"bomb-0.1.0.tgz:bomb/values.yaml.*500,000 values"):
        check_chart_yaml(archive)


def test_corpus_values_are_refused_before_helm(tmp_path: Path) -> None:
    for name, message in (("alias-bomb", "500,000 values"), ("deep-nesting", "levels deep")):
        with pytest.raises(ConfigError, match=message):
            check_chart_yaml(HOSTILE / name)


def test_rendered_manifests_meet_the_same_limits() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n" + "".join(
        "  " + line + "\n" for line in _bomb().splitlines()
    )
    with pytest.raises(ConfigError, match="500,000 values"):
        list(parse_documents(text, source="c/templates/cm.yaml", component="c"))
    plain = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"
    assert [o.name for o in parse_documents(plain, source="c/templates/cm.yaml")] == ["x"]
