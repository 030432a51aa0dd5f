"""Helm release writes (install, upgrade, rollback, uninstall) in contained worker processes.

An install or upgrade evaluates the chart's templates again, against the cluster: ``lookup`` sees
live objects, and ``.Capabilities`` includes the CRDs the chart's ``crds/`` directory installed
moments before. A chart harmless at ``validate`` and ``render`` can therefore recurse or loop only
at install; run in helmdeck's process, that would abort it (Go's "fatal error: stack overflow") or
leave it holding gigabytes. So every release write runs in a worker of
:mod:`helmdeck.engine.render_worker` (the ops in :mod:`helmdeck.engine.release_ops`), from a pool
of its own, so that long installs never hold up renders:

* at most ``HELMDECK_RELEASE_WORKERS`` workers (default 4, as deploy's parallelism), reused;
* address space capped at ``HELMDECK_RELEASE_MEMORY_MIB`` (default 4096);
* a write may take ``HELMDECK_RELEASE_TIMEOUT_SECONDS`` (default 600) plus the Helm timeout it was
  given (Helm waits on hooks that long), then its worker is killed;
* a cancelled write (a :class:`~helmdeck.engine.port.CancelToken`, or :func:`stop` when helmdeck is
  ending) has Helm's context cancelled in the worker, so Helm ends the action and records it; a
  worker that has not answered within ``HELMDECK_RELEASE_CANCEL_GRACE_SECONDS`` (default 20) is
  killed.

A worker keeps Helm's ``Config`` between writes while the cluster's API groups cannot have changed:
this module numbers them (:func:`api_generation`) and counts one on after a write that may have
changed them (:mod:`helmdeck.engine.helm_configs`). A worker that died or was killed is replaced on
the next write. The caller gets an error naming
the release, the chart and, from Go's crash report, the template function and the templates
calling it, with the state the release was left in (read in this process: reads evaluate nothing).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.engine.contained import helm_error
from helmdeck.engine.crash_report import MIB, size_text, templates_calling
from helmdeck.engine.helm_configs import CHANGED_KEY, GENERATION_KEY
from helmdeck.engine.options import WriteOptions
from helmdeck.engine.releases import Release
from helmdeck.engine.sdk_errors import ReleaseNotFoundError, ReleaseTimeoutError, cluster_unreachable
from helmdeck.engine.worker_process import Cancel, Pool, WorkerDied, env_number, pool_limits
from helmdeck.errors import ClusterError, ConfigError, HelmdeckError


@dataclass(frozen=True)
class ReleaseLimits:
    memory_bytes: int = 4096 * MIB
    seconds: float = 600.0
    cancel_grace: float = 20.0
    workers: int = 4
    idle_seconds: float = 20.0  # an unused worker is stopped after this
    max_output_bytes: int = 0  # a write's output is a release summary, not rendered text

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReleaseLimits:
        env = os.environ if env is None else env
        default = cls()
        return cls(
            **pool_limits(env, "RELEASE", default),
            cancel_grace=env_number(env, "HELMDECK_RELEASE_CANCEL_GRACE_SECONDS", default.cancel_grace, 0, 3600),
        )


_pool: Pool[ReleaseLimits] = Pool(ReleaseLimits.from_env, prefix="helmdeck-release-")
atexit.register(_pool.shutdown)

_stopping = threading.Event()
_stop_reason = ""
_running_lock = threading.Lock()
_running = 0
#: the number the workers know the cluster's API groups by (:mod:`helmdeck.engine.helm_configs`)
_api_generation = 0


def stop(reason: str) -> None:
    """helmdeck is ending (a second Ctrl-C, a web service past its grace period): running writes
    are cancelled (and their workers killed after the grace period), and no new write starts."""
    global _stop_reason
    _stop_reason = reason
    _stopping.set()


def resume() -> None:
    """Writes may start again (tests, and a service that stopped stopping)."""
    _stopping.clear()


def running() -> int:
    """How many writes are in workers now."""
    with _running_lock:
        return _running


def api_generation() -> int:
    with _running_lock:
        return _api_generation


def apis_may_have_changed() -> None:
    """A write may have changed the API groups the cluster serves: the workers' kept Helm Configs
    (which hold the groups they read) serve no later write."""
    global _api_generation
    with _running_lock:
        _api_generation += 1


def worker_pids() -> list[int]:
    return _pool.pids()


def stop_idle() -> None:
    """Stop the idle workers now: the caller's writes are over for a while (a deploy past its
    installs); the next call starts one again."""
    _pool.shutdown()


def prestart() -> None:
    _pool.prestart()


@dataclass(frozen=True)
class Write:
    """One release write, and what its errors name."""

    op: str  # install, upgrade, rollback, uninstall
    release: str
    cluster: dict[str, Any]
    #: shipped to the worker as it is; its namespace is resolved (the engine's default filled in)
    options: WriteOptions
    values: dict[str, Any] | None = None
    chart: str | None = None
    digest: str | None = None
    revision: int | None = None  # rollback's

    @property
    def namespace(self) -> str:
        return self.options.namespace or ""

    @property
    def where(self) -> str:
        return f"{self.op} of release {self.namespace}/{self.release}"


def run(write: Write, archive: bytes = b"", *, state: Callable[[], str]) -> dict[str, Any]:
    """Run ``write`` in a worker; returns the worker's reply (``ok``, ``result`` or a Helm error).

    ``state`` says what state the release is in now (``the release is failed at revision 3``), for
    errors where the worker did not say how the write ended."""
    global _running
    limits = ReleaseLimits.from_env()
    cancel = write.options.cancel
    if _stopping.is_set() or (cancel is not None and cancel.cancelled):
        raise ReleaseTimeoutError(
            f"{write.where}: "
            + (f"not started: {_stop_reason}" if _stopping.is_set() else "cancelled before it started"),
            where=f"release {write.namespace}/{write.release}",
        )
    request: dict[str, Any] = {
        "op": write.op,
        "release": write.release,
        "values": write.values,
        "options": write.options.to_json(),
        "cluster": write.cluster,
        GENERATION_KEY: api_generation(),
    }
    if write.digest:
        request["digest"] = write.digest
    if write.revision is not None:
        request["revision"] = write.revision
    seconds = limits.seconds + (write.options.timeout or 0)
    watch = Cancel(lambda: _stopping.is_set() or (cancel is not None and cancel.cancelled), limits.cancel_grace)
    with _running_lock:
        _running += 1
    try:
        with _pool.worker(limits) as worker:
            reply = worker.call(request, archive, seconds=seconds, cancel=watch)
            # Helm answers a cancel at once but leaves the action running in a goroutine, which would
            # finish it later (a hook completing turns the "failed" release "deployed"): the worker goes.
            worker.retired = watch.asked_at is not None
    except WorkerDied as died:
        apis_may_have_changed()  # how far it got is not known
        raise _stopped(write, died, archive, limits, seconds, state()) from None
    except OSError as exc:
        raise HelmdeckError(f"cannot start a release worker process: {exc.strerror or exc}") from None
    finally:
        with _running_lock:
            _running -= 1
    if reply.get(CHANGED_KEY):
        apis_may_have_changed()
    if watch.asked_at is not None and not reply.get("ok"):
        why = _stop_reason if _stopping.is_set() else "cancelled"
        raise ReleaseTimeoutError(
            f"{write.where} was cancelled ({why}); Helm stopped it: {reply.get('message')}; {state()}",
            where=f"release {write.namespace}/{write.release}",
            fix="the next helmdeck deploy recovers a release left failed or pending",
        )
    return reply


def state_of(read: Callable[[], Release]) -> Callable[[], str]:
    """What state a release is in now (``read`` reads it), in words, for an error about a write
    that was stopped."""

    def state() -> str:
        try:
            release = read()
        except ReleaseNotFoundError:
            return "no release was written"
        except HelmdeckError as exc:
            return f"the release's state cannot be read ({exc.message})"
        return f"the release is {release.status.value} at revision {release.revision}"

    return state


def result_of(reply: Mapping[str, Any]) -> dict[str, Any]:
    """A write's result, or its Helm error raised as helm_python raised it in process."""
    if reply.get("ok"):
        result: dict[str, Any] = reply.get("result") or {}
        return result
    import helm_python

    failure = helm_error(reply) or helm_python.HelmError(str(reply.get("message") or "release write failed"))
    if reply.get("stage") == "config":
        raise cluster_unreachable(failure)  # type: ignore[arg-type]
    raise failure


