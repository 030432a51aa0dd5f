"""A component's values, layer by layer, with the history of every key.

Lowest first: chart defaults < the component's values files < its ``set`` < the
environment (each platform-wide file's ``global`` section, then its section for this
component; then the component's own files for that environment) < secrets < ``--values``
files from the command line < ``--set-json`` < ``--set`` < ``--set-string`` < ``--set-file``
(Helm's order of its flags). Layers above the chart's defaults are folded the
way Helm folds user values (:func:`merge_maps`) and then laid over the defaults the way
Helm does (:func:`coalesce`), so ``merged`` is what the chart's templates see.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helmdeck.errors import ConfigError
from helmdeck.secrets.redact import Redactor, remember
from helmdeck.serialize import JsonObject, json_field
from helmdeck.spec.platform import Platform, did_you_mean
from helmdeck.spec.yaml_document import PathKey, display_path
from helmdeck.values.files import ValuesFile, load_values_file
from helmdeck.values.merge import coalesce, merge_maps
from helmdeck.values.paths import join_key, lookup, nest, split_key
from helmdeck.values.set_expressions import (
    SET_FLAGS,
    SetFlag,
    as_set_flag,
    in_helm_order,
    parse_set,
    set_keys,
    split_pairs,
)


class _Nothing:
    """Marks "no value was there" (distinct from a YAML null)."""

    _instance: _Nothing | None = None

    def __new__(cls) -> _Nothing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unset>"

    def __bool__(self) -> bool:
        return False


NOTHING: Any = _Nothing()

LAYER_KINDS = ("chart", "values", "set", "environment", "environment-values", "secret", "file", *SET_FLAGS)


@dataclass
class Layer:
    """One source of values. ``source`` is what users see: a file, ``set``, ``secret:NAME``, ``--set``."""

    kind: str
    source: str
    data: dict[str, Any]
    file: str | None = None
    locate: Callable[[PathKey], int | None] | None = field(default=None, repr=False)

    def line_of(self, path: PathKey) -> int | None:
        return self.locate(path) if self.locate else None


@dataclass(frozen=True)
class Provenance(JsonObject):
    """One layer setting one key: what it set and what it replaced."""

    key: str
    layer: str
    source: str
    file: str | None
    line: int | None
    value: Any
    overrode: Any = field(default=NOTHING, metadata=json_field(omit_if=lambda v: v is NOTHING))

    @property
    def location(self) -> str:
        """``file:line`` (or the source) for display."""
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        return self.source

    @property
    def deletes(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class _Event:
    path: PathKey
    layer: int
    value: Any
    previous: Any


def _record(state: dict[str, Any], data: Mapping[str, Any], path: PathKey, layer: int, out: list[_Event]) -> None:
    """Fold ``data`` into ``state`` as Helm's mergeMaps does, noting each key it sets."""
    for key, value in data.items():
        here = (*path, key)
        previous = state.get(key, NOTHING)
        if isinstance(value, dict):
            if isinstance(previous, dict):
                _record(previous, value, here, layer, out)
                continue
            if previous is not NOTHING or not value:
                out.append(_Event(here, layer, copy.deepcopy(value), previous))
            state[key] = {}
            _record(state[key], value, here, layer, out)
        else:
            out.append(_Event(here, layer, copy.deepcopy(value), copy.deepcopy(previous)))
            state[key] = copy.deepcopy(value)


