"""Which kinds are built into Kubernetes, and which of them live outside namespaces.

Checks run offline on every ``validate``, so the facts are kept here as small tables rather than
read from the Kubernetes client's resource models (importing those costs a third of a second per
run); ``tests/unit/test_manifest_scopes.py`` compares these tables with those models so they cannot
silently drift from the API.
"""

from __future__ import annotations

from collections.abc import Iterable

#: API groups served by kube-apiserver itself. Kinds in other groups come from CRDs or aggregated
#: APIs. Some CRD groups also end in ``.k8s.io`` (``gateway.networking.k8s.io``,
#: ``snapshot.storage.k8s.io``), so a suffix test would be wrong.
BUILTIN_GROUPS: frozenset[str] = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "extensions",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "lifecycle.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)

#: Built-in kinds that are cluster-scoped, as (group, kind). Every other built-in kind is namespaced.
CLUSTER_SCOPED_BUILTIN_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "ComponentStatus"),
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("policy", "PodSecurityPolicy"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "DeviceTaintRule"),
        ("resource.k8s.io", "ResourcePoolStatusRequest"),
        ("resource.k8s.io", "ResourceSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def is_builtin(group: str, kind: str) -> bool:
    """Whether (group, kind) is served by Kubernetes itself rather than by a CRD."""
    del kind  # every kind of a built-in group is built in; kept for a uniform signature
    return group in BUILTIN_GROUPS


class ScopeResolver:
    """Answers "is this kind namespaced?" for built-in kinds and for custom kinds.

    Custom kinds are namespaced unless marked otherwise: by a CustomResourceDefinition with
    ``scope: Cluster`` seen in the manifests (:meth:`learn_crd`) or by ``cluster_scoped``, e.g. what
    API discovery reported for CRDs already in the cluster.
    """

    def __init__(self, cluster_scoped: Iterable[tuple[str, str]] = ()) -> None:
        self._cluster_scoped: set[tuple[str, str]] = set(cluster_scoped)

    def learn_crd(self, crd: dict[str, object]) -> None:
        """Record the scope a CustomResourceDefinition declares for its kind."""
        spec = crd.get("spec")
        if not isinstance(spec, dict):
            return
        names = spec.get("names")
        group = spec.get("group")
        if not isinstance(names, dict) or not isinstance(group, str):
            return
        kind = names.get("kind")
        if isinstance(kind, str) and spec.get("scope") == "Cluster":
            self._cluster_scoped.add((group, kind))

    def is_namespaced(self, group: str, kind: str) -> bool:
        if (group, kind) in CLUSTER_SCOPED_BUILTIN_KINDS:
            return False
        return (group, kind) not in self._cluster_scoped