def _stopped(
    write: Write, died: WorkerDied, archive: bytes, limits: ReleaseLimits, seconds: float, state: str
) -> HelmdeckError:
    """The error for a write whose worker died, overran or was killed after a cancel."""
    release = f"release {write.namespace}/{write.release}"
    if died.cancelled:
        why = _stop_reason if _stopping.is_set() else "cancelled"
        return ReleaseTimeoutError(
            f"{write.where} {died.reason} ({why}); {state}",
            where=release,
            fix="the next helmdeck deploy recovers a release left pending",
            details={"release": write.release, "namespace": write.namespace, "state": state},
        )
    if died.overran:
        return ReleaseTimeoutError(
            f"{write.where} took longer than {seconds:g} s, the limit of a release write, and its worker was "
            f"stopped; {state}",
            where=f"chart {write.chart}" if write.chart else release,
            fix=f"if the chart's templates loop, fix the chart; if the cluster is slow or the chart legitimately "
            f"needs longer, raise HELMDECK_RELEASE_TIMEOUT_SECONDS (now {limits.seconds:g})",
            details={"release": write.release, "namespace": write.namespace, "state": state},
        )
    calling = templates_calling(archive, died.function) if died.function and archive else []
    templates = f"; {died.function} is called in {', '.join(calling)}" if calling else ""
    if write.chart and (died.function or "stack overflow" in died.reason or "exceeded" in died.reason):
        return ConfigError(
            f"template evaluation {died.reason}{templates} ({write.where}; {state})",
            where=f"chart {write.chart}",
            fix="this chart's templates cannot be evaluated within helmdeck's limits at install; fix the chart, "
            f"or raise HELMDECK_RELEASE_MEMORY_MIB (now {size_text(limits.memory_bytes)}) if it is legitimately "
            "this big",
            details={"chart": write.chart, "reason": died.reason, "templates": calling, "state": state},
        )
    return ClusterError(
        f"{write.where}: its worker process {died.reason}; {state}",
        where=f"chart {write.chart}" if write.chart else release,
        fix="helmdeck goes on; the next helmdeck deploy recovers a release left pending",
        details={"release": write.release, "namespace": write.namespace, "state": state},
    )
