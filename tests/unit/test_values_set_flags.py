"""``--set-string``, ``--set-json`` and ``--set-file``: Helm's meaning of each flag, Helm's order
between them, provenance naming the flag, the component rule, and the saved plan's digests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helmdeck.errors import ConfigError
from helmdeck.plan.plan_file import seal
from helmdeck.plan.planner import make_plan
from helmdeck.plan.reviewed import record_plan, verify_plan
from helmdeck.spec import Platform, load_platform
from helmdeck.values import compute_values, load_chart_defaults, parse_set
from helmdeck.values.layers import check_umbrella_input
from helmdeck.values.set_expressions import SetFlag, in_helm_order
from tests.fakes import fake_session, write_platform_file

FIXTURE = Path(__file__).parent / "fixtures" / "dashboards"
SECRETS = {"minio-root-password": "m1n10-R00t-pa55w0rd-0123456789ab", "oauth-secret": "goog-0auth-s3cret"}
HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


@pytest.fixture
def platform() -> Platform:
    return load_platform(FIXTURE / "platform.yaml")


def _backend(platform: Platform, *sets: str | SetFlag) -> dict[str, object]:
    return compute_values(
        platform,
        "backend",
        chart_defaults=load_chart_defaults(platform.component("backend")),
        cli_sets=sets,
        secret_values=SECRETS,
        umbrella=True,
    ).merged


@pytest.mark.parametrize(
    ("flag", "expression", "expected"),
    [
        ("--set-string", "global.dicom_port=31112", {"global": {"dicom_port": "31112"}}),
        ("--set-string", "a=true,b=null,c={1,2}", {"a": "true", "b": "null", "c": ["1", "2"]}),
        ("--set-json", 'a.ports=[80,443],b={"c":null}', {"a": {"ports": [80, 443]}, "b": {"c": None}}),
        ("--set-json", '{"a": {"b": [1, "x"]}}', {"a": {"b": [1, "x"]}}),  # Helm 4: one JSON object
        ("--set", "global.dicom_port=31112", {"global": {"dicom_port": 31112}}),
    ],
)
def test_each_flag_reads_values_as_helm_does(flag: str, expression: str, expected: dict[str, object]) -> None:
    assert parse_set(expression, flag) == expected


def test_set_file_reads_the_file_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN-----\nabc\n")
    monkeypatch.chdir(tmp_path)
    assert parse_set("tls.ca=ca.pem", "--set-file") == {"tls": {"ca": "-----BEGIN-----\nabc\n"}}


@pytest.mark.parametrize(
    ("flag", "expression", "detail"),
    [
        ("--set-file", "a=/nonexistent/file.pem", "/nonexistent/file.pem"),
        ("--set-json", "a=[1,", "cannot parse --set-json"),
        ("--set-json", '{"a": 1', "cannot parse --set-json"),
        ("--set-json", "[1, 2]", "cannot parse --set-json"),  # Helm reads a non-object as KEY=JSON
        ("--set-string", "a..b=1", "'a..b' is not a value path"),
    ],
)
def test_errors_name_the_flag(flag: str, expression: str, detail: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_set(expression, flag)
    assert caught.value.where == flag
    assert flag in caught.value.message and detail.lower() in caught.value.message.lower()
    assert caught.value.fix


def test_flags_apply_in_helms_order_whatever_the_command_line_order(platform: Platform) -> None:
    # Helm: --values < --set-json < --set < --set-string < --set-file
    given = [
        SetFlag("--set-string", "backend.replicas=4"),
        SetFlag("--set", "backend.replicas=3"),
        SetFlag("--set-json", "backend.replicas=2"),
    ]
    assert [f.flag for f in in_helm_order(given)] == ["--set-json", "--set", "--set-string"]
    assert _backend(platform, *given)["replicas"] == "4"
    assert _backend(platform, *given[1:])["replicas"] == 3


def test_provenance_names_the_flag_and_the_file(platform: Platform, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hello\n")
    layered = compute_values(
        platform,
        "backend",
        chart_defaults=load_chart_defaults(platform.component("backend")),
        cli_sets=[
            "backend.replicas=3",
            SetFlag("--set-string", "backend.replicas=5"),
            SetFlag("--set-file", f"backend.note={note}"),
        ],
        secret_values=SECRETS,
        umbrella=True,
    )
    replicas = layered.explain("replicas")
    assert [(p.layer, p.value) for p in replicas[-2:]] == [("--set", 3), ("--set-string", "5")]
    (note_set,) = layered.explain("note")
    assert note_set.layer == "--set-file" and note_set.location == f"--set-file {note}"
    assert layered.merged["note"] == "hello\n"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (SetFlag("--set-string", "bakend.port=1"), "'bakend' is neither `global` nor a component"),
        (SetFlag("--set-json", 'bakend={"port": 1}'), "'bakend' is neither `global` nor a component"),
        (SetFlag("--set-json", '{"bakend": {"port": 1}}'), "'bakend' is neither `global` nor a component"),
        (SetFlag("--set-json", "port=[1,2]"), "'port' names no component"),
        (SetFlag("--set-json", "backend=3"), "sets a whole component"),
        (SetFlag("--set-file", "port=x"), "'port' names no component"),
    ],
)
def test_keys_must_name_a_component_or_global(platform: Platform, entry: SetFlag, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        check_umbrella_input(platform, [entry])
    assert caught.value.where == entry.flag


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": "/nonexistent/kubeconfig"}
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


@pytest.mark.parametrize("command", [["validate"], ["render"], ["plan"], ["deploy"], ["doctor"], ["export", "--flux"]])
def test_every_command_with_set_takes_set_string_and_set_json(command: list[str], tmp_path: Path) -> None:
    args = [*command, "-f", str(FIXTURE / "platform.yaml")]
    if command[0] == "export":
        args += ["--output-dir", str(tmp_path / "out")]
    run = _run(*args, "--set-string", "bakend.port=1")
    assert "'bakend' is neither `global` nor a component" in " ".join(run.stderr.split()), run.stderr
    run = _run(*args, "--set-json", "backend.ports=[1,")
    assert "cannot parse --set-json" in run.stderr and "Traceback" not in run.stderr


def test_render_gives_the_chart_a_string(tmp_path: Path) -> None:
    run = _run(
        "render",
        "backend",
        "-f",
        str(FIXTURE / "platform.yaml"),
        "--set-string",
        "backend.replicas=31112",
        "--set",
        "backend.replicas=2",
    )
    assert run.returncode == 0, run.stderr
    assert "replicas: 31112" in run.stdout


def test_values_command_takes_component_keys(tmp_path: Path) -> None:
    (tmp_path / "motd").write_text("welcome\n")
    run = _run(
        "values",
        "backend",
        "-f",
        str(FIXTURE / "platform.yaml"),
        "--set-file",
        "motd=motd",
        "--set-string",
        "replicas=7",
        "-o",
        "json",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert '"motd": "welcome\\n"' in run.stdout and '"replicas": "7"' in run.stdout


# --- the saved plan ----------------------------------------------------------------------------------


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    path = write_platform_file(
        tmp_path,
        "pf",
        f"""
        components:
          - {{name: api, chart: {HELLO}, namespace: pf-app}}
        """,
    )
    return path


def test_a_saved_plan_pins_set_string_and_set_file(platform_file: Path, tmp_path: Path) -> None:
    motd = tmp_path / "motd.txt"
    motd.write_text("one\n")
    sets = [SetFlag("--set-string", "api.port=8080"), SetFlag("--set-file", f"api.motd={motd}")]
    session, _kube, _engine = fake_session(platform_file, cli_sets=sets)
    planned = seal(record_plan(session, make_plan(session)))
    verify_plan(session, planned, "plan.json")  # the same flags and files: the plan holds

    as_number, _kube, _engine = fake_session(platform_file, cli_sets=["api.port=8080", sets[1]])
    with pytest.raises(ConfigError, match="changed since the plan"):
        verify_plan(as_number, planned, "plan.json")  # 8080 is no longer the string "8080"

    motd.write_text("two\n")
    edited, _kube, _engine = fake_session(platform_file, cli_sets=sets)
    with pytest.raises(ConfigError, match="changed since the plan"):
        verify_plan(edited, planned, "plan.json")  # the file --set-file read has changed


def test_a_port_compared_as_a_string_renders_with_set_string(tmp_path: Path) -> None:
    # the case: a chart compares the port with a string; --set makes it a number
    chart = tmp_path / "pacs"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: pacs\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text('global:\n  dicom_port: "11112"\n')
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pacs}\n"
        'data:\n  custom: {{ ne .Values.global.dicom_port "11112" | quote }}\n'
    )
    (tmp_path / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: pf}\nspec:\n"
        "  components:\n    - {name: pacs, chart: ./pacs, namespace: pf-pacs}\n"
    )
    args = ["render", "-f", str(tmp_path / "platform.yaml")]
    as_number = _run(*args, "--set", "global.dicom_port=31112")
    assert as_number.returncode != 0 and "incompatible types" in as_number.stderr
    as_string = _run(*args, "--set-string", "global.dicom_port=31112")
    assert as_string.returncode == 0, as_string.stderr
    assert 'custom: "true"' in as_string.stdout
