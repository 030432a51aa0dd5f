"""Resource classes for any kind, built-in or custom, whose objects decode to plain dicts.

Objects mostly come from rendered manifests, so helmdeck handles them as dicts (the shape the API
returns) rather than lightkube's typed models. The classes made here are lightkube generic
resources that are *not* registered in lightkube's global registry: registering ``apps/v1
Deployment`` there would change what ``lightkube.codecs`` returns for other code.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import lightkube
from lightkube.core import resource as lk_resource
from lightkube.core.exceptions import LoadResourceError
from lightkube.core.resource_registry import resource_registry
from lightkube.generic_resource import GenericGlobalResource, GenericNamespacedResource, create_api_info
from lightkube.types import CascadeType, PatchType

from helmdeck.cluster.client import FIELD_MANAGER, get_json, raw_http, single_threaded, translate_errors
from helmdeck.cluster.decoding import prepare_list_model
from helmdeck.cluster.errors import NotFound
from helmdeck.cluster.objects import ObjRef
from helmdeck.errors import ClusterError

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

GenericResource = type[GenericNamespacedResource] | type[GenericGlobalResource]


@dataclass(frozen=True)
class KindInfo:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""


_lock = threading.Lock()
_infos: dict[tuple[str, str], KindInfo] = {}
_classes: dict[KindInfo, GenericResource] = {}


def _builtin_info(api_version: str, kind: str) -> KindInfo | None:
    """Scope and plural from lightkube's bundled models (no request needed for standard kinds)."""
    try:
        typed = resource_registry.load(api_version, kind)
    except (LoadResourceError, ImportError, ValueError):
        return None
    info = lk_resource.api_info(typed)
    namespaced = issubclass(typed, lk_resource.NamespacedResource)
    return KindInfo(api_version, kind, info.plural, namespaced)


def _discover(client: lightkube.Client, api_version: str, kind: str) -> KindInfo | None:
    path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    listing = get_json(client, path)
    if not isinstance(listing, Mapping):
        return None
    for entry in listing.get("resources") or []:
        if entry.get("kind") == kind and "/" not in str(entry.get("name", "")):
            return KindInfo(api_version, kind, str(entry["name"]), bool(entry.get("namespaced")))
    return None


def kind_info(client: lightkube.Client | None, api_version: str, kind: str) -> KindInfo | None:
    """How the API serves ``kind``: plural and scope; None when the cluster does not serve it.

    Standard kinds are answered from lightkube's models; others by API discovery (cached once found;
    a miss is not cached since a CRD may be installed a moment later).
    """
    key = (api_version, kind)
    with _lock:
        known = _infos.get(key)
    if known is not None:
        return known
    info = _builtin_info(api_version, kind)
    if info is None and client is not None:
        info = _discover(client, api_version, kind)
    if info is not None:
        with _lock:
            _infos[key] = info
    return info


def remember_kind(info: KindInfo) -> None:
    """Keep what discovery said of a kind, so listing it asks the API server nothing more."""
    with _lock:
        _infos.setdefault((info.api_version, info.kind), info)


def resource_class(info: KindInfo) -> GenericResource:
    with _lock:
        cls = _classes.get(info)
        if cls is None:
            group, _, version = info.api_version.rpartition("/")
            base: type[Any] = GenericNamespacedResource if info.namespaced else GenericGlobalResource
            cls = cast(
                GenericResource,
                type(
                    info.kind,
                    (base,),
                    {"_api_info": create_api_info(group, version, info.kind, info.plural)},
                ),
            )
            prepare_list_model(cast(type, cls))
            _classes[info] = cls
        return cls


def resource_for(client: lightkube.Client | None, api_version: str, kind: str) -> GenericResource:
    """The dict-decoding resource class for a kind; ClusterError when the cluster does not serve it."""
    info = kind_info(client, api_version, kind)
    if info is None:
        raise ClusterError(
            f"the cluster does not serve {kind} ({api_version})",
            fix="install the CustomResourceDefinition (or the operator/chart that provides it) first",
        )
    return resource_class(info)


