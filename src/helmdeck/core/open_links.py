"""Where a component can be opened in a browser ("open" links, as Kaapana's extension page has
them): its Ingress rules, its Gateway HTTPRoutes and its NodePort Services.

The links come from the release's own objects as the cluster holds them (a NodePort is assigned by
the API server, so only the live Service knows it), never from guesses about a chart's values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from helmdeck.cluster import ListQuery, list_each, list_objects
from helmdeck.core.session import PlatformSession
from helmdeck.errors import HelmdeckError

#: the kinds a link can come from, with the API (group/version) that serves them
LINK_KINDS: dict[str, str] = {
    "Ingress": "networking.k8s.io/v1",
    "HTTPRoute": "gateway.networking.k8s.io/v1",
    "Service": "v1",
}


def link(url: str, kind: str, name: str, namespace: str) -> dict[str, str]:
    return {"url": url, "kind": kind, "object": f"{namespace}/{name}" if namespace else name}


def _path(value: Any) -> str:
    path = str(value or "/")
    return path if path.startswith("/") else "/" + path


def ingress_links(obj: Mapping[str, Any]) -> list[dict[str, str]]:
    """One link per host and path of the rules: https for a host a TLS entry names. A rule without
    a host answers on any host, so it gives no address to open."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    tls_hosts = {str(h) for t in spec.get("tls") or [] for h in (t or {}).get("hosts") or []}
    out: list[dict[str, str]] = []
    for rule in spec.get("rules") or []:
        host = str((rule or {}).get("host") or "")
        if not host or "*" in host:
            continue
        scheme = "https" if host in tls_hosts else "http"
        paths = [p for p in ((rule.get("http") or {}).get("paths") or []) if isinstance(p, Mapping)] or [{}]
        for p in paths:
            url = f"{scheme}://{host}{_path(p.get('path'))}"
            out.append(link(url, "Ingress", str(meta.get("name", "")), str(meta.get("namespace", ""))))
    return _unique(out)


def httproute_links(obj: Mapping[str, Any], https_gateways: Iterable[str] = ()) -> list[dict[str, str]]:
    """One link per hostname and path prefix of the route's rules; https when a parent Gateway
    (``namespace/name``) is one of ``https_gateways`` (a Gateway with only HTTPS listeners)."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    namespace = str(meta.get("namespace", ""))
    secure = set(https_gateways)
    parents = {f"{p.get('namespace') or namespace}/{p.get('name')}" for p in spec.get("parentRefs") or [] if p}
    scheme = "https" if parents and parents <= secure else "http"
    paths: list[str] = []
    for rule in spec.get("rules") or []:
        for match in (rule or {}).get("matches") or []:
            value = ((match or {}).get("path") or {}).get("value")
            if value:
                paths.append(_path(value))
    out = [
        link(f"{scheme}://{host}{path}", "HTTPRoute", str(meta.get("name", "")), namespace)
        for host in spec.get("hostnames") or []
        if host and "*" not in str(host)
        for path in paths or ["/"]
    ]
    return _unique(out)


def nodeport_links(obj: Mapping[str, Any], node_address: str | None) -> list[dict[str, str]]:
    """One link per port of a NodePort (or LoadBalancer) Service that has a node port, on
    ``node_address``; https when the port is named or numbered for it."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    if not node_address or spec.get("type") not in ("NodePort", "LoadBalancer"):
        return []
    out = []
    host = f"[{node_address}]" if ":" in node_address else node_address
    for port in spec.get("ports") or []:
        node_port = (port or {}).get("nodePort")
        if not node_port:
            continue
        secure = "https" in str(port.get("name") or "") or port.get("port") == 443 or port.get("appProtocol") == "https"
        scheme = "https" if secure else "http"
        out.append(
            link(
                f"{scheme}://{host}:{node_port}/", "Service", str(meta.get("name", "")), str(meta.get("namespace", ""))
            )
        )
    return out


