"""One Kubernetes object from rendered manifests, and the names helmdeck uses to refer to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.manifests.scopes import split_api_version

HOOK_ANNOTATION = "helm.sh/hook"
HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight"
HOOK_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy"


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


@dataclass(frozen=True)
class ObjectRef:
    """How findings and reports name an object: kind, namespace (if any) and name."""

    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}


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

    def ref(self, namespace: str | None = None) -> ObjectRef:
        """This object's reference; ``namespace`` overrides the written one (e.g. the defaulted one)."""
        return ObjectRef(self.kind, self.name, namespace if namespace is not None else self.namespace)

    def where(self) -> str:
        """Where the object comes from, for messages: ``chart/templates/x.yaml`` (document 2)."""
        return self.source if self.index == 0 else f"{self.source} (document {self.index + 1})"
