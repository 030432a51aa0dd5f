"""The extension catalog: charts users may add to a running platform.

Sources are the platform file's ``spec.extensions.catalog`` entries (a directory of chart
directories and ``.tgz`` files, one chart directory, one ``.tgz``, or an ``oci://`` chart
reference) plus the platform's upload directory. What an extension is comes from its chart:

* ``Chart.yaml`` annotations ``helmdeck.dev/kind`` (application or workflow), ``display-name``,
  ``description``, ``docs``, ``multi-install``, ``requires-gpu`` and ``requires``
  (see :mod:`helmdeck.extensions.requirements`);
* typed parameters from ``values.schema.json`` (see :mod:`helmdeck.extensions.parameters`);
* Kaapana's metadata (see :mod:`helmdeck.extensions.kaapana`): Chart.yaml ``keywords``, the
  ``ui-visible-name`` and ``documentation`` annotations and values.yaml ``extension_params``.

helmdeck's own metadata wins where both say something: each ``helmdeck.dev/*`` annotation that is
present over the Kaapana keyword or annotation for the same thing, and a schema declaring
``parameters`` over ``extension_params`` (which is then not read at all: one chart's parameters
reach its templates one way, ``.Values.parameters`` or Kaapana's ``.Values.global``).

A chart that cannot be loaded or has bad annotations does not hide the rest: it is reported as a
problem of the catalog and left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from helmdeck.engine import LoadedChart, load_chart
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.extensions.kaapana import kaapana_marks, kaapana_parameters
from helmdeck.extensions.parameter_rules import ParameterRules, parameter_rules
from helmdeck.extensions.parameter_values import check_parameters
from helmdeck.extensions.parameters import Parameter, declares_parameters, parameters_from_schema
from helmdeck.extensions.requirements import Requirement, parse_requirements, parse_version
from helmdeck.serialize import JsonObject, json_field
from helmdeck.spec.platform import Platform, did_you_mean

ANNOTATION_PREFIX = "helmdeck.dev/"
KINDS = ("application", "workflow")

ExtensionKind = Literal["application", "workflow"]
# where an install's parameters go: ``parameters.NAME`` (helmdeck) or ``global.NAME`` (Kaapana)
ParameterStyle = Literal["helmdeck", "kaapana"]


def _flag(annotations: Mapping[str, str], key: str, where: str) -> bool | None:
    """The annotation's value, None when the chart does not set it."""
    if ANNOTATION_PREFIX + key not in annotations:
        return None
    raw = annotations[ANNOTATION_PREFIX + key].strip().lower()
    if raw in ("true", "yes"):
        return True
    if raw in ("false", "no", ""):
        return False
    raise ConfigError(
        f"annotation {ANNOTATION_PREFIX}{key} is {raw!r}, not true or false",
        where=where,
        fix=f'write {ANNOTATION_PREFIX}{key}: "true" or "false" (quoted) under annotations in Chart.yaml',
    )


