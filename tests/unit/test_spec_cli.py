"""The schema, values and secrets commands, through Typer (no cluster: secrets use the memory store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from helmdeck.cli import output, spec_cmds
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.secrets import MemoryStore
from helmdeck.spec import Platform

FIXTURE = Path(__file__).parent / "fixtures" / "dashboards" / "platform.yaml"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    # tables would wrap at the 80 columns Rich assumes without a terminal
    monkeypatch.setattr(output.console, "_width", 250)
    app = typer.Typer()
    spec_cmds.register(app)
    return app


def run(app: typer.Typer, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def test_schema_prints_json(app: typer.Typer) -> None:
    schema = json.loads(run(app, "schema"))
    assert schema["title"] == "helmdeck platform"


def test_values_json_is_merged_and_redacted(app: typer.Typer) -> None:
    out = json.loads(run(app, "values", "backend", "-f", str(FIXTURE), "-e", "demo", "-o", "json"))
    assert out["component"] == "backend" and out["environment"] == "demo"
    assert out["values"]["replicas"] == 1
    assert out["values"]["minio"]["password"] == "<redacted:minio-root-password>"
    assert out["values"]["auth"]["google"]["secret"] == "<redacted:oauth-secret>"


def test_values_with_extra_files_and_sets(app: typer.Typer, tmp_path: Path) -> None:
    extra = tmp_path / "more.yaml"
    extra.write_text("replicas: 5\nextra: yes\n")
    out = json.loads(
        run(app, "values", "backend", "-f", str(FIXTURE), "--values", str(extra), "--set", "image.tag=9", "-o", "json")
    )
    assert out["values"]["replicas"] == 5 and out["values"]["extra"] is True
    assert out["values"]["image"]["tag"] == 9


def test_values_human_output_is_yaml(app: typer.Typer) -> None:
    text = run(app, "values", "mongo", "-f", str(FIXTURE), "-e", "demo")
    assert "size: 1Gi" in text


def test_explain_human_shows_each_layer_with_file_and_line(app: typer.Typer) -> None:
    text = run(app, "values", "backend", "-f", str(FIXTURE), "-e", "demo", "--explain", "replicas")
    for location in ("backend/values.yaml:1", "values/backend.yaml:1", "platform.yaml:40", "env/demo.yaml:4"):
        assert location in text
    assert "final value of replicas: 1" in text


def test_explain_json(app: typer.Typer) -> None:
    out = json.loads(run(app, "values", "backend", "-f", str(FIXTURE), "--explain", "minio.password", "-o", "json"))
    assert out["found"] is True and out["value"] == "<redacted:minio-root-password>"
    assert [layer["layer"] for layer in out["layers"]] == ["chart", "secret"]
    assert out["layers"][1]["overrode"] == ""


def test_explain_an_unknown_key_suggests_one(app: typer.Typer) -> None:
    with pytest.raises(ConfigError) as caught:
        run(app, "values", "backend", "-f", str(FIXTURE), "--explain", "replica")
    assert (caught.value.fix or "").startswith("did you mean 'replicas'?")


def test_values_errors_are_config_errors(app: typer.Typer) -> None:
    with pytest.raises(ConfigError, match="no environment named 'prod'"):
        run(app, "values", "backend", "-f", str(FIXTURE), "-e", "prod")
    with pytest.raises(ConfigError, match="is not a value path"):
        run(app, "values", "backend", "-f", str(FIXTURE), "--set", "a[-1]=1")


# --- secrets ------------------------------------------------------------------------------


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> dict[str, MemoryStore]:
    """Replace the cluster store by one memory store per platform, shared by the commands."""
    made: dict[str, MemoryStore] = {}

    def open_store(platform: Platform, kubeconfig: Path | None) -> MemoryStore:
        if platform.name not in made:
            made[platform.name] = MemoryStore(platform, environ={"DASH_OAUTH_SECRET": "oauth-value-from-env"})
        return made[platform.name]

    monkeypatch.setattr(spec_cmds, "open_store", open_store)
    return made


def test_secrets_list_before_and_after_ensure(app: typer.Typer, stores: dict[str, MemoryStore]) -> None:
    out = json.loads(run(app, "secrets", "list", "-f", str(FIXTURE), "-o", "json"))
    assert [(s["name"], s["source"], s["stored"]) for s in out["secrets"]] == [
        ("minio-root-password", "generate", False),
        ("oauth-secret", "env:DASH_OAUTH_SECRET", False),
    ]
    values = stores["dashboards"].ensure()
    text = run(app, "secrets", "list", "-f", str(FIXTURE))
    assert "minio-root-password" in text and "env:DASH_OAUTH_SECRET" in text
    assert values
    for value in values.values():
        assert value not in text


def test_secrets_show_hides_the_value_unless_revealed(app: typer.Typer, stores: dict[str, MemoryStore]) -> None:
    run(app, "secrets", "list", "-f", str(FIXTURE))
    value = stores["dashboards"].ensure()["minio-root-password"]
    hidden = run(app, "secrets", "show", "minio-root-password", "-f", str(FIXTURE))
    assert value not in hidden and "<redacted:minio-root-password>" in hidden
    hidden_json = json.loads(run(app, "secrets", "show", "minio-root-password", "-f", str(FIXTURE), "-o", "json"))
    assert hidden_json["value"] == "<redacted:minio-root-password>"
    assert run(app, "secrets", "show", "minio-root-password", "--reveal", "-f", str(FIXTURE)) == value + "\n"
    shown = json.loads(run(app, "secrets", "show", "minio-root-password", "--reveal", "-f", str(FIXTURE), "-o", "json"))
    assert shown["value"] == value


def test_secrets_rotate(app: typer.Typer, stores: dict[str, MemoryStore]) -> None:
    run(app, "secrets", "list", "-f", str(FIXTURE))
    before = stores["dashboards"].ensure()["minio-root-password"]
    out = json.loads(run(app, "secrets", "rotate", "minio-root-password", "-f", str(FIXTURE), "-o", "json"))
    assert out["rotated"] is not None and "value" not in out
    assert stores["dashboards"].ensure()["minio-root-password"] != before
    with pytest.raises(ConfigError, match="declares no secret named"):
        run(app, "secrets", "rotate", "nope", "-f", str(FIXTURE))


def test_a_broken_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    from helmdeck.spec import load_platform

    broken = tmp_path / "kubeconfig"
    broken.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n")
    with pytest.raises(HelmdeckError, match="the kubeconfig names no cluster"):
        spec_cmds.open_store(load_platform(FIXTURE), broken)
