"""Shared by the CLI tests (no tests here): helmdeck run as a user runs it, in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys


def run_helmdeck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``helmdeck ARGS`` with ``env`` on top of this environment, less any helmdeck variable the
    test machine may have set (they would stand in for flags) and any completion request."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HELMDECK_", "_HELMDECK_", "COMP_")) or k == "HELMDECK_ALLOW_OUTSIDE"
    }
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
    )
