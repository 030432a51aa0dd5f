"""A chart's default values (its values.yaml), read through the Helm SDK, with line numbers."""

from __future__ import annotations

from helmdeck.engine.charts import chart_values_text
from helmdeck.engine.helm_text import HelmParseError, chart_default_values
from helmdeck.errors import ConfigError
from helmdeck.spec.models import Component
from helmdeck.spec.user_files import check_yaml_limits
from helmdeck.spec.yaml_document import display_path
from helmdeck.values.files import ValuesFile


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
    text = chart_values_text(chart)
    values_shown = f"{shown}/values.yaml" if chart.is_dir() else f"{shown}:values.yaml"
    check_yaml_limits(text, values_shown)  # Helm's loader hands deep values back through a recursive decoder
    try:
        data = chart_default_values(chart)
    except HelmParseError as exc:
        raise ConfigError(
            f"cannot load the chart of component '{component.name}': {exc.detail}",
            where=shown,
            fix="check the chart directory or archive (helm lint shows what is wrong)",
        ) from None
    values_path = chart / "values.yaml" if chart.is_dir() else chart
    return ValuesFile(
        path=values_path,
        text=text,
        data=data,
        shown_as=values_shown,
    )
