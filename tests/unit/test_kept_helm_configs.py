"""Which Helm Configs a release worker keeps and for how long (:mod:`helmdeck.engine.helm_configs`),
and which writes tell the parent that the cluster's API groups may have changed."""

from __future__ import annotations

from typing import Any

import pytest

from helmdeck.engine import helm_configs
from helmdeck.engine.helm_configs import KeptConfigs, may_change_apis


class _Config:
    def __init__(self, cluster: Any) -> None:
        self.cluster = dict(cluster)
        self.closed = False

    def __exit__(self, *_: object) -> None:
        self.closed = True


class _Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def _kept() -> tuple[KeptConfigs, _Clock]:
    clock = _Clock()
    return KeptConfigs(_Config, clock), clock


NS_A = {"kubeconfig": "/k", "context": None, "namespace": "a"}
NS_B = {"kubeconfig": "/k", "context": None, "namespace": "b"}


def test_a_config_is_kept_per_cluster_and_namespace_within_one_generation() -> None:
    kept, _ = _kept()
    first, is_kept = kept.get(NS_A, 0)
    assert is_kept and kept.get(dict(reversed(list(NS_A.items()))), 0)[0] is first
    other, _ = kept.get(NS_B, 0)
    assert other is not first and kept.get(NS_A, 0)[0] is first


def test_a_new_generation_closes_every_kept_config() -> None:
    kept, _ = _kept()
    a, _ = kept.get(NS_A, 0)
    b, _ = kept.get(NS_B, 0)
    fresh, _ = kept.get(NS_A, 1)
    assert a.closed and b.closed and fresh is not a and not fresh.closed


def test_a_kept_config_serves_a_few_seconds_at_most() -> None:
    kept, clock = _kept()
    first, _ = kept.get(NS_A, 0)
    clock.now += helm_configs.KEEP_SECONDS - 0.1
    assert kept.get(NS_A, 0)[0] is first
    clock.now += 0.2
    later, _ = kept.get(NS_A, 0)
    assert later is not first and first.closed


def test_at_most_a_few_are_kept_the_least_used_closed() -> None:
    kept, _ = _kept()
    configs = [kept.get({**NS_A, "namespace": f"n{i}"}, 0)[0] for i in range(helm_configs.KEPT + 1)]
    assert configs[0].closed and not any(c.closed for c in configs[1:])


def test_a_write_asking_for_groups_read_after_a_moment_gets_a_config_made_after_it() -> None:
    kept, clock = _kept()
    first, _ = kept.get(NS_A, 0)
    clock.now += 1.0
    assert kept.get(NS_A, 0, after=clock.now - 2.0)[0] is first  # made after: it serves
    later, _ = kept.get(NS_A, 0, after=clock.now - 0.5)  # made before what it needs was ready
    assert later is not first and first.closed
    assert kept.get(NS_A, 0, after=clock.now)[0] is later


def test_without_a_generation_every_write_gets_its_own() -> None:
    kept, _ = _kept()
    config, is_kept = kept.get(NS_A, None)
    assert not is_kept and kept.get(NS_A, None)[0] is not config


@pytest.mark.parametrize(
    ("op", "ok", "crds", "manifest", "changed"),
    [
        ("install", True, False, "kind: Deployment\n", False),
        ("upgrade", True, False, "---\nkind: Service\n", False),
        ("install", True, False, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n", True),
        ("upgrade", True, False, "apiVersion: apiregistration.k8s.io/v1\nkind: 'APIService'\n", True),
        ("install", True, True, "kind: Deployment\n", True),  # the chart's crds/ were installed first
        ("install", False, False, "", True),  # how far it got is not known
        ("rollback", True, False, "", True),  # the revision it restores may define kinds
        ("uninstall", True, False, "", True),  # what it removed is not in its reply
        # however a template writes the kind (JSON, a comment after it)
        ("install", True, False, '{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}', True),
        ("install", True, False, "kind: APIService  # metrics\n", True),
        # a mention in a value counts too: a false alarm costs one discovery, a miss stale capabilities
        ("install", True, False, "kind: ConfigMap\ndata:\n  note: 'kind: CustomResourceDefinition'\n", True),
        ("install", True, False, "kind: ConfigMap\ndata:\n  note: MyAPIServices\n", False),
    ],
)
def test_which_writes_may_change_the_api_groups(op: str, ok: bool, crds: bool, manifest: str, changed: bool) -> None:
    assert may_change_apis(op, ok, crds, manifest) is changed
