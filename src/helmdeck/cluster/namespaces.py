"""The platform's namespaces: created with labels saying helmdeck made them, removed only when empty.

A namespace that existed before helmdeck (no ``managed-by`` label, or another platform's) is used
as is and never deleted by helmdeck.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import lightkube
from lightkube.generic_resource import GenericGlobalResource

from helmdeck.cluster.client import translate_errors
from helmdeck.cluster.kinds import KindInfo, resource_class
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.labels import MANAGED_BY_LABEL, PLATFORM_LABEL
from helmdeck.serialize import JsonObject

_NAMESPACE = KindInfo("v1", "Namespace", "namespaces", False)


@dataclass(frozen=True)
class NamespaceState(JsonObject):
    name: str
    created: bool  # created by this call
    managed: bool  # carries helmdeck's labels for this platform


def _res() -> type[GenericGlobalResource]:
    return cast(type[GenericGlobalResource], resource_class(_NAMESPACE))


def is_managed(namespace: Mapping[str, Any], platform: str) -> bool:
    labels = (namespace.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(MANAGED_BY_LABEL) == "helmdeck" and labels.get(PLATFORM_LABEL) == platform)


def get_namespace(client: lightkube.Client, name: str) -> dict[str, Any] | None:
    with translate_errors(client, f"read namespace {name}"):
        try:
            return dict(client.get(_res(), name))
        except lightkube.ApiError as err:
            if err.status.code == 404:
                return None
            raise


def _wait_gone(client: lightkube.Client, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while get_namespace(client, name) is not None:
        if time.monotonic() > deadline:
            raise ClusterError(
                f"namespace {name} is still terminating after {timeout:.0f}s",
                where=f"Namespace {name}",
                fix=f"see what blocks it: kubectl get namespace {name} -o yaml (finalizers, conditions)",
            )
        time.sleep(1.0)


def ensure_namespace(
    client: lightkube.Client, name: str, platform: str, *, terminating_timeout: float = 120.0
) -> NamespaceState:
    """The namespace exists afterwards; if this call created it, it carries helmdeck's labels.

    A namespace still terminating (from an earlier undeploy) is waited for, then created again.
    """
    existing = get_namespace(client, name)
    if existing is not None and (existing.get("status") or {}).get("phase") == "Terminating":
        _wait_gone(client, name, terminating_timeout)
        existing = None
    if existing is not None:
        return NamespaceState(name, created=False, managed=is_managed(existing, platform))
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {MANAGED_BY_LABEL: "helmdeck", PLATFORM_LABEL: platform}},
    }
    with translate_errors(client, f"create namespace {name}", f"Namespace {name}"):
        try:
            client.create(cast(GenericGlobalResource, cast(Any, _res())(body)))
        except lightkube.ApiError as err:
            if err.status.code != 409:  # 409: created meanwhile by someone else; use it
                raise
            raced = get_namespace(client, name) or {}
            return NamespaceState(name, created=False, managed=is_managed(raced, platform))
    return NamespaceState(name, created=True, managed=True)


def ensure_namespaces(client: lightkube.Client, names: Iterable[str], platform: str) -> list[NamespaceState]:
    return [ensure_namespace(client, name, platform) for name in dict.fromkeys(names)]


def namespace_blockers(client: lightkube.Client, name: str) -> list[str]:
    """What still lives in the namespace that makes it not empty (the first of each kind): every
    kind the API server lists, not only workloads (an operator's ConfigMap is data too), except
    what Kubernetes itself makes in every namespace and what is being deleted already."""
    from helmdeck.cluster.discovery import made_by_kubernetes, namespace_contents

    found: dict[str, str] = {}
    for obj in namespace_contents(client, name):
        meta = obj.get("metadata") or {}
        if made_by_kubernetes(obj) or meta.get("deletionTimestamp"):
            continue
        found.setdefault(str(obj.get("kind")), f"{obj.get('kind')} {meta.get('name')}")
    return list(found.values())


@dataclass(frozen=True)
class NamespaceRemoval(JsonObject):
    name: str
    deleted: bool
    reason: str


def delete_namespace_if_empty(
    client: lightkube.Client, name: str, platform: str, *, wait: float = 0.0
) -> NamespaceRemoval:
    """Delete a namespace helmdeck created for ``platform`` once nothing is left in it (see
    :func:`namespace_blockers`); with ``wait``, also wait (up to that many seconds) until it is gone.
    An undeploy decides by the platform's inventory instead (:mod:`helmdeck.deploy.undeploy_decisions`)."""
    namespace = get_namespace(client, name)
    if namespace is None:
        return NamespaceRemoval(name, False, "does not exist")
    if not is_managed(namespace, platform):
        return NamespaceRemoval(name, False, f"not created by helmdeck for platform {platform}; kept")
    blockers = namespace_blockers(client, name)
    if blockers:
        return NamespaceRemoval(name, False, "not empty: " + ", ".join(blockers))
    delete_namespace(client, name, wait=wait)
    return NamespaceRemoval(name, True, "deleted")


def delete_namespace(client: lightkube.Client, name: str, *, wait: float = 0.0) -> None:
    """Delete a namespace (gone already is fine); with ``wait``, wait up to that many seconds until
    it is gone. Whether it may go is the caller's decision (undeploy asks the platform's inventory)."""
    with translate_errors(client, f"delete namespace {name}", f"Namespace {name}"):
        try:
            client.delete(_res(), name)
        except lightkube.ApiError as err:
            if err.status.code != 404:
                raise
    if wait > 0:
        _wait_gone(client, name, wait)


def delete_namespaces(client: lightkube.Client, names: Sequence[str], *, wait: float = 0.0) -> dict[str, HelmdeckError]:
    """Delete the namespaces all at once, then wait (up to ``wait`` seconds in all) until each is
    gone: their contents are removed by the namespace controller in parallel, so one at a time
    would wait for each in turn. Returns the error of each that could not be deleted or did not go."""
    errors: dict[str, HelmdeckError] = {}
    for name in names:
        try:
            delete_namespace(client, name)
        except HelmdeckError as exc:
            errors[name] = exc
    deadline = time.monotonic() + wait
    for name in names:
        if wait > 0 and name not in errors:
            try:
                _wait_gone(client, name, max(1.0, deadline - time.monotonic()))
            except HelmdeckError as exc:
                errors[name] = exc
    return errors


def managed_namespaces(client: lightkube.Client, platform_id: str) -> list[str]:
    """The namespaces helmdeck created for ``platform_id`` (it labels them at creation)."""
    with translate_errors(client, "list namespaces"):
        found = client.list(
            cast(Any, resource_class(_NAMESPACE)), labels={MANAGED_BY_LABEL: "helmdeck", PLATFORM_LABEL: platform_id}
        )
        return sorted(str((ns.get("metadata") or {}).get("name")) for ns in found)


def foreign_namespaces(client: lightkube.Client, platform_id: str) -> dict[str, str]:
    """Namespaces the cluster says belong to other helmdeck platforms or instances (name -> owner)."""
    from lightkube import operators

    with translate_errors(client, "list namespaces"):
        namespaces = list(
            client.list(cast(Any, resource_class(_NAMESPACE)), labels={PLATFORM_LABEL: operators.exists()})
        )
    out: dict[str, str] = {}
    for ns in namespaces:
        metadata = ns.get("metadata") or {}
        owner = (metadata.get("labels") or {}).get(PLATFORM_LABEL)
        if owner and owner != platform_id and metadata.get("name"):
            out[metadata["name"]] = f"platform {owner}"
    return out
