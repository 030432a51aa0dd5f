"""The conventions every command shares: -o table|wide|json|yaml, --debug and --no-color anywhere on
the line, shell completion, and tables that keep names whole at 80 columns."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from helmdeck.cli import output
from helmdeck.cli.deploy_cmds import print_status
from helmdeck.cli.main import _global_flags
from helmdeck.core.status import ComponentStatus, PlatformStatus
from tests.unit.cli_support import run_helmdeck as helmdeck

FIXTURE = Path(__file__).parent / "fixtures" / "dashboards" / "platform.yaml"


def test_yaml_output_is_the_json_shape() -> None:
    as_json = helmdeck("validate", "-f", str(FIXTURE), "-o", "json")
    as_yaml = helmdeck("validate", "-f", str(FIXTURE), "-o", "yaml")
    assert as_json.returncode == as_yaml.returncode == 0, as_yaml.stderr
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)
    assert not as_yaml.stdout.lstrip().startswith("{")


def test_an_error_is_data_in_the_format_asked_for(tmp_path: Path) -> None:
    broken = tmp_path / "platform.yaml"
    broken.write_text("apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: x}\nspec: {components: 3}\n")
    for fmt, load in (("yaml", yaml.safe_load), ("json", json.loads)):
        run = helmdeck("validate", "-f", str(broken), f"-o{fmt}")
        assert run.returncode != 0
        data = load(run.stdout)
        assert isinstance(data, dict) and "expected a list" in data["error"] and str(broken) in data["where"]
        assert "Traceback" not in run.stderr


def test_table_and_wide_are_formats_and_an_unknown_one_is_refused() -> None:
    for fmt in ("table", "wide", "human"):
        run = helmdeck("validate", "-f", str(FIXTURE), "-o", fmt)
        assert run.returncode == 0 and "\nvalid: 3 components rendered" in run.stdout, run.stderr
    bad = helmdeck("validate", "-f", str(FIXTURE), "-o", "xml")
    assert bad.returncode == 2 and "xml" in bad.stderr and "Traceback" not in bad.stderr


def test_debug_and_no_color_anywhere_on_the_line() -> None:
    assert _global_flags(["validate", "--debug", "-f", "x", "--no-color"]) == (
        ["validate", "-f", "x"],
        {"--debug", "--no-color"},
    )
    # after `--` they are arguments, not flags
    assert _global_flags(["x", "--", "--debug"]) == (["x", "--", "--debug"], set())
    run = helmdeck("validate", "-f", str(FIXTURE), "--no-color", "--debug")
    assert run.returncode == 0 and "\x1b[" not in run.stdout + run.stderr, run.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    run = helmdeck("completion", shell)
    assert run.returncode == 0 and "_HELMDECK_COMPLETE" in run.stdout, run.stderr


def test_completion_answers_commands_and_option_values() -> None:
    commands = helmdeck(_HELMDECK_COMPLETE="complete_bash", COMP_WORDS="helmdeck sta", COMP_CWORD="1")
    assert commands.stdout.split() == ["status"]
    formats = helmdeck(_HELMDECK_COMPLETE="complete_bash", COMP_WORDS="helmdeck status -o ", COMP_CWORD="3")
    assert {"table", "wide", "json", "yaml"} <= set(formats.stdout.split())


def _status() -> PlatformStatus:
    long = "extension-with-a-rather-long-name-for-a-narrow-terminal"
    components = [
        ComponentStatus(
            long, f"{long}-release", "research-platform-services", "deployed", 3, "viewer-1.2.3", "healthy"
        ),
        ComponentStatus(
            "backend",
            "backend",
            "research-platform-services",
            "deployed",
            1,
            "backend-0.4.0",
            "failed",
            "Deployment/backend: 0/2 replicas available; pod backend-5f9 crash loop",
            objects=[{"object": {"kind": "Deployment", "name": "backend"}}],
        ),
    ]
    return PlatformStatus("research", components)


def _printed(monkeypatch: pytest.MonkeyPatch, *, wide: bool) -> str:
    out = io.StringIO()
    monkeypatch.setattr(output, "console", Console(file=out, width=80, no_color=True, soft_wrap=True))
    monkeypatch.setattr(output.chosen, "wide", wide)
    print_status(_status())
    return out.getvalue()


def test_status_table_keeps_names_whole_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _printed(monkeypatch, wide=False)
    assert max(len(line) for line in text.splitlines()) <= 80
    # a name is shown on one line (cut with an ellipsis when it must be), never split over two
    assert "rather-long" not in "".join(line for line in text.splitlines() if "extension-" not in line)


def test_wide_status_shows_release_and_unready_objects_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _printed(monkeypatch, wide=True)
    assert "extension-with-a-rather-long-name-for-a-narrow-terminal-release" in text
    assert "Deployment/backend" in text and "not ready" in text
