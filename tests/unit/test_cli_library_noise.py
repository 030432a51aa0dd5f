"""Client libraries' own log records and Python warnings stay out of the user's output unless
--debug: a command that makes a library log "watch ended with error" or warn of a deprecation
prints only its own output."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import logging, sys, warnings
    import helmdeck.cli.spec_cmds as spec

    def noisy() -> None:
        logging.getLogger("lightkube").warning("watch ended with error")
        logging.getLogger("helm_python.native").error("E1207 reflector.go: watch of *v1.Pod ended")
        warnings.warn("this client API is deprecated", DeprecationWarning)
        logging.getLogger("helmdeck.probe").warning("helmdeck's own warning")
        print("command output")

    spec.schema_command = noisy  # registered by the app when it is imported below
    from helmdeck.cli.main import main
    sys.argv = ["helmdeck", "schema", *sys.argv[1:]]
    main()
    """
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )


def test_library_lines_are_not_shown_without_debug() -> None:
    run = _run()
    assert run.returncode == 0, run.stderr
    assert run.stdout == "command output\n"
    assert "watch ended" not in run.stderr and "reflector" not in run.stderr
    assert "deprecated" not in run.stderr
    assert "helmdeck's own warning" in run.stderr


def test_debug_shows_them() -> None:
    run = _run("--debug")
    assert run.returncode == 0, run.stderr
    assert "watch ended with error" in run.stderr and "reflector.go" in run.stderr
    assert "this client API is deprecated" in run.stderr
