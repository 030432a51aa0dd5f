"""The secret store in the cluster: one Kubernetes Secret per platform in its admin namespace.

Values are the Secret's data (one key per declared secret); where each came from and when
it was created or rotated sit in one JSON annotation. Writes carry the resourceVersion we
read, so two operators never overwrite each other's new secrets.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import json
from collections.abc import Mapping
from typing import Any

from helmdeck.cluster import KubeClient, ObjRef, create_object, get_object, replace_object
from helmdeck.cluster.errors import Conflict, Forbidden, NotFound, Unauthorized
from helmdeck.errors import ClusterError
from helmdeck.labels import PLATFORM_LABEL
from helmdeck.secrets.store import SecretStore, StoreConflict, StoredSecret
from helmdeck.spec.platform import Platform

META_ANNOTATION = "helmdeck.dev/secrets"
MANAGED_BY = {"app.kubernetes.io/managed-by": "helmdeck"}


def _parse_time(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


class KubeSecretStore(SecretStore):
    """Secrets of one platform in ``<admin namespace>/helmdeck-secrets-<platform>``."""

    def __init__(
        self,
        platform: Platform,
        client: KubeClient,
        *,
        environ: Mapping[str, str] | None = None,
        create_namespace: bool = True,
    ) -> None:
        super().__init__(platform, environ)
        self.client = client
        self.namespace = platform.admin_namespace
        self.name = platform.secret_store_name
        self.create_namespace = create_namespace

    @property
    def location(self) -> str:
        return f"Secret {self.namespace}/{self.name}"

    def _ref(self) -> ObjRef:
        return ObjRef("v1", "Secret", self.name, self.namespace)

    def _read(self) -> tuple[dict[str, StoredSecret], str | None]:
        try:
            obj = get_object(self.client, self._ref())
        except ClusterError as exc:
            raise self._error("read", exc) from None
        if obj is None:
            return {}, None
        meta = obj.get("metadata") or {}
        try:
            info = json.loads((meta.get("annotations") or {}).get(META_ANNOTATION, "{}"))
        except json.JSONDecodeError:
            info = {}
        if not isinstance(info, dict):
            info = {}
        entries: dict[str, StoredSecret] = {}
        for key, encoded in (obj.get("data") or {}).items():
            try:
                value = base64.b64decode(encoded, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue  # not ours to interpret; it is kept out of renders
            found = info.get(key)
            about: dict[str, Any] = found if isinstance(found, dict) else {}
            created = _parse_time(about.get("created")) or _parse_time(
                str(meta.get("creationTimestamp", "")).replace("Z", "+00:00")
            )
            entries[key] = StoredSecret(
                value=value,
                source=str(about.get("source", "unknown")),
                created=created or datetime.datetime.now(datetime.UTC).replace(microsecond=0),
                rotated=_parse_time(about.get("rotated")),
            )
        return entries, meta.get("resourceVersion")

    def _write(self, entries: dict[str, StoredSecret], token: str | None) -> None:
        info = {
            name: {
                "source": e.source,
                "created": e.created.isoformat(),
                "rotated": e.rotated.isoformat() if e.rotated else None,
            }
            for name, e in sorted(entries.items())
        }
        metadata: dict[str, Any] = {
            "name": self.name,
            "namespace": self.namespace,
            "labels": {**MANAGED_BY, PLATFORM_LABEL: self.platform.name},
            "annotations": {META_ANNOTATION: json.dumps(info, sort_keys=True)},
        }
        if token is not None:
            metadata["resourceVersion"] = token
        obj = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": "Opaque",
            "data": {n: base64.b64encode(e.value.encode("utf-8")).decode("ascii") for n, e in entries.items()},
        }
        try:
            if token is None:
                self._create(obj)
            else:
                replace_object(self.client, obj)
        except Conflict:
            raise StoreConflict from None
        except ClusterError as exc:
            raise self._error("write", exc) from None

    def _create(self, obj: dict[str, Any]) -> None:
        try:
            create_object(self.client, obj)
        except NotFound:
            if not self.create_namespace:
                raise
            self._ensure_namespace()
            create_object(self.client, obj)

    def _ensure_namespace(self) -> None:
        namespace = {
            "apiVersion": "v1",
            "kind": "Namespace",
            # the platform's label too: only a namespace marked as made for this platform is ever
            # removed by its undeploy (see helmdeck.core.inventory)
            "metadata": {
                "name": self.namespace,
                "labels": {**MANAGED_BY, PLATFORM_LABEL: self.platform.prefixed(self.platform.name)},
            },
        }
        with contextlib.suppress(Conflict):  # created meanwhile by someone else: fine
            create_object(self.client, namespace)

    def _error(self, action: str, exc: ClusterError) -> ClusterError:
        fix = exc.fix or "check the kubeconfig and that the cluster is reachable"
        if isinstance(exc, (Forbidden, Unauthorized)):
            fix = f"your account needs get/create/update on secrets in namespace {self.namespace}"
        return ClusterError(
            f"cannot {action} the platform's secrets: {exc.message}",
            where=self.location,
            fix=fix,
        )
