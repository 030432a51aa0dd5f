"""Helm's own parsers and packager, for the layers above the engine that must read input exactly as
Helm will (values files, ``--set`` expressions, a chart's defaults) without knowing the SDK."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import helm_python


class HelmParseError(Exception):
    """Helm refused the input; ``detail`` is its message, for an error naming the file or flag."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def values_from_yaml(text: str) -> Any:
    """Values text parsed as Helm parses values files (its YAML dialect)."""
    try:
        return helm_python.values_from_yaml(text)
    except helm_python.HelmError as exc:
        raise HelmParseError(exc.detail) from None


_STRVALS = {
    "--set": helm_python.parse_set_string,
    "--set-string": helm_python.parse_set_string_values,
    "--set-json": helm_python.parse_set_json,
    "--set-file": helm_python.parse_set_file,
}


def parse_set_string(expression: str, flag: str = "--set") -> Any:
    """One expression of a ``--set`` flag (``--set``, ``--set-string``, ``--set-json``, ``--set-file``)
    parsed by Helm's strvals, as that flag reads it (UnicodeEncodeError for unpaired surrogates).
    ``--set-file`` reads its files, relative to the working directory as Helm does."""
    try:
        return _STRVALS[flag](expression)
    except helm_python.HelmError as exc:
        raise HelmParseError(exc.detail) from None


def chart_default_values(chart: Path) -> dict[str, Any]:
    """The default values of a chart directory or archive, as Helm loads them."""
    try:
        with helm_python.Chart.load(chart) as loaded:
            return dict(loaded.values)
    except helm_python.HelmError as exc:
        raise HelmParseError(exc.detail) from None


def package_chart(path: Path) -> bytes:
    """A chart directory packaged as Helm packages it (``helm package``), as archive bytes."""
    try:
        with helm_python.Chart.load(path) as chart, tempfile.TemporaryDirectory(prefix="helmdeck-pack-") as tmp:
            return Path(chart.save(tmp)).read_bytes()
    except helm_python.HelmError as exc:
        raise HelmParseError(str(exc)) from None
