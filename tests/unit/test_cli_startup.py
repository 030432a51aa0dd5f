"""The CLI starts without loading what its command does not use (bench/bench_cli.py measures the
time; this checks the cause): `--version` loads no CLI framework, `--help` no Helm, Kubernetes
client, web server or platform models."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ["helm_python", "lightkube", "httpx", "httpx2", "fastapi", "uvicorn", "jsonschema", "pydantic", "ruamel"]


def loaded_after(code: str) -> set[str]:
    probe = textwrap.dedent(code) + textwrap.dedent(
        """
        import json, sys
        print("MODULES=" + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


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
    assert {"deploy", "plan", "status", "undeploy", "rollback", "sandbox", "ext", "bundle", "serve"} <= set(commands)
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
