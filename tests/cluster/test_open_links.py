"""The "open" links read from live objects on the sandbox's API server: an Ingress with TLS, a Gateway
API HTTPRoute under an HTTPS-only Gateway (the route's own apiVersion listed), and a NodePort Service
whose port the API server assigned."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from helmdeck.cluster.client import make_client
from helmdeck.cluster.kinds import apply_object, delete_object, kind_info
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.watch import wait_healthy
from helmdeck.core.open_links import component_links

pytestmark = pytest.mark.cluster

GATEWAY_GROUP = "gateway.networking.k8s.io"


def _crd(plural: str, kind: str) -> dict[str, Any]:
    """A stand-in for the Gateway API's CRD: the same group, kind and version, no schema."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        # a *.k8s.io group needs the approval the real CRDs carry
        "metadata": {
            "name": f"{plural}.{GATEWAY_GROUP}",
            "annotations": {"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/1538"},
        },
        "spec": {
            "group": GATEWAY_GROUP,
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    }


@pytest.fixture
def client(sandbox: Any) -> Any:
    return make_client(sandbox.kubeconfig)


@pytest.fixture
def gateway_api(client: Any) -> Iterator[None]:
    created = []
    for plural, kind in (("gateways", "Gateway"), ("httproutes", "HTTPRoute")):
        if kind_info(client, f"{GATEWAY_GROUP}/v1", kind) is None:
            created.append(ObjRef.from_manifest(apply_object(client, _crd(plural, kind))))
    assert wait_healthy(client, created, timeout=30).ok
    yield
    for ref in created:
        with contextlib.suppress(Exception):
            delete_object(client, ref)


def test_links_from_live_ingress_route_and_node_port(client: Any, namespace: str, gateway_api: None) -> None:
    objects = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "viewer"},
            "spec": {
                "tls": [{"hosts": ["viewer.example.org"], "secretName": "viewer-tls"}],
                "rules": [
                    {
                        "host": "viewer.example.org",
                        "http": {
                            "paths": [
                                {
                                    "path": "/ohif",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "viewer", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "viewer"},
            "spec": {"type": "NodePort", "selector": {"app": "viewer"}, "ports": [{"name": "http", "port": 80}]},
        },
        {
            "apiVersion": f"{GATEWAY_GROUP}/v1",
            "kind": "Gateway",
            "metadata": {"name": "edge"},
            "spec": {"gatewayClassName": "x", "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443}]},
        },
        {
            "apiVersion": f"{GATEWAY_GROUP}/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "api"},
            "spec": {
                "parentRefs": [{"name": "edge"}],
                "hostnames": ["api.example.org"],
                "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}]}],
            },
        },
    ]
    applied = [apply_object(client, obj, namespace=namespace) for obj in objects]
    node_port = applied[1]["spec"]["ports"][0]["nodePort"]  # the API server's choice
    refs = [{"object": ObjRef.from_manifest(obj, namespace).as_dict()} for obj in applied if obj["kind"] != "Gateway"]
    links = component_links(SimpleNamespace(client=client), [{"component": "viewer", "objects": refs}])  # type: ignore[arg-type]
    urls = [lk["url"] for lk in links["viewer"]]
    assert urls[:2] == ["https://viewer.example.org/ohif", "https://api.example.org/v1"]
    assert len(urls) == 3 and urls[2].endswith(f":{node_port}/"), urls
    assert links["viewer"][1] == {
        "url": "https://api.example.org/v1",
        "kind": "HTTPRoute",
        "object": f"{namespace}/api",
    }
