"""Rendering a chart into parsed objects: Helm's engine in a contained worker (no ``helm template``).

Templates are evaluated in :mod:`helmdeck.engine.contained`'s worker processes, which a hostile
chart can crash or exhaust without touching helmdeck; the YAML output is parsed here.
The timings below are of the engine itself, before it moved into workers.

Measured with helm_python 0.2.2 on tests/unit/charts (medians, 2 busy cores): ``Chart.load`` of a
small chart directory 0.35 ms, ``Chart.render`` 0.2-0.6 ms, :func:`render` with YAML parsing
0.7-1.4 ms, against about 100 ms for one ``helm template`` process. Loading, rendering and checking
a 50-component platform took 107 ms against 5.5 s for 50 ``helm template`` runs (51x). Parsing the
output with libyaml costs about 70 us per object and dominates for large charts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import helm_python

from helmdeck.engine import contained
from helmdeck.engine.charts import LoadedChart
from helmdeck.engine.sdk_errors import chart_error
from helmdeck.engine.template_errors import template_error
from helmdeck.errors import ConfigError
from helmdeck.manifests.objects import ManifestObject
from helmdeck.manifests.order import in_install_order, manifest_text
from helmdeck.manifests.parse import parse_documents


@dataclass(frozen=True)
class RenderedRelease:
    """What installing a chart as a release would create, parsed.

    ``manifests`` are the plain objects (in template order), ``hooks`` the objects annotated with
    ``helm.sh/hook``, ``crds`` the objects of the charts' ``crds/`` directories, which Helm applies
    before anything else and never templates.
    """

    chart_name: str
    chart_version: str
    release_name: str
    namespace: str
    manifests: tuple[ManifestObject, ...]
    hooks: tuple[ManifestObject, ...]
    crds: tuple[ManifestObject, ...]
    notes: str

    @property
    def objects(self) -> tuple[ManifestObject, ...]:
        """Every object the release brings: CRDs, manifests and hooks."""
        return (*self.crds, *self.manifests, *self.hooks)

    def manifest_text(self) -> str:
        """The plain manifests as Helm stores them in a release (``helm get manifest``)."""
        return manifest_text(in_install_order(self.manifests))

    def template_text(self) -> str:
        """Everything as ``helm template`` prints it: CRDs, manifests in install order, then hooks."""
        return manifest_text([*self.crds, *in_install_order(self.manifests), *self.hooks])

    def platform_entry(self) -> tuple[str, tuple[ManifestObject, ...]]:
        """(namespace, objects): this release's entry for :func:`helmdeck.manifests.check_platform`."""
        return self.namespace, self.objects