def normalize(client: lightkube.Client | None, ref: ObjRef) -> tuple[ObjRef, KindInfo | None]:
    """``ref`` with the namespace dropped for cluster-scoped kinds, and how its kind is served."""
    info = kind_info(client, ref.api_version, ref.kind)
    if info is not None and not info.namespaced and ref.namespace is not None:
        ref = ref.cluster_scoped()
    return ref, info


def get_object(client: lightkube.Client, ref: ObjRef) -> dict[str, Any] | None:
    """The live object as a dict, or None when it does not exist (or its kind is not served)."""
    ref, info = normalize(client, ref)
    if info is None:
        return None
    res = resource_class(info)
    obj: Mapping[str, Any]
    with translate_errors(client, f"read {ref}"):
        try:
            if info.namespaced:
                namespaced = cast(type[GenericNamespacedResource], res)
                obj = client.get(namespaced, ref.name, namespace=ref.namespace)
            else:
                obj = client.get(cast(type[GenericGlobalResource], res), ref.name)
        except lightkube.ApiError as err:
            if err.status.code == 404:
                return None
            raise
    return {"apiVersion": info.api_version, "kind": info.kind, **obj}


def list_objects(
    client: lightkube.Client,
    api_version: str,
    kind: str,
    *,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Objects of a kind (in one namespace, or all namespaces when None), as dicts.

    With ``limit``, at most that many objects are fetched (one page), for "is there any?" checks.
    """
    info = kind_info(client, api_version, kind)
    if info is None:
        return
    res = resource_class(info)
    where = f"{kind} in namespace {namespace}" if namespace else kind
    items: Iterable[Mapping[str, Any]]
    with translate_errors(client, f"list {where}"):
        if info.namespaced:
            items = client.list(
                cast(type[GenericNamespacedResource], res),
                namespace=namespace or lightkube.ALL_NS,
                labels=dict(labels) if labels else None,
                fields=dict(fields) if fields else None,
                chunk_size=limit,
            )
        else:
            items = client.list(
                cast(type[GenericGlobalResource], res),
                labels=dict(labels) if labels else None,
                fields=dict(fields) if fields else None,
                chunk_size=limit,
            )
        for count, item in enumerate(items, start=1):
            yield listed_object(info, item)
            if limit is not None and count >= limit:
                return


def listed_object(info: KindInfo, item: Mapping[str, Any]) -> dict[str, Any]:
    """An object of a list or watch as helmdeck keeps it: typed (the items of a list response carry
    no apiVersion/kind, and the readiness rules dispatch on them), without its field managers.

    ``metadata.managedFields`` is about half of a Deployment, ReplicaSet, Pod or Service as the API
    server sends it, and nothing that lists or watches reads it (client-go's informers drop it for
    the same reason): kept, it doubled what a status or the gates of 1000 components held. The
    item's own metadata is changed in place: it was decoded for this caller alone."""
    meta = item.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return {"apiVersion": info.api_version, "kind": info.kind, **item}


def list_metadata(
    client: lightkube.Client,
    api_version: str,
    kind: str,
    *,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The metadata of a kind's objects (names, labels, uid, resourceVersion), without their bodies:
    the API server's PartialObjectMetadataList. Helm's release Secrets carry the whole chart, so
    their bodies are ten times what a status needs to see whether any changed."""
    info = kind_info(client, api_version, kind)
    if info is None:
        return []
    prefix = f"/apis/{info.api_version}" if info.group else f"/api/{info.api_version}"
    path = (
        f"{prefix}/namespaces/{namespace}/{info.plural}" if namespace and info.namespaced else f"{prefix}/{info.plural}"
    )
    params = {"labelSelector": ",".join(f"{k}={v}" for k, v in labels.items())} if labels else {}
    where = f"{kind} in namespace {namespace}" if namespace else kind
    with translate_errors(client, f"list {where}"):
        response = raw_http(client).get(path, params=params, headers={"Accept": _METADATA_LIST})
        if response.status_code >= 400:
            raise lightkube.ApiError(request=response.request, response=response)
        items = response.json().get("items") or []
    return [listed_object(info, {"metadata": i.get("metadata") or {}}) for i in items]


_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


@dataclass(frozen=True)
class ListQuery:
    """One list request of :func:`list_each` (``metadata_only``: see :func:`list_metadata`)."""

    api_version: str
    kind: str
    namespace: str | None = None
    labels: Mapping[str, str] | None = None
    fields: Mapping[str, str] | None = None
    metadata_only: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        """What makes two queries the same request (the selectors are dicts, so not hashable)."""
        return (
            self.api_version,
            self.kind,
            self.namespace,
            tuple(sorted((self.labels or {}).items())),
            tuple(sorted((self.fields or {}).items())),
            self.metadata_only,
        )


def items_of(results: Iterable[list[dict[str, Any]] | ClusterError]) -> Iterator[dict[str, Any]]:
    """Every object of :func:`list_each`'s results: a list's error is raised, except that a list in
    a namespace that is not there (NotFound) has nothing."""
    for result in results:
        if isinstance(result, NotFound):
            continue
        if isinstance(result, ClusterError):
            raise result
        yield from result


#: lists in flight at once: a status of a platform spread over several namespaces waits on the API
#: server, not on Python; more than this mostly queues on a small control plane
LIST_WORKERS = 4


def list_each(
    client: lightkube.Client, queries: list[ListQuery], *, workers: int = LIST_WORKERS
) -> list[list[dict[str, Any]] | ClusterError]:
    """Every query's objects (or its error), in order, with up to ``workers`` lists in flight: a fresh
    status of 100 components in 4 namespaces makes about 25 lists, a round trip each."""

    def one(query: ListQuery) -> list[dict[str, Any]] | ClusterError:
        try:
            if query.metadata_only:
                if query.fields:
                    raise ValueError("a metadata-only list takes no field selector")
                return list_metadata(
                    client, query.api_version, query.kind, namespace=query.namespace, labels=query.labels
                )
            return list(
                list_objects(
                    client,
                    query.api_version,
                    query.kind,
                    namespace=query.namespace,
                    labels=query.labels,
                    fields=query.fields,
                )
            )
        except ClusterError as err:
            return err

    # a client made for one thread (a one-shot CLI status) lists in turn: preparing the decoding
    # tables for threads costs more than a small platform's lists take
    if workers <= 1 or len(queries) <= 1 or single_threaded(client):
        return [one(q) for q in queries]
    from concurrent.futures import ThreadPoolExecutor

    from helmdeck.cluster.decoding import prepare_decoding

    prepare_decoding()  # threads decode at once: the tables must be built first (see decoding)
    for query in queries:  # kinds resolved once, from this thread, before the workers ask
        kind_info(client, query.api_version, query.kind)
    if workers != LIST_WORKERS:
        with ThreadPoolExecutor(min(workers, len(queries)), thread_name_prefix="list") as pool:
            return list(pool.map(one, queries))
    global _LIST_POOL
    with _LIST_POOL_LOCK:
        if _LIST_POOL is None:
            # kept for the process: starting 4 threads for every status costs a service polling
            # every second more than some of its lists take
            _LIST_POOL = ThreadPoolExecutor(LIST_WORKERS, thread_name_prefix="list")
        pool = _LIST_POOL
    return list(pool.map(one, queries))


_LIST_POOL: ThreadPoolExecutor | None = None
_LIST_POOL_LOCK = threading.Lock()


def _doc_ref(client: lightkube.Client, doc: Mapping[str, Any], namespace: str | None) -> tuple[ObjRef, KindInfo]:
    ref, info = normalize(client, ObjRef.from_manifest(doc, namespace or client.namespace))
    if info is None:
        raise ClusterError(
            f"the cluster does not serve {ref.kind} ({ref.api_version})",
            where=str(ref),
            fix="install the CustomResourceDefinition (or the operator/chart that provides it) first",
        )
    return ref, info


def apply_object(
    client: lightkube.Client,
    doc: Mapping[str, Any],
    *,
    namespace: str | None = None,
    force: bool = False,
    field_manager: str | None = None,
) -> dict[str, Any]:
    """Server-side apply one object of any kind (created when missing); returns the live object."""
    ref, info = _doc_ref(client, doc, namespace)
    body = dict(doc)
    if info.namespaced:
        body["metadata"] = {**(doc.get("metadata") or {}), "namespace": ref.namespace}
    with translate_errors(client, f"apply {ref}", str(ref)):
        out = server_side_apply(client, info, ref, body, field_manager=field_manager or FIELD_MANAGER, force=force)
    return dict(out)


def server_side_apply(
    client: lightkube.Client,
    info: KindInfo,
    ref: ObjRef,
    body: dict[str, Any],
    *,
    field_manager: str,
    force: bool,
    dry_run: bool = False,
) -> Mapping[str, Any]:
    """One server-side apply PATCH of ``body`` as ``ref`` (raw: the caller translates API errors);
    lightkube types the namespaced and the cluster-scoped call apart, hence the two branches."""
    res = resource_class(info)
    if info.namespaced:
        return client.patch(
            cast(type[GenericNamespacedResource], res),
            ref.name,
            body,
            namespace=ref.namespace,
            patch_type=PatchType.APPLY,
            field_manager=field_manager,
            force=force,
            dry_run=dry_run,
        )
    return client.patch(
        cast(type[GenericGlobalResource], res),
        ref.name,
        body,
        patch_type=PatchType.APPLY,
        field_manager=field_manager,
        force=force,
        dry_run=dry_run,
    )


def delete_object(client: lightkube.Client, ref: ObjRef) -> bool:
    """Delete an object (background cascade); False when it was not there. The cascade is asked
    for: a Job's default (kept for old clients) orphans its pods, which then hold its namespace."""
    ref, info = normalize(client, ref)
    if info is None:
        return False
    res = resource_class(info)
    cascade = CascadeType.BACKGROUND
    with translate_errors(client, f"delete {ref}", str(ref)):
        try:
            if info.namespaced:
                namespaced = cast(type[GenericNamespacedResource], res)
                client.delete(namespaced, ref.name, namespace=ref.namespace, cascade=cascade)
            else:
                client.delete(cast(type[GenericGlobalResource], res), ref.name, cascade=cascade)
        except lightkube.ApiError as err:
            if err.status.code == 404:
                return False
            raise
    return True


def _body(client: lightkube.Client, doc: Mapping[str, Any], namespace: str | None) -> tuple[ObjRef, Any]:
    """The typed (dict-backed) object lightkube sends for ``doc``, with its namespace filled in."""
    ref, info = _doc_ref(client, doc, namespace)
    metadata = dict(doc.get("metadata") or {})
    if ref.namespace:
        metadata["namespace"] = ref.namespace
    return ref, cast(Any, resource_class(info))({**doc, "metadata": metadata})


def _as_doc(doc: Mapping[str, Any], out: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": doc.get("apiVersion"), "kind": doc.get("kind"), **dict(out)}


def create_object(client: lightkube.Client, doc: Mapping[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
    """Create one object of any kind; Conflict when it exists already, NotFound when its namespace does not."""
    ref, body = _body(client, doc, namespace)
    with translate_errors(client, f"create {ref}", str(ref)):
        out = client.create(body, field_manager=FIELD_MANAGER)
    return _as_doc(doc, out)


def replace_object(client: lightkube.Client, doc: Mapping[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
    """Replace one object; with ``metadata.resourceVersion`` set, Conflict when it changed since it was read."""
    ref, body = _body(client, doc, namespace)
    with translate_errors(client, f"update {ref}", str(ref)):
        out = client.replace(body, field_manager=FIELD_MANAGER)
    return _as_doc(doc, out)


def merge_patch_object(client: lightkube.Client, ref: ObjRef, patch: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a JSON merge patch (RFC 7386) to one object; NotFound when it does not exist."""
    ref, info = normalize(client, ref)
    if info is None:
        raise ClusterError(f"the cluster does not serve {ref.kind} ({ref.api_version})", where=str(ref))
    res = cast(Any, resource_class(info))
    with translate_errors(client, f"update {ref}", str(ref)):
        if info.namespaced:
            out = client.patch(res, ref.name, dict(patch), namespace=ref.namespace, patch_type=PatchType.MERGE)
        else:
            out = client.patch(res, ref.name, dict(patch), patch_type=PatchType.MERGE)
    return {"apiVersion": info.api_version, "kind": info.kind, **dict(out)}
