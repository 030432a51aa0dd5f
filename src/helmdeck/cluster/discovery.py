"""What a namespace holds, every kind of it: API discovery of the namespaced kinds that can be
listed, and one metadata-only list of each.

"Is this namespace empty?" cannot be answered from a fixed list of workload kinds: an operator's
ConfigMap, a Secret a chart's README asks you to create by hand, or a custom resource are data a
namespace deletion takes with it. Discovery names every kind the API server serves, custom ones
included, so nothing is left out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import lightkube

from helmdeck.cluster.client import get_json
from helmdeck.cluster.errors import Forbidden, NotFound, Unauthorized
from helmdeck.cluster.kinds import KindInfo, ListQuery, list_each, remember_kind
from helmdeck.errors import ClusterError

#: What Kubernetes itself creates in every namespace (and what it records about everything): never
#: the platform's, never foreign. (group, kind, name); a name of None means every object of the kind.
KUBERNETES_MADE: tuple[tuple[str, str, str | None], ...] = (
    ("", "ServiceAccount", "default"),  # the service account controller, in every namespace
    ("", "ConfigMap", "kube-root-ca.crt"),  # the root CA publisher, in every namespace
    ("", "Event", None),  # records about objects, expire on their own
    ("events.k8s.io", "Event", None),  # the same events, served by a second API group
)


def made_by_kubernetes(obj: Mapping[str, Any]) -> bool:
    """One of :data:`KUBERNETES_MADE`."""
    api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    name = (obj.get("metadata") or {}).get("name")
    return any(g == group and k == kind and n in (None, name) for g, k, n in KUBERNETES_MADE)


def _resources(client: lightkube.Client, api_version: str) -> list[KindInfo]:
    path = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    listing = get_json(client, path, f"discover the kinds of {api_version}")
    out = []
    for entry in (listing or {}).get("resources") or []:
        name = str(entry.get("name", ""))
        if "/" in name or "list" not in (entry.get("verbs") or []):  # subresources, unlistable kinds
            continue
        out.append(KindInfo(api_version, str(entry.get("kind")), name, bool(entry.get("namespaced"))))
    return out


def listable_kinds(client: lightkube.Client, *, namespaced: bool = True) -> list[KindInfo]:
    """Every kind the API server serves with ``list`` (the preferred version of each group), that is
    namespaced (or cluster-scoped, with ``namespaced=False``)."""
    groups = get_json(client, "/apis", "discover the API groups") or {}
    versions = ["v1"]
    for group in groups.get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        if preferred:
            versions.append(str(preferred))
    seen: set[tuple[str, str]] = set()
    out: list[KindInfo] = []
    for api_version in versions:
        for info in _resources(client, api_version):
            key = (info.group, info.kind)
            if info.namespaced == namespaced and key not in seen:
                seen.add(key)
                remember_kind(info)
                out.append(info)
    if not out:
        # an empty answer would make every namespace look empty, and deletable
        raise ClusterError("API discovery listed no kinds", fix="check that the server is a Kubernetes API server")
    return out


def namespace_contents(
    client: lightkube.Client, namespace: str, kinds: list[KindInfo] | None = None
) -> list[dict[str, Any]]:
    """Every object in ``namespace`` (apiVersion, kind and metadata only), of every listable kind.

    A kind the caller may not list is skipped (its objects cannot be judged, so they cannot be
    deleted by mistake either: the namespace is only deleted by the caller when it can list it).
    """
    kinds = listable_kinds(client) if kinds is None else kinds
    queries = [ListQuery(k.api_version, k.kind, namespace=namespace, metadata_only=True) for k in kinds]
    results = list_each(client, queries)
    for _attempt in range(_RETRIES):
        # a CRD established a moment ago answers "storage is (re)initializing" for a while
        failed = [i for i, r in enumerate(results) if isinstance(r, ClusterError) and not isinstance(r, _FINAL)]
        if not failed:
            break
        time.sleep(_RETRY_PAUSE)
        for i, again in zip(failed, list_each(client, [queries[i] for i in failed]), strict=True):
            results[i] = again
    out: list[dict[str, Any]] = []
    for query, found in zip(queries, results, strict=True):
        if isinstance(found, NotFound):
            continue  # a kind going away (or a CRD not served yet): nothing of it is in the namespace
        if isinstance(found, ClusterError):
            # an aggregated API that is down, or a kind not ours to read: judged as not there would
            # risk data, so the caller is told
            raise ClusterError(
                f"cannot list {query.kind} ({query.api_version}) in namespace {namespace}: {found.message}",
                where=f"Namespace {namespace}",
                fix="the namespace is kept; check the API service or the permissions, then run it again",
            )
        out.extend(found)
    return out


#: answers another try does not change
_FINAL = (NotFound, Forbidden, Unauthorized)
_RETRIES = 10
_RETRY_PAUSE = 0.5


def owner_uids(obj: Mapping[str, Any]) -> list[str]:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return [str(r.get("uid")) for r in refs if isinstance(r, Mapping) and r.get("uid")]
