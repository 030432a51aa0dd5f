"""The "open" links of a component, taken from its release's objects: Ingress rules, Gateway
HTTPRoutes and NodePort Services."""

from __future__ import annotations

from typing import Any

from helmdeck.core.open_links import (
    httproute_links,
    https_gateways,
    ingress_links,
    links_of,
    node_address,
    nodeport_links,
)


def _ingress(rules: list[dict[str, Any]], tls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"rules": rules, "tls": tls or []},
    }


def _paths(*paths: str) -> dict[str, Any]:
    return {"paths": [{"path": p, "pathType": "Prefix", "backend": {"service": {"name": "web"}}} for p in paths]}


def test_ingress_with_tls_is_https_with_its_paths_and_every_host() -> None:
    obj = _ingress(
        [
            {"host": "viewer.example.org", "http": _paths("/ohif", "/dicom-web")},
            {"host": "plain.example.org", "http": _paths("/")},
            {"http": _paths("/any-host")},  # no host: nothing a browser can be pointed at
            {"host": "*.example.org", "http": _paths("/")},  # a wildcard names no one host either
        ],
        tls=[{"hosts": ["viewer.example.org"], "secretName": "viewer-tls"}],
    )
    assert [lk["url"] for lk in ingress_links(obj)] == [
        "https://viewer.example.org/ohif",
        "https://viewer.example.org/dicom-web",
        "http://plain.example.org/",
    ]
    assert ingress_links(obj)[0] == {"url": "https://viewer.example.org/ohif", "kind": "Ingress", "object": "apps/web"}


def test_ingress_rule_without_paths_opens_the_host_root() -> None:
    assert [lk["url"] for lk in ingress_links(_ingress([{"host": "a.example.org"}]))] == ["http://a.example.org/"]


def test_httproute_hostnames_and_path_matches() -> None:
    route = {
        "kind": "HTTPRoute",
        "metadata": {"name": "api", "namespace": "apps"},
        "spec": {
            "parentRefs": [{"name": "edge", "namespace": "gw"}],
            "hostnames": ["api.example.org", "api2.example.org"],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}]}],
        },
    }
    assert [lk["url"] for lk in httproute_links(route)] == ["http://api.example.org/v1", "http://api2.example.org/v1"]
    gateways = [
        {"metadata": {"name": "edge", "namespace": "gw"}, "spec": {"listeners": [{"protocol": "HTTPS", "port": 443}]}},
        {"metadata": {"name": "mixed", "namespace": "gw"}, "spec": {"listeners": [{"protocol": "HTTP"}]}},
    ]
    assert https_gateways(gateways) == ["gw/edge"]
    assert httproute_links(route, https_gateways(gateways))[0]["url"] == "https://api.example.org/v1"
    no_match = {**route, "spec": {**route["spec"], "rules": [{}]}}
    assert httproute_links(no_match)[0]["url"] == "http://api.example.org/"


def test_nodeport_service_on_the_node_address() -> None:
    svc = {
        "kind": "Service",
        "metadata": {"name": "viewer", "namespace": "apps"},
        "spec": {
            "type": "NodePort",
            "ports": [
                {"name": "http", "port": 80, "nodePort": 30080},
                {"name": "https", "port": 443, "nodePort": 30443},
            ],
        },
    }
    nodes = [
        {
            "status": {
                "conditions": [{"type": "Ready", "status": "False"}],
                "addresses": [{"type": "InternalIP", "address": "10.0.0.9"}],
            }
        },
        {
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "addresses": [{"type": "InternalIP", "address": "10.0.0.2"}, {"type": "Hostname", "address": "n1"}],
            }
        },
    ]
    address = node_address(nodes)
    assert address == "10.0.0.2"  # a ready node first
    assert [lk["url"] for lk in nodeport_links(svc, address)] == ["http://10.0.0.2:30080/", "https://10.0.0.2:30443/"]
    assert nodeport_links(svc, None) == []  # no node address known: no link guessed
    cluster_ip = {**svc, "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}
    assert nodeport_links(cluster_ip, address) == []
    external = [
        {
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": "10.0.0.2"},
                    {"type": "ExternalIP", "address": "203.0.113.5"},
                ]
            }
        }
    ]
    assert node_address(external) == "203.0.113.5"
    named = [{"status": {"addresses": [{"type": "Hostname", "address": "node-0.lan"}]}}]
    assert node_address(named) == "node-0.lan"  # no IP reported: the name is all there is
    assert node_address([]) is None


def test_links_of_orders_by_kind_and_drops_duplicates() -> None:
    svc = {
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "a"},
        "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 31000}]},
    }
    ing = _ingress([{"host": "x.example.org", "http": _paths("/", "/")}])
    links = links_of([svc, ing], "192.0.2.1")
    assert [lk["url"] for lk in links] == ["http://x.example.org/", "http://192.0.2.1:31000/"]
