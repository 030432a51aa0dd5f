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
* retired after a call that left it bigger than ``RETIRE_RSS`` (Go keeps what a loop took), and
  replaced when it died (:mod:`helmdeck.engine.worker_process`).

Release writes, which evaluate templates again against the cluster, run in workers of their own
(:mod:`helmdeck.engine.release_writes`).

The caller gets a :class:`~helmdeck.errors.ConfigError` naming the chart and, where the crash
report says it, the template function ("crashed: stack overflow in tpl").
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.engine import crash_report
from helmdeck.engine.crash_report import MIB as _MIB
from helmdeck.engine.crash_report import crashed_in, templates_calling
from helmdeck.engine.worker_process import Pool, WorkerDied, env_number, pool_limits
from helmdeck.errors import ConfigError, HelmdeckError

__all__ = [
    "Limits",
    "crash_reason",
    "crashed_in",
    "evaluate",
    "prestart",
    "stop_idle",
    "templates_calling",
    "worker_pids",
]


@dataclass(frozen=True)
class Limits:
    """What one evaluation may use; read from the environment so the web service and tests set them."""

    memory_bytes: int = 3072 * _MIB
    seconds: float = 60.0
    max_output_bytes: int = 64 * _MIB
    workers: int = 4
    idle_seconds: float = 20.0  # an unused worker is stopped after this

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        default = cls()
        return cls(
            **pool_limits(env, "RENDER", default),
            max_output_bytes=int(
                env_number(env, "HELMDECK_RENDER_MAX_OUTPUT_MIB", default.max_output_bytes / _MIB, 1, 1 << 14) * _MIB
            ),
        )


def crash_reason(stderr: str, limits: Limits) -> str:
    """Why a worker died, in a user's words, from Go's crash report on its stderr."""
    return crash_report.crash_reason(stderr, limits.memory_bytes)


_pool: Pool[Limits] = Pool(Limits.from_env, prefix="helmdeck-render-")
atexit.register(_pool.shutdown)


def stop_idle() -> None:
    """Stop the idle workers now: the caller's renders are over for a while (a deploy past its
    preflight and renders); the next call starts one again."""
    _pool.shutdown()


def prestart() -> None:
    """Start the first worker in the background (see :meth:`Pool.prestart`)."""
    _pool.prestart()


def worker_pids() -> list[int]:
    return _pool.pids()


def evaluate(request: dict[str, Any], archive: bytes, *, chart: str) -> dict[str, Any]:
    """Run one request in a worker; a worker's death or overrun becomes a ConfigError naming ``chart``."""
    limits = Limits.from_env()
    try:
        with _pool.worker(limits) as worker:
            reply = worker.call(request, archive, seconds=limits.seconds)
    except WorkerDied as died:
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
        raise ConfigError(
            f"rendered output is {int(reply['tooLarge']) // _MIB} MiB, more than "
            f"{limits.max_output_bytes // _MIB} MiB (largest: {reply.get('template')})",
            where=f"chart {chart}",
            fix="render less, or raise HELMDECK_RENDER_MAX_OUTPUT_MIB",
            details={"chart": chart, "template": reply.get("template")},
        )
    return reply


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
