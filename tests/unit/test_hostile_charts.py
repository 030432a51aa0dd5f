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

from helmdeck.engine import contained, release_writes
from helmdeck.engine.charts import ChartCache, load_chart
from helmdeck.engine.helm_sdk import HelmSdkEngine
from helmdeck.engine.options import UninstallOptions
from helmdeck.engine.render import render
from helmdeck.engine.sdk_errors import ReleaseTimeoutError
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


def test_a_worker_left_idle_is_stopped_and_the_next_render_starts_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """An idle worker holds 40-50 MiB: a deploy renders in a burst, then installs for minutes."""
    monkeypatch.setenv("HELMDECK_RENDER_IDLE_SECONDS", "0.5")
    good = load_chart(GOOD, cache=ChartCache())
    render(good, None, "good", "default")
    (pid,) = contained.worker_pids()
    render(good, None, "good", "default")
    assert contained.worker_pids() == [pid], "a worker used again within its idle time is kept"
    deadline = time.monotonic() + 10
    while contained.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert contained.worker_pids() == []
    with pytest.raises(ProcessLookupError):  # stopped, not only forgotten
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
    assert render(good, None, "good", "default").manifests
    (again,) = contained.worker_pids()
    assert again != pid


def test_idle_workers_are_stopped_when_the_caller_is_done_with_them() -> None:
    """A deploy stops its idle render workers once its renders are over, and its release workers
    once its writes are: they would sit beside the ones it still uses."""
    good = load_chart(GOOD, cache=ChartCache())
    render(good, None, "good", "default")
    (pid,) = contained.worker_pids()
    contained.stop_idle()
    assert contained.worker_pids() == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert render(good, None, "good", "default").manifests


def test_limits_from_the_environment_are_checked() -> None:
    assert contained.Limits.from_env({}) == contained.Limits()
    limits = contained.Limits.from_env({"HELMDECK_RENDER_MEMORY_MIB": "4096", "HELMDECK_RENDER_WORKERS": "2"})
    assert limits.memory_bytes == 4 << 30 and limits.workers == 2
    assert contained.Limits.from_env({"HELMDECK_RENDER_IDLE_SECONDS": "5"}).idle_seconds == 5
    with pytest.raises(ConfigError, match="HELMDECK_RENDER_IDLE_SECONDS"):
        contained.Limits.from_env({"HELMDECK_RENDER_IDLE_SECONDS": "0"})
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


def test_release_write_limits_from_the_environment_are_checked() -> None:
    assert release_writes.ReleaseLimits.from_env({}) == release_writes.ReleaseLimits()
    limits = release_writes.ReleaseLimits.from_env(
        {
            "HELMDECK_RELEASE_WORKERS": "2",
            "HELMDECK_RELEASE_TIMEOUT_SECONDS": "30",
            "HELMDECK_RELEASE_MEMORY_MIB": "3000",
        }
    )
    assert (limits.workers, limits.seconds, limits.memory_bytes) == (2, 30, 3000 << 20)
    for name, bad in (("HELMDECK_RELEASE_WORKERS", "0"), ("HELMDECK_RELEASE_TIMEOUT_SECONDS", "forever")):
        with pytest.raises(ConfigError, match=name):
            release_writes.ReleaseLimits.from_env({name: bad})


def test_no_release_write_starts_once_helmdeck_is_stopping() -> None:
    engine = HelmSdkEngine(None)
    release_writes.stop("helmdeck is stopping (a second Ctrl-C)")
    try:
        with pytest.raises(ReleaseTimeoutError, match=r"install of release default/x: not started: helmdeck is stop"):
            engine.install(load_chart(GOOD, cache=ChartCache()), "x", None)
        with pytest.raises(ReleaseTimeoutError, match="uninstall of release ns/x: not started"):
            engine.uninstall("x", UninstallOptions(namespace="ns"))
    finally:
        release_writes.resume()
    assert release_writes.running() == 0


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


def test_a_catalog_of_yaml_bombs_lists_each_as_a_problem(tmp_path: Path) -> None:
    """Catalog entries are read with the same YAML limits as every other file: each bomb becomes
    a catalog problem naming its limit, and the rest of the catalog loads."""
    import shutil

    from helmdeck.extensions.catalog import Catalog

    yaml_bombs = ("alias-bomb", "alias-strings", "deep-nesting")
    for name in yaml_bombs:
        shutil.copytree(HOSTILE / name, tmp_path / name)
    shutil.copytree(HOSTILE / "switched-recursion", tmp_path / "switched-recursion")
    catalog = Catalog([str(tmp_path)]).load()
    assert [e.name for e in catalog.latest()] == ["switched-recursion"]
    problems = {Path(p.source).name: " ".join(p.message.split()) for p in catalog.problems}
    assert sorted(problems) == sorted(yaml_bombs), problems
    for name in yaml_bombs:
        assert EXPECTED[name] in problems[name], (name, problems[name])


@pytest.mark.parametrize("chart", ["alias-bomb", "deep-nesting"])
def test_a_bundle_of_a_yaml_bomb_is_refused_naming_the_limit(tmp_path: Path, chart: str) -> None:
    """Bundles read their charts with the same YAML limits: nothing is written."""
    from helmdeck.bundle.create import create_bundle

    output = tmp_path / "out" / "b.tgz"
    with pytest.raises(ConfigError) as caught:
        create_bundle(_platform(tmp_path, chart), output)
    assert EXPECTED[chart] in " ".join(str(caught.value).split())
    assert not output.exists()
