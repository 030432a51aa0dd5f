"""An in-memory Kubernetes API with the client surface the cluster port uses (get, list, create,
replace, patch, delete), for unit tests of the services' state machines without a cluster.

It keeps what the services depend on: objects as the API returns them, resourceVersions with
conflicts on stale writes (the Lease and the claim records rely on them), 404/409 as lightkube's
ApiError, label selectors, and namespace scoping. What it does not model (admission, garbage
collection, controllers) is set by the tests through :meth:`FakeKube.put` and :func:`settle`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping
from types import SimpleNamespace
from typing import Any

import httpx2
from lightkube.core.exceptions import ApiError
from lightkube.core.resource import NamespacedResource
from lightkube.models.meta_v1 import Status
from lightkube.operators import Operator

from helmdeck.cluster.client import serve_raw_http
from helmdeck.cluster.kinds import kind_info

Key = tuple[str, str, str, str]  # apiVersion, kind, namespace ("" for cluster-scoped), name


def api_error(code: int, reason: str, message: str) -> ApiError:
    return ApiError(status=Status(code=code, reason=reason, message=message, status="Failure"))


def _kind_of(res: Any) -> tuple[str, str]:
    info = res._api_info
    return info.resource.api_version, info.resource.kind


def _namespaced(res: Any) -> bool:
    from lightkube.generic_resource import GenericNamespacedResource

    return issubclass(res, (NamespacedResource, GenericNamespacedResource))


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return copy.deepcopy(dict(obj))
    return dict(obj.to_dict())


def _matches(labels: Mapping[str, str], selector: Mapping[str, Any] | None) -> bool:
    for key, want in (selector or {}).items():
        if isinstance(want, Operator):
            op, value = want.op_name, want.value
            if op == "exists" and key not in labels:
                return False
            if op == "not_exists" and key in labels:
                return False
            if op == "equal" and labels.get(key) != value:
                return False
            if op == "not_equal" and labels.get(key) == value:
                return False
            if op == "in" and labels.get(key) not in value:
                return False
            if op == "not_in" and labels.get(key) in value:
                return False
        elif labels.get(key) != want:
            return False
    return True


def _fields_match(obj: Mapping[str, Any], fields: Mapping[str, str] | None) -> bool:
    for path, want in (fields or {}).items():
        value: Any = obj
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if str(value) != want:
            return False
    return True


def _merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


#: kinds discovery names even while no object of theirs is stored
DISCOVERED: tuple[tuple[str, str], ...] = (
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Pod"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("coordination.k8s.io/v1", "Lease"),
)


def _plural(api_version: str, kind: str) -> str:
    info = kind_info(None, api_version, kind)
    return info.plural if info is not None else kind.lower() + "s"


def _scope(api_version: str, kind: str) -> bool:
    info = kind_info(None, api_version, kind)
    return info.namespaced if info is not None else True


class FakeKube:
    """Stands in for ``lightkube.Client``; thread-safe like the real one."""

    def __init__(self, namespace: str = "default") -> None:
        self.namespace = namespace
        self.config = SimpleNamespace(
            cluster=SimpleNamespace(server="https://fake.invalid"), context_name="fake", fname=None
        )
        self.objects: dict[Key, dict[str, Any]] = {}
        self._version = 0
        self._lock = threading.RLock()
        #: every write, as (verb, kind, namespace/name), for assertions on what a service did
        self.writes: list[tuple[str, str, str]] = []
        #: (verb, kind) -> ApiError to raise once, to test failure branches
        self.fail_next: dict[tuple[str, str], ApiError] = {}
        serve_raw_http(
            self, httpx2.Client(transport=httpx2.MockTransport(self._serve), base_url="https://fake.invalid")
        )  # type: ignore[arg-type]

    # -- helpers for tests ------------------------------------------------------------------------
    def put(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Store an object as a controller would have left it (no conflict checks)."""
        with self._lock:
            doc = copy.deepcopy(dict(obj))
            meta = doc.setdefault("metadata", {})
            meta["resourceVersion"] = self._next()
            meta.setdefault("uid", f"uid-{meta['resourceVersion']}")
            meta.setdefault("generation", 1)
            self.objects[self._key_of(doc)] = doc
            return copy.deepcopy(doc)

    def find(self, kind: str, namespace: str = "") -> list[dict[str, Any]]:
        return [copy.deepcopy(o) for (_, k, ns, _), o in sorted(self.objects.items()) if k == kind and ns == namespace]

    def one(self, kind: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        for (_, k, ns, n), obj in self.objects.items():
            if (k, ns, n) == (kind, namespace, name):
                return copy.deepcopy(obj)
        return None

    # -- the client surface -----------------------------------------------------------------------
    def get(self, res: Any, name: str, *, namespace: str | None = None) -> Any:
        api_version, kind = _kind_of(res)
        ns = (namespace or self.namespace) if _namespaced(res) else ""
        self._maybe_fail("get", kind)
        with self._lock:
            obj = self.objects.get((api_version, kind, ns, name))
            if obj is None:
                raise api_error(404, "NotFound", f'{kind.lower()}s "{name}" not found')
            return self._typed(res, obj)

    def list(
        self,
        res: Any,
        *,
        namespace: str | None = None,
        chunk_size: int | None = None,
        labels: Mapping[str, Any] | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> Iterator[Any]:
        api_version, kind = _kind_of(res)
        self._maybe_fail("list", kind)
        all_namespaces = namespace == "*" or (namespace is not None and not isinstance(namespace, str))
        ns = "" if not _namespaced(res) else (namespace or self.namespace)
        with self._lock:
            found = [
                self._typed(res, obj)
                for (av, k, o_ns, _), obj in sorted(self.objects.items())
                if (av, k) == (api_version, kind)
                and (all_namespaces or o_ns == ns)
                and _matches((obj.get("metadata") or {}).get("labels") or {}, labels)
                and _fields_match(obj, fields)
            ]
        return iter(found)

    def create(self, obj: Any, name: str | None = None, *, namespace: str | None = None, **_: Any) -> Any:
        doc = _as_dict(obj)
        meta = doc.setdefault("metadata", {})
        if namespace and _namespaced(type(obj)):
            meta["namespace"] = namespace
        self._maybe_fail("create", doc.get("kind", ""))
        with self._lock:
            key = self._key_of(doc)
            if key in self.objects:
                raise api_error(409, "AlreadyExists", f'{doc.get("kind")} "{meta.get("name")}" already exists')
            meta.pop("resourceVersion", None)
            stored = self.put(doc)
            self.writes.append(("create", key[1], f"{key[2]}/{key[3]}"))
            return self._typed(type(obj), stored)

    def replace(self, obj: Any, name: str | None = None, *, namespace: str | None = None, **_: Any) -> Any:
        doc = _as_dict(obj)
        if namespace and _namespaced(type(obj)):
            doc.setdefault("metadata", {})["namespace"] = namespace
        self._maybe_fail("replace", doc.get("kind", ""))
        with self._lock:
            key = self._key_of(doc)
            current = self.objects.get(key)
            if current is None:
                raise api_error(404, "NotFound", f"{key[1]} {key[3]} not found")
            given = (doc.get("metadata") or {}).get("resourceVersion")
            if given and given != current["metadata"]["resourceVersion"]:
                raise api_error(409, "Conflict", "the object has been modified; please apply your changes again")
            stored = self.put(doc)
            self.writes.append(("replace", key[1], f"{key[2]}/{key[3]}"))
            return self._typed(type(obj), stored)

    def patch(
        self,
        res: Any,
        name: str,
        obj: Any,
        *,
        namespace: str | None = None,
        patch_type: Any = None,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        **_: Any,
    ) -> Any:
        api_version, kind = _kind_of(res)
        ns = (namespace or self.namespace) if _namespaced(res) else ""
        self._maybe_fail("patch", kind)
        body = _as_dict(obj)
        with self._lock:
            key = (api_version, kind, ns, name)
            current = self.objects.get(key)
            is_apply = str(getattr(patch_type, "value", patch_type)).startswith("application/apply-patch")
            if current is None and not is_apply:
                raise api_error(404, "NotFound", f"{kind} {name} not found")
            merged = _merge(current or {}, body)
            merged.setdefault("apiVersion", api_version)
            merged.setdefault("kind", kind)
            meta = merged.setdefault("metadata", {})
            meta["name"] = name
            if ns:
                meta["namespace"] = ns
            if dry_run:  # the answer, as the API server's dry run gives it; nothing stored
                return self._typed(res, copy.deepcopy(merged))
            stored = self.put(merged)
            self.writes.append(("patch", kind, f"{ns}/{name}"))
            return self._typed(res, stored)

    def delete(self, res: Any, name: str, *, namespace: str | None = None, **_: Any) -> None:
        api_version, kind = _kind_of(res)
        ns = (namespace or self.namespace) if _namespaced(res) else ""
        self._maybe_fail("delete", kind)
        with self._lock:
            key = (api_version, kind, ns, name)
            if key not in self.objects:
                raise api_error(404, "NotFound", f"{kind} {name} not found")
            del self.objects[key]
            if kind == "Namespace":  # the namespace controller empties it
                for other in [k for k in self.objects if k[2] == name]:
                    del self.objects[other]
            self.writes.append(("delete", kind, f"{ns}/{name}"))

    def close(self) -> None:
        pass

    # -- raw requests (cluster.client.raw_http) ---------------------------------------------------
    def _discovery(self, path: str) -> dict[str, Any] | None:
        """API discovery: the kinds of :data:`DISCOVERED` and of every object stored, each listable."""
        with self._lock:
            kinds = set(DISCOVERED) | {(av, k) for (av, k, _, _) in self.objects}
        if path == "/apis":
            versions = sorted({av for av, _ in kinds if "/" in av})
            groups = [{"name": v.split("/")[0], "preferredVersion": {"groupVersion": v}} for v in versions]
            return {"kind": "APIGroupList", "groups": groups}
        api_version = path.removeprefix("/api/") if path.startswith("/api/") else path.removeprefix("/apis/")
        resources = [
            {"name": _plural(av, k), "kind": k, "namespaced": _scope(av, k), "verbs": ["get", "list", "delete"]}
            for av, k in sorted(kinds)
            if av == api_version
        ]
        return {"kind": "APIResourceList", "groupVersion": api_version, "resources": resources} if resources else None

    def _serve(self, request: httpx2.Request) -> httpx2.Response:
        """Discovery, and metadata-only lists (``as=PartialObjectMetadataList``), the one raw list
        helmdeck makes."""
        parts = request.url.path.strip("/").split("/")
        if request.method == "GET" and (request.url.path == "/apis" or len(parts) in (2, 3)):
            found = self._discovery(request.url.path)
            if found is not None:
                return httpx2.Response(200, json=found)
        if (
            request.method != "GET"
            or "as=PartialObjectMetadataList" not in request.headers.get("accept", "")
            or len(parts) not in (5, 6)
            or parts[-3] != "namespaces"
        ):
            return httpx2.Response(404, json={"kind": "Status", "code": 404, "message": "not served by FakeKube"})
        api_version = "/".join(parts[1:-3])
        namespace, plural = parts[-2], parts[-1]
        selector = dict(
            pair.split("=", 1) for pair in (request.url.params.get("labelSelector") or "").split(",") if pair
        )
        with self._lock:
            kinds = {k for (av, k, _, _) in self.objects if av == api_version and _plural(av, k) == plural}
            for kind in kinds:
                err = self.fail_next.pop(("list", kind), None)
                if err is not None:
                    return httpx2.Response(err.status.code or 500, json=err.status.to_dict())
            items = [
                {"metadata": copy.deepcopy(obj.get("metadata") or {})}
                for (av, k, ns, _), obj in sorted(self.objects.items())
                if av == api_version
                and k in kinds
                and ns == namespace
                and _matches((obj.get("metadata") or {}).get("labels") or {}, selector)
            ]
        return httpx2.Response(200, json={"kind": "PartialObjectMetadataList", "items": items})

    # -- internals --------------------------------------------------------------------------------
    def _next(self) -> str:
        self._version += 1
        return str(self._version)

    @staticmethod
    def _key_of(doc: Mapping[str, Any]) -> Key:
        meta = doc.get("metadata") or {}
        return (str(doc.get("apiVersion")), str(doc.get("kind")), str(meta.get("namespace") or ""), str(meta["name"]))

    def _maybe_fail(self, verb: str, kind: str) -> None:
        err = self.fail_next.pop((verb, kind), None)
        if err is not None:
            raise err

    @staticmethod
    def _typed(res: Any, obj: Mapping[str, Any]) -> Any:
        doc = copy.deepcopy(dict(obj))
        if isinstance(res, type) and issubclass(res, dict):
            return res(doc)
        return res.from_dict(doc)
