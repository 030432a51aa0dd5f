"""The loaded platform: the validated model plus where it came from and the questions others ask of it."""

from __future__ import annotations

import difflib
import posixpath
from pathlib import Path
from typing import Literal

from pydantic import PrivateAttr

from helmdeck.errors import ConfigError
from helmdeck.spec import graph
from helmdeck.spec.models import Component, Environment, PlatformModel
from helmdeck.spec.yaml_document import PathKey, YamlDocument


def closest(word: str, choices: list[str]) -> str | None:
    """The choice most like ``word`` (for "did you mean …?"), or None when nothing is close."""
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: list[str], what: str) -> str:
    choices = list(dict.fromkeys(choices))
    best = closest(word, choices)
    if best is not None:
        return f"did you mean '{best}'?"
    if not choices:
        return f"no {what} is declared"
    return f"use one of: {', '.join(choices)}"


class Platform(PlatformModel):
    """A platform file, validated. Build it with :func:`helmdeck.spec.load_platform`."""

    _document: YamlDocument | None = PrivateAttr(default=None)
    _source: Path | None = PrivateAttr(default=None)
    _by_name: tuple[list[Component], int, dict[str, int]] | None = PrivateAttr(default=None)

    # --- where it came from -------------------------------------------------------------

    @property
    def source_path(self) -> Path | None:
        """The platform file (absolute), or None when built in memory."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Relative paths in the file were resolved against this directory."""
        return self._source.parent if self._source else Path.cwd()

    @property
    def document(self) -> YamlDocument | None:
        return self._document

    def where(self, path: PathKey = ()) -> str:
        """``file:line:col`` of a node of the platform file, e.g. ``("spec", "components", 0)``."""
        if self._document is None:
            return "platform.yaml"
        return self._document.where(path)

    def line_of(self, path: PathKey) -> int | None:
        return self._document.line(path) if self._document else None

    # --- names ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def instance(self) -> str:
        return self.spec.instance

    @property
    def components(self) -> list[Component]:
        return self.spec.components

    @property
    def component_names(self) -> list[str]:
        return [c.name for c in self.spec.components]

    def prefixed(self, name: str) -> str:
        """``name`` with the instance prefix (``lab2-name``), or unchanged without an instance."""
        return f"{self.instance}-{name}" if self.instance else name

    def component(self, name: str) -> Component:
        index = self._index()
        if name in index and (found := self.spec.components[index[name]]).name == name:
            return found
        for c in self.spec.components:  # the list changed since it was indexed
            if c.name == name:
                return c
        raise ConfigError(
            f"no component named '{name}'",
            where=self.where(("spec", "components")),
            fix=did_you_mean(name, self.component_names, "component"),
        )

    def _index(self) -> dict[str, int]:
        """Each component's position by name (the first, if a name repeats): looked up per
        component by namespace and release names, a scan each time made a platform of 1000 slow."""
        components = self.spec.components
        cached = self._by_name
        if cached is None or cached[0] is not components or cached[1] != len(components):
            index: dict[str, int] = {}
            for i, c in enumerate(components):
                index.setdefault(c.name, i)
            cached = self._by_name = (components, len(components), index)
        return cached[2]

    def has_component(self, name: str) -> bool:
        index = self._index()
        if name in index and self.spec.components[index[name]].name == name:
            return True
        return name in self.component_names

    def component_index(self, name: str) -> int:
        index = self._index()
        if name in index and self.spec.components[index[name]].name == name:
            return index[name]
        for i, c in enumerate(self.spec.components):
            if c.name == name:
                return i
        self.component(name)  # raises with a suggestion
        raise AssertionError("unreachable")

    def _as_component(self, component: Component | str) -> Component:
        return self.component(component) if isinstance(component, str) else component

    def namespace_of(self, component: Component | str) -> str:
        """The namespace the component is installed in, instance prefix applied.

        ``namespace`` is looked up in ``spec.namespaces`` first; anything else is a literal
        namespace name (which also gets the prefix, so instances never share a namespace).
        """
        c = self._as_component(component)
        return self.prefixed(self.spec.namespaces.get(c.namespace, c.namespace))

    def release_name(self, component: Component | str) -> str:
        """The Helm release name: the component name. Instances are kept apart by their prefixed
        namespaces, so charts keep the Service names their siblings expect (``mongo``, ``backend``)."""
        return self._as_component(component).name

    @property
    def admin_namespace(self) -> str:
        """Where helmdeck keeps this platform's records, lock and secrets."""
        return self.prefixed(self.spec.namespaces["admin"])

    def logical_namespace(self, key: str) -> str:
        return self.prefixed(self.spec.namespaces.get(key, key))

    def all_namespaces(self) -> list[str]:
        """Every namespace the platform uses: the declared ones and each component's."""
        found = [self.prefixed(ns) for ns in self.spec.namespaces.values()]
        found += [self.namespace_of(c) for c in self.spec.components]
        return list(dict.fromkeys(found))

    @property
    def secret_store_name(self) -> str:
        """The Kubernetes Secret (in :attr:`admin_namespace`) that holds the declared secrets."""
        return f"helmdeck-secrets-{self.name}"

    def data_dir(self, kind: Literal["fast", "slow"]) -> str | None:
        """The node directory for fast or slow data, with an instance sub-directory when set."""
        base = self.spec.storage.fast_data_dir if kind == "fast" else self.spec.storage.slow_data_dir
        if base is None:
            return None
        return posixpath.join(base, self.instance) if self.instance else base

    # --- environments ---------------------------------------------------------------------

    @property
    def environment_names(self) -> list[str]:
        return list(self.spec.environments)

    def environment(self, name: str) -> Environment:
        """The environment called ``name``; a ConfigError listing the known ones otherwise."""
        env = self.spec.environments.get(name)
        if env is None:
            known = self.environment_names
            raise ConfigError(
                f"no environment named '{name}'"
                + (f" (known: {', '.join(known)})" if known else " (the platform declares none)"),
                where=self.where(("spec", "environments")),
                fix=did_you_mean(name, known, "environment")
                if known
                else "declare it under spec.environments, e.g. `demo: {values: [env/demo.yaml]}`",
            )
        return env

    # --- the component graph --------------------------------------------------------------

    def needs_map(self) -> dict[str, list[str]]:
        return {c.name: list(c.needs) for c in self.spec.components}

    def topological_order(self) -> list[list[str]]:
        """Components in levels: each level only needs components from earlier levels."""
        return graph.levels(self.needs_map())

    def dependents(self, name: str) -> list[str]:
        """Components that need ``name``, directly or through others, in dependency order."""
        self.component(name)
        return graph.dependents(self.needs_map(), name)

    # --- secrets --------------------------------------------------------------------------

    def secret_targets(self, component: Component | str) -> list[tuple[str, str]]:
        """``(secret name, value path)`` for each secret injected into ``component``."""
        name = self._as_component(component).name
        out: list[tuple[str, str]] = []
        for secret, decl in self.spec.secrets.items():
            for target in decl.into:
                comp, _, path = target.partition(".")
                if comp == name:
                    out.append((secret, path))
        return out
