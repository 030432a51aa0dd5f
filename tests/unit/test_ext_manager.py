"""Planning extension installs and uninstalls (no cluster: live releases are given)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helmdeck.core.session import PlatformSession
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.installed import installed_extensions
from helmdeck.extensions.manager import ExtensionManager
from helmdeck.labels import COMPONENT_LABEL, EXTENSION_LABEL, PLATFORM_LABEL

from .ext_support import write_platform


def _release(component: str, extension: str, version: str = "0.1.0", status: str = "deployed") -> Release:
    return Release(
        name=component,
        namespace="extensions",
        revision=1,
        status=ReleaseStatus(status),
        chart_name=extension,
        chart_version=version,
        app_version=None,
        updated=None,
        labels={PLATFORM_LABEL: "tinyplat", COMPONENT_LABEL: component, EXTENSION_LABEL: extension},
    )


@pytest.fixture
def manager(tmp_path: Path) -> ExtensionManager:
    platform = write_platform(tmp_path)
    session = PlatformSession(platform=platform, environment="demo", kubeconfig="/nonexistent")
    return ExtensionManager(session, Catalog.for_platform(platform))


def test_required_extension_is_installed_first(manager: ExtensionManager) -> None:
    steps = manager.plan_install("tiny-app", {"profile": "minimal"}, live={})
    assert [(s.component, s.required_by) for s in steps] == [("tiny-base", "tiny-app"), ("tiny-app", None)]
    assert steps[0].parameters == {"retries": 2}
    assert steps[1].parameters["profile"] == "minimal"


def test_installed_requirement_is_used(manager: ExtensionManager) -> None:
    live = {"tiny-base": _release("tiny-base", "tiny-base")}
    assert [s.component for s in manager.plan_install("tiny-app", live=live)] == ["tiny-app"]


def test_installed_requirement_of_wrong_version_is_an_error(manager: ExtensionManager) -> None:
    live = {"tiny-base": _release("tiny-base", "tiny-base", version="1.2.0")}
    with pytest.raises(ConfigError, match=r"requires tiny-base>=0.1.0 <1.0.0, but tiny-base 1.2.0 is installed"):
        manager.plan_install("tiny-app", live=live)


def test_uninstalled_requirement_counts_as_missing(manager: ExtensionManager) -> None:
    live = {"tiny-base": _release("tiny-base", "tiny-base", status="uninstalled")}
    assert [s.component for s in manager.plan_install("tiny-app", live=live)] == ["tiny-base", "tiny-app"]


def test_requirement_the_catalog_lacks(manager: ExtensionManager) -> None:
    with pytest.raises(ConfigError, match=r"requires nowhere>=1\.0\.0, which the catalog cannot provide") as err:
        manager.plan_install("tiny-needs-missing", live={})
    assert "upload" in (err.value.fix or "")


def test_single_install_refuses_a_second(manager: ExtensionManager) -> None:
    live = {"tiny-base": _release("tiny-base", "tiny-base")}
    with pytest.raises(ConfigError, match=r"tiny-base is already installed .* not multi-install") as err:
        manager.plan_install("tiny-base", live=live)
    assert "uninstall it first" in (err.value.fix or "")
    with pytest.raises(ConfigError, match="takes no instance name"):
        manager.plan_install("tiny-app", instance_name="x", live={})


def test_multi_install_names(manager: ExtensionManager) -> None:
    live = {"tiny-base": _release("tiny-base", "tiny-base")}
    (step,) = manager.plan_install("tiny-multi", {"task": "lung"}, instance_name="lung", live=live)
    assert step.component == "tiny-multi-lung" and step.parameters == {"task": "lung"}
    (auto,) = manager.plan_install("tiny-multi", live=live)
    assert auto.component.startswith("tiny-multi-") and len(auto.component) == len("tiny-multi-") + 6
    live["tiny-multi-lung"] = _release("tiny-multi-lung", "tiny-multi")
    with pytest.raises(ConfigError, match="already has an install named lung"):
        manager.plan_install("tiny-multi", instance_name="lung", live=live)
    with pytest.raises(ConfigError, match="is not a DNS label"):
        manager.plan_install("tiny-multi", instance_name="Bad_Name", live=live)
    with pytest.raises(ConfigError, match="longer than 53"):
        manager.plan_install("tiny-multi", instance_name="x" * 50, live=live)


def test_name_of_a_platform_component_is_refused(tmp_path: Path) -> None:
    platform = write_platform(tmp_path)
    platform.spec.components[0].name = "tiny-base"
    mgr = ExtensionManager(PlatformSession(platform=platform, kubeconfig="/x"), Catalog.for_platform(platform))
    with pytest.raises(ConfigError, match="has the name of a component"):
        mgr.plan_install("tiny-base", live={})


def test_bad_parameters_fail_before_anything(manager: ExtensionManager) -> None:
    with pytest.raises(ConfigError, match="parameter replicas: 9 must be at most 3"):
        manager.plan_install("tiny-app", {"replicas": "9"}, live={})


def test_gpu_extension_refused_when_platform_has_gpus_off(tmp_path: Path) -> None:
    platform = write_platform(tmp_path, gpu="off")
    mgr = ExtensionManager(PlatformSession(platform=platform, kubeconfig="/x"), Catalog.for_platform(platform))
    with pytest.raises(ConfigError, match="needs a GPU, and the platform has GPUs turned off"):
        mgr.plan_install("tiny-gpu", live={})


def test_desired_extension_values_labels_and_render(manager: ExtensionManager) -> None:
    steps = manager.plan_install("tiny-app", {"profile": "pytorch", "modalities": "CT,MR"}, live={})
    d = manager.desired(steps[1])
    assert d.namespace == "extensions" and d.release == "tiny-app"
    assert d.values["parameters"]["profile"] == "pytorch"
    assert d.values["global"]["domain"] == "demo.example.test"
    assert "namespaces" not in d.values["global"]  # the chart's global schema is closed
    labels = d.labels("tinyplat", "demo")
    assert labels[EXTENSION_LABEL] == "tiny-app" and labels[PLATFORM_LABEL] == "tinyplat"
    assert labels[COMPONENT_LABEL] == "tiny-app"
    (deployment,) = d.rendered.manifests
    annotations = deployment.metadata["annotations"]
    assert annotations["tiny.test/modalities"] == "CT,MR" and annotations["tiny.test/domain"] == "demo.example.test"


def test_installed_and_dependents(manager: ExtensionManager) -> None:
    live = {
        "web": Release("web", "services", 1, ReleaseStatus.DEPLOYED, "tiny-base", "0.1.0", None, None),
        "tiny-base": _release("tiny-base", "tiny-base"),
        "tiny-app": _release("tiny-app", "tiny-app", version="0.2.0"),
        "tiny-multi-a": _release("tiny-multi-a", "tiny-multi"),
        "gone": _release("gone", "tiny-gpu", status="uninstalled"),
    }
    installed = installed_extensions(live)
    assert [i.component for i in installed] == ["tiny-app", "tiny-base", "tiny-multi-a"]
    base = manager.find("tiny-base", live)
    assert sorted(manager.dependents(base, installed)) == ["tiny-app", "tiny-multi-a"]
    assert manager.dependents(manager.find("tiny-app", live), installed) == []
    with pytest.raises(ConfigError, match="no installed extension named 'gone'"):
        manager.find("gone", live)
    live["tiny-multi-b"] = _release("tiny-multi-b", "tiny-multi")
    with pytest.raises(ConfigError, match="installed 2 times"):
        manager.find("tiny-multi", live)
    assert manager.find("tiny-multi-b", live).extension == "tiny-multi"
