"""The overview's platform graph: layout by namespace and dependency level, colours by health, marks
for pending, failed and drifted releases, collapsed namespaces at scale; an SVG the pages' CSP allows."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from typing import Any

from helmdeck.server.platform_graph import HEALTH_COLOURS, layout, marks_of, platform_graph_svg

SVG = "{http://www.w3.org/2000/svg}"


def comp(
    name: str, ns: str = "services", health: str = "healthy", needs: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    return {
        "component": name,
        "namespace": ns,
        "health": health,
        "status": "deployed",
        "needs": list(needs),
        "reason": "",
        **extra,
    }


def test_columns_follow_needs_and_bands_follow_namespaces() -> None:
    plan = layout(
        [
            comp("db", "data"),
            comp("cache", "data"),
            comp("api", "apps", needs=("db", "cache")),
            comp("web", "apps", needs=("api",)),
        ]
    )
    at = {n.id: (n.x, n.y) for n in plan.nodes}
    assert max(at["db"][0], at["cache"][0]) < at["api"][0] < at["web"][0]  # what is needed stands left
    assert at["db"] != at["cache"]  # same namespace and level: side by side (a spare column) or stacked
    assert [b[0] for b in plan.bands] == ["data", "apps"]
    data_band = plan.bands[0]
    assert data_band[1] < at["db"][1] < data_band[1] + data_band[2]
    assert set(plan.edges) == {("db", "api"), ("cache", "api"), ("api", "web")}


def test_a_health_word_this_helmdeck_does_not_know_is_drawn_unknown() -> None:
    # a newer service's word (or none at all) is no colour of its own: it reads as unknown, as a
    # revision record's does (Health.recorded)
    svg = platform_graph_svg({"components": [comp("odd", health="sleepy"), comp("blank", health="")]})
    nodes = {a.get("data-testid"): a for a in ET.fromstring(svg).iter(f"{SVG}a")}
    for name in ("odd", "blank"):
        assert nodes[f"graph-node-{name}"].get("data-health") == "unknown"
        assert nodes[f"graph-node-{name}"].find(f"{SVG}rect").get("fill") == HEALTH_COLOURS["unknown"][0]  # type: ignore[union-attr,index]


def test_needs_outside_the_status_and_cycles_do_not_break_the_drawing() -> None:
    plan = layout([comp("a", needs=("gone",)), comp("b", needs=("c",)), comp("c", needs=("b",))])
    assert plan.edges == [("c", "b"), ("b", "c")] and {n.level for n in plan.nodes} == {0}


def test_colours_and_marks() -> None:
    svg = platform_graph_svg(
        {
            "components": [
                comp("ok"),
                comp("bad", health="failed"),
                comp("moving", health="progressing", status="pending-upgrade"),
                comp("upgrade-failed", status="failed"),
                comp("edited", drift=True),
            ]
        }
    )
    root = ET.fromstring(svg)
    nodes = {a.get("data-testid"): a for a in root.iter(f"{SVG}a")}
    for name, health in (("ok", "healthy"), ("bad", "failed"), ("moving", "progressing")):
        node = nodes[f"graph-node-{name}"]
        assert node.get("data-health") == health
        assert node.find(f"{SVG}rect").get("fill") == HEALTH_COLOURS[health][0]  # type: ignore[union-attr]
        assert node.get("href") == f"/components/{name}"
    assert nodes["graph-node-moving"].get("data-marks") == "pending"
    assert nodes["graph-node-moving"].find(f"{SVG}rect").get("stroke-dasharray")  # type: ignore[union-attr]
    assert nodes["graph-node-upgrade-failed"].get("data-marks") == "failed"  # healthy pods, failed release
    assert nodes["graph-node-edited"].get("data-marks") == "drift"
    assert marks_of({"status": "pending-install", "drift": True}) == ["pending", "drift"]


def test_the_svg_is_csp_safe_and_escapes_names() -> None:
    svg = platform_graph_svg({"components": [comp('<x>&"y', ns="n<s>")]})
    ET.fromstring(svg)  # well-formed
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg and " on" not in svg.replace(" one", "")
    assert "&lt;x&gt;&amp;" in svg
    assert 'href="/components/%3Cx%3E%26%22y"' in svg


def test_a_large_namespace_collapses_into_one_node_with_counts_and_an_expand_link() -> None:
    comps = [comp("ingress", "edge")]
    comps += [
        comp(f"svc{i:03d}", "big", health="failed" if i < 3 else "healthy", needs=("ingress",)) for i in range(190)
    ]
    comps += [comp("portal", "edge", needs=("svc000", "svc001"))]
    svg = platform_graph_svg({"components": comps}, collapse_over=12)
    root = ET.fromstring(svg)
    links = {a.get("data-testid"): a for a in root.iter(f"{SVG}a")}
    group = links["graph-group-big"]
    assert group.get("href") == "/?expand=big" and group.get("data-health") == "failed"
    assert "190" in "".join(group.itertext()) and "3 failed" in "".join(group.itertext())
    assert "graph-node-svc000" not in links and "graph-node-portal" in links
    edges = {p.get("data-edge") for p in root.iter(f"{SVG}path") if p.get("data-edge")}
    assert edges == {"ingress>ns:big", "ns:big>portal"}  # the group's edges, once each
    assert int(root.get("width") or 0) <= 800  # 192 components, three columns: fits the page
    expanded = ET.fromstring(platform_graph_svg({"components": comps}, expanded=["big"], collapse_over=12))
    names = {a.get("data-testid") for a in expanded.iter(f"{SVG}a")}
    assert "graph-node-svc189" in names and "graph-group-big" not in names
    assert "graph-collapse-big" in names


def test_fifty_components_fit_the_page_width() -> None:
    comps = [comp(f"c{i}", f"ns{i % 4}", needs=((f"c{i - 4}",) if i >= 4 and i % 3 else ())) for i in range(50)]
    svg = platform_graph_svg({"components": comps})
    width = int(re.search(r'width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    assert width <= 800 and "graph-group" not in svg  # 50 components: no namespace collapsed
    assert svg.count('data-testid="graph-node-') == 50


def test_a_wide_level_spreads_over_the_spare_columns_instead_of_one_tall_stack() -> None:
    plan = layout([comp(f"c{i}") for i in range(40)])
    assert len({n.x for n in plan.nodes}) == 4 and plan.width <= 800
    assert len({n.y for n in plan.nodes}) == 10


def _segments(d: str) -> list[tuple[float, float, float, float]]:
    points = [tuple(float(v) for v in p.split(",")) for p in re.findall(r"-?\d+(?:\.\d+)?,-?\d+(?:\.\d+)?", d)]
    if "C" in d:  # a curve into the next column: only the gap between columns is crossed
        points = [points[0], points[-1]]
    return [(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(points)]


def test_arrows_never_pass_behind_a_node_they_do_not_connect() -> None:
    # a wide first level spread over several columns, with needs that cross them
    comps = [comp(f"s{i}", needs=((f"s{i - 6}",) if i >= 6 and i % 4 == 0 else ())) for i in range(40)]
    plan = layout(comps)
    svg = platform_graph_svg({"components": comps})
    root = ET.fromstring(svg)
    boxes = {n.id: (n.x, n.y, n.x + 150, n.y + 36) for n in plan.nodes}
    for path in root.iter(f"{SVG}path"):
        if not path.get("data-edge"):
            continue
        src, dst = (path.get("data-edge") or "").split(">")
        for x1, y1, x2, y2 in _segments(path.get("d") or ""):
            for name, (left, top, right, bottom) in boxes.items():
                if name in (src, dst):
                    continue
                crosses_x = min(x1, x2) < right and max(x1, x2) > left
                crosses_y = min(y1, y2) < bottom and max(y1, y2) > top
                if x1 == x2:
                    crosses_x = left < x1 < right
                if y1 == y2:
                    crosses_y = top < y1 < bottom
                assert not (crosses_x and crosses_y), (path.get("data-edge"), name, (x1, y1, x2, y2))