@dataclass(frozen=True)
class Extension(JsonObject):
    """One extension chart of the catalog."""

    name: str
    version: str
    app_version: str | None
    kind: ExtensionKind
    display_name: str
    description: str
    docs: str
    multi_install: bool
    requires_gpu: bool
    requires: tuple[Requirement, ...]
    parameters: tuple[Parameter, ...]
    source: str
    chart: LoadedChart = field(repr=False, compare=False, metadata=json_field(exclude=True))
    flags: tuple[str, ...] = ()
    parameter_style: ParameterStyle = "helmdeck"
    #: what the schema says of the parameters together (conditions): checked with them
    parameter_rules: ParameterRules | None = field(
        default=None, repr=False, compare=False, metadata=json_field(exclude=True)
    )

    __json_order__ = (
        "name",
        "version",
        "appVersion",
        "kind",
        "displayName",
        "description",
        "docs",
        "multiInstall",
        "requiresGpu",
        "requires",
        "parameters",
        "parameterStyle",
        "flags",
        "source",
    )

    def check_parameters(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` typed and checked, defaults filled in (see :func:`check_parameters`)."""
        return check_parameters(self.name, self.parameters, given, rules=self.parameter_rules)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ConfigError(
            f"extension {self.name} has no parameter {name!r}",
            fix=did_you_mean(name, [p.name for p in self.parameters], "parameter"),
        )


def _parameters(chart: LoadedChart) -> tuple[tuple[Parameter, ...], ParameterStyle, ParameterRules | None]:
    if declares_parameters(chart.values_schema):
        params = parameters_from_schema(chart.values_schema, chart.default_values)
        return params, "helmdeck", parameter_rules(chart.values_schema, chart.default_values)
    # Kaapana's extension_params have no conditions: each entry stands alone
    kaapana = kaapana_parameters(chart.name, chart.default_values)
    if kaapana is not None:
        return kaapana, "kaapana", None
    return (), "helmdeck", None


def extension_from_chart(chart: LoadedChart, source: str) -> Extension:
    """Read an extension's metadata and parameters from its chart; ConfigError for bad metadata."""
    annotations = chart.annotations
    where = f"{source}: Chart.yaml of {chart.name}"
    marks = kaapana_marks(chart.name, chart.keywords, annotations)
    kind = annotations.get(ANNOTATION_PREFIX + "kind", "").strip() or marks.kind or "application"
    if kind not in KINDS:
        raise ConfigError(
            f"annotation {ANNOTATION_PREFIX}kind is {kind!r}",
            where=where,
            fix=f"use one of: {', '.join(KINDS)}",
        )
    parse_version(chart.version)
    multi_install = _flag(annotations, "multi-install", where)
    requires_gpu = _flag(annotations, "requires-gpu", where)
    parameters, style, rules = _parameters(chart)
    return Extension(
        name=chart.name,
        version=chart.version,
        app_version=chart.app_version,
        kind=kind,  # type: ignore[arg-type]
        display_name=annotations.get(ANNOTATION_PREFIX + "display-name") or marks.display_name or chart.name,
        description=annotations.get(ANNOTATION_PREFIX + "description") or chart.description,
        docs=annotations.get(ANNOTATION_PREFIX + "docs") or marks.docs or "",
        multi_install=marks.multi_install if multi_install is None else multi_install,
        requires_gpu=marks.requires_gpu if requires_gpu is None else requires_gpu,
        requires=parse_requirements(annotations.get(ANNOTATION_PREFIX + "requires", ""), where=where),
        parameters=parameters,
        source=source,
        chart=chart,
        flags=marks.flags,
        parameter_style=style,
        parameter_rules=rules,
    )


@dataclass(frozen=True)
class CatalogProblem(JsonObject):
    source: str
    message: str
    fix: str | None = None


def _chart_locations(entry: str) -> list[str]:
    """The charts one catalog entry holds."""
    if "://" in entry:
        return [entry]
    path = Path(entry)
    if path.is_file():
        return [str(path)]
    if not path.is_dir():
        raise ConfigError(
            f"catalog entry {entry} does not exist",
            where="spec.extensions.catalog",
            fix="list existing directories, .tgz files or oci:// references",
        )
    if (path / "Chart.yaml").is_file():
        return [str(path)]
    out = []
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if (child.is_dir() and (child / "Chart.yaml").is_file()) or (
            child.is_file() and child.name.endswith((".tgz", ".tar.gz"))
        ):
            out.append(str(child))
    return out


@dataclass
class Catalog:
    """Every extension the sources offer; :meth:`load` (re)reads them (charts are cached)."""

    sources: Sequence[str]
    upload_dir: Path | None = None
    extensions: list[Extension] = field(default_factory=list)
    problems: list[CatalogProblem] = field(default_factory=list)
    _loaded: bool = False

    @classmethod
    def for_platform(cls, platform: Platform, upload_dir: Path | None = None) -> Catalog:
        return cls(list(platform.spec.extensions.catalog), upload_dir)

    def load(self) -> Catalog:
        extensions: list[Extension] = []
        problems: list[CatalogProblem] = []
        entries = list(self.sources)
        if self.upload_dir is not None and self.upload_dir.is_dir():
            entries.append(str(self.upload_dir))
        for entry in entries:
            try:
                locations = _chart_locations(entry)
            except HelmdeckError as exc:
                problems.append(CatalogProblem(entry, exc.message, exc.fix))
                continue
            for location in locations:
                try:
                    chart = load_chart(location)
                    extensions.append(extension_from_chart(chart, location))
                except HelmdeckError as exc:
                    problems.append(CatalogProblem(location, exc.message, exc.fix))
        self.extensions = extensions
        self.problems = problems
        self._loaded = True
        return self

    def _ensure(self) -> None:
        if not self._loaded:
            self.load()

    def latest(self) -> list[Extension]:
        """One entry per extension name: its highest version, ordered by name."""
        self._ensure()
        best: dict[str, Extension] = {}
        for ext in self.extensions:
            have = best.get(ext.name)
            if have is None or parse_version(ext.version) > parse_version(have.version):
                best[ext.name] = ext
        return [best[n] for n in sorted(best)]

    def versions(self, name: str) -> list[Extension]:
        self._ensure()
        found = [e for e in self.extensions if e.name == name]
        return sorted(found, key=lambda e: parse_version(e.version), reverse=True)

    def get(self, name: str, version: str | None = None) -> Extension:
        """The extension ``name`` (highest version, or exactly ``version``)."""
        found = self.versions(name)
        if version is not None:
            found = [e for e in found if e.version == version]
        if found:
            return found[0]
        names = sorted({e.name for e in self.extensions})
        if version is not None and self.versions(name):
            have = ", ".join(e.version for e in self.versions(name))
            raise ConfigError(f"extension {name} has no version {version}", fix=f"available versions: {have}")
        raise ConfigError(
            f"no extension named {name!r} in the catalog",
            where="spec.extensions.catalog",
            fix=did_you_mean(name, names, "extension")
            if names
            else "the catalog is empty: list sources in spec.extensions.catalog or upload a chart",
        )

    def satisfying(self, requirement: Requirement) -> Extension | None:
        """The highest catalog version of a required extension that meets its constraint."""
        for ext in self.versions(requirement.name):
            if requirement.allows(ext.version):
                return ext
        return None

    def names(self) -> Iterable[str]:
        return (e.name for e in self.latest())
