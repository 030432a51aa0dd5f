"""Printing for every command: a table (Rich; ``-o wide`` adds columns and never truncates) or
machine-readable data (``-o json`` or ``-o yaml``, the same shape)."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, Protocol, TypeVar

import typer
from rich.console import Console
from rich.table import Table


def _console(stderr: bool) -> Console:
    # Rich assumes 80 columns without a terminal; reports read better wider in logs and pipes
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, soft_wrap=True, width=None if probe.is_terminal else 160)


console = _console(stderr=False)
err_console = _console(stderr=True)


class OutputFormat(enum.StrEnum):
    """What -o accepts. Commands see only ``human`` (a table) or ``json`` (data): which table
    (``wide``) and which data format (``yaml``) only the printers below need to know."""

    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"
    human = "human"  # the old name of table


class _Chosen:
    data_format = "json"
    wide = False


chosen = _Chosen()


def _choose(value: OutputFormat) -> OutputFormat:
    chosen.data_format = "yaml" if value is OutputFormat.yaml else "json"
    chosen.wide = value is OutputFormat.wide
    return OutputFormat.json if value in (OutputFormat.json, OutputFormat.yaml) else OutputFormat.human


Output = Annotated[
    OutputFormat,
    typer.Option(
        "-o", "--output", callback=_choose, help="table (the default), wide (more columns, nothing cut), json or yaml."
    ),
]


def emit_json(data: Any, *, reveal: bool = False) -> None:
    """Print ``data`` (a result object or plain data) as JSON (or YAML, as -o chose) through the one
    serializer, with every secret value helmdeck knows of redacted (unless the user asked to ``reveal`` one)."""
    from helmdeck.secrets.redact import known_redactor
    from helmdeck.serialize import to_json_data

    data = to_json_data(data)
    if not isinstance(data, dict):
        # one shape for programs: a top-level object, which can grow keys without breaking readers
        raise TypeError(f"JSON output must be an object, not {type(data).__name__}")
    if not reveal:
        data = known_redactor().redact(data)
    if chosen.data_format == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False))
    else:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


T = TypeVar("T")


class _Verdict(Protocol):
    @property
    def ok(self) -> bool: ...


V = TypeVar("V", bound=_Verdict)


def show(output: OutputFormat, result: T, human: Callable[[T], object]) -> None:
    """``result`` in the format -o chose: as data, or as ``human`` prints it."""
    if output is OutputFormat.json:
        emit_json(result)
    else:
        human(result)


def conclude(output: OutputFormat, result: V, human: Callable[[V], object]) -> NoReturn:
    """Show ``result`` (see :func:`show`) and end the command: exit code 0 when it is ok, else 1."""
    show(output, result, human)
    raise typer.Exit(0 if result.ok else 1)


def print_table(table: Table) -> None:
    """A table on stdout: cut to the terminal (names whole, ellipsized), or whole with -o wide."""
    if not chosen.wide:
        console.print(table)
        return
    from rich.measure import Measurement

    # Rich never prints wider than its console: widen it for this table alone
    needed = Measurement.get(console, console.options.update(width=100_000), table).maximum
    width = console.width
    console.width = max(width, needed)
    try:
        console.print(table, crop=False)
    finally:
        console.width = width
