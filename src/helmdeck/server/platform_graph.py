"""The platform as a graph in SVG, drawn on the server for the overview: components as nodes in one
band per namespace, a column per dependency level (everything a component ``needs`` stands to its
left), ``needs`` as arrows, each node coloured by health and marked when its release is pending or
failed or its objects drifted. A click on a node opens the component page.

Like :mod:`helmdeck.server.timeline_svg`: no script, no style element or attribute (the pages'
Content-Security-Policy allows neither), only presentation attributes.

At 200 components a node each is no longer a picture: on a platform of more than ``show_all_up_to``
components, a namespace with more than ``collapse_over`` shows as one node with counts by health,
expanded by its link (``?expand=NAMESPACE``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from helmdeck.health import Health
from helmdeck.server.svg_text import attr as _a
from helmdeck.server.svg_text import clip as _clip
from helmdeck.server.svg_text import text as _t
from helmdeck.spec.graph import levels

#: health -> (fill, stroke): the overview table's badge colours
HEALTH_COLOURS: dict[Health, tuple[str, str]] = {
    Health.healthy: ("#dcfae6", "#127a3e"),
    Health.progressing: ("#e0eaff", "#2f5bd3"),
    Health.failed: ("#fee4e2", "#b42318"),
    Health.unknown: ("#f2f4f7", "#667085"),
    Health.absent: ("#ffffff", "#98a2b3"),
}
#: a collapsed namespace takes the first of these its members have (else healthy)
_WORST_FIRST = (Health.failed, Health.progressing, Health.unknown, Health.absent)
DRIFT = "#a15c00"
CHANGE = "#5925dc"
MARKS = ["pending", "failed", "drift", "change"]
COLLAPSE_OVER = 12
#: a platform this small shows every component, however they spread over namespaces
SHOW_ALL_UP_TO = 60
NODE_W, NODE_H = 150, 36
COL, ROW = 190, 46
PAGE_COLUMNS = 4  # what fits 800 px
BAND_HEAD = 22
LEFT, TOP = 8, 34  # the legend above


@dataclass
class Node:
    id: str
    label: str
    namespace: str
    level: int
    health: Health
    href: str
    title: str
    marks: list[str] = field(default_factory=list)  # MARKS
    members: int = 0  # a collapsed namespace: how many components
    counts: dict[str, int] = field(default_factory=dict)
    #: during a web deploy, what the deploy is doing to it (installing, waiting, ...: deploy_graph.py)
    deploy: str = ""
    x: int = 0
    y: int = 0


@dataclass
class Layout:
    nodes: list[Node]
    edges: list[tuple[str, str]]  # (needed, needing) node ids
    bands: list[tuple[str, int, int, bool]]  # namespace, top, height, collapsible (expanded)
    width: int
    height: int


def marks_of(c: Mapping[str, Any]) -> list[str]:
    """What the node shows besides its colour: the release pending or failed (Helm's status, which
    health alone hides: a failed upgrade may leave healthy pods) and drift."""
    marks = []
    release = str(c.get("status") or "")
    if release.startswith("pending"):
        marks.append("pending")
    elif release == "failed":
        marks.append("failed")
    if c.get("drift"):
        marks.append("drift")
    if c.get("planned"):  # the plan page: the plan installs, upgrades or removes it
        marks.append("change")
    return marks


def layout(
    components: Sequence[Mapping[str, Any]],
    expanded: Collection[str] = (),
    collapse_over: int = COLLAPSE_OVER,
    show_all_up_to: int = SHOW_ALL_UP_TO,
    base: str = "/",
) -> Layout:
    """``base``: the page the graph is on, which its expand links open again (the overview, a plan,
    a deploy: expanding a namespace must not leave the plan under review)."""
    names = [str(c["component"]) for c in components]
    needs = {str(c["component"]): [str(n) for n in c.get("needs") or [] if n in names] for c in components}
    try:
        level_of = {name: i for i, level in enumerate(levels(needs)) for name in level}
    except ValueError:  # a cycle: the loader refuses them, a hand-edited release may not
        level_of = dict.fromkeys(names, 0)
    by_ns: dict[str, list[Mapping[str, Any]]] = {}
    for c in components:
        by_ns.setdefault(str(c.get("namespace") or ""), []).append(c)
    node_of: dict[str, str] = {}
    nodes: list[Node] = []
    for ns, members in by_ns.items():
        if len(components) > show_all_up_to and len(members) > collapse_over and ns not in expanded:
            group = _group_node(ns, members, level_of, _overview_href([*expanded, ns], base))
            nodes.append(group)
            node_of.update((str(c["component"]), group.id) for c in members)
            continue
        for c in members:
            nodes.append(_component_node(c, ns, level_of))
            node_of[str(c["component"])] = str(c["component"])
    # a band is marked expanded only where the user opened a namespace that would be collapsed
    opened = {
        ns: len(components) > show_all_up_to and len(members) > collapse_over and ns in expanded
        for ns, members in by_ns.items()
    }
    bands, height = _place(nodes, opened)
    width = max(LEFT + sum(_spans(nodes)) * COL, 600)
    return Layout(nodes, _edges(needs, node_of), bands, width, height)


def _group_node(ns: str, members: Sequence[Mapping[str, Any]], level_of: Mapping[str, int], href: str) -> Node:
    """A collapsed namespace: one node of its members' worst health and all their marks."""
    counts: dict[str, int] = {}
    for c in members:
        counts[str(c.get("health"))] = counts.get(str(c.get("health")), 0) + 1
    worst = next((h for h in _WORST_FIRST if counts.get(h)), Health.healthy)
    marks = sorted({m for c in members for m in marks_of(c)}, key=MARKS.index)
    return Node(
        id=f"ns:{ns}",
        label=f"{ns or '(no namespace)'}: {len(members)}",
        namespace=ns,
        level=min(level_of[str(c["component"])] for c in members),
        health=worst,
        href=href,
        title=f"namespace {ns}: {len(members)} components, " + _counts_text(counts) + "; click to expand",
        marks=marks,
        members=len(members),
        counts=counts,
    )


