from __future__ import annotations

from pathlib import Path

from helmdeck.engine import load_chart
from helmdeck.extensions.shared_values import environment_globals, shared_values

from .ext_support import EXT_CHARTS, write_platform


def test_shared_values_from_platform_and_environment(tmp_path: Path) -> None:
    platform = write_platform(tmp_path, instance="lab2")
    assert environment_globals(platform, "demo") == {"domain": "demo.example.test"}
    assert environment_globals(platform, None) == {}
    shared = shared_values(platform, "demo")
    assert shared["domain"] == "demo.example.test"
    assert shared["instance"] == "lab2"
    assert shared["registry"] == "registry.example.test/lab"
    assert shared["fastDataDir"].startswith("/data/fast") and shared["slowDataDir"].startswith("/data/slow")
    assert shared["namespaces"]["extensions"] == "lab2-extensions"


def test_keys_a_closed_global_schema_does_not_declare_are_left_out(tmp_path: Path) -> None:
    platform = write_platform(tmp_path)
    chart = load_chart(str(EXT_CHARTS / "tiny-app"))
    shared = shared_values(platform, "demo", chart.values_schema)
    assert set(shared) <= {"domain", "registry", "instance", "fastDataDir", "slowDataDir"}
    assert shared["domain"] == "demo.example.test"
    open_schema = load_chart(str(EXT_CHARTS / "tiny-base")).values_schema
    assert "namespaces" in shared_values(platform, "demo", open_schema)
