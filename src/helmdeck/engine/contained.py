"""Template evaluation in worker processes with memory and time limits.

A chart can make Helm recurse until Go aborts the process ("fatal error: stack overflow"), loop
until it holds gigabytes it never gives back, or print hundreds of megabytes. None of that may
reach helmdeck's own process or the web service, so every evaluation of templates runs in a
worker (:mod:`helmdeck.engine.render_worker`):

* started lazily as a fresh interpreter (``subprocess``, exec semantics: never a fork of a process
  that has loaded Go), at most ``HELMDECK_RENDER_WORKERS`` of them (default 4), reused across
  calls, so a 200-component deploy starts a handful of processes, not 200;
* its address space capped (``RLIMIT_AS``, ``HELMDECK_RENDER_MEMORY_MIB``, default 3072: the Go
  runtime alone reserves about 1.8 GiB of address space, a normal render adds a few MiB);
* killed when a call takes longer than ``HELMDECK_RENDER_TIMEOUT_SECONDS`` (default 60);
* output above ``HELMDECK_RENDER_MAX_OUTPUT_MIB`` (default 64) refused;
* retired after a call that left it bigger than ``_RETIRE_RSS`` (Go keeps what a loop took), and
  replaced when it died.

The caller gets a :class:`~helmdeck.errors.ConfigError` naming the chart and, where the crash
report says it, the template function ("crashed: stack overflow in tpl").
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
import re
import select
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from helmdeck.engine.render_worker import HEADER, frame
from helmdeck.errors import ConfigError, HelmdeckError

_MIB = 1024 * 1024
#: a worker whose resident memory is above this after a call is replaced (a normal render: ~100 MiB)
_RETIRE_RSS = 512 * _MIB
_STDERR_SHOWN = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """What one evaluation may use; read from the environment so the web service and tests set them."""

    memory_bytes: int = 3072 * _MIB
    seconds: float = 60.0
    max_output_bytes: int = 64 * _MIB
    workers: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        default = cls()

        def number(name: str, fallback: float, low: float, high: float) -> float:
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

        return cls(
            memory_bytes=int(number("HELMDECK_RENDER_MEMORY_MIB", default.memory_bytes / _MIB, 2048, 1 << 20) * _MIB),
            seconds=number("HELMDECK_RENDER_TIMEOUT_SECONDS", default.seconds, 0.1, 86400),
            max_output_bytes=int(
                number("HELMDECK_RENDER_MAX_OUTPUT_MIB", default.max_output_bytes / _MIB, 1, 1 << 14) * _MIB
            ),
            workers=int(number("HELMDECK_RENDER_WORKERS", default.workers, 1, 64)),
        )


class _WorkerDied(Exception):
    def __init__(self, reason: str, function: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.function = function


class _Worker:
    """One worker process; used by one thread at a time (the pool hands it out)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        # kept open for the worker's life: Go writes its crash report there
        self._stderr: IO[bytes] = tempfile.TemporaryFile(prefix="helmdeck-render-")  # noqa: SIM115
        env = dict(os.environ)
        env["HELMDECK_WORKER_AS_BYTES"] = str(limits.memory_bytes)
        env["HELMDECK_WORKER_MAX_OUTPUT"] = str(limits.max_output_bytes)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "helmdeck.engine.render_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            close_fds=True,
        )
        self.archives: set[str] = set()

    def call(self, request: dict[str, Any], archive: bytes) -> dict[str, Any]:
        """Send ``request`` (with ``archive`` unless this worker has it) and wait for the reply."""
        digest = str(request["digest"])
        reply = self._exchange(request, b"" if digest in self.archives else archive)
        if reply.get("missing"):
            reply = self._exchange(request, archive)
        self.archives.add(digest)
        return reply

    def _exchange(self, request: dict[str, Any], blob: bytes) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stderr.seek(0, os.SEEK_END)
        stderr_from = self._stderr.tell()
        deadline = time.monotonic() + self.limits.seconds
        try:
            self.process.stdin.write(frame(request, blob))
            self.process.stdin.flush()
        except OSError:
            raise self._death(stderr_from) from None
        fd = self.process.stdout.fileno()
        header = self._read(fd, HEADER.size, deadline, stderr_from)
        json_len, _ = HEADER.unpack(header)
        reply: dict[str, Any] = json.loads(self._read(fd, json_len, deadline, stderr_from))
        return reply

    def _read(self, fd: int, size: int, deadline: float, stderr_from: int) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise _WorkerDied(f"took longer than {self.limits.seconds:g} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise self._death(stderr_from)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _death(self, stderr_from: int) -> _WorkerDied:
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._stderr.seek(stderr_from)
        report = self._stderr.read(_STDERR_SHOWN).decode("utf-8", "replace")
        return _WorkerDied(crash_reason(report, self.limits), crashed_in(report))

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
        for stream in (self.process.stdin, self.process.stdout, self._stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


_FUNCTION_FRAME = re.compile(
    r"helm\.sh/helm/v\d+/pkg/engine\.(?P<helm>\w+?)Fun\b|github\.com/Masterminds/sprig/v\d+\.(?P<sprig>\w+)\("
)


#: Go functions in a crash report -> the template function a chart calls
_TEMPLATE_FUNCTION = {"untilStep": "until"}


def crashed_in(stderr: str) -> str:
    """The template function (tpl, include, until, ...) innermost in Go's crash report, if any."""
    match = _FUNCTION_FRAME.search(stderr)
    if match is None:
        return ""
    name = match.group("helm") or match.group("sprig") or ""
    return _TEMPLATE_FUNCTION.get(name, name)


_MEMORY = re.compile(r"out of memory|cannot allocate|malloc failed|MemoryError")
_ELIDED = re.compile(r"\.\.\.(\d+) frames elided\.\.\.")


def _deep_recursion(stderr: str) -> bool:
    """Whether memory ran out while a goroutine's stack grew, or with a stack of thousands of frames
    (Go prints the first and last hundred): a template calling itself, whichever ran out first."""
    if "runtime.newstack" in stderr or "runtime.morestack" in stderr:
        return True
    return any(int(count) > 10_000 for count in _ELIDED.findall(stderr))


def crash_reason(stderr: str, limits: Limits) -> str:
    """Why a worker died, in a user's words, from Go's crash report on its stderr."""
    function = crashed_in(stderr)
    where = f" in {function}" if function else ""
    if "stack overflow" in stderr or (_MEMORY.search(stderr) and _deep_recursion(stderr)):
        return f"crashed: stack overflow{where} (a template calls itself without end)"
    if _MEMORY.search(stderr):
        return f"exceeded {_size(limits.memory_bytes)}{where}"
    fatal = re.search(r"^(?:fatal error|panic): .*$", stderr, re.MULTILINE)
    if fatal:
        return f"crashed: {fatal.group(0)}{where}"
    # the worker's own Python failing: its exception's last line says what (a helmdeck bug)
    python = re.findall(r"^[A-Za-z_.]*(?:Error|Exception): .*$", stderr, re.MULTILINE)
    return f"crashed: {python[-1]}" if python else "crashed without a message"


def _size(size: int) -> str:
    mib = size // _MIB
    return f"{mib // 1024} GiB" if mib % 1024 == 0 else f"{mib} MiB"


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._limits: Limits | None = None

    @contextlib.contextmanager
    def worker(self) -> Iterator[_Worker]:
        limits = Limits.from_env()
        with self._lock:
            self._adopt(limits)
            while not self._idle and self._busy >= limits.workers:
                self._lock.wait()
            chosen = self._idle.pop() if self._idle else None
            self._busy += 1
        try:
            if chosen is None or not chosen.alive:
                chosen = _Worker(limits)
        except BaseException:
            self._give_back(None)
            raise
        healthy = False
        try:
            yield chosen
            healthy = True
        finally:
            if not healthy or not chosen.alive or chosen.resident_bytes() > _RETIRE_RSS:
                chosen.kill()
                self._give_back(None)
            else:
                self._give_back(chosen)

    def _adopt(self, limits: Limits) -> None:
        if limits != self._limits:
            # Settings changed (tests lower them): workers made under the old ones go.
            for stale in self._idle:
                stale.kill()
            self._idle.clear()
            self._limits = limits

    def prestart(self) -> None:
        """Start a worker now if none is there: its interpreter and Go runtime load while the
        caller reads charts and values, instead of on the first render."""
        limits = Limits.from_env()
        with self._lock:
            self._adopt(limits)
            if self._idle or self._busy:
                return
            try:
                self._idle.append(_Worker(limits))
            except OSError:
                return  # the first render reports it

    def _give_back(self, worker: _Worker | None) -> None:
        with self._lock:
            self._busy -= 1
            if worker is not None:
                if worker.limits == self._limits:
                    self._idle.append(worker)
                else:
                    worker.kill()
            self._lock.notify()

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    def pids(self) -> list[int]:
        """Process ids of the idle workers (tests check that they are reused)."""
        with self._lock:
            return [w.process.pid for w in self._idle]


_pool = _Pool()
atexit.register(_pool.shutdown)


def prestart() -> None:
    """Start the first worker in the background (see :meth:`_Pool.prestart`)."""
    _pool.prestart()


def worker_pids() -> list[int]:
    return _pool.pids()


def evaluate(request: dict[str, Any], archive: bytes, *, chart: str) -> dict[str, Any]:
    """Run one request in a worker; a worker's death or overrun becomes a ConfigError naming ``chart``."""
    try:
        with _pool.worker() as worker:
            reply = worker.call(request, archive)
    except _WorkerDied as died:
        calling = templates_calling(archive, died.function) if died.function else []
        raise ConfigError(
            f"template evaluation {died.reason}"
            + (f"; {died.function} is called in {', '.join(calling)}" if calling else ""),
            where=f"chart {chart}",
            fix="this chart's templates cannot be evaluated within helmdeck's limits; fix the chart, or raise "
            "HELMDECK_RENDER_MEMORY_MIB / HELMDECK_RENDER_TIMEOUT_SECONDS if it is legitimately this big",
            details={"chart": chart, "reason": died.reason, "templates": calling},
        ) from None
    except OSError as exc:
        raise HelmdeckError(f"cannot start a template worker process: {exc.strerror or exc}") from None
    if "tooLarge" in reply:
        limit = Limits.from_env().max_output_bytes
        raise ConfigError(
            f"rendered output is {int(reply['tooLarge']) // _MIB} MiB, more than "
            f"{limit // _MIB} MiB (largest: {reply.get('template')})",
            where=f"chart {chart}",
            fix="render less, or raise HELMDECK_RENDER_MAX_OUTPUT_MIB",
            details={"chart": chart, "template": reply.get("template")},
        )
    return reply


_PROVEN_KEPT = 4096
_proven: OrderedDict[str, None] = OrderedDict()
_proven_lock = threading.Lock()


def evaluation_key(digest: str, values: Mapping[str, Any] | None, release: str, namespace: str) -> str:
    """What a render's evaluation depends on when the chart reads neither the cluster, the action nor
    chance (:func:`helmdeck.engine.charts.varies_at_install`)."""
    text = json.dumps([digest, values, release, namespace], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def remember_evaluated(key: str) -> None:
    """A contained evaluation of ``key`` ended within the limits."""
    with _proven_lock:
        _proven[key] = None
        _proven.move_to_end(key)
        while len(_proven) > _PROVEN_KEPT:
            _proven.popitem(last=False)


def was_evaluated(key: str) -> bool:
    with _proven_lock:
        return key in _proven


def templates_calling(archive: bytes, function: str, *, at_most: int = 3) -> list[str]:
    """Templates of the chart archive whose actions call ``function``: where a crash in it comes from
    (Go's crash report names functions, not templates)."""
    call = re.compile(r"\{\{(?:(?!\}\}).)*?\b" + re.escape(function) + r"\b", re.DOTALL)
    found: list[str] = []
    with contextlib.suppress(OSError, tarfile.TarError, EOFError), tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if not member.isfile() or not ("/templates/" in member.name or member.name.endswith(".tpl")):
                continue
            handle = tar.extractfile(member)
            if handle is not None and call.search(handle.read(4 * _MIB).decode("utf-8", "replace")):
                found.append(member.name)
                if len(found) >= at_most:
                    break
    return found


def helm_error(reply: Mapping[str, Any]) -> Exception | None:
    """The helm_python exception a worker reported, rebuilt so callers map it as before."""
    name = reply.get("helmError")
    if not name:
        return None
    import helm_python

    cls = getattr(helm_python, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, helm_python.HelmError)):
        cls = helm_python.HelmError
    code = reply.get("code")
    exc: Exception = cls(str(reply.get("detail") or reply.get("message") or ""), code=code)
    return exc


def render_request(
    *, digest: str, values: dict[str, Any] | None, options: Mapping[str, Any], with_crds: bool
) -> dict[str, Any]:
    return {"op": "render", "digest": digest, "values": values, "options": dict(options), "withCrds": with_crds}


def dry_run_request(
    *,
    digest: str,
    upgrade: bool,
    release: str,
    values: dict[str, Any] | None,
    options: Mapping[str, Any],
    kubeconfig: str | None,
    kube_context: str | None,
    namespace: str,
) -> dict[str, Any]:
    return {
        "op": "dry-run-upgrade" if upgrade else "dry-run-install",
        "digest": digest,
        "release": release,
        "values": values,
        "options": dict(options),
        "cluster": {"kubeconfig": kubeconfig, "context": kube_context, "namespace": namespace},
    }