def _component_node(c: Mapping[str, Any], ns: str, level_of: Mapping[str, int]) -> Node:
    name = str(c["component"])
    reason = str(c.get("reason") or "")
    return Node(
        id=name,
        label=name,
        namespace=ns,
        level=level_of[name],
        # a word this helmdeck does not know (a newer service's) is drawn as unknown
        health=Health.recorded(str(c.get("health") or "")) or Health.unknown,
        href=f"/components/{quote(name, safe='')}",
        title=f"{name} ({ns}): {c.get('health')}, release {c.get('status')}"
        + (f"; {reason}" if reason else "")
        + (f"; {c['drift']}" if isinstance(c.get("drift"), str) else "")
        + (f"; the plan: {c['planned']}" if c.get("planned") else ""),
        marks=marks_of(c),
        deploy=str(c.get("deploy") or ""),
    )


def _edges(needs: Mapping[str, Sequence[str]], node_of: Mapping[str, str]) -> list[tuple[str, str]]:
    """One edge per pair of nodes a need joins (none inside a collapsed namespace)."""
    edges: list[tuple[str, str]] = []
    for name, deps in needs.items():
        for dep in deps:
            edge = (node_of[dep], node_of[name])
            if edge[0] != edge[1] and edge not in edges:
                edges.append(edge)
    return edges


def _place(nodes: Sequence[Node], expanded_band: Mapping[str, bool]) -> tuple[list[tuple[str, int, int, bool]], int]:
    """Each node's position, the namespace bands (in ``expanded_band``'s order) and the height."""
    # one band per namespace, its nodes in their level's column; a level that many share gets the
    # columns the page has to spare, so a wide platform is not one tall stack
    spans = _spans(nodes)
    starts = [sum(spans[:k]) for k in range(len(spans))]
    bands: list[tuple[str, int, int, bool]] = []
    y = TOP
    for ns, expanded in expanded_band.items():
        stack: dict[int, int] = {}
        rows = 1
        for node in nodes:
            if node.namespace != ns:
                continue
            i = stack.get(node.level, 0)
            stack[node.level] = i + 1
            row, sub = divmod(i, spans[node.level])
            node.x, node.y = LEFT + (starts[node.level] + sub) * COL, y + BAND_HEAD + row * ROW
            rows = max(rows, row + 1)
        height = BAND_HEAD + rows * ROW
        bands.append((ns, y, height, expanded))
        y += height + 6
    return bands, y + 4


