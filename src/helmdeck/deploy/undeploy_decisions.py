"""What an undeploy does with each namespace, and what it leaves behind, decided from the
:class:`PlatformInventory` alone: the dry run and the undeploy call the same functions, so they say
the same thing.

A namespace goes only when helmdeck created it for this platform and nothing in it is foreign (see
:meth:`PlatformInventory.foreign_objects`). Without ``--purge-data`` it also stays while it holds
the platform's kept claims (or objects its chart keeps), and the admin namespace keeps the secrets
store and history. What purge deletes is :func:`purge_list`: exactly the inventory that is still
there once Helm has uninstalled the releases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster import KindInfo, KubeClient
from helmdeck.cluster.discovery import listable_kinds, namespace_contents
from helmdeck.core.claim_keeping import why_left
from helmdeck.core.inventory import CLAIM, VOLUME, LeftObject, PlatformInventory
from helmdeck.errors import HelmdeckError
from helmdeck.serialize import JsonObject, json_field
from helmdeck.wording import counted

#: how many objects a reason names before "and N more"
_NAMED = 3

Contents = Callable[[str], Sequence[Mapping[str, Any]]]


class NamespaceReader:
    """Every object of a namespace (metadata only), each namespace read once per reader: one reader
    before the uninstall (whose pods to wait for), a fresh one after it (what is left)."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self._kinds: list[KindInfo] | None = None
        self._read: dict[str, Sequence[Mapping[str, Any]]] = {}

    def __call__(self, namespace: str) -> Sequence[Mapping[str, Any]]:
        if namespace not in self._read:
            if self._kinds is None:
                self._kinds = listable_kinds(self.client)
            self._read[namespace] = namespace_contents(self.client, namespace, self._kinds)
        return self._read[namespace]


@dataclass(frozen=True)
class NamespaceFate(JsonObject):
    name: str
    deleted: bool
    reason: str
    exists: bool = True
    foreign: tuple[str, ...] = ()  # what in it is not the platform's (kept it)
    created: bool = field(default=False, metadata=json_field(name="createdByHelmdeck"))  # helmdeck made it

    __json_order__ = ("name", "deleted", "exists", "createdByHelmdeck", "reason", "foreign")

    def sentence(self, *, done: bool) -> str:
        """``namespace X: deleted (...)`` read right: an absent namespace is neither kept nor deleted."""
        if not self.exists:
            return f"namespace {self.name}: {self.reason}"
        verb = ("deleted" if done else "would be deleted") if self.deleted else "kept"
        return f"namespace {self.name}: {verb} ({self.reason})"


def _names(items: Sequence[str]) -> str:
    named = ", ".join(items[:_NAMED])
    return named + (f" and {len(items) - _NAMED} more" if len(items) > _NAMED else "")


def namespace_fates(inventory: PlatformInventory, contents: Contents, *, purge: bool) -> list[NamespaceFate]:
    """Each namespace of the platform (the admin namespace first): deleted or kept, and why.
    ``contents(ns)`` lists every object of a namespace (metadata is enough)."""
    out = []
    admin = inventory.admin_namespace
    for name in sorted(inventory.namespaces, key=lambda n: (n != admin, n)):
        out.append(_fate(inventory, name, contents, purge=purge))
    return out


def _fate(inventory: PlatformInventory, name: str, contents: Contents, *, purge: bool) -> NamespaceFate:
    if inventory.namespaces.get(name) is None:
        return NamespaceFate(name, False, "does not exist", exists=False)
    if not inventory.created_namespace(name):
        return NamespaceFate(
            name, False, f"it existed before helmdeck: not created for platform {inventory.platform_id}"
        )
    holds = []
    if not purge:
        if name == inventory.admin_namespace:
            holds.append("the secrets store and history")
        claims = [c for c in inventory.claims if c.namespace == name]
        if claims:
            holds.append(f"{counted(claims, 'kept volume claim')} of the platform")
        kept = [
            o for o in inventory.objects if o.keep and o.ref.namespace == name and (o.ref.group, o.ref.kind) != CLAIM
        ]
        for objs, why in (
            ([o for o in kept if not o.left], "kept by helm.sh/resource-policy"),
            ([o for o in kept if o.left], "left by an earlier uninstall"),
        ):
            if objs:
                holds.append(f"{_names([f'{o.ref.kind} {o.ref.name}' for o in objs])} ({why})")
    foreign: list[str] = []
    try:
        foreign = inventory.foreign_objects(name, contents(name))
    except HelmdeckError as exc:
        holds.append(f"objects that could not be read ({exc.message})")
    if foreign:
        holds.append(f"{_names(foreign)} (not the platform's)")
    if holds:
        return NamespaceFate(name, False, "holds " + " and ".join(holds), foreign=tuple(foreign), created=True)
    if name == inventory.admin_namespace:
        return NamespaceFate(name, True, "goes with the secrets store, history and the platform's lock", created=True)
    return NamespaceFate(name, True, "created by helmdeck; nothing in it but the platform's", created=True)


def purge_list(inventory: PlatformInventory) -> list[str]:
    """What a purge deletes, in its order: the objects Helm's uninstall leaves (kept by policy,
    hooks), then the data (claims, their volumes, the secrets store, the records)."""
    return [str(o.ref) for o in inventory.helm_leaves()] + inventory.data()


def left_behind(
    inventory: PlatformInventory, fates: Sequence[NamespaceFate], contents: Contents, *, purge: bool
) -> list[LeftObject]:
    """What stays in the cluster after the undeploy that is not kept data: foreign objects keeping
    a namespace, namespaces helmdeck did not create, CRDs of charts' crds/, and without ``purge``
    the objects Helm's uninstall leaves (a purge deletes those)."""
    out: list[LeftObject] = []
    deleted = {f.name for f in fates if f.deleted}
    for fate in fates:
        if not fate.exists:
            continue
        if not fate.created:
            out.append(LeftObject(f"Namespace {fate.name}", "existed before helmdeck: it never deletes it"))
        for item in fate.foreign:
            out.append(LeftObject(f"{item} in namespace {fate.name}", "not the platform's: kept, with its namespace"))
    out.extend(inventory.crds())
    if purge:
        return out
    volumes = {v.name for v in inventory.volumes}
    for obj in inventory.objects:
        ns = obj.ref.namespace
        if ns is not None and ns in deleted:
            continue  # goes with its namespace
        if obj.ref.namespace is None and (obj.ref.group, obj.ref.kind) == VOLUME and obj.ref.name in volumes:
            continue  # kept data, listed as such
        if (obj.ref.group, obj.ref.kind) == CLAIM:
            continue  # kept data, listed as such
        if not (obj.left or obj.keep or obj.hook):
            continue  # Helm's uninstall deleted it
        if not (obj.left or obj.keep) and not (ns and _present(contents, ns, obj.ref.kind, obj.ref.name)):
            continue  # a hook its delete policy deleted
        out.append(LeftObject(str(obj.ref), why_left(obj, inventory.platform_id)))
    return out


def _present(contents: Contents, namespace: str, kind: str, name: str) -> bool:
    try:
        return any(_is(o, kind, name) for o in contents(namespace))
    except HelmdeckError:
        return True  # unreadable: say it may be left


def _is(obj: Mapping[str, Any], kind: str, name: str) -> bool:
    return obj.get("kind") == kind and (obj.get("metadata") or {}).get("name") == name