def _non_finite(value: Any, path: str = "") -> tuple[str, float] | None:
    """The first infinite or NaN number in ``value`` and its path: JSON has none, and Helm's decoder
    answers one with "invalid character 'I' looking for beginning of value"."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return where or "(top)", item
        if isinstance(item, Mapping):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return None


def values_for_helm(values: Mapping[str, Any] | None, *, chart: str) -> dict[str, Any] | None:
    """``values`` as plain JSON data for Helm, or a ConfigError naming what Helm could not take."""
    if values is None:
        return None
    bad = _non_finite(values)
    if bad is not None:
        key, number = bad
        shown = {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}[str(number)]
        raise ConfigError(
            f"values for chart {chart}: {key} is {shown} (YAML's {'not-a-number' if shown == '.nan' else 'infinity'}), "
            "which Helm cannot take",
            fix=f"write a number there, or quote it ('{shown}') to make it a string",
        )
    try:
        return dict(json.loads(json.dumps(values, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"values for chart {chart} cannot be passed to Helm: {exc}",
            fix="values must be plain data (maps, lists, strings, numbers, booleans, null)",
        ) from None


def render(
    chart: LoadedChart,
    values: Mapping[str, Any] | None,
    release_name: str,
    namespace: str,
    *,
    is_upgrade: bool = False,
    kube_version: str | None = None,
    api_versions: Sequence[str] = (),
    revision: int | None = None,
    component: str | None = None,
    values_files: Sequence[str] = (),
) -> RenderedRelease:
    """Render ``chart`` with ``values`` (user values; the chart's defaults apply underneath).

    ``kube_version`` (e.g. ``v1.30.0``) and ``api_versions`` set ``.Capabilities`` as
    ``helm template --kube-version/--api-versions`` do. ``component`` and ``values_files`` only make
    error messages precise.

    Raises:
        ConfigError: an invalid release name, values the chart's schema rejects, a template error
            (naming chart, template file and line, and ``values_files``), or rendered output that is
            not valid YAML (naming component, template and line).
    """
    owner = component or release_name
    _check_release_name(release_name, owner)
    options: dict[str, Any] = {
        "name": release_name,
        "namespace": namespace,
        "is_upgrade": is_upgrade,
        "is_install": not is_upgrade,
        "kube_version": kube_version,
        "api_versions": list(api_versions) or None,
        "revision": revision,
    }
    reply = _evaluate(chart, values, options, component=component, values_files=values_files)
    rendered: dict[str, str] = reply["rendered"]
    # Disabled subcharts' CRDs are gone from a dependency chart once rendered: the worker says which remain.
    crd_files = (
        [(str(name), str(data)) for name, data in reply["crds"]]
        if chart.dependencies
        else [(c.name, c.data) for c in chart.crds]
    )
    notes, manifests, hooks = _split_rendered(rendered, f"{chart.name}/templates/NOTES.txt", owner)
    crds: list[ManifestObject] = []
    for filename, data in crd_files:
        crds.extend(parse_documents(data, source=filename, component=owner))
    return RenderedRelease(
        chart_name=chart.name,
        chart_version=chart.version,
        release_name=release_name,
        namespace=namespace,
        manifests=tuple(manifests),
        hooks=tuple(hooks),
        crds=tuple(crds),
        notes=notes,
    )


def _check_release_name(release_name: str, owner: str) -> None:
    try:
        helm_python.validate_release_name(release_name)
    except helm_python.HelmError as exc:
        raise ConfigError(
            f"{release_name!r} cannot be a Helm release name: {exc}",
            where=f"component {owner}",
            fix="use at most 53 lowercase letters, digits and '-', starting and ending alphanumeric",
        ) from None


def _evaluate(
    chart: LoadedChart,
    values: Mapping[str, Any] | None,
    options: dict[str, Any],
    *,
    component: str | None,
    values_files: Sequence[str],
) -> dict[str, Any]:
    """The render worker's reply, its Helm error raised as a ConfigError naming chart and values files."""
    owner = component or options["name"]
    user_values = values_for_helm(values, chart=chart.name)
    request = contained.render_request(
        digest=chart.digest, values=user_values, options=options, with_crds=bool(chart.dependencies)
    )
    reply = contained.evaluate(request, chart.archive, chart=chart.name)
    try:
        failure = contained.helm_error(reply)
        if failure is not None:
            raise failure
    except helm_python.HelmRenderError as exc:
        raise template_error(
            str(exc.detail or exc), chart=chart.name, component=component, values_files=values_files
        ) from None
    except helm_python.HelmValuesError as exc:
        raise ConfigError(
            f"component {owner}: values rejected by chart {chart.name}: {' '.join(str(exc).split())}",
            where=f"component {owner}",
            fix="correct the values named above; the chart's values.schema.json defines what is allowed"
            + (f" (values files: {', '.join(values_files)})" if values_files else ""),
            details={"chart": chart.name, "component": component, "valuesFiles": list(values_files)},
        ) from None
    except helm_python.HelmInvalidArgError as exc:
        raise ConfigError(f"component {owner}: cannot render chart {chart.name}: {exc}") from None
    except helm_python.HelmError as exc:
        raise chart_error(exc, ref=str(chart.ref)) from None
    return reply


def _split_rendered(
    rendered: Mapping[str, str], notes_path: str, owner: str
) -> tuple[str, list[ManifestObject], list[ManifestObject]]:
    """The chart's own NOTES.txt (subcharts' notes are not shown), its objects and its hooks."""
    notes = ""
    manifests: list[ManifestObject] = []
    hooks: list[ManifestObject] = []
    for path in sorted(rendered):
        text = rendered[path]
        if path.endswith("/NOTES.txt"):
            if path == notes_path:
                notes = text
            continue
        for obj in parse_documents(text, source=path, component=owner):
            (hooks if obj.is_hook else manifests).append(obj)
    return notes, manifests, hooks
