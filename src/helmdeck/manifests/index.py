"""The objects of a whole platform, each placed in its effective namespace and indexed by identity."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from helmdeck.manifests.objects import ManifestObject, ObjectKey, ObjRef
from helmdeck.manifests.scopes import ScopeResolver

#: component name -> (release namespace, the objects its release renders, hooks and CRDs included)
PlatformObjects = Mapping[str, tuple[str, Sequence[ManifestObject]]]


@dataclass(frozen=True)
class PlacedObject:
    """An object of one component with its identity resolved (namespace defaulted)."""

    component: str
    key: ObjectKey
    obj: ManifestObject

    @property
    def ref(self) -> ObjRef:
        return ObjRef(self.obj.api_version, self.key.kind, self.key.name, self.key.namespace)

    def describe(self) -> str:
        """``Deployment svc/api (component backend, backend/templates/api.yaml)``."""
        return f"{self.ref} (component {self.component}, {self.obj.where()})"


class ObjectIndex:
    """All objects of a platform, placed and indexed by (group, kind, namespace, name).

    Namespaced objects without ``metadata.namespace`` land in their release's namespace, as Helm
    places them; cluster-scoped ones have no namespace whatever the manifest says (the API server
    ignores it). Custom kinds are namespaced unless a CRD in these manifests, or ``cluster_scoped``,
    says they are cluster-scoped.
    """

    def __init__(self, components: PlatformObjects, *, cluster_scoped: Collection[tuple[str, str]] = ()) -> None:
        self.scopes = ScopeResolver(cluster_scoped)
        for _, objects in components.values():
            for obj in objects:
                if obj.kind == "CustomResourceDefinition" and obj.group == "apiextensions.k8s.io":
                    self.scopes.learn_crd(dict(obj.body))
        self.release_namespaces: dict[str, str] = {name: ns for name, (ns, _) in components.items()}
        self.placed: list[PlacedObject] = []
        self.by_key: dict[ObjectKey, list[PlacedObject]] = defaultdict(list)
        for component, (release_namespace, objects) in components.items():
            for obj in objects:
                placed = PlacedObject(component, self.key_of(obj, release_namespace), obj)
                self.placed.append(placed)
                self.by_key[placed.key].append(placed)

    def key_of(self, obj: ManifestObject, release_namespace: str) -> ObjectKey:
        group = obj.group
        if self.scopes.is_namespaced(group, obj.kind):
            return ObjectKey(group, obj.kind, obj.namespace or release_namespace, obj.name)
        return ObjectKey(group, obj.kind, None, obj.name)

    def __iter__(self) -> Iterator[PlacedObject]:
        return iter(self.placed)

    def __len__(self) -> int:
        return len(self.placed)

    def namespaced(self) -> Iterator[PlacedObject]:
        return (p for p in self.placed if p.key.namespace is not None)

    def namespace_objects(self) -> dict[str, list[PlacedObject]]:
        """Namespaces the manifests create (Namespace objects), by name."""
        created: dict[str, list[PlacedObject]] = defaultdict(list)
        for placed in self.placed:
            if placed.key.group == "" and placed.key.kind == "Namespace":
                created[placed.key.name].append(placed)
        return dict(created)
