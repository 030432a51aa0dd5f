"""One Kubernetes object from rendered manifests, and the names helmdeck uses to refer to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.errors import ClusterError
from helmdeck.manifests.scopes import split_api_version
from helmdeck.serialize import JsonObject, json_field

HOOK_ANNOTATION = "helm.sh/hook"
HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight"
HOOK_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy"
#: ``keep``: Helm leaves the object behind when it uninstalls or upgrades the release without it
RESOURCE_POLICY_ANNOTATION = "helm.sh/resource-policy"


@dataclass(frozen=True)
class ObjectKey:
    """Identity of an object in a cluster: two objects with the same key are the same object.

    ``namespace`` is None for cluster-scoped kinds and the effective namespace (written or defaulted
    to the release namespace) for namespaced ones.
    """

    group: str
    kind: str
    namespace: str | None
    name: str

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.group, self.kind, self.namespace or "", self.name)

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"


@dataclass(frozen=True, order=True)
class ObjRef(JsonObject):
    """One object by apiVersion, kind, name and (for namespaced kinds) namespace."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = field(default=None, metadata=json_field(omit_if_empty=True))

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


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


@dataclass(frozen=True, eq=False)
class ManifestObject:
    """A parsed document of rendered output.

    ``body`` is the document as parsed (a dict; treat it as read-only). ``source`` is the template
    that produced it (``mychart/templates/deploy.yaml``), ``index`` its position among that
    template's documents, ``line`` the line of the rendered template where it starts, and ``text``
    the document exactly as rendered (what Helm stores in the release manifest).
    """

    body: Mapping[str, Any]
    source: str
    index: int = 0
    line: int = 1
    text: str = ""

    @property
    def api_version(self) -> str:
        value = self.body.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def kind(self) -> str:
        value = self.body.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def metadata(self) -> Mapping[str, Any]:
        value = self.body.get("metadata")
        return value if isinstance(value, Mapping) else {}

    @property
    def name(self) -> str:
        """``metadata.name``, or ``metadata.generateName`` for objects named by the server."""
        for key in ("name", "generateName"):
            value = self.metadata.get(key)
            if value is not None and value != "":
                return str(value)
        return ""

    @property
    def namespace(self) -> str | None:
        """The namespace written in the manifest, if any (not defaulted)."""
        value = self.metadata.get("namespace")
        return str(value) if value not in (None, "") else None

    @property
    def labels(self) -> dict[str, str]:
        return _str_map(self.metadata.get("labels"))

    @property
    def annotations(self) -> dict[str, str]:
        return _str_map(self.metadata.get("annotations"))

    @property
    def is_hook(self) -> bool:
        return HOOK_ANNOTATION in self.annotations

    @property
    def hook_events(self) -> tuple[str, ...]:
        """The Helm hook events (``pre-install``, ``post-upgrade``, ``test``, ...) of a hook object."""
        raw = self.annotations.get(HOOK_ANNOTATION, "")
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    @property
    def hook_weight(self) -> int:
        try:
            return int(self.annotations.get(HOOK_WEIGHT_ANNOTATION, "0"))
        except ValueError:
            return 0

    @property
    def hook_delete_policies(self) -> tuple[str, ...]:
        raw = self.annotations.get(HOOK_DELETE_POLICY_ANNOTATION, "")
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    def ref(self, namespace: str | None = None) -> ObjRef:
        """This object's reference; ``namespace`` overrides the written one (e.g. the defaulted one)."""
        return ObjRef(self.api_version, self.kind, self.name, namespace if namespace is not None else self.namespace)

    def where(self) -> str:
        """Where the object comes from, for messages: ``chart/templates/x.yaml`` (document 2)."""
        return self.source if self.index == 0 else f"{self.source} (document {self.index + 1})"
