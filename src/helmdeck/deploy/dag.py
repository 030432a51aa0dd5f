"""Runs tasks in dependency order, independent ones in parallel (bounded), skipping the dependents
of a failed task while everything else goes on.

A task starts as soon as all of its dependencies succeeded, not when a whole "level" finished, so a
slow component holds back only what needs it: the run takes about the critical path.
"""

from __future__ import annotations

import enum
import heapq
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Flag(Protocol):
    """What stops new tasks: a ``threading.Event`` or several (:class:`AnyFlag`)."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class AnyFlag:
    """Set when any of its flags is: a lost lease and a user's interrupt both stop new tasks, but
    only a lost lease also aborts the running ones."""

    flags: tuple[Flag, ...]

    def is_set(self) -> bool:
        return any(f.is_set() for f in self.flags)


class TaskState(enum.StrEnum):
    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"


@dataclass
class TaskOutcome(Generic[T]):
    name: str
    state: TaskState
    result: T | None = None
    error: BaseException | None = None
    skipped_because: list[str] = field(default_factory=list)


def run_dag(
    needs: Mapping[str, Iterable[str]],
    work: Callable[[str], T],
    *,
    parallel: int = 4,
    failed: Callable[[T], bool] = lambda _result: False,
    on_state: Callable[[str, TaskState], None] | None = None,
    cancel: Flag | None = None,
) -> dict[str, TaskOutcome[T]]:
    """Run ``work(name)`` for every task once its ``needs`` succeeded.

    A task fails when ``work`` raises or when ``failed(result)`` says so; tasks that depend on it,
    directly or not, are skipped. ``cancel`` stops new tasks from starting (running ones finish).
    """
    deps = {name: set(ds) for name, ds in needs.items()}
    for name, ds in deps.items():
        unknown = ds - deps.keys()
        if unknown:
            raise ValueError(f"task {name!r} needs unknown tasks: {sorted(unknown)}")
    run = _Run(deps, failed, on_state)
    width = max(1, parallel)
    running: dict[Future[T], str] = {}
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="helmdeck-task") as pool:
        while True:
            if not (cancel and cancel.is_set()):
                while len(running) < width and (task := run.next_ready()) is not None:
                    run.notify(task, TaskState.running)
                    running[pool.submit(work, task)] = task
            if not running:
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                run.finish(running.pop(fut), fut)
    for outcome in run.outcomes.values():
        if outcome.state is TaskState.pending:  # cancelled before it could start
            outcome.skipped_because = ["cancelled"]
            run.notify(outcome.name, TaskState.skipped)
    return run.outcomes


class _Run(Generic[T]):
    """The tasks' outcomes while :func:`run_dag` runs them (changed on its thread only)."""

    def __init__(
        self,
        deps: dict[str, set[str]],
        failed: Callable[[T], bool],
        on_state: Callable[[str, TaskState], None] | None,
    ) -> None:
        self.deps = deps
        self.failed = failed
        self.on_state = on_state
        self.outcomes: dict[str, TaskOutcome[T]] = {n: TaskOutcome(n, TaskState.pending) for n in deps}
        # what each task still waits for, and who waits for it: a finished task touches only its
        # dependents (scanning every task for readiness after each one made 1000 tasks quadratic)
        self.unmet = {n: len(ds) for n, ds in deps.items()}
        self.dependents = reverse_order(deps)
        self.ready_names = [n for n, count in self.unmet.items() if count == 0]
        heapq.heapify(self.ready_names)  # ready tasks start in name order

    def notify(self, name: str, state: TaskState) -> None:
        self.outcomes[name].state = state
        if self.on_state:
            self.on_state(name, state)
        if state is TaskState.succeeded:
            for dependent in self.dependents[name]:
                self.unmet[dependent] -= 1
                if self.unmet[dependent] == 0:
                    heapq.heappush(self.ready_names, dependent)

    def next_ready(self) -> str | None:
        """The first pending task (by name) whose needs all succeeded, or None."""
        while self.ready_names:
            name = heapq.heappop(self.ready_names)
            if self.outcomes[name].state is TaskState.pending:
                return name
        return None

    def finish(self, name: str, fut: Future[T]) -> None:
        try:
            result = fut.result()
        except BaseException as exc:  # a task's failure must not stop its siblings
            self.outcomes[name].error = exc
            self.notify(name, TaskState.failed)
            self.skip_dependents_of(name)
            return
        self.outcomes[name].result = result
        if self.failed(result):
            self.notify(name, TaskState.failed)
            self.skip_dependents_of(name)
        else:
            self.notify(name, TaskState.succeeded)

    def skip_dependents_of(self, root: str) -> None:
        stopped = (TaskState.failed, TaskState.skipped)
        queue = deque(sorted(self.dependents[root]))
        while queue:
            name = queue.popleft()
            if self.outcomes[name].state is not TaskState.pending:
                continue
            self.outcomes[name].skipped_because = sorted(
                d for d in self.deps[name] if self.outcomes[d].state in stopped
            )
            self.notify(name, TaskState.skipped)
            queue.extend(sorted(self.dependents[name]))


def find_cycle(needs: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A dependency cycle as [a, b, ..., a], or None."""
    graph = {n: sorted(ds) for n, ds in needs.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt in graph and state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def reverse_order(needs: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """The graph for teardown: a task waits for everything that depends on it."""
    rev: dict[str, set[str]] = {n: set() for n in needs}
    for name, ds in needs.items():
        for d in ds:
            if d in rev:
                rev[d].add(name)
    return rev
