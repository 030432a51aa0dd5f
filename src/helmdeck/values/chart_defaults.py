"""A chart's default values (its values.yaml), read through the Helm SDK, with line numbers."""

from __future__ import annotations

import tarfile
from pathlib import Path

import helm_python

from helmdeck.errors import ConfigError
from helmdeck.spec.models import Component
from helmdeck.spec.yaml_document import display_path
from helmdeck.values.files import ValuesFile


def _values_text(chart: Path) -> str:
    """values.yaml of a chart directory or archive ("" when absent); only used for line numbers."""
    try:
        if chart.is_dir():
            file = chart / "values.yaml"
            return file.read_text(encoding="utf-8") if file.is_file() else ""
        with tarfile.open(chart, "r:*") as archive:
            for member in archive.getmembers():
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "values.yaml" and member.isfile():
                    handle = archive.extractfile(member)
                    return handle.read().decode("utf-8") if handle else ""
    except (OSError, tarfile.TarError, UnicodeDecodeError):
        pass
    return ""


def load_chart_defaults(component: Component) -> ValuesFile:
    """The default values of a component's local chart (directory or .tgz).

    Raises:
        ConfigError: for remote charts (oci://, repositories), which ``helmdeck deps``
            fetches first, and for charts Helm cannot load.
    """
    chart = component.chart_path
    if chart is None:
        raise ConfigError(
            f"component '{component.name}' uses a remote chart ({component.chart!s}); "
            "its defaults are not available locally",
            where=component.name,
            fix="run `helmdeck deps` to fetch remote charts first",
        )
    shown = display_path(chart)
    try:
        with helm_python.Chart.load(chart) as loaded:
            data = loaded.values
    except helm_python.HelmError as exc:
        raise ConfigError(
            f"cannot load the chart of component '{component.name}': {exc.detail}",
            where=shown,
            fix="check the chart directory or archive (helm lint shows what is wrong)",
        ) from None
    values_path = chart / "values.yaml" if chart.is_dir() else chart
    return ValuesFile(
        path=values_path,
        text=_values_text(chart),
        data=data,
        shown_as=f"{shown}/values.yaml" if chart.is_dir() else f"{shown}:values.yaml",
    )
