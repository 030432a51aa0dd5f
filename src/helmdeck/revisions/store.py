"""Platform revisions: after every change, which release revision each component is at.

One Secret per platform revision in the platform's admin namespace, holding gzip-compressed JSON,
so several operators (and the web service) read the same history from the cluster itself. Helm
keeps each component's own history; a platform revision ties them together for
``helmdeck history`` and ``helmdeck rollback``.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from helmdeck.cluster import KubeClient, NotFound, ObjRef, create_object, delete_object, get_object, list_objects
from helmdeck.cluster.errors import Conflict
from helmdeck.errors import ClusterError
from helmdeck.health import Health
from helmdeck.labels import KIND_LABEL, PLATFORM_LABEL, REVISION_LABEL, REVISION_RECORD_KIND
from helmdeck.serialize import to_json_data


class RevisionNotFound(ClusterError):
    """The platform has no revision of that number (never recorded, or pruned)."""

    http_status: ClassVar[int] = 404


@dataclass
class ComponentRevision:
    release: str
    namespace: str
    chart: str
    chart_version: str
    revision: int
    status: str
    extension: str | None = None
    health: Health | Literal[""] = ""  # at the end of the operation that recorded it (older records: "")

    def __post_init__(self) -> None:
        # a record read back holds the word; a word this helmdeck does not know reads as unknown
        if self.health:
            self.health = Health.recorded(self.health) or Health.unknown


@dataclass
class PlatformRevision:
    revision: int
    platform: str
    environment: str | None
    spec_digest: str
    operation: str
    user: str
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    result: str = "succeeded"
    components: dict[str, ComponentRevision] = field(default_factory=dict)
    message: str = ""
    # the deploy's timeline in its compact form (revisions.timeline.Timeline.compact); None for other
    # operations and older records
    timeline: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON, in Kubernetes' casing (camelCase), for output and for storage."""
        data: dict[str, Any] = to_json_data(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlatformRevision:
        """A stored record; those written before camelCase (``spec_digest``) read the same."""
        plain = _snake(data)
        comps = {k: ComponentRevision(**_snake(v)) for k, v in (plain.get("components") or {}).items()}
        return cls(**{**plain, "components": comps})


def _snake(data: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower(): value for key, value in data.items()}


def _secret_name(platform: str, revision: int) -> str:
    return f"helmdeck.rev.{platform}.v{revision}"


class RevisionStore:
    def __init__(self, client: KubeClient, namespace: str, platform: str) -> None:
        self.client = client
        self.namespace = namespace
        self.platform = platform

    def _ref(self, revision: int) -> ObjRef:
        return ObjRef("v1", "Secret", _secret_name(self.platform, revision), self.namespace)

    def list(self) -> list[PlatformRevision]:
        labels = {KIND_LABEL: REVISION_RECORD_KIND, PLATFORM_LABEL: self.platform}
        try:
            out = [
                self._decode(s)
                for s in list_objects(self.client, "v1", "Secret", namespace=self.namespace, labels=labels)
            ]
        except NotFound:
            return []
        return sorted(out, key=lambda r: r.revision)

    def get(self, revision: int) -> PlatformRevision:
        found = get_object(self.client, self._ref(revision))
        if found is None:
            known = ", ".join(str(r.revision) for r in self.list()) or "none"
            raise RevisionNotFound(
                f"platform {self.platform} has no revision {revision}",
                fix=f"pick one of the recorded revisions ({known}); see 'helmdeck history'",
            )
        return self._decode(found)

    def latest(self) -> PlatformRevision | None:
        revs = self.list()
        return revs[-1] if revs else None

    def record(self, rev: PlatformRevision) -> PlatformRevision:
        """Store ``rev`` as the next revision number (retrying if another writer took it)."""
        for _ in range(5):
            latest = self.latest()
            rev.revision = (latest.revision if latest else 0) + 1
            payload = base64.b64encode(gzip.compress(json.dumps(rev.to_json()).encode())).decode()
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": _secret_name(self.platform, rev.revision),
                    "namespace": self.namespace,
                    "labels": {
                        KIND_LABEL: REVISION_RECORD_KIND,
                        PLATFORM_LABEL: self.platform,
                        REVISION_LABEL: str(rev.revision),
                        "app.kubernetes.io/managed-by": "helmdeck",
                    },
                },
                "type": "helmdeck.dev/platform-revision",
                "data": {"record": payload},
            }
            try:
                create_object(self.client, secret)
                return rev
            except Conflict:
                continue  # another writer took this number: count again
        raise ClusterError("could not record the platform revision: too many concurrent writers")

    def purge(self) -> int:
        revs = self.list()
        for r in revs:
            delete_object(self.client, self._ref(r.revision))
        return len(revs)

    @staticmethod
    def _decode(secret: dict[str, Any]) -> PlatformRevision:
        raw = (secret.get("data") or {}).get("record", "")
        return PlatformRevision.from_json(json.loads(gzip.decompress(base64.b64decode(raw))))
