from __future__ import annotations

import shutil
from pathlib import Path

import helm_python
import pytest

from helmdeck.errors import ConfigError
from helmdeck.extensions.catalog import Catalog

from .ext_support import EXT_CHARTS, write_platform

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imaging" / "extensions"


def test_directory_catalog_reads_metadata_and_reports_bad_charts() -> None:
    catalog = Catalog([str(EXT_CHARTS)]).load()
    names = [e.name for e in catalog.latest()]
    assert names == ["tiny-app", "tiny-base", "tiny-gpu", "tiny-multi", "tiny-needs-missing", "tiny-storage"]
    app = catalog.get("tiny-app")
    assert app.kind == "application"
    assert app.display_name == "Tiny app"
    assert app.description == "A small web app for tests, one per platform."
    assert app.docs == "https://example.org/tiny-app"
    assert not app.multi_install and not app.requires_gpu
    assert [str(r) for r in app.requires] == ["tiny-base>=0.1.0 <1.0.0"]
    assert catalog.get("tiny-multi").multi_install
    assert catalog.get("tiny-gpu").requires_gpu
    base = catalog.get("tiny-base")
    assert base.display_name == "Tiny base" and base.kind == "workflow"
    assert [p.source.endswith("tiny-broken-kind") for p in catalog.problems] == [True]
    assert "helmdeck.dev/kind is 'daemon'" in catalog.problems[0].message
    data = app.as_dict()
    assert data["requires"] == [{"name": "tiny-base", "constraint": ">=0.1.0 <1.0.0"}]
    assert [p["name"] for p in data["parameters"]][:2] == ["size", "tokenless"]


def test_unknown_extension_suggests() -> None:
    catalog = Catalog([str(EXT_CHARTS)])
    with pytest.raises(ConfigError, match="no extension named 'tiny-ap'") as err:
        catalog.get("tiny-ap")
    assert "did you mean 'tiny-app'" in (err.value.fix or "")


def test_tgz_single_chart_and_upload_dir_sources(tmp_path: Path) -> None:
    with helm_python.Chart.load(EXT_CHARTS / "tiny-multi") as chart:
        archive = Path(chart.save(tmp_path))
    uploads = tmp_path / "uploads"
    shutil.copytree(EXT_CHARTS / "tiny-base", uploads / "tiny-base-0.1.0")
    text = (uploads / "tiny-base-0.1.0" / "Chart.yaml").read_text().replace("version: 0.1.0", "version: 0.3.0")
    (uploads / "tiny-base-0.1.0" / "Chart.yaml").write_text(text)
    catalog = Catalog([str(archive), str(EXT_CHARTS / "tiny-base"), str(tmp_path / "missing")], uploads).load()
    assert [(e.name, e.version) for e in catalog.latest()] == [("tiny-base", "0.3.0"), ("tiny-multi", "0.1.0")]
    assert [e.version for e in catalog.versions("tiny-base")] == ["0.3.0", "0.1.0"]
    assert catalog.get("tiny-base", "0.1.0").version == "0.1.0"
    with pytest.raises(ConfigError, match=r"has no version 9\.9\.9"):
        catalog.get("tiny-base", "9.9.9")
    assert [p.message for p in catalog.problems] == [f"catalog entry {tmp_path / 'missing'} does not exist"]
    (req,) = catalog.get("tiny-multi").requires
    found = catalog.satisfying(req)
    assert found is not None and found.version == "0.3.0"


def test_platform_catalog_and_examples(tmp_path: Path) -> None:
    platform = write_platform(tmp_path, catalog=str(EXAMPLES))
    catalog = Catalog.for_platform(platform).load()
    assert catalog.problems == []
    names = {e.name: e for e in catalog.latest()}
    assert set(names) >= {"jupyterlab", "nnunet-workflow", "workflow-base"}
    nnunet = names["nnunet-workflow"]
    assert nnunet.multi_install and nnunet.requires_gpu and nnunet.kind == "workflow"
    assert [p.type for p in nnunet.parameters] == ["choice", "number", "multichoice"]
    assert any(p.secret for p in names["jupyterlab"].parameters)
