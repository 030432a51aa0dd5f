"""A deploy's timeline on the web: the history page links it, its page shows the chart inline (the
same SVG as the CLI's --out), the SVG alone, and the API's JSON; on a fake platform."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helmdeck.revisions.timeline import FIRST_READY, INSTALL, LAST_READY, ComponentTimeline, Span, Timeline

from .server_support import bearer, make_app
from .test_server_ui import login


def compact() -> dict[str, Any]:
    t = Timeline(seconds=8.0, platform={"preflight": Span(0.0, 0.5)})
    for name, needs, start in (("db", (), 0.6), ("web", ("db",), 4.1)):
        t.components[name] = ComponentTimeline(
            name,
            needs,
            "installed",
            Span(start, start + 3.4),
            {
                INSTALL: Span(start, start + 0.4),
                FIRST_READY: Span(start + 0.4, start + 1.0),
                LAST_READY: Span(start + 1.0, start + 3.4),
            },
        )
    return t.compact()


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    app, backend, tokens = make_app(tmp_path)
    backend.revisions[1]["timeline"] = compact()  # revision 2 was a deploy that recorded one
    with TestClient(app) as client:
        yield client, backend, tokens


def test_the_history_links_a_deploy_to_its_timeline_page(setup: Any) -> None:
    client, _, tokens = setup
    login(client, tokens["viewer"], "/history")
    history = client.get("/history").text
    assert 'href="/history/2/timeline"' in history and "/history/1/timeline" not in history
    page = client.get("/history/2/timeline")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.text
    assert 'data-testid="timeline-svg"' in html and "<script" not in html.split("</head>")[1].split("<footer")[0]
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg)
    critical = {
        g.get("data-row") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-critical") == "true"
    }
    assert critical == {"db", "web"}
    assert 'data-testid="critical-chain"' in html and "floor" in html
    image = client.get("/history/2/timeline.svg")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(image.text)


def test_a_revision_without_a_timeline_says_why(setup: Any) -> None:
    client, _, tokens = setup
    login(client, tokens["viewer"], "/history")
    page = client.get("/history/1/timeline")
    assert page.status_code == 422 and "has no timeline" in page.text
    assert client.get("/history/99/timeline").status_code == 404


def test_the_api_gives_the_timeline_with_its_chain_and_floor(setup: Any) -> None:
    client, _, tokens = setup
    answer = client.get("/api/v1/history/2/timeline", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["timeline"]["criticalChain"] == ["db", "web"]
    assert data["timeline"]["floor"] == pytest.approx(6.0)
    assert client.get("/api/v1/history/1/timeline", headers=bearer(tokens["viewer"])).status_code == 422
    assert client.get("/api/v1/history/2/timeline").status_code == 401
    listed = client.get("/api/v1/history", headers=bearer(tokens["viewer"]))
    assert listed.status_code == 200
    assert listed.json()[1]["timelineSummary"]["criticalChain"] == ["db", "web"]
    assert listed.json()[1]["timeline"] is None  # the list carries the summary only
    one = client.get("/api/v1/history/2", headers=bearer(tokens["viewer"])).json()
    assert one["timeline"]["v"] == 1  # the compact form, as recorded


def test_a_comparison_shows_what_changed_first_and_folds_the_unchanged(setup: Any) -> None:
    """200 components, one changed at the end: its row comes first, the rest under a count; a chart
    whose version did not move is not drawn as a change."""
    client, backend, tokens = setup
    side = {"chart": "tiny", "chartVersion": "0.1.0", "revision": 1, "status": "deployed"}
    same = {"change": "unchanged", "from": side, "to": side, "valuesDiff": "", "manifestDiff": ""}
    rows = [{"component": f"c{i:03d}", **same} for i in range(199)]
    rows.append({**rows[0], "component": "c199", "change": "changed", "to": {**side, "revision": 2}, "missing": []})
    done = backend.compare_revisions(1, 2)
    backend.compare_revisions = lambda old, new: {
        **done,
        "components": rows,
        "counts": {"added": 0, "removed": 0, "changed": 1, "unchanged": 199},
    }
    login(client, tokens["viewer"], "/history")
    page = client.get("/history/compare?from=1&to=2").text
    assert page.index('data-testid="compare-c199"') < page.index('data-testid="compare-unchanged"')
    assert page.index('data-testid="compare-unchanged"') < page.index('data-testid="compare-c000"')
    assert "<summary>199 unchanged</summary>" in page
    changed = page[page.index('data-testid="compare-c199"') :]
    assert "<td>tiny-0.1.0</td>" in changed[: changed.index("</tr>")]
