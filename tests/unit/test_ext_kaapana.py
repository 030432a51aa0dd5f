"""Kaapana's extension charts in a helmdeck catalog: keywords, ``extension_params`` as typed
parameters passed where Kaapana passes them (``global.NAME``), helmdeck's metadata first, and
malformed Kaapana metadata named by chart, file and key."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from helmdeck.cli import ext_cmds
from helmdeck.core.session import PlatformSession
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.install_values import default_parameters
from helmdeck.extensions.manager import ExtensionManager
from helmdeck.extensions.upload import MiB, UploadPolicy, UploadRejected, accept_upload
from helmdeck.labels import COMPONENT_LABEL, EXTENSION_LABEL, PLATFORM_LABEL

from .ext_support import write_platform

KAAPANA_CHARTS = Path(__file__).parent / "charts" / "kaapana"
SEGMENTER_VALUES = (KAAPANA_CHARTS / "kaapana-segmenter" / "values.yaml").read_text()


@pytest.fixture
def manager(tmp_path: Path) -> ExtensionManager:
    platform = write_platform(tmp_path, catalog=str(KAAPANA_CHARTS))
    session = PlatformSession(platform=platform, environment="demo", kubeconfig="/nonexistent")
    return ExtensionManager(session, Catalog.for_platform(platform))


def _live(component: str, extension: str) -> Release:
    labels = {PLATFORM_LABEL: "tinyplat", COMPONENT_LABEL: component, EXTENSION_LABEL: extension}
    return Release(component, "extensions", 1, ReleaseStatus.DEPLOYED, extension, "0.2.0", None, None, labels=labels)


def _configmap_data(manager: ExtensionManager, name: str, params: dict[str, str], **kw: str) -> dict[str, str]:
    step = manager.plan_install(name, params, live={}, **kw)[-1]
    (configmap,) = manager.desired(step).rendered.manifests
    return dict(configmap.body["data"])


def test_keywords_annotations_and_extension_params_are_read() -> None:
    catalog = Catalog([str(KAAPANA_CHARTS)]).load()
    assert catalog.problems == []
    seg = catalog.get("kaapana-segmenter")
    assert (seg.kind, seg.multi_install, seg.requires_gpu, seg.flags) == ("workflow", True, False, ("experimental",))
    assert seg.display_name == "Segmenter" and seg.docs == "user_guide/extensions.html#segmenter"
    assert seg.parameter_style == "kaapana"
    params = {p.name: p for p in seg.parameters}
    assert "setup" not in params  # a group_name heading of Kaapana's dialog, not a parameter
    tasks = params["task_ids"]
    assert tasks.type == "multichoice" and tasks.required
    assert tasks.choices == ("Task002_Heart", "Task003_Liver", "Task006_Lung")
    assert tasks.default == ["Task002_Heart", "Task003_Liver"] and tasks.title == "Tasks whose models are fetched"
    assert (params["model"].type, params["model"].default) == ("choice", "3d_fullres")
    assert (params["display_name"].type, params["display_name"].default) == ("string", "segmenter")
    fast = params["fast_mode"]
    assert (fast.type, fast.default, fast.required) == ("boolean", False, False)
    assert fast.description == "faster, slightly less accurate"

    assert default_parameters(seg) == {
        "display_name": "segmenter",
        "fast_mode": False,
        "model": "3d_fullres",
        "task_ids": ["Task002_Heart", "Task003_Liver"],
    }

    viewer = catalog.get("kaapana-viewer")
    assert (viewer.kind, viewer.multi_install, viewer.flags) == ("application", False, ("kaapana-internal",))
    assert viewer.parameter("dark_mode").default is True  # "true" in values.yaml
    data = viewer.as_dict()
    assert data["parameterStyle"] == "kaapana" and data["flags"] == ["kaapana-internal"]


def test_parameters_reach_the_templates_as_kaapana_passes_them(manager: ExtensionManager) -> None:
    steps = manager.plan_install(
        "kaapana-segmenter", {"task_ids": "Task006_Lung,Task002_Heart", "fast_mode": "yes"}, live={}
    )
    d = manager.desired(steps[-1])
    assert "parameters" not in d.values
    shared = d.values["global"]
    assert shared["task_ids"] == "Task006_Lung,Task002_Heart"  # joined with commas, as Kaapana's dialog does
    assert shared["fast_mode"] is True and shared["model"] == "3d_fullres"
    assert shared["domain"] == "demo.example.test"  # the platform's globals are still there
    (configmap,) = d.rendered.manifests
    assert configmap.body["data"] == {
        "TASK_IDS": "Task006_Lung,Task002_Heart",
        "MODEL": "3d_fullres",
        "DISPLAY_NAME": "segmenter",
        "FAST_MODE": "on",
        "ACTION": "copy",  # the chart's own global default survives
    }
    viewer = _configmap_data(manager, "kaapana-viewer", {"exclude_patterns": "*.tmp", "dark_mode": "false"})
    assert viewer == {"EXCLUDE": "*.tmp", "THEME": "light", "PATH": "viewer"}


def test_multi_install_follows_the_keyword(manager: ExtensionManager) -> None:
    live = {"kaapana-segmenter-lung": _live("kaapana-segmenter-lung", "kaapana-segmenter")}
    with pytest.raises(ConfigError, match="already has an install named lung"):
        manager.plan_install("kaapana-segmenter", instance_name="lung", live=live)
    (step,) = manager.plan_install("kaapana-segmenter", instance_name="heart", live=live)
    assert step.component == "kaapana-segmenter-heart"
    with pytest.raises(ConfigError, match="installed once per platform"):
        manager.plan_install("kaapana-viewer", instance_name="two", live={})
    with pytest.raises(ConfigError, match="kaapana-viewer is already installed"):
        manager.plan_install("kaapana-viewer", live={"kaapana-viewer": _live("kaapana-viewer", "kaapana-viewer")})


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"model": "4d"}, "'4d' is not a choice"),
        ({"task_ids": "Task999_Nope"}, "'Task999_Nope' is not a choice"),
        ({"task_ids": ""}, "must have at least 1 choices"),
        ({"display_name": ""}, "at least 1 characters"),
        ({"nope": "x"}, "has no parameter 'nope'"),
    ],
)
def test_values_checked_like_kaapanas_dialog(manager: ExtensionManager, params: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        manager.plan_install("kaapana-segmenter", params, live={})


def test_helmdeck_metadata_wins(tmp_path: Path) -> None:
    chart = tmp_path / "kaapana-segmenter"
    shutil.copytree(KAAPANA_CHARTS / "kaapana-segmenter", chart)
    text = (chart / "Chart.yaml").read_text()
    (chart / "Chart.yaml").write_text(
        text + '  helmdeck.dev/kind: application\n  helmdeck.dev/multi-install: "false"\n'
        "  helmdeck.dev/display-name: Segmenter (helmdeck)\n"
    )
    schema = {"properties": {"parameters": {"properties": {"size": {"type": "integer", "default": 3}}}}}
    (chart / "values.schema.json").write_text(json.dumps(schema))
    # broken Kaapana parameters are not read once helmdeck's schema declares the parameters
    (chart / "values.yaml").write_text(SEGMENTER_VALUES.replace('type: "list_single"', "type: dropdown"))
    ext = Catalog([str(chart)]).load().get("kaapana-segmenter")
    assert (ext.kind, ext.multi_install, ext.display_name) == ("application", False, "Segmenter (helmdeck)")
    assert ext.parameter_style == "helmdeck" and [p.name for p in ext.parameters] == ["size"]
    assert ext.flags == ("experimental",) and ext.docs == "user_guide/extensions.html#segmenter"
    assert default_parameters(ext) == {}


BAD_VALUES = {
    "unknown type": ('type: "list_single"', "type: dropdown", "extension_params.model.type is 'dropdown'"),
    "missing type": ('    type: "list_single"\n', "", "extension_params.model.type is missing"),
    "choices not a list": (
        'value: ["2d", "3d_fullres", "3d_lowres"]',
        "value: 2d",
        "extension_params.model.value is not a list of choices",
    ),
    "default outside the choices": (
        'default: "3d_fullres"',
        'default: "4d"',
        "extension_params.model.default is '4d', not one of its value list",
    ),
    "default twice": (
        'default: ["Task002_Heart", "Task003_Liver"]',
        'default: ["Task002_Heart", "Task002_Heart"]',
        "extension_params.task_ids.default lists a choice twice",
    ),
    "bool default": ("default: false", "default: maybe", "extension_params.fast_mode.default is 'maybe'"),
    "entry not a mapping": ("  fast_mode:\n", "  fast_mode: yes\n  other:\n", "extension_params.fast_mode is not a"),
    "params not a mapping": ("extension_params:\n", "extension_params: [a]\nunused:\n", "extension_params is not a"),
    "definition not text": (
        'definition: "Model variant"',
        "definition: {a: b}",
        "extension_params.model.definition is not text",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_extension_params_name_chart_file_and_key(tmp_path: Path, case: str) -> None:
    old, new, expected = BAD_VALUES[case]
    assert old in SEGMENTER_VALUES
    chart = tmp_path / "kaapana-segmenter"
    shutil.copytree(KAAPANA_CHARTS / "kaapana-segmenter", chart)
    (chart / "values.yaml").write_text(SEGMENTER_VALUES.replace(old, new, 1))
    catalog = Catalog([str(chart)]).load()
    assert catalog.extensions == []
    (problem,) = catalog.problems
    assert problem.message.startswith("chart kaapana-segmenter: values.yaml ")
    assert expected in problem.message and problem.fix


def test_platform_chart_is_not_an_extension(tmp_path: Path) -> None:
    chart = tmp_path / "kaapana-viewer"
    shutil.copytree(KAAPANA_CHARTS / "kaapana-viewer", chart)
    (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text().replace("kaapanaint", "kaapanaplatform"))
    (problem,) = Catalog([str(chart)]).load().problems
    assert "keywords mark it kaapanaplatform" in problem.message


def _upload_archive(values: str) -> bytes:
    raw = io.BytesIO()
    chart_dir = KAAPANA_CHARTS / "kaapana-segmenter"
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path in sorted(chart_dir.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if path.name == "values.yaml":
                data = values.encode()
            info = tarfile.TarInfo(f"kaapana-segmenter/{path.relative_to(chart_dir)}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_upload_reads_kaapana_metadata_and_refuses_bad_params(tmp_path: Path) -> None:
    policy = UploadPolicy(admin_namespace="lab-admin", extensions_namespace="lab-extensions", max_archive_bytes=MiB)
    uploads = tmp_path / "state" / "uploads"
    result = accept_upload(_upload_archive(SEGMENTER_VALUES), "kaapana-segmenter-0.2.0.tgz", uploads, policy)
    assert result.extension.multi_install and result.extension.parameter_style == "kaapana"
    bad = SEGMENTER_VALUES.replace('default: "3d_fullres"', "default: 7")
    with pytest.raises(UploadRejected) as err:
        accept_upload(_upload_archive(bad), "kaapana-segmenter-0.2.0.tgz", tmp_path / "other", policy)
    assert "chart kaapana-segmenter: values.yaml extension_params.model.default is 7" in err.value.message
    assert not (tmp_path / "other").exists()


def test_ext_show_names_flags_and_kaapana_parameters(tmp_path: Path) -> None:
    write_platform(tmp_path, catalog=str(KAAPANA_CHARTS))
    app = typer.Typer()
    app.callback()(lambda: None)
    ext_cmds.register(app)
    args = ["ext", "show", "kaapana-segmenter", "-f", str(tmp_path / "platform.yaml"), "--state-dir", str(tmp_path)]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "Segmenter (kaapana-segmenter 0.2.0, workflow)" in shown.output
    assert "multi-install, experimental, Kaapana parameters (global.NAME)" in shown.output
    assert "one of 2d, 3d_fullres, 3d_lowres" in shown.output
