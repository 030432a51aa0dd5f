"""Worker processes of :mod:`helmdeck.engine.render_worker`, and pools of them.

A worker is started lazily as a fresh interpreter (``subprocess``, exec semantics: never a fork of a
process that has loaded Go), its address space capped before Go loads, and reused across calls. A
call has a deadline: past it the worker is killed. A call may be cancelled: the worker is asked to
stop (Helm's context is cancelled, so Helm ends the action and records it), and killed if it has
not answered within a grace period. A worker that died or was killed is replaced on the next call;
one left bigger than ``RETIRE_RSS`` by a call (Go keeps what a loop took) is retired, and one left
idle for ``idle_seconds`` is stopped.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, Generic, Protocol, TypeVar

from helmdeck.engine import kube_cache
from helmdeck.engine.crash_report import MIB, crash_reason, crashed_in
from helmdeck.engine.render_worker import HEADER, frame
from helmdeck.errors import ConfigError

#: a worker whose resident memory is above this after a call is replaced (a normal render: ~100 MiB)
RETIRE_RSS = 512 * MIB
_STDERR_SHOWN = 64 * 1024
#: how often a call that can be cancelled looks at its cancel flag
_POLL_SECONDS = 0.1
#: Go's GC target in a worker: a heap may grow to 3x what is live before a collection, not 2x
GO_GC_PERCENT = 200


def env_number(env: Mapping[str, str], name: str, fallback: float, low: float, high: float) -> float:
    """The number in environment variable ``name`` (``fallback`` if unset), or a ConfigError naming it."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return fallback
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise ConfigError(
            f"{name}={raw!r} is not a number from {low:g} to {high:g}",
            where=f"environment variable {name}",
            fix=f"set it within that range, or unset it for the default {fallback:g}",
        )
    return value


