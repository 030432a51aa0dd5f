"""The platform as preflight checks see it: each component's rendered objects, placed in their
namespaces, with the facts from the platform file the checks need (GPU flags, ``needs``)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from helmdeck.manifests import ManifestObject, ObjectIndex, PlacedObject

if TYPE_CHECKING:  # types only: the rules never load the session (and with it the cluster port)
    from helmdeck.core.session import DesiredComponent
    from helmdeck.engine import LoadedChart

#: Chart.yaml annotation by which a chart (an extension, typically) says it needs a GPU.
REQUIRES_GPU_ANNOTATION = "helmdeck.dev/requires-gpu"


@dataclass(frozen=True)
class ComponentView:
    name: str
    namespace: str
    objects: tuple[ManifestObject, ...]  # manifests and hooks
    chart_crds: tuple[ManifestObject, ...] = ()  # the chart's crds/ directory, applied before anything else
    chart: LoadedChart | None = field(default=None, compare=False)
    needs: tuple[str, ...] = ()
    gpu: bool = False  # flagged in the platform file, or by its chart's annotation
    #: what deploy would install (digest, values and their provenance); None in views made by hand
    desired: DesiredComponent | None = field(default=None, compare=False, repr=False)

    @property
    def chart_label(self) -> str:
        return str(self.chart) if self.chart is not None else self.name


class PlatformView:
    """Components in platform order, and all their objects indexed by identity."""

    def __init__(self, components: Sequence[ComponentView], *, cluster_scoped: Collection[tuple[str, str]] = ()):
        self.components: dict[str, ComponentView] = {c.name: c for c in components}
        entries = {c.name: (c.namespace, (*c.chart_crds, *c.objects)) for c in components}
        self.index = ObjectIndex(entries, cluster_scoped=cluster_scoped)

    def __iter__(self) -> Iterator[PlacedObject]:
        return iter(self.index)

    def placed_of(self, component: str) -> list[PlacedObject]:
        return [p for p in self.index if p.component == component]

    @cached_property
    def _ancestors(self) -> Mapping[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}

        def visit(name: str, path: tuple[str, ...]) -> frozenset[str]:
            if name in out:
                return out[name]
            found: set[str] = set()
            component = self.components.get(name)
            for dep in component.needs if component else ():
                if dep in path:
                    continue  # cycles are the spec checks' business
                found.add(dep)
                found |= visit(dep, (*path, dep))
            out[name] = frozenset(found)
            return out[name]

        for name in self.components:
            visit(name, (name,))
        return out

    def installed_before(self, name: str) -> frozenset[str]:
        """The components deploy finishes before ``name`` starts: its needs, transitively."""
        return self._ancestors.get(name, frozenset())

    def is_chart_crd(self, placed: PlacedObject) -> bool:
        component = self.components[placed.component]
        return any(placed.obj is crd for crd in component.chart_crds)
