"""The hostile-chart corpus against ``helmdeck validate`` and ``helmdeck render`` as processes, and
against the contained engine in this process: a clear error naming the chart, no traceback, in
bounded time and memory, and the next render works."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helmdeck.engine import contained
from helmdeck.engine.charts import ChartCache, load_chart, varies_at_install
from helmdeck.engine.helm_sdk import HelmSdkEngine
from helmdeck.engine.render import render
from helmdeck.errors import ConfigError
from tests.unit.hostile_support import EXPECTED, GOOD, HOSTILE, LOW_LIMITS

#: address space of the CLI process itself: it would die, not blow up, if Helm ran inside it
CLI_AS = 3 << 30
SECONDS = 45


def _platform(tmp_path: Path, chart: str) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: hostile}\nspec:\n  components:\n"
        f"    - name: victim\n      chart: {HOSTILE / chart}\n"
    )
    return path


def _cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CLI_AS, CLI_AS))

    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=SECONDS + 15,
        preexec_fn=limit,
        env={**os.environ, **LOW_LIMITS, "HELMDECK_ALLOW_OUTSIDE": "1"},
    )
    return run, time.monotonic() - started


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize("chart", sorted(EXPECTED))
def test_the_cli_refuses_a_hostile_chart_cleanly(tmp_path: Path, command: str, chart: str) -> None:
    as_data = ["-o", "json"] if command == "validate" else []  # render prints manifests, its errors plain
    run, seconds = _cli(command, "-f", str(_platform(tmp_path, chart)), *as_data)
    text = " ".join((run.stdout + run.stderr).split())
    assert run.returncode == 1, (run.returncode, text[-2000:])  # an error of the input, not a crash (134) or 70
    assert EXPECTED[chart] in text, text[-2000:]
    assert "Traceback" not in text and "fatal error" not in text and "goroutine" not in text
    assert seconds < SECONDS


@pytest.fixture
def low_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LOW_LIMITS.items():
        monkeypatch.setenv(name, value)


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


@pytest.mark.usefixtures("low_limits")
def test_the_engine_survives_each_hostile_render_and_reuses_its_worker() -> None:
    good = load_chart(GOOD, cache=ChartCache())
    render(good, None, "good", "default")
    render(good, None, "good", "default")
    reused = contained.worker_pids()
    assert reused, "a worker is kept for the next render"
    before = _rss()
    for chart in ("recursive-tpl", "render-loop", "huge-output"):
        with pytest.raises(ConfigError) as caught:
            render(load_chart(HOSTILE / chart, cache=ChartCache()), None, "victim", "default")
        assert f"chart {chart}: {EXPECTED[chart]}" in " ".join(str(caught.value).split())
        assert render(good, None, "good", "default").manifests  # the next render works
    # what the loops took stayed in the workers, which are gone
    assert _rss() - before < 64 << 20
    render(good, None, "good", "default")
    render(good, None, "good", "default")
    assert len(contained.worker_pids()) == 1  # renders in turn share one worker, not one each


def test_a_render_over_its_time_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELMDECK_RENDER_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("HELMDECK_RENDER_MEMORY_MIB", str(64 * 1024))  # the clock, not memory, ends it
    chart = load_chart(HOSTILE / "slow-loop", cache=ChartCache())
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"chart slow-loop: template evaluation took longer than 0.5 s"):
        render(chart, None, "victim", "default")
    assert time.monotonic() - started < 10


def test_limits_from_the_environment_are_checked() -> None:
    assert contained.Limits.from_env({}) == contained.Limits()
    limits = contained.Limits.from_env({"HELMDECK_RENDER_MEMORY_MIB": "4096", "HELMDECK_RENDER_WORKERS": "2"})
    assert limits.memory_bytes == 4 << 30 and limits.workers == 2
    for bad in ("lots", "100", "nan"):
        with pytest.raises(ConfigError, match="HELMDECK_RENDER_MEMORY_MIB"):
            contained.Limits.from_env({"HELMDECK_RENDER_MEMORY_MIB": bad})


@pytest.mark.parametrize(
    ("report", "reason"),
    [
        (
            "runtime: goroutine stack exceeds 1000000000-byte limit\nfatal error: stack overflow\n"
            "helm.sh/helm/v4/pkg/engine.tplFun.func1(...)",
            "crashed: stack overflow in tpl (a template calls itself without end)",
        ),
        (
            "fatal error: out of memory\ngithub.com/Masterminds/sprig/v3.untilStep(0x0)",
            "exceeded 3 GiB in until",
        ),
        ("fatal error: runtime: C malloc failed\n", "exceeded 3 GiB"),
        ("panic: something else\n", "crashed: panic: something else"),
        ("Traceback (most recent call last):\n  ...\nKeyError: 'op'\n", "crashed: KeyError: 'op'"),
        ("", "crashed without a message"),
    ],
)
def test_a_crash_report_in_a_users_words(report: str, reason: str) -> None:
    assert contained.crash_reason(report, contained.Limits()) == reason


def _no_dry_run(request: dict[str, object], archive: bytes, *, chart: str) -> dict[str, object]:
    raise AssertionError(f"a dry run of {chart}")


@pytest.mark.usefixtures("low_limits")
def test_an_install_after_the_same_render_needs_no_dry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chart that reads neither the cluster, the action nor chance evaluates at install as it
    rendered: the preflight's contained render is the install's proof."""
    engine = HelmSdkEngine(None)
    chart = load_chart(GOOD, cache=ChartCache())
    values = {"replicas": 2}
    render(chart, values, "same", "ns1")
    monkeypatch.setattr(contained, "evaluate", _no_dry_run)
    engine._contained_dry_run(chart, "same", values, "ns1", upgrade=False)
    engine._contained_dry_run(chart, "same", values, "ns1", upgrade=True)
    for other in (({"replicas": 3}, "same", "ns1"), (values, "other", "ns1"), (values, "same", "ns2")):
        with pytest.raises(AssertionError, match="a dry run of hello"):
            engine._contained_dry_run(chart, other[1], other[0], other[2], upgrade=False)


@pytest.mark.parametrize(
    "template",
    [
        '{{ lookup "v1" "Secret" "ns" "x" }}',
        '{{ if .Capabilities.APIVersions.Has "x/v1" }}{{ end }}',
        "{{ if .Release.IsUpgrade }}{{ end }}",
        "{{ if eq (randInt 0 2) 1 }}{{ end }}",
        "{{ now }}",
    ],
)
def test_a_chart_that_can_see_more_at_install_is_always_dry_run(tmp_path: Path, template: str) -> None:
    chart_dir = tmp_path / "seer"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text("apiVersion: v2\nname: seer\nversion: 0.1.0\n")
    (chart_dir / "templates" / "cm.yaml").write_text(template + "\n")
    assert varies_at_install(load_chart(chart_dir, cache=ChartCache()))
    assert not varies_at_install(load_chart(GOOD, cache=ChartCache()))


@pytest.mark.usefixtures("low_limits")
def test_ctrl_c_leaves_the_workers_to_finish_what_runs() -> None:
    """Ctrl-C reaches the process group; a deploy lets running installs (and their contained
    evaluations) finish, so the workers must not die of it."""
    good = load_chart(GOOD, cache=ChartCache())
    render(good, None, "good", "default")
    (pid,) = contained.worker_pids()
    os.kill(pid, signal.SIGINT)
    time.sleep(0.3)
    render(good, None, "good", "default")
    assert contained.worker_pids() == [pid]