def links_of(
    objects: Iterable[Mapping[str, Any]], node_address: str | None, https_gateways: Iterable[str] = ()
) -> list[dict[str, str]]:
    """Every link of one component's objects, Ingresses first, then routes, then node ports."""
    gateways = list(https_gateways)
    out: list[dict[str, str]] = []
    order = {"Ingress": 0, "HTTPRoute": 1, "Service": 2}
    for obj in sorted(objects, key=lambda o: order.get(str(o.get("kind")), 3)):
        kind = obj.get("kind")
        if kind == "Ingress":
            out += ingress_links(obj)
        elif kind == "HTTPRoute":
            out += httproute_links(obj, gateways)
        elif kind == "Service":
            out += nodeport_links(obj, node_address)
    return _unique(out)


def node_address(nodes: Sequence[Mapping[str, Any]]) -> str | None:
    """The address a browser reaches a node port on: a ready node's ExternalIP, else its InternalIP,
    else its Hostname (nodes that report no IP, as the sandbox's simulated ones)."""

    def ready(node: Mapping[str, Any]) -> bool:
        conditions = (node.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    for wanted in ("ExternalIP", "InternalIP", "Hostname"):
        for node in sorted(nodes, key=lambda n: not ready(n)):
            for address in (node.get("status") or {}).get("addresses") or []:
                if address.get("type") == wanted and address.get("address"):
                    return str(address["address"])
    return None


def https_gateways(gateways: Iterable[Mapping[str, Any]]) -> list[str]:
    """The Gateways (``namespace/name``) whose listeners are all HTTPS."""
    out = []
    for gw in gateways:
        listeners = (gw.get("spec") or {}).get("listeners") or []
        if listeners and all(str(li.get("protocol")) == "HTTPS" for li in listeners):
            meta = gw.get("metadata") or {}
            out.append(f"{meta.get('namespace', '')}/{meta.get('name', '')}")
    return out


def component_links(
    session: PlatformSession, components: Sequence[Mapping[str, Any]]
) -> dict[str, list[dict[str, str]]]:
    """The links of each component of a status (``components``: its rows, whose ``objects`` name
    every object of the release): one list per (kind, namespace) that holds such objects, plus the
    nodes when a NodePort may be among them. A kind the cluster does not serve gives no links."""
    # (apiVersion, kind, namespace) -> object name -> component; the version the release wrote, so
    # a cluster serving only gateway.networking.k8s.io/v1beta1 routes is listed in that one
    wanted: dict[tuple[str, str, str], dict[str, str]] = {}
    for c in components:
        for row in c.get("objects") or []:
            ref = row.get("object") or {}
            kind = str(ref.get("kind", ""))
            if kind in LINK_KINDS and str(ref.get("apiVersion", "")).split("/")[0] == LINK_KINDS[kind].split("/")[0]:
                key = (str(ref["apiVersion"]), kind, str(ref.get("namespace", "")))
                wanted.setdefault(key, {})[str(ref.get("name", ""))] = str(c["component"])
    if not wanted:
        return {}
    keys = sorted(wanted)
    queries = [ListQuery(api_version, kind, namespace or None) for api_version, kind, namespace in keys]
    listed = list_each(session.client, queries)
    objects: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for key, result in zip(keys, listed, strict=True):
        if isinstance(result, HelmdeckError):
            continue
        for obj in result:
            owner = wanted[key].get(str((obj.get("metadata") or {}).get("name", "")))
            if owner is not None:
                objects[owner].append({**obj, "kind": key[1]})
    address = None
    if any(
        o["kind"] == "Service" and (o.get("spec") or {}).get("type") in ("NodePort", "LoadBalancer")
        for objs in objects.values()
        for o in objs
    ):
        try:
            address = node_address(list(list_objects(session.client, "v1", "Node")))
        except HelmdeckError:
            address = None
    secure: list[str] = []
    if any(o["kind"] == "HTTPRoute" for objs in objects.values() for o in objs):
        try:
            secure = https_gateways(list(list_objects(session.client, "gateway.networking.k8s.io/v1", "Gateway")))
        except HelmdeckError:
            secure = []
    return {name: found for name, objs in objects.items() if (found := links_of(objs, address, secure))}


def _unique(links: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[str] = set()
    out = []
    for item in links:
        if item["url"] not in seen:
            seen.add(item["url"])
            out.append(item)
    return out
