"""References to Kubernetes objects, independent of any client library's typed models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.errors import ClusterError


@dataclass(frozen=True, order=True)
class ObjRef:
    """One object by apiVersion, kind, name and (for namespaced kinds) namespace."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def group_kind(self) -> str:
        """``Deployment.apps``-style name, as kubectl prints it (core kinds have no group)."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @classmethod
    def from_manifest(cls, doc: Mapping[str, Any], default_namespace: str | None = None) -> ObjRef:
        """The reference of a rendered manifest or of an object returned by the API.

        Rendered manifests often leave the namespace out (Helm fills it in at install time), hence
        ``default_namespace``; for cluster-scoped kinds it is dropped again once the kind is
        resolved against the cluster.
        """
        api_version = doc.get("apiVersion")
        kind = doc.get("kind")
        meta = doc.get("metadata") or {}
        name = meta.get("name") if isinstance(meta, Mapping) else None
        if not (isinstance(api_version, str) and isinstance(kind, str) and isinstance(name, str)):
            raise ClusterError(
                "a manifest lacks apiVersion, kind or metadata.name",
                where=f"{kind or '?'} {name or '?'}",
                fix="every rendered object needs apiVersion, kind and metadata.name",
            )
        namespace = meta.get("namespace") or default_namespace
        return cls(api_version, kind, name, namespace if isinstance(namespace, str) else None)

    def cluster_scoped(self) -> ObjRef:
        return ObjRef(self.api_version, self.kind, self.name, None)

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def as_dict(self) -> dict[str, str]:
        out = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        return out
