"""Printing for every command: a human form (Rich) or machine-readable JSON (``-o json``)."""

from __future__ import annotations

import enum
import json
import sys
from typing import Any

from rich.console import Console


def _console(stderr: bool) -> Console:
    # Rich assumes 80 columns without a terminal; reports read better wider in logs and pipes
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, soft_wrap=True, width=None if probe.is_terminal else 160)


console = _console(stderr=False)
err_console = _console(stderr=True)


class OutputFormat(enum.StrEnum):
    human = "human"
    json = "json"


def emit_json(data: Any, *, reveal: bool = False) -> None:
    """Print ``data`` (a result object or plain data) as JSON through the one serializer, with every
    secret value helmdeck knows of redacted (unless the user asked to ``reveal`` one)."""
    from helmdeck.secrets.redact import known_redactor
    from helmdeck.serialize import to_json_data

    data = to_json_data(data)
    if not reveal:
        data = known_redactor().redact(data)
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()
