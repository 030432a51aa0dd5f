"""The secret store in the cluster: one Kubernetes Secret per platform in its admin namespace.

Values are the Secret's data (one key per declared secret); where each came from and when
it was created or rotated sit in one JSON annotation. Writes carry the resourceVersion we
read, so two operators never overwrite each other's new secrets.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Mapping
from typing import Any

import httpx2
from lightkube import ApiError, Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, Secret

from helmdeck.errors import ClusterError
from helmdeck.labels import PLATFORM_LABEL
from helmdeck.secrets.store import SecretStore, StoreConflict, StoredSecret
from helmdeck.spec.platform import Platform

META_ANNOTATION = "helmdeck.dev/secrets"
MANAGED_BY = {"app.kubernetes.io/managed-by": "helmdeck"}
FIELD_MANAGER = "helmdeck"


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
        client: Client,
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

    def _read(self) -> tuple[dict[str, StoredSecret], str | None]:
        try:
            obj = self.client.get(Secret, name=self.name, namespace=self.namespace)
        except ApiError as exc:
            if exc.status.code == 404:
                return {}, None
            raise self._error("read", exc) from None
        except httpx2.TransportError as exc:
            raise self._unreachable(exc) from None
        meta = obj.metadata or ObjectMeta()
        try:
            info = json.loads((meta.annotations or {}).get(META_ANNOTATION, "{}"))
        except json.JSONDecodeError:
            info = {}
        if not isinstance(info, dict):
            info = {}
        entries: dict[str, StoredSecret] = {}
        for key, encoded in (obj.data or {}).items():
            try:
                value = base64.b64decode(encoded, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue  # not ours to interpret; it is kept out of renders
            found = info.get(key)
            about: dict[str, Any] = found if isinstance(found, dict) else {}
            created = _parse_time(about.get("created")) or (
                meta.creationTimestamp if isinstance(meta.creationTimestamp, datetime.datetime) else None
            )
            entries[key] = StoredSecret(
                value=value,
                source=str(about.get("source", "unknown")),
                created=created or datetime.datetime.now(datetime.UTC).replace(microsecond=0),
                rotated=_parse_time(about.get("rotated")),
            )
        return entries, meta.resourceVersion

    def _write(self, entries: dict[str, StoredSecret], token: str | None) -> None:
        info = {
            name: {
                "source": e.source,
                "created": e.created.isoformat(),
                "rotated": e.rotated.isoformat() if e.rotated else None,
            }
            for name, e in sorted(entries.items())
        }
        obj = Secret(
            metadata=ObjectMeta(
                name=self.name,
                namespace=self.namespace,
                labels={**MANAGED_BY, PLATFORM_LABEL: self.platform.name},
                annotations={META_ANNOTATION: json.dumps(info, sort_keys=True)},
                resourceVersion=token,
            ),
            type="Opaque",
            data={n: base64.b64encode(e.value.encode("utf-8")).decode("ascii") for n, e in entries.items()},
        )
        try:
            if token is None:
                self._create(obj)
            else:
                self.client.replace(obj, field_manager=FIELD_MANAGER)
        except ApiError as exc:
            if exc.status.code == 409:
                raise StoreConflict from None
            raise self._error("write", exc) from None
        except httpx2.TransportError as exc:
            raise self._unreachable(exc) from None

    def _create(self, obj: Secret) -> None:
        try:
            self.client.create(obj, field_manager=FIELD_MANAGER)
        except ApiError as exc:
            if exc.status.code != 404 or not self.create_namespace:
                raise
            self._ensure_namespace()
            self.client.create(obj, field_manager=FIELD_MANAGER)

    def _ensure_namespace(self) -> None:
        ns = Namespace(metadata=ObjectMeta(name=self.namespace, labels={**MANAGED_BY}))
        try:
            self.client.create(ns, field_manager=FIELD_MANAGER)
        except ApiError as exc:
            if exc.status.code != 409:  # created meanwhile by someone else: fine
                raise

    def _error(self, action: str, exc: ApiError) -> ClusterError:
        code = exc.status.code
        fix = "check the kubeconfig and that the cluster is reachable"
        if code in (401, 403):
            fix = f"your account needs get/create/update on secrets in namespace {self.namespace}"
        return ClusterError(
            f"cannot {action} the platform's secrets: {exc.status.message or exc} (HTTP {code})",
            where=self.location,
            fix=fix,
        )

    def _unreachable(self, exc: Exception) -> ClusterError:
        return ClusterError(
            f"cannot reach the cluster to use the platform's secrets: {exc}",
            where=self.location,
            fix="check the kubeconfig (--kubeconfig or KUBECONFIG) and that the cluster is up",
        )
