"""Where built-in workload kinds keep their pod templates and containers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.manifests.objects import ManifestObject

# (group, kind) -> path from the object to its pod spec.
_POD_SPEC_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): ("spec",),
    ("", "PodTemplate"): ("template", "spec"),
    ("", "ReplicationController"): ("spec", "template", "spec"),
    ("apps", "Deployment"): ("spec", "template", "spec"),
    ("apps", "StatefulSet"): ("spec", "template", "spec"),
    ("apps", "DaemonSet"): ("spec", "template", "spec"),
    ("apps", "ReplicaSet"): ("spec", "template", "spec"),
    ("extensions", "Deployment"): ("spec", "template", "spec"),
    ("extensions", "DaemonSet"): ("spec", "template", "spec"),
    ("extensions", "ReplicaSet"): ("spec", "template", "spec"),
    ("batch", "Job"): ("spec", "template", "spec"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
}

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class Container:
    """One container of a pod template: its list (``containers``, ``initContainers``...) and body."""

    list_name: str
    position: int
    body: Mapping[str, Any]

    @property
    def name(self) -> str:
        value = self.body.get("name")
        return str(value) if value is not None else f"{self.list_name}[{self.position}]"

    @property
    def image(self) -> str | None:
        value = self.body.get("image")
        return str(value) if value not in (None, "") else None

    @property
    def path(self) -> str:
        return f"{self.list_name}[{self.position}]"


def pod_spec(obj: ManifestObject) -> Mapping[str, Any] | None:
    """The pod spec of a built-in workload object, or None for other kinds."""
    path = _POD_SPEC_PATHS.get((obj.group, obj.kind))
    if path is None:
        return None
    node: Any = obj.body
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if isinstance(node, Mapping) else None


def containers(obj: ManifestObject) -> Iterator[Container]:
    """Every container of a workload's pod template (init containers first)."""
    spec = pod_spec(obj)
    if spec is None:
        return
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        if not isinstance(items, list):
            continue
        for position, body in enumerate(items):
            if isinstance(body, Mapping):
                yield Container(list_name, position, body)
