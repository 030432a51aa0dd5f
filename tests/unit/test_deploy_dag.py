"""The DAG executor: order, bounded parallelism, failure isolation."""

from __future__ import annotations

import threading

import pytest

from helmdeck.deploy.dag import TaskState, find_cycle, reverse_order, run_dag


def test_runs_in_dependency_order() -> None:
    order: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> str:
        with lock:
            order.append(name)
        return name

    needs = {"db": [], "cache": [], "api": ["db", "cache"], "ui": ["api"]}
    out = run_dag(needs, work, parallel=4)
    assert all(o.state is TaskState.succeeded for o in out.values())
    assert order.index("api") > order.index("db") and order.index("api") > order.index("cache")
    assert order.index("ui") > order.index("api")


def test_failure_skips_dependents_only() -> None:
    needs = {"db": [], "api": ["db"], "ui": ["api"], "docs": []}

    def work(name: str) -> str:
        if name == "db":
            raise RuntimeError("boom")
        return name

    out = run_dag(needs, work)
    assert out["db"].state is TaskState.failed
    assert str(out["db"].error) == "boom"
    assert out["api"].state is TaskState.skipped and out["api"].skipped_because == ["db"]
    assert out["ui"].state is TaskState.skipped and out["ui"].skipped_because == ["api"]
    assert out["docs"].state is TaskState.succeeded


def test_failed_result_counts_as_failure() -> None:
    out = run_dag({"a": [], "b": ["a"]}, lambda n: n == "a", failed=lambda r: r)
    assert out["a"].state is TaskState.failed and out["b"].state is TaskState.skipped


def test_parallelism_is_bounded_and_starts_early() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()
    order: list[str] = []
    after_fast_started = threading.Event()
    slow_released_by_after_fast = False

    def work(name: str) -> None:
        nonlocal active, peak, slow_released_by_after_fast
        with lock:
            active += 1
            peak = max(peak, active)
            order.append(name)
        if name == "after-fast":
            after_fast_started.set()
        if name == "slow":
            # "slow" runs until "after-fast" has started: that can only happen when a task waits
            # for its own dependencies (t0), not for the whole level ("slow" among them)
            slow_released_by_after_fast = after_fast_started.wait(30)
        with lock:
            active -= 1

    needs = {f"t{i}": [] for i in range(6)} | {"slow": [], "after-fast": ["t0"], "after-slow": ["slow"]}
    out = run_dag(needs, work, parallel=3)
    assert all(o.state is TaskState.succeeded for o in out.values())
    assert slow_released_by_after_fast, "after-fast did not start while slow was still running"
    assert order.index("after-fast") < order.index("after-slow")
    # "slow" and "after-fast" overlapped, and never more than three ran at once
    assert 2 <= peak <= 3


def test_cancel_stops_new_tasks() -> None:
    cancel = threading.Event()

    def work(name: str) -> None:
        cancel.set()

    out = run_dag({"a": [], "b": ["a"]}, work, parallel=1, cancel=cancel)
    assert out["a"].state is TaskState.succeeded
    assert out["b"].state is TaskState.skipped and out["b"].skipped_because == ["cancelled"]


def test_unknown_dependency_rejected() -> None:
    with pytest.raises(ValueError, match="unknown"):
        run_dag({"a": ["zzz"]}, lambda n: n)


def test_find_cycle_and_reverse() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": []}) is None
    assert reverse_order({"db": [], "api": ["db"]}) == {"db": {"api"}, "api": set()}


class _Counted(str):
    """A task name that counts how often names are compared: the scheduler's own work."""

    comparisons = 0

    def __lt__(self, other: str) -> bool:
        _Counted.comparisons += 1
        return str.__lt__(self, other)

    __hash__ = str.__hash__


def test_scheduling_work_grows_with_the_tasks_not_their_square() -> None:
    # 1000 components made the old loop sort and scan every task after each one finished
    layers = [[_Counted(f"l{layer:02d}-c{i:03d}") for i in range(40)] for layer in range(20)]
    needs = {
        name: (layers[n - 1][i], layers[n - 1][(i + 1) % 40]) if n else ()
        for n, names in enumerate(layers)
        for i, name in enumerate(names)
    }
    _Counted.comparisons = 0
    outcomes = run_dag(needs, lambda name: name, parallel=8)
    assert all(o.state is TaskState.succeeded for o in outcomes.values())
    # a heap of ready names: about n log n in all (here ~5 000); the old loop sorted all 800 names
    # each time a task finished (~82 000 here, and it scanned their needs too)
    assert _Counted.comparisons < 20_000, _Counted.comparisons
