"""Rendering from several threads at once gives exactly what rendering one at a time gives."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import helm_python

from helmdeck.engine import ChartCache, load_chart
from helmdeck.engine.render import render
from helmdeck.manifests import manifest_text

CHARTS = Path(__file__).parent / "charts"


def test_shared_chart_handle_renders_concurrently() -> None:
    chart = load_chart(CHARTS / "webapp", cache=ChartCache())

    def job(i: int) -> str:
        rendered = render(chart, {"replicas": i, "config": {"greeting": f"hi-{i}"}}, f"app-{i}", f"ns-{i % 3}")
        return manifest_text(rendered.objects)

    expected = [job(i) for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(job, range(40))) == expected
    assert len(set(expected)) == 40


def test_chart_with_conditional_dependency_renders_concurrently() -> None:
    chart = load_chart(CHARTS / "umbrella", cache=ChartCache())

    def job(i: int) -> tuple[bool, bool]:
        enabled = i % 2 == 0
        rendered = render(chart, {"cache": {"enabled": enabled}}, f"u-{i}", "ns")
        return enabled, any(o.kind == "StatefulSet" for o in rendered.manifests)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for enabled, has_cache in pool.map(job, range(40)):
            assert enabled is has_cache


def test_loading_one_chart_from_many_threads_yields_one_digest(tmp_path: Path) -> None:
    cache = ChartCache()
    with ThreadPoolExecutor(max_workers=8) as pool:
        charts = list(pool.map(lambda _: load_chart(CHARTS / "webapp", cache=cache), range(16)))
    assert len({c.digest for c in charts}) == 1


def test_renders_and_loads_do_not_leak_native_handles() -> None:
    webapp = load_chart(CHARTS / "webapp", cache=ChartCache())
    umbrella = load_chart(CHARTS / "umbrella", cache=ChartCache())
    render(webapp, None, "a", "ns")  # creates the one shared handle of a chart without dependencies
    before = helm_python.open_handles_count()
    for i in range(30):
        render(webapp, {"replicas": i}, "a", "ns")
        render(umbrella, {"cache": {"enabled": i % 2 == 0}}, "u", "ns")
        load_chart(CHARTS / "webapp", cache=ChartCache())
    assert helm_python.open_handles_count() == before
