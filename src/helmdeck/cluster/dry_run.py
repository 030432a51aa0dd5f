"""Server-side apply dry runs: what the API server would store for an object, without storing it.

The API server defaults fields, drops empty ones, folds a Secret's ``stringData`` into ``data``,
runs validation and admission (schemas, field values, immutable fields, quotas, webhooks; not node
port allocation, which a dry run skips), and merges the object into the live one by field
ownership. Asking it (``PATCH ...?dryRun=All`` with ``application/apply-patch+yaml``) gives the
desired object in the form it is stored in, so plan compares like with like, and preflight sees the
refusals the install would meet before anything is written.

The dry runs apply as a field manager of their own that never writes (:data:`DRY_RUN_MANAGER`),
forcing conflicts: the answer is the live object with every field of the manifest set as the
manifest sets it (taken back from ``kubectl edit``), and nothing else touched. Helm's own manager
would remove fields it owns that the manifest no longer sets, but Helm names it after the process
(``helm``, ``python``, ``helmdeck`` ...), and for the manifest Helm last applied the two agree.

Objects that cannot be asked about before the install are not errors: their namespace does not
exist yet (with a stand-in namespace, they are still checked for what does not depend on it), their
kind is not served yet (a CRD shipped by the same deploy) or not at all, or an old admission webhook
declaring side effects refuses dry runs. Other webhooks see dry runs (``dryRun: true``) and answer.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

import lightkube

from helmdeck.cluster.client import api_error, translate_errors
from helmdeck.cluster.decoding import prepare_decoding
from helmdeck.cluster.kinds import KindInfo, get_object, kind_info, normalize, resource_class, server_side_apply
from helmdeck.cluster.objects import ObjRef
from helmdeck.errors import ClusterError

#: the field manager of dry runs; it never writes, so it owns no field of any live object
DRY_RUN_MANAGER = "helmdeck-dry-run"
#: dry runs in flight at once: a platform has hundreds of objects, each one round trip
DRY_RUN_WORKERS = 8


@dataclass(frozen=True)
class DryRun:
    """The API server's answer for one object: exactly one of ``stored``, ``unchecked``, ``error``."""

    ref: ObjRef
    #: the object as the API server would store it (apiVersion and kind included)
    stored: dict[str, Any] | None = None
    #: why the object cannot be checked before the install (its namespace or kind is not there yet)
    unchecked: str | None = None
    #: the API server refused the object (invalid, forbidden by admission or RBAC, over quota ...)
    error: ClusterError | None = None
    #: the refusal's causes as the API server lists them: (field path, message)
    causes: tuple[tuple[str, str], ...] = ()


def _one(
    client: lightkube.Client,
    doc: Mapping[str, Any],
    namespace: str | None,
    *,
    create: bool = False,
    stand_in: str | None = None,
    absent: frozenset[str] = frozenset(),
) -> DryRun:
    try:
        ref = ObjRef.from_manifest(doc, namespace)
    except ClusterError as err:
        meta = doc.get("metadata")
        named = isinstance(meta, Mapping) and meta.get("generateName")
        ref = ObjRef(str(doc.get("apiVersion") or "?"), str(doc.get("kind") or "?"), "?", namespace)
        if named:  # named by the API server at creation: nothing to compare before
            return DryRun(ref, unchecked="its name is generated at creation")
        return DryRun(ref, error=err)
    try:
        ref, info = normalize(client, ref)
    except ClusterError as err:
        return DryRun(ref, error=err)
    if info is None:
        return DryRun(ref, unchecked=f"the cluster does not serve {ref.kind} ({ref.api_version}) yet")
    body = dict(doc)
    metadata = dict(doc.get("metadata") or {})
    if info.namespaced:
        metadata["namespace"] = ref.namespace
    else:
        metadata.pop("namespace", None)
    body["metadata"] = metadata
    if stand_in and info.namespaced and ref.namespace in absent:  # known missing: no need to ask
        return _ask_in_stand_in(client, info, ref, body, stand_in, f"namespace {ref.namespace} does not exist yet")
    answer = _ask(client, info, ref, body, create=create)
    if answer.unchecked is not None and answer.unchecked.startswith("namespace ") and stand_in and info.namespaced:
        return _ask_in_stand_in(client, info, ref, body, stand_in, answer.unchecked)
    return answer


def _ask(client: lightkube.Client, info: KindInfo, ref: ObjRef, body: dict[str, Any], *, create: bool) -> DryRun:
    out: Mapping[str, Any]
    action = f"check {ref} with the API server (server-side apply dry run)"
    try:
        with translate_errors(client, action, str(ref)):
            try:
                if create:
                    out = client.create(
                        cast(Any, resource_class(info))(body), field_manager=DRY_RUN_MANAGER, dry_run=True
                    )
                else:
                    out = server_side_apply(
                        client, info, ref, body, field_manager=DRY_RUN_MANAGER, force=True, dry_run=True
                    )
            except lightkube.ApiError as err:
                missing = _missing(err)
                if missing is not None:
                    return DryRun(ref, unchecked=missing)
                if create and err.status.code == 409:
                    return DryRun(ref, unchecked="it exists already (Helm replaces a hook when it runs)")
                if "does not support dry run" in (err.status.message or ""):
                    # a webhook declaring side effects (v1beta1's Some/Unknown, clusters before
                    # 1.22) makes the server refuse every dry run: no verdict on the object
                    return DryRun(ref, unchecked="an admission webhook does not take dry runs")
                return DryRun(ref, error=api_error(client, err, action, str(ref)), causes=_causes(err))
    except ClusterError as err:
        if err.details.get("status") == 404:
            # no Status in the answer ("404 page not found"): the path itself is not served, as
            # for a CRD created a moment ago that the API server has not started serving yet
            return DryRun(ref, unchecked="the cluster does not serve this kind yet")
        return DryRun(ref, error=err)
    return DryRun(ref, stored={"apiVersion": info.api_version, "kind": info.kind, **dict(out)})


