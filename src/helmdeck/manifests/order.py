"""The order Helm applies objects in, so helmdeck's output reads like ``helm template``."""

from __future__ import annotations

from collections.abc import Iterable

from helmdeck.manifests.objects import ManifestObject

#: Kinds in the order Helm installs them; other kinds come after, alphabetically by kind.
INSTALL_ORDER: tuple[str, ...] = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)
_RANK = {kind: rank for rank, kind in enumerate(INSTALL_ORDER)}


def in_install_order(objects: Iterable[ManifestObject]) -> list[ManifestObject]:
    """Sort objects by kind as Helm installs them, keeping template order within a kind."""
    unknown = len(INSTALL_ORDER)
    return sorted(objects, key=lambda o: (_RANK.get(o.kind, unknown), "" if o.kind in _RANK else o.kind))


def manifest_text(objects: Iterable[ManifestObject]) -> str:
    """The objects as one YAML stream with ``# Source:`` headers, the form Helm stores and prints."""
    return "".join(f"---\n# Source: {o.source}\n{o.text}\n" for o in objects)