def _spans(nodes: Sequence[Node]) -> list[int]:
    """How many columns each level takes: one each, and the columns a page of 800 px has beyond the
    levels go one by one to the level with the tallest stack in a band."""
    if not nodes:
        return [1]
    spans = [1] * (max(n.level for n in nodes) + 1)
    tallest = [0] * len(spans)
    counts: dict[tuple[str, int], int] = {}
    for n in nodes:
        counts[(n.namespace, n.level)] = counts.get((n.namespace, n.level), 0) + 1
        tallest[n.level] = max(tallest[n.level], counts[(n.namespace, n.level)])
    for _ in range(PAGE_COLUMNS - len(spans)):
        level = max(range(len(spans)), key=lambda k: -(-tallest[k] // spans[k]))
        if -(-tallest[level] // spans[level]) <= 1:
            break
        spans[level] += 1
    return spans


def platform_graph_svg(
    status: Mapping[str, Any],
    expanded: Collection[str] = (),
    collapse_over: int = COLLAPSE_OVER,
    show_all_up_to: int = SHOW_ALL_UP_TO,
    base: str = "/",
) -> str:
    """The overview's graph of ``status`` (the status JSON, each component with its ``needs``)."""
    plan = layout(status.get("components") or [], expanded, collapse_over, show_all_up_to, base)
    planned = any("change" in n.marks for n in plan.nodes)
    plan.width = max(plan.width, 700 if planned else 0)  # the legend's last entry fits (700 < 800 px)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{plan.width}" height="{plan.height}" '
        f'viewBox="0 0 {plan.width} {plan.height}" font-family="sans-serif" font-size="11" role="img" '
        f'aria-label="platform graph" data-testid="graph-svg">',
        "<title>platform graph: components by namespace, arrows from what is needed</title>",
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#98a2b3"/></marker></defs>',
        f'<rect x="0" y="0" width="{plan.width}" height="{plan.height}" fill="#ffffff"/>',
    ]
    out += _legend(planned)
    for ns, top, height, collapsible in plan.bands:
        out.append(
            f'<g data-namespace="{_a(ns)}"><rect x="2" y="{top}" width="{plan.width - 4}" height="{height}" '
            f'fill="#f6f7f9" stroke="#d8dde6" rx="4"/>'
            f'<text x="{LEFT}" y="{top + 15}" fill="#667085" font-weight="bold">{_t(ns or "(no namespace)")}</text>'
        )
        if collapsible:
            others = [e for e in expanded if e != ns]
            label_x = LEFT + 8 + 7 * len(ns or "(no namespace)")
            out.append(
                f'<a href="{_a(_overview_href(others, base))}" data-testid="graph-collapse-{_a(ns)}">'
                f'<text x="{label_x}" y="{top + 15}" fill="#2f5bd3">collapse</text></a>'
            )
        out.append("</g>")
    where = {n.id: n for n in plan.nodes}
    for src, dst in plan.edges:
        out.append(_edge(where[src], where[dst]))
    for node in plan.nodes:
        out.append(_node(node))
    out.append("</svg>")
    return "\n".join(out)


def _edge(src: Node, dst: Node) -> str:
    """A curve into the next column; an arrow that has columns to cross runs in the gaps between
    rows and columns instead, so it never passes behind a node it does not connect."""
    x1, y1 = src.x + NODE_W, src.y + NODE_H // 2
    x2, y2 = dst.x, dst.y + NODE_H // 2
    if x2 - x1 == COL - NODE_W:
        mid = (x1 + x2) // 2
        d = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
    else:
        gap = src.y + NODE_H + (ROW - NODE_H) // 2  # between this row and the next
        out, into = x1 + (COL - NODE_W) // 2, x2 - (COL - NODE_W) // 2
        d = f"M{x1},{y1} L{out},{y1} L{out},{gap} L{into},{gap} L{into},{y2} L{x2},{y2}"
    return (
        f'<path d="{d}" fill="none" stroke="#98a2b3" stroke-width="1.2" marker-end="url(#arrow)" '
        f'data-edge="{_a(src.id)}>{_a(dst.id)}"/>'
    )


def _node(n: Node) -> str:
    fill, stroke = HEALTH_COLOURS[n.health]
    dash = ' stroke-dasharray="5 3"' if "pending" in n.marks else ""
    width = "2.5" if "failed" in n.marks or n.health is Health.failed else "1.5"
    testid = f"graph-group-{n.namespace}" if n.members else f"graph-node-{n.id}"
    second = _counts_text(n.counts, short=True) if n.members else n.deploy or n.health
    deploy = f' data-deploy="{_a(n.deploy)}"' if n.deploy else ""
    parts = [
        f'<a href="{_a(n.href)}" data-testid="{_a(testid)}" data-health="{_a(n.health)}" '
        f'data-marks="{_a(" ".join(n.marks))}"{deploy}>',
        f"<title>{_t(n.title)}</title>",
        f'<rect x="{n.x}" y="{n.y}" width="{NODE_W}" height="{NODE_H}" rx="5" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{width}"{dash}/>',
        f'<text x="{n.x + 8}" y="{n.y + 15}" font-weight="bold" fill="#1d2330">{_t(_clip(n.label, 22))}</text>',
        f'<text x="{n.x + 8}" y="{n.y + 29}" fill="{stroke}">{_t(_clip(second, 24))}</text>',
    ]
    x = n.x + NODE_W
    for mark in reversed(n.marks):  # small tags on the node's top right corner
        colour = {"drift": DRIFT, "change": CHANGE}.get(mark) or HEALTH_COLOURS[
            Health.failed if mark == "failed" else Health.progressing
        ][1]
        w = 6 * len(mark) + 8
        x -= w + 2
        parts.append(
            f'<rect x="{x}" y="{n.y - 6}" width="{w}" height="12" rx="6" fill="{colour}" data-mark="{mark}"/>'
            f'<text x="{x + w / 2:.0f}" y="{n.y + 3}" text-anchor="middle" font-size="9" fill="#ffffff">{mark}</text>'
        )
    parts.append("</a>")
    return "".join(parts)


def _legend(planned: bool = False) -> list[str]:
    out, x = [], LEFT
    for health, (fill, stroke) in HEALTH_COLOURS.items():
        out.append(f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="{fill}" stroke="{stroke}"/>')
        out.append(f'<text x="{x + 16}" y="18">{health}</text>')
        x += 28 + 6 * len(health)
    out.append(
        f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="#ffffff" stroke="#2f5bd3" stroke-dasharray="3 2"/>'
    )
    out.append(f'<text x="{x + 16}" y="18">release pending</text>')
    x += 28 + 6 * len("release pending")
    out.append(f'<rect x="{x}" y="8" width="24" height="12" rx="6" fill="{DRIFT}"/>')
    out.append(f'<text x="{x + 28}" y="18">drift</text>')
    if planned:  # a plan's graph: what it changes
        x += 28 + 6 * len("drift") + 8
        out.append(f'<rect x="{x}" y="8" width="24" height="12" rx="6" fill="{CHANGE}"/>')
        out.append(f'<text x="{x + 28}" y="18">planned change</text>')
    return out


def _counts_text(counts: Mapping[str, int], short: bool = False) -> str:
    order = ("failed", "progressing", "unknown", "absent", "healthy")
    parts = [f"{counts[h]} {h}" for h in order if counts.get(h)]
    return (" · " if short else ", ").join(parts)


def _overview_href(expanded: Sequence[str], base: str = "/") -> str:
    unique = list(dict.fromkeys(expanded))
    return f"{base}?" + urlencode([("expand", ns) for ns in unique]) if unique else base