@dataclass
class LayeredValues:
    """The values of one component in one environment, and how they came about."""

    component: str
    environment: str | None
    layers: list[Layer]
    chart_defaults: dict[str, Any]
    user_values: dict[str, Any]
    """Everything above the chart's defaults: what to hand Helm as the release's values."""
    merged: dict[str, Any]
    """What the chart's templates see (``user_values`` coalesced over the defaults)."""
    redactor: Redactor
    _events: list[_Event] = field(repr=False, default_factory=list)

    def get(self, key: str) -> tuple[bool, Any]:
        """``(found, value)`` of a dotted key in ``merged``."""
        return lookup(self.merged, split_key(key))

    def redacted(self) -> dict[str, Any]:
        """``merged`` with secret values replaced by ``<redacted:NAME>``."""
        return self.redactor.redact(self.merged)

    def explain(self, key: str) -> list[Provenance]:
        """Every layer that set ``key`` (or a key above or below it), in order; secrets redacted."""
        parts = split_key(key)
        out = []
        for event in self._events:
            n = min(len(parts), len(event.path))
            if tuple(event.path[:n]) != parts[:n]:
                continue
            layer = self.layers[event.layer]
            out.append(
                Provenance(
                    key=join_key(event.path),
                    layer=layer.kind,
                    source=layer.source,
                    file=layer.file,
                    line=layer.line_of(event.path),
                    value=self.redactor.redact(event.value),
                    overrode=event.previous if event.previous is NOTHING else self.redactor.redact(event.previous),
                )
            )
        return out

    def leaf_keys(self) -> list[str]:
        """Dotted names of every leaf in ``merged`` (for suggestions)."""
        keys: list[str] = []

        def walk(node: Any, path: PathKey) -> None:
            if isinstance(node, dict) and node:
                for k, v in node.items():
                    walk(v, (*path, k))
            elif path:
                keys.append(join_key(path))

        walk(self.merged, ())
        return keys


