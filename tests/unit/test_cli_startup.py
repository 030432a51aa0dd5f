"""The CLI starts without loading what its command does not use (bench/bench_cli.py measures the
time; this checks the cause): `--version` loads no CLI framework (nor importlib.metadata), `--help`
no Helm, Kubernetes client, web server or platform models, `status` no Helm; a command builds only
its own Click command, which runs as it does in the whole app."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["helm_python", "lightkube", "httpx", "httpx2", "fastapi", "uvicorn", "jsonschema", "pydantic", "ruamel"]


def loaded_modules(code: str) -> set[str]:
    """The modules (full dotted names) in sys.modules after running ``code`` in a fresh interpreter."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        """
        import json, sys
        print("MODULES=" + json.dumps(sorted(sys.modules)))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def loaded_after(code: str) -> set[str]:
    """The top-level packages loaded after running ``code`` in a fresh interpreter."""
    return {m.split(".")[0] for m in loaded_modules(code)}


def test_version_loads_no_cli_framework() -> None:
    loaded = loaded_after(
        """
        import sys
        from helmdeck.cli.main import main
        sys.argv = ["helmdeck", "--version"]
        main()
        """
    )
    assert not loaded & {"typer", "rich", "click", "yaml", *HEAVY}
    # the version comes from the dist-info without importlib.metadata (email, zipfile, csv)
    assert "importlib.metadata" not in loaded_modules(
        """
        import contextlib, io, sys
        from helmdeck.cli.main import main
        sys.argv = ["helmdeck", "--version"]
        with contextlib.redirect_stdout(io.StringIO()):
            main()
        """
    )


def test_version_is_the_installed_one() -> None:
    import helmdeck

    assert helmdeck._installed_version() == version("helmdeck")
    shown = subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", "--version"], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and shown.stdout == f"helmdeck {version('helmdeck')}\n"


def test_status_loads_no_helm_server_or_schema_validator() -> None:
    platform = ROOT / "examples" / "dashboards" / "platform.yaml"
    loaded = loaded_after(
        f"""
        from pathlib import Path
        from helmdeck.cli.app import app_for
        from typer.main import get_command
        import helmdeck.cli.deploy_cmds, helmdeck.core.status
        from helmdeck.cli.options import Where, open_session
        get_command(app_for(["status"]))
        session = open_session(Where(Path({str(platform)!r}), instance="startup"))
        assert session.platform.component_names
        """
    )
    assert "pydantic" in loaded and "ruamel" in loaded  # the probe did load the platform
    assert not loaded & {"helm_python", "fastapi", "uvicorn", "jsonschema"}, sorted(loaded)


def test_a_status_run_loads_only_what_status_uses(tmp_path: Path) -> None:
    """The whole status command up to its first request (to a port nothing listens on): it reads
    release Secrets and objects, so no Helm, web server, templates, schemas or other areas' code."""
    kubeconfig = tmp_path / "kubeconfig.yaml"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
        "current-context: x\n"
    )
    platform = ROOT / "examples" / "dashboards" / "platform.yaml"
    modules = loaded_modules(
        f"""
        import contextlib, io, sys
        from helmdeck.cli.main import main
        sys.argv = ["helmdeck", "status", "-f", {str(platform)!r}, "--kubeconfig", {str(kubeconfig)!r}]
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            with contextlib.redirect_stderr(io.StringIO()) as err:
                main()
        assert "cannot reach the cluster" in err.getvalue(), err.getvalue()
        """
    )
    loaded = {m.split(".")[0] for m in modules}
    assert {"lightkube", "pydantic"} <= loaded  # the probe did load the platform and ask the cluster
    unused = {"helm_python", "fastapi", "starlette", "uvicorn", "sse_starlette", "jinja2", "jsonschema", "markdown_it"}
    assert not loaded & unused, sorted(loaded & unused)
    other_areas = ("server", "doctor", "extensions", "bundle", "gitops", "plan", "values", "revisions", "deploy")
    assert not {m for m in modules if m.split(".")[:2] in (["helmdeck", a] for a in other_areas)}
    assert {m for m in modules if m.startswith("helmdeck.engine.")} <= {"helmdeck.engine.storage"}


def test_help_loads_no_engine_client_server_or_models() -> None:
    loaded = loaded_after(
        """
        import contextlib, io, sys
        from helmdeck.cli.main import main
        sys.argv = ["helmdeck", "--help"]
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            main()
        """
    )
    assert "typer" in loaded  # the probe did run the app
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_lists_every_command() -> None:
    from typer.main import get_command

    from helmdeck.cli.app import app

    group = get_command(app)
    commands = sorted(group.commands)  # type: ignore[attr-defined]
    assert {"deploy", "plan", "status", "undeploy", "rollback", "sandbox", "ext", "bundle", "export", "serve"} <= set(
        commands
    )
    shown = subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    ).stdout
    for name in commands:
        assert f" {name} " in shown, name


def test_package_names_still_import_as_before() -> None:
    from helmdeck.cluster import NotFound, make_client
    from helmdeck.engine import engine_for, load_chart
    from helmdeck.spec import DEFAULT_FILE, Platform, load_platform

    assert DEFAULT_FILE == "platform.yaml" and callable(load_platform) and callable(make_client)
    assert Platform.__name__ == "Platform" and callable(engine_for) and callable(load_chart)
    assert issubclass(NotFound, Exception)


def registered_names() -> list[str]:
    from helmdeck.cli.app import app

    return [str(c.name) for c in app.registered_commands] + [str(g.name) for g in app.registered_groups]


@pytest.mark.parametrize(
    "argv", [[], ["--help"], ["--version"], ["-v", "--help"], ["stauts"], ["--", "status"], ["--bogus", "status"]]
)
def test_root_help_and_unknown_names_get_the_whole_app(argv: list[str]) -> None:
    from helmdeck.cli.app import app, app_for

    assert app_for(argv) is app


def test_a_command_gets_an_app_of_its_own_that_runs_it_as_the_whole_app_does() -> None:
    from typer.main import get_command

    from helmdeck.cli.app import app, app_for

    runner = CliRunner()
    env = {"COLUMNS": "120", "NO_COLOR": "1"}
    for name in registered_names():
        for argv in ([name, "--help"], ["-v", "--allow-outside", name, "--help"], [name, "--no-such-option"]):
            only = app_for(argv)
            assert only is not app
            assert sorted(get_command(only).commands) == [name]  # type: ignore[attr-defined]
            pruned = runner.invoke(only, argv, env=env, prog_name="helmdeck")
            whole = runner.invoke(app, argv, env=env, prog_name="helmdeck")
            assert (pruned.exit_code, pruned.output) == (whole.exit_code, whole.output), argv
    assert sorted(registered_names()) == sorted(get_command(app).commands)  # type: ignore[attr-defined]