def _ask_in_stand_in(
    client: lightkube.Client, info: KindInfo, ref: ObjRef, body: dict[str, Any], stand_in: str, missing: str
) -> DryRun:
    """An object whose namespace the deploy has yet to create, checked in a namespace that exists
    under a name of its own (applied as Helm applies, so the schema is as strict): field
    validation (a NodePort's range, a schema) does not depend on the namespace. Only such refusals
    count; anything that may (quota, admission, permissions) leaves the object unchecked."""
    stand_in_name = f"{ref.name[:50]}-{secrets.token_hex(3)}"
    metadata = {**body["metadata"], "name": stand_in_name, "namespace": stand_in}
    stand_in_ref = ObjRef(ref.api_version, ref.kind, stand_in_name, stand_in)
    answer = _ask(client, info, stand_in_ref, {**body, "metadata": metadata}, create=False)
    if answer.error is None or not _refuses_the_object(answer.error):
        return DryRun(ref, unchecked=f"{missing}; checked in {stand_in} for what does not depend on it")
    # the server named the object by the stand-in's name: give it back its own
    error = answer.error
    error.message = error.message.replace(stand_in_name, ref.name).replace(str(stand_in_ref), str(ref))
    causes = tuple((f, m.replace(stand_in_name, ref.name)) for f, m in answer.causes)
    error.where = str(ref)
    return DryRun(ref, error=error, causes=causes)


def _refuses_the_object(error: ClusterError) -> bool:
    """A refusal of the object itself, whatever its namespace: invalid (422), malformed (400), or a
    field not in the schema (the server answers that one with 500: "failed to create typed patch
    object")."""
    status = error.details.get("status")
    return status in (400, 422) or (status == 500 and "typed patch object" in error.message)


def _causes(err: lightkube.ApiError) -> tuple[tuple[str, str], ...]:
    details = err.status.details
    return tuple((c.field or "", c.message or "") for c in (details.causes or ())) if details is not None else ()


def _missing(err: lightkube.ApiError) -> str | None:
    """Why a 404 means "not checkable yet": the namespace or the kind is not there (yet)."""
    if err.status.code != 404:
        return None
    details = err.status.details
    if details is not None and details.kind == "namespaces":
        return f"namespace {details.name} does not exist yet"
    return "the cluster does not serve this kind yet"


def dry_run_objects(
    client: lightkube.Client,
    docs: Sequence[tuple[Mapping[str, Any], str | None]],
    *,
    create: bool = False,
    workers: int = DRY_RUN_WORKERS,
    stand_in: str | None = None,
) -> list[DryRun]:
    """The API server's answer for each ``(manifest object, default namespace)``, in order, with
    up to ``workers`` dry runs in flight. Never raises for one object: its answer says. With
    ``stand_in`` (a namespace that exists), objects whose namespace does not exist yet are still
    checked for what does not depend on their namespace.

    With ``create``, each is dry-run as a creation rather than an apply: for hooks, which Helm
    creates anew each time it runs them (one that exists already cannot be checked: applying over
    it would compare the new hook with the old, whose Job template cannot change)."""
    if not docs:
        return []
    absent = _absent_namespaces(client, docs) if stand_in else frozenset()
    if workers <= 1 or len(docs) == 1:
        return [_one(client, doc, ns, create=create, stand_in=stand_in, absent=absent) for doc, ns in docs]
    prepare_decoding()  # threads decode at once: the tables must be built first (see decoding)
    for doc, _ns in docs:  # kinds resolved once, from this thread, before the workers ask
        with contextlib.suppress(ClusterError):  # the object's own dry run reports it
            kind_info(client, str(doc.get("apiVersion") or ""), str(doc.get("kind") or ""))
    with _POOL_LOCK:
        pool = _pool(workers)
    return list(
        pool.map(lambda item: _one(client, item[0], item[1], create=create, stand_in=stand_in, absent=absent), docs)
    )


def _absent_namespaces(
    client: lightkube.Client, docs: Sequence[tuple[Mapping[str, Any], str | None]]
) -> frozenset[str]:
    """The namespaces named by ``docs`` that do not exist: a fresh platform's objects go straight to
    the stand-in, rather than each learning it from a refusal first (one round trip per namespace,
    not per object)."""
    names = set()
    for doc, default in docs:
        meta = doc.get("metadata")
        written = meta.get("namespace") if isinstance(meta, Mapping) else None
        names.add(written if isinstance(written, str) and written else default)
    out = set()
    for name in sorted(n for n in names if n):
        with contextlib.suppress(ClusterError):  # cannot tell: each object finds out itself
            if get_object(client, ObjRef("v1", "Namespace", name)) is None:
                out.add(name)
    return frozenset(out)


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    # kept for the process, as the list pool is: a web service plans again and again
    pool = _POOLS.get(workers)
    if pool is None:
        pool = _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="dry-run")
    return pool