def _ordered_like(values: dict[str, Any], template: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with keys in the chart's order first (as values.yaml reads), then the rest."""
    keys = [k for k in template if k in values] + [k for k in values if k not in template]
    out: dict[str, Any] = {}
    for k in keys:
        v, t = values[k], template.get(k)
        out[k] = _ordered_like(v, t) if isinstance(v, dict) and isinstance(t, dict) else v
    return out


# --- building the layers ------------------------------------------------------------------


def _file_layer(kind: str, values: ValuesFile, data: dict[str, Any] | None = None, prefix: PathKey = ()) -> Layer:
    return Layer(
        kind=kind,
        source=values.shown,
        data=values.data if data is None else data,
        file=values.shown,
        locate=lambda path: values.line_of((*prefix, *path)),
    )


def _set_layer(platform: Platform, index: int) -> Layer:
    component = platform.components[index]
    base = ("spec", "components", index, "set")
    data: dict[str, Any] = {}
    keys: list[tuple[str, PathKey]] = []
    for raw_key, value in component.set_values.items():
        try:
            parts = split_key(raw_key)
        except ConfigError as exc:
            raise ConfigError(exc.message, where=platform.where((*base, raw_key)), fix=exc.fix) from None
        data = merge_maps(data, nest(parts, value))
        keys.append((raw_key, parts))

    def locate(path: PathKey) -> int | None:
        for raw_key, parts in reversed(keys):
            if tuple(path[: len(parts)]) == parts:
                return platform.line_of((*base, raw_key, *path[len(parts) :]))
        return platform.line_of(base)

    shown = display_path(platform.source_path) if platform.source_path else "platform.yaml"
    return Layer(kind="set", source="set", data=data, file=shown, locate=locate)


def platform_globals(platform: Platform) -> dict[str, Any]:
    """What the platform file says that every chart may use, under ``global``: the instance, the
    namespaces (prefix applied), data directories, registry, pull secret and storage class."""
    spec = platform.spec
    out: dict[str, Any] = {
        "instance": platform.instance,
        "platform": platform.name,
        "namespaces": {key: platform.logical_namespace(key) for key in spec.namespaces},
    }
    fast, slow = platform.data_dir("fast"), platform.data_dir("slow")
    if fast:
        out["fastDataDir"] = fast
    if slow:
        out["slowDataDir"] = slow
    if spec.registry is not None:
        out["registry"] = spec.registry.url
        if spec.registry.credentials is not None:
            out["imagePullSecrets"] = [{"name": spec.registry.credentials.secret}]
    if spec.storage.storage_class.get("default"):
        out["storageClass"] = spec.storage.storage_class["default"]
    return out


def _environment_layers(platform: Platform, component: str, env: str) -> list[Layer]:
    layers = []
    for path in platform.environment(env).values:
        values = load_values_file(path)
        for key, section in values.data.items():
            if key != "global" and not platform.has_component(key):
                raise ConfigError(
                    f"{values.shown}: section '{key}' is neither `global` nor a component of the platform",
                    where=f"{values.shown}:{values.line_of((key,)) or 1}",
                    fix=did_you_mean(key, ["global", *platform.component_names], "component")
                    + " (environment files hold `global:` and one section per component)",
                )
            if (key == "global" or key == component) and section is not None and not isinstance(section, dict):
                raise ConfigError(
                    f"{values.shown}: section '{key}' must be a mapping of values",
                    where=f"{values.shown}:{values.line_of((key,)) or 1}",
                    fix=f"write the values for '{key}' as `key: value` lines indented below it",
                )
        if isinstance(values.data.get("global"), dict):
            layers.append(_file_layer("environment", values, {"global": values.data["global"]}))
        if isinstance(values.data.get(component), dict):
            layers.append(_file_layer("environment", values, values.data[component], prefix=(component,)))
    comp_env = platform.component(component).environments.get(env)
    for path in comp_env.values if comp_env else []:
        layers.append(_file_layer("environment-values", load_values_file(path)))
    return layers


def _secret_layers(platform: Platform, component: str, secret_values: Mapping[str, str]) -> list[Layer]:
    layers = []
    for secret, path in platform.secret_targets(component):
        if secret not in secret_values:
            raise ConfigError(
                f"secret '{secret}' has no value to inject into {component}.{path}",
                where=platform.where(("spec", "secrets", secret)),
                fix="resolve the platform's secrets first (SecretStore.ensure or placeholder_secrets)",
            )
        layers.append(
            Layer(kind="secret", source=f"secret:{secret}", data=nest(split_key(path), secret_values[secret]))
        )
    return layers


def _first_segment(key: str) -> tuple[str, bool]:
    """(the first key of a --set path, whether a nested key follows it)."""
    out, i = [], 0
    while i < len(key):
        if key[i] == "\\" and i + 1 < len(key):
            out.append(key[i + 1])
            i += 2
            continue
        if key[i] in ".[":
            return "".join(out), key[i] == "."
        out.append(key[i])
        i += 1
    return "".join(out), False


def _set_source(entry: SetFlag) -> str:
    """The flag, and for ``--set-file`` the files it read (the values themselves may be secret)."""
    if entry.flag != "--set-file":
        return entry.flag
    return "--set-file " + ", ".join(pair.partition("=")[2] for pair in split_pairs(entry.expression))


def _umbrella_keys(entry: SetFlag) -> list[tuple[str, str, bool]]:
    """(the key as written, its first segment, whether a nested key follows) of each key an expression sets."""
    if entry.flag == "--set-json":
        # JSON values may hold commas and brackets: the keys are read from what Helm parsed
        return [(k, k, isinstance(v, dict)) for k, v in parse_set(entry.expression, entry.flag).items()]
    return [(key, *_first_segment(key)) for key in set_keys(entry.expression, entry.flag)]


def check_umbrella_input(
    platform: Platform, cli_sets: Sequence[str | SetFlag] = (), cli_files: Sequence[Path] = ()
) -> None:
    """Platform-wide ``--set``/``--values`` address components: a key naming no component (a typo)
    would be dropped without a word, so it is an error naming the closest component.

    Raises:
        ConfigError: for the first such key.
    """
    names = ["global", *platform.component_names]
    for entry in map(as_set_flag, cli_sets):
        flag, expression = entry.flag, entry.expression
        for key, head, nested in _umbrella_keys(entry):
            if not nested and head in names:
                raise ConfigError(
                    f"{flag} {expression!r}: {key!r} sets a whole component (or `global`) to a single value",
                    where=flag,
                    fix=f"set a key below it: {head}.KEY=..." + (" (or a JSON object)" if flag == "--set-json" else ""),
                )
            if not nested:
                raise ConfigError(
                    f"{flag} {expression!r}: {key!r} names no component",
                    where=flag,
                    fix=f"write COMPONENT.{key}=... or global.{key}=... (components: {', '.join(names[1:])})",
                )
            if head not in names:
                raise ConfigError(
                    f"{flag} {expression!r}: {head!r} is neither `global` nor a component of platform {platform.name}",
                    where=flag,
                    fix=did_you_mean(head, names, "component"),
                )
    for path in cli_files:
        values = load_values_file(Path(path))
        for key in values.data:
            if key not in names:
                raise ConfigError(
                    f"{values.shown}: section '{key}' is neither `global` nor a component of the platform",
                    where=f"{values.shown}:{values.line_of((key,)) or 1}",
                    fix=did_you_mean(str(key), names, "component")
                    + " (--values files hold `global:` and one section per component)",
                )


def compute_values(
    platform: Platform,
    component_name: str,
    env: str | None = None,
    chart_defaults: Mapping[str, Any] | ValuesFile | None = None,
    cli_files: Sequence[Path] = (),
    cli_sets: Sequence[str | SetFlag] = (),
    secret_values: Mapping[str, str] | None = None,
    *,
    umbrella: bool = False,
) -> LayeredValues:
    """Layer a component's values for ``env`` (None: no environment), recording provenance.

    ``chart_defaults`` is the chart's values.yaml: a dict (e.g. ``Chart.load(p).values``) or
    a :class:`ValuesFile` when line numbers are wanted. ``secret_values`` maps secret names
    to values (from a SecretStore or :func:`placeholder_secrets`).
    """
    index = platform.component_index(component_name)
    component = platform.components[index]
    secret_values = secret_values or {}
    remember(secret_values)

    if isinstance(chart_defaults, ValuesFile):
        chart_layer = _file_layer("chart", chart_defaults)
    else:
        chart_layer = Layer(kind="chart", source="chart defaults", data=dict(chart_defaults or {}))

    layers: list[Layer] = [chart_layer]
    shared = platform_globals(platform)
    if shared:
        layers.append(Layer(kind="platform", source="platform file (spec)", data={"global": shared}))
    layers += [_file_layer("values", load_values_file(p)) for p in component.values]
    if component.set_values:
        layers.append(_set_layer(platform, index))
    if env is not None:
        layers += _environment_layers(platform, component.name, env)
    layers += _secret_layers(platform, component.name, secret_values)
    layers += _cli_layers(platform, component.name, cli_files, cli_sets, umbrella=umbrella)

    events: list[_Event] = []
    state: dict[str, Any] = {}
    user: dict[str, Any] = {}
    for i, layer in enumerate(layers):
        _record(state, layer.data, (), i, events)
        if i:
            user = merge_maps(user, layer.data)
    user = copy.deepcopy(user)
    return LayeredValues(
        component=component.name,
        environment=env,
        layers=layers,
        chart_defaults=copy.deepcopy(chart_layer.data),
        user_values=user,
        merged=_ordered_like(coalesce(chart_layer.data, user), chart_layer.data),
        redactor=Redactor(secret_values),
        _events=events,
    )


def _cli_layers(
    platform: Platform,
    component: str,
    cli_files: Sequence[Path],
    cli_sets: Sequence[str | SetFlag],
    *,
    umbrella: bool,
) -> list[Layer]:
    """The layers of ``--values`` files and ``--set`` flags, last; ``umbrella``: their part for ``component``."""
    cli_layers = [_file_layer("file", load_values_file(Path(p))) for p in cli_files]
    cli_layers += [
        Layer(kind=entry.flag, source=_set_source(entry), data=parse_set(entry.expression, entry.flag))
        for entry in in_helm_order(cli_sets)
    ]
    if umbrella:
        check_umbrella_input(platform, cli_sets, cli_files)
        # platform-wide commands take umbrella-style values: `global` plus one section per component
        for layer in cli_layers:
            picked = {"global": layer.data["global"]} if isinstance(layer.data.get("global"), dict) else {}
            own = layer.data.get(component)
            layer.data = merge_maps(picked, own) if isinstance(own, dict) else picked
    return cli_layers