def go_runtime_env(env: dict[str, str], memory_bytes: int) -> None:
    """Tune Go's garbage collector in a worker's environment (unless the user tuned it).

    A worker's heap is mostly short-lived (a chart, its rendered text, an install's decoded
    objects), and at Go's default target a small install spent about a fifth of its CPU collecting;
    ``GO_GC_PERCENT`` trades some memory for that. The soft limit at three quarters of the worker's
    memory cap makes Go collect harder as it nears the cap instead, so a chart that fitted under the
    cap at the default target still does."""
    if "GOGC" in env or "GOMEMLIMIT" in env:
        return
    env["GOGC"] = str(GO_GC_PERCENT)
    if memory_bytes > 0:
        env["GOMEMLIMIT"] = str(memory_bytes * 3 // 4)


class PoolLimits(Protocol):
    """What a pool needs to know of its limits (frozen dataclasses: compared to spot a change)."""

    @property
    def memory_bytes(self) -> int: ...

    @property
    def seconds(self) -> float: ...

    @property
    def max_output_bytes(self) -> int: ...

    @property
    def workers(self) -> int: ...

    @property
    def idle_seconds(self) -> float: ...


def pool_limits(env: Mapping[str, str], kind: str, default: PoolLimits) -> dict[str, Any]:
    """The limits every pool reads from its environment variables: ``HELMDECK_<kind>_MEMORY_MIB``
    (address space of a worker), ``_TIMEOUT_SECONDS`` (of a call), ``_WORKERS`` (how many) and
    ``_IDLE_SECONDS`` (how long an unused worker is kept)."""
    prefix = f"HELMDECK_{kind}_"
    return {
        "memory_bytes": int(env_number(env, prefix + "MEMORY_MIB", default.memory_bytes / MIB, 2048, 1 << 20) * MIB),
        "seconds": env_number(env, prefix + "TIMEOUT_SECONDS", default.seconds, 0.1, 86400),
        "workers": int(env_number(env, prefix + "WORKERS", default.workers, 1, 64)),
        "idle_seconds": env_number(env, prefix + "IDLE_SECONDS", default.idle_seconds, 0.1, 86400),
    }


class WorkerDied(Exception):
    """The worker died, overran its deadline, or was killed after a cancel."""

    def __init__(self, reason: str, function: str = "", *, overran: bool = False, cancelled: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.function = function
        self.overran = overran
        self.cancelled = cancelled


class Cancel:
    """How a call learns it is cancelled, and how long the worker then has to answer."""

    def __init__(self, cancelled: Callable[[], bool], grace: float) -> None:
        self.cancelled = cancelled
        self.grace = grace
        self.asked_at: float | None = None


class WorkerProcess:
    """One worker process; used by one thread at a time (the pool hands it out)."""

    def __init__(self, limits: PoolLimits, *, prefix: str = "helmdeck-render-") -> None:
        self.limits = limits
        # kept open for the worker's life: Go writes its crash report there
        self._stderr: IO[bytes] = tempfile.TemporaryFile(prefix=prefix)  # noqa: SIM115
        env = dict(os.environ)
        env["HELMDECK_WORKER_AS_BYTES"] = str(limits.memory_bytes)
        env["HELMDECK_WORKER_MAX_OUTPUT"] = str(limits.max_output_bytes)
        self.kube_cache = kube_cache.private_dir(env)
        go_runtime_env(env, limits.memory_bytes)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "helmdeck.engine.render_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            close_fds=True,
        )
        self.archives: set[str] = set()
        self._ids = itertools.count(1)
        #: set by a caller that must not hand this worker on (see :mod:`helmdeck.engine.release_writes`)
        self.retired = False
        #: when the pool stops this worker if it is still idle then (monotonic seconds)
        self.idle_until = 0.0

    def call(
        self, request: dict[str, Any], archive: bytes, *, seconds: float, cancel: Cancel | None = None
    ) -> dict[str, Any]:
        """Send ``request`` (with ``archive`` unless this worker has it) and wait for the reply, at
        most ``seconds``; ``cancel`` is polled while waiting."""
        deadline = time.monotonic() + seconds
        digest = str(request.get("digest") or "")
        blob = b"" if not digest or digest in self.archives else archive
        reply = self._exchange(request, blob, deadline, seconds, cancel)
        if reply.get("missing"):
            reply = self._exchange(request, archive, deadline, seconds, cancel)
        if digest:
            self.archives.add(digest)
        return reply

    def _exchange(
        self, request: dict[str, Any], blob: bytes, deadline: float, seconds: float, cancel: Cancel | None
    ) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stderr.seek(0, os.SEEK_END)
        stderr_from = self._stderr.tell()
        request = {**request, "id": next(self._ids)}
        try:
            self.process.stdin.write(frame(request, blob))
            self.process.stdin.flush()
        except OSError:
            raise self._death(stderr_from) from None
        fd = self.process.stdout.fileno()
        header = self._read(fd, HEADER.size, deadline, seconds, stderr_from, cancel, request["id"])
        json_len, _ = HEADER.unpack(header)
        reply: dict[str, Any] = json.loads(self._read(fd, json_len, deadline, seconds, stderr_from, cancel, None))
        return reply

    def _read(
        self,
        fd: int,
        size: int,
        deadline: float,
        seconds: float,
        stderr_from: int,
        cancel: Cancel | None,
        request_id: int | None,
    ) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left:
            now = time.monotonic()
            if now >= deadline:
                self.kill()
                raise WorkerDied(f"took longer than {seconds:g} s", overran=True)
            wait = deadline - now
            if cancel is not None and request_id is not None:
                self._watch(cancel, request_id, now)
                wait = min(wait, _POLL_SECONDS)
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise self._death(stderr_from)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _watch(self, cancel: Cancel, request_id: int, now: float) -> None:
        """Ask the worker to stop once ``cancel`` says so; kill it when it has not within the grace."""
        if cancel.asked_at is None:
            if not cancel.cancelled():
                return
            cancel.asked_at = now
            assert self.process.stdin is not None
            with contextlib.suppress(OSError):
                self.process.stdin.write(frame({"cancel": request_id}))
                self.process.stdin.flush()
        if now - cancel.asked_at >= cancel.grace:
            self.kill()
            raise WorkerDied(f"was cancelled and stopped after a grace of {cancel.grace:g} s", cancelled=True)

    def _death(self, stderr_from: int) -> WorkerDied:
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._stderr.seek(stderr_from)
        report = self._stderr.read(_STDERR_SHOWN).decode("utf-8", "replace")
        return WorkerDied(crash_reason(report, self.limits.memory_bytes), crashed_in(report))

    def resident_bytes(self) -> int:
        try:
            with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        kube_cache.remove(self.kube_cache)
        for stream in (self.process.stdin, self.process.stdout, self._stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


L = TypeVar("L", bound=PoolLimits)


class Pool(Generic[L]):
    """At most ``limits.workers`` workers, reused; limits are read again at each call (tests and the
    web service change them), and workers made under other limits go.

    A worker unused for ``limits.idle_seconds`` is stopped (by a thread that runs while some are
    idle): each holds 40-50 MiB, and a deploy renders in a burst before its installs, so a deploy of
    1000 components kept its idle render workers through the whole install phase; a service is idle
    most of the time. Starting one again takes well under a second."""

    def __init__(self, limits: Callable[[], L], *, prefix: str) -> None:
        self._read_limits = limits
        self._prefix = prefix
        self._lock = threading.Condition()
        self._idle: list[WorkerProcess] = []
        self._busy = 0
        self._limits: L | None = None
        self._reaper: threading.Thread | None = None
        self._reaper_wake = threading.Event()  # a worker went idle: its time may end first

    @contextlib.contextmanager
    def worker(self, limits: L | None = None) -> Iterator[WorkerProcess]:
        limits = self._read_limits() if limits is None else limits
        with self._lock:
            self._adopt(limits)
            while not self._idle and self._busy >= limits.workers:
                self._lock.wait()
            chosen = self._idle.pop() if self._idle else None
            self._busy += 1
        try:
            if chosen is None or not chosen.alive:
                chosen = WorkerProcess(limits, prefix=self._prefix)
        except BaseException:
            self._give_back(None)
            raise
        healthy = False
        try:
            yield chosen
            healthy = True
        finally:
            if not healthy or chosen.retired or not chosen.alive or chosen.resident_bytes() > RETIRE_RSS:
                chosen.kill()
                self._give_back(None)
            else:
                self._give_back(chosen)

    def _adopt(self, limits: L) -> None:
        if limits != self._limits:
            # Settings changed (tests lower them): workers made under the old ones go.
            for stale in self._idle:
                stale.kill()
            self._idle.clear()
            self._limits = limits

    def prestart(self) -> None:
        """Start a worker now if none is there: its interpreter and Go runtime load while the caller
        does other work, instead of on the first call."""
        limits = self._read_limits()
        with self._lock:
            self._adopt(limits)
            if self._idle or self._busy:
                return
            try:
                self._keep_idle(WorkerProcess(limits, prefix=self._prefix), limits)
            except OSError:
                return  # the first call reports it

    def _give_back(self, worker: WorkerProcess | None) -> None:
        with self._lock:
            self._busy -= 1
            if worker is not None:
                if worker.limits == self._limits:
                    self._keep_idle(worker, worker.limits)
                else:
                    worker.kill()
            self._lock.notify()

    def _keep_idle(self, worker: WorkerProcess, limits: PoolLimits) -> None:
        """Under the lock: ``worker`` waits for the next call, until its idle time is up."""
        worker.idle_until = time.monotonic() + limits.idle_seconds
        self._idle.append(worker)
        self._reaper_wake.set()
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap, name=f"{self._prefix}reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        """Stop the workers idle past their time; ends when none is idle (the next one idle starts it again)."""
        while True:
            with self._lock:
                self._reaper_wake.clear()
                if not self._idle:
                    self._reaper = None
                    return
                now = time.monotonic()
                expired = [w for w in self._idle if w.idle_until <= now]
                self._idle = [w for w in self._idle if w.idle_until > now]
                wait = min((w.idle_until for w in self._idle), default=now) - now
            for worker in expired:
                worker.kill()
            if wait > 0:
                self._reaper_wake.wait(wait + 0.01)

    def shutdown(self) -> None:
        """Stop the idle workers now (busy ones go back to the pool when done, and are reused): for
        an operation past the phase that needed them, or the process ending."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    def pids(self) -> list[int]:
        """Process ids of the idle workers (tests check that they are reused)."""
        with self._lock:
            return [w.process.pid for w in self._idle]
