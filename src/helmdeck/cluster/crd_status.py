"""Whether a custom kind's CRD declares a status subresource: the kind's contract about health.

A CRD without ``subresources.status`` for a served version says its objects never report status
(Traefik's Middleware, GKE's BackendConfig): such an object is healthy when it exists. One that
declares a status is waited on by the generic kstatus rules.

Read once per status or health gate: one metadata-only list of the cluster's CRDs (names and
resourceVersions, not their schemas, which run to megabytes), then each CRD the platform uses
read whole only when it changed since the last reading through the same client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster.kinds import KindInfo, ListQuery, get_object, list_metadata
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.per_client import PerClient
from helmdeck.cluster.readiness import is_builtin_group
from helmdeck.errors import ClusterError
from helmdeck.manifests.crds import crd_versions

_CRD_API = "apiextensions.k8s.io/v1"

#: the CRDs' metadata: a status lists it in the same round as its other lists (``listed`` below)
CRD_QUERY = ListQuery(_CRD_API, "CustomResourceDefinition", metadata_only=True)


@dataclass
class _Memory:
    #: CRD name -> (its resourceVersion, served version -> declares a status subresource)
    crds: dict[str, tuple[str, dict[str, bool]]] = field(default_factory=dict)


_memory = PerClient(_Memory)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def custom_kinds(infos: Iterable[KindInfo | None]) -> list[KindInfo]:
    """The kinds among ``infos`` that a CRD may define (not Kubernetes' own groups)."""
    return list(dict.fromkeys(i for i in infos if i is not None and not is_builtin_group(i.group)))


def status_subresources(
    client: Any,
    infos: Iterable[KindInfo | None],
    listed: list[dict[str, Any]] | ClusterError | None = None,
) -> dict[tuple[str, str], bool]:
    """(apiVersion, kind) -> whether its CRD declares a status subresource, for the custom kinds
    among ``infos``; a kind whose CRD cannot be read (an aggregated API, no permission to read
    CRDs) is left out, and its objects keep the rules for a kind nothing is known about.
    ``listed``: the :data:`CRD_QUERY` list, when the caller made it."""
    kinds = custom_kinds(infos)
    if not kinds:
        return {}
    if listed is None:
        try:
            listed = list_metadata(client, _CRD_API, "CustomResourceDefinition")
        except ClusterError:
            return {}
    if isinstance(listed, ClusterError):
        return {}
    versions = {
        str(_map(item.get("metadata")).get("name")): str(_map(item.get("metadata")).get("resourceVersion") or "")
        for item in listed
    }
    memory = _memory(client)
    out: dict[tuple[str, str], bool] = {}
    for info in kinds:
        name = f"{info.plural}.{info.group}"
        version = versions.get(name)
        if version is None:
            continue
        known = memory.crds.get(name)
        if known is None or known[0] != version:
            try:
                crd = get_object(client, ObjRef(_CRD_API, "CustomResourceDefinition", name))
            except ClusterError:
                continue
            if crd is None:
                continue
            known = (version, crd_versions(crd))
            with _memory.lock:
                memory.crds[name] = known
        served = info.api_version.rpartition("/")[2]
        if served in known[1]:
            out[(info.api_version, info.kind)] = known[1][served]
    return out
