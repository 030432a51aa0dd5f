"""The scope tables are facts about the Kubernetes API: check them against lightkube's models."""

from __future__ import annotations

import importlib
import pkgutil

import lightkube.resources
from lightkube.core import resource as lk_resource

from helmdeck.manifests.scopes import (
    BUILTIN_GROUPS,
    CLUSTER_SCOPED_BUILTIN_KINDS,
    ScopeResolver,
    is_builtin,
    split_api_version,
)


def lightkube_kinds() -> dict[tuple[str, str], bool]:
    """(group, kind) -> namespaced, for every top-level resource lightkube models."""
    kinds: dict[tuple[str, str], bool] = {}
    for module_info in pkgutil.iter_modules(lightkube.resources.__path__):
        module = importlib.import_module(f"lightkube.resources.{module_info.name}")
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, lk_resource.Resource)):
                continue
            info = getattr(value, "_api_info", None)
            if info is None or info.parent is not None or info.action:
                continue
            kinds[(info.resource.group, info.resource.kind)] = issubclass(value, lk_resource.NamespacedResource)
    return kinds


def test_cluster_scoped_table_matches_lightkube() -> None:
    kinds = lightkube_kinds()
    modelled_cluster_scoped = {key for key, namespaced in kinds.items() if not namespaced}
    # Kinds removed from the API (PodSecurityPolicy) stay in our table for old charts.
    assert modelled_cluster_scoped <= CLUSTER_SCOPED_BUILTIN_KINDS
    for key in CLUSTER_SCOPED_BUILTIN_KINDS:
        if key in kinds:
            assert kinds[key] is False, key


def test_every_lightkube_group_is_builtin() -> None:
    groups = {group for group, _ in lightkube_kinds()}
    assert groups <= BUILTIN_GROUPS


def test_builtin_versus_custom() -> None:
    assert is_builtin("apps", "Deployment")
    assert is_builtin("", "ConfigMap")
    assert not is_builtin("gateway.networking.k8s.io", "HTTPRoute")
    assert not is_builtin("monitoring.coreos.com", "ServiceMonitor")


def test_split_api_version() -> None:
    assert split_api_version("v1") == ("", "v1")
    assert split_api_version("networking.k8s.io/v1") == ("networking.k8s.io", "v1")


def test_resolver_learns_cluster_scope_from_crds() -> None:
    resolver = ScopeResolver()
    assert resolver.is_namespaced("example.org", "Backup")
    resolver.learn_crd({"spec": {"group": "example.org", "scope": "Cluster", "names": {"kind": "Backup"}}})
    assert not resolver.is_namespaced("example.org", "Backup")
    assert not resolver.is_namespaced("", "Namespace")
    assert resolver.is_namespaced("apps", "Deployment")
