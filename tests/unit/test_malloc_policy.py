"""The CLI limits glibc's malloc arenas unless the user chose their number."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_GLIBC = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None


def _in_child(env: dict[str, str]) -> str:
    code = "from helmdeck.malloc_policy import fewer_malloc_arenas; print(fewer_malloc_arenas())"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(not _GLIBC, reason="glibc's mallopt only")
def test_arenas_are_limited_unless_the_user_set_them() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _in_child(env) == "True"
    assert _in_child({**env, "MALLOC_ARENA_MAX": "8"}) == "False"


def test_the_cli_entry_point_applies_it(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import helmdeck.cli.main as cli_main

    calls: list[bool] = []
    monkeypatch.setattr(cli_main, "fewer_malloc_arenas", lambda: calls.append(True) or True)
    monkeypatch.setattr(sys, "argv", ["helmdeck", "status", "--help"])
    with pytest.raises(SystemExit):
        cli_main.main()
    assert calls == [True] and "status" in capsys.readouterr().out
