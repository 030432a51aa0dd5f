"""A component's container logs, as the component page shows them: a capped tail, the previous
container's log after a restart, and a follow, every line redacted.

Only the pods of the component's own tree (its release's workloads and hooks, as
:func:`helmdeck.core.component_detail.component_live` finds them) can be read: a component's page
never becomes a way to read any pod of the cluster. Lines are redacted with the page's secrets (the
platform's stored values and the values at secret paths of the release's two newest revisions),
so a platform secret a container prints never reaches a browser.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Any

from helmdeck.cluster.pod_log import LogRequest, LogUnavailable, follow_pod_log, read_pod_log
from helmdeck.core.component_detail import component_redactor
from helmdeck.core.session import PlatformSession
from helmdeck.errors import ConfigError

#: lines a tail shows unless asked for fewer, and the most it shows
DEFAULT_TAIL = 500
MAX_TAIL = 5000
#: bytes a tail reads at most (the API server stops there): a page must never hold a huge log
DEFAULT_LIMIT_BYTES = 256 * 1024
MAX_LIMIT_BYTES = 1024 * 1024
#: bytes a follow sends before it ends (the page offers to follow again)
FOLLOW_CAP_BYTES = 4 * 1024 * 1024
#: a line longer than this is cut, after redaction (a cut must not leave half a secret unredacted)
MAX_LINE = 8192


class NoSuchContainer(ConfigError):
    """The pod or container is not one of the component's."""


@dataclass(frozen=True)
class LogTarget:
    component: str
    namespace: str
    pod: str
    container: str
    restarts: int


def _pods(tree: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for node in tree:
        if node.get("kind") == "Pod" and node.get("pod") is not None:
            out.append(node)
        out += _pods(list(node.get("children") or []))
    return out


def log_sources(live: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pods of a component's tree (``live``: :func:`component_live`'s answer) with their
    containers, init containers first, as the API lists them."""
    out = []
    for node in _pods(list(live.get("tree") or [])):
        containers = [
            {
                "name": str(ct.get("name")),
                "init": bool(ct.get("init")),
                "restarts": int(ct.get("restarts") or 0),
                "state": str(ct.get("state") or ""),
            }
            for ct in (node.get("pod") or {}).get("containers") or []
        ]
        out.append(
            {"pod": str(node.get("name")), "namespace": str(node.get("namespace") or ""), "containers": containers}
        )
    return out


def log_target(live: Mapping[str, Any], pod: str, container: str) -> LogTarget:
    """The component's ``pod``/``container``, or :class:`NoSuchContainer` naming those it has."""
    component = str(live.get("component", ""))
    sources = log_sources(live)
    for source in sources:
        if source["pod"] != pod:
            continue
        for ct in source["containers"]:
            if ct["name"] == container:
                return LogTarget(component, source["namespace"], pod, container, ct["restarts"])
        names = ", ".join(ct["name"] for ct in source["containers"]) or "none reported yet"
        raise NoSuchContainer(
            f"pod {pod} of component {component} has no container {container!r} (containers: {names})",
            where=f"{component}/{pod}",
            fix="pick a container the component page lists",
        )
    pods = ", ".join(s["pod"] for s in sources) or "none"
    raise NoSuchContainer(
        f"component {component} has no pod {pod!r} (its pods: {pods})",
        where=component,
        fix="pick a pod the component page lists; a pod replaced since is gone with its log",
    )


def _bounded(value: int | None, default: int, most: int, name: str) -> int:
    if value is None:
        return default
    if value < 0:
        raise ConfigError(f"{name} is {value}", where=name, fix=f"give a number from 0 to {most}")
    return min(value, most)


def log_request(
    target: LogTarget, *, previous: bool = False, tail_lines: int | None = None, limit_bytes: int | None = None
) -> LogRequest:
    return LogRequest(
        target.namespace,
        target.pod,
        target.container,
        previous=previous,
        tail_lines=_bounded(tail_lines, DEFAULT_TAIL, MAX_TAIL, "tailLines"),
        limit_bytes=_bounded(limit_bytes, DEFAULT_LIMIT_BYTES, MAX_LIMIT_BYTES, "limitBytes") or 1,
    )


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[:MAX_LINE] + " …(line cut)"


def redactor_for(session: PlatformSession, component: str) -> Callable[[str], str]:
    return component_redactor(session, component)


def read_log(session: PlatformSession, target: LogTarget, req: LogRequest) -> dict[str, Any]:
    """The tail of a container's log, redacted: ``lines``, and ``truncated`` when the byte cap cut
    it; ``unavailable`` says why there is no log (the container never ran, no previous run)."""
    redact = redactor_for(session, target.component)
    out: dict[str, Any] = {
        "component": target.component,
        "namespace": target.namespace,
        "pod": target.pod,
        "container": target.container,
        "previous": req.previous,
        "restarts": target.restarts,
        "tailLines": req.tail_lines,
        "limitBytes": req.limit_bytes,
        "lines": [],
        "truncated": False,
        "unavailable": None,
    }
    try:
        lines, cut = newest_within(session, req)
    except LogUnavailable as exc:
        out["unavailable"] = redact(exc.message)
        return out
    out["lines"] = [_cut(redact(line)) for line in lines]
    out["truncated"] = cut
    return out


#: reads a tail makes at most to find the newest lines that fit the byte cap
_TRIES = 4


def newest_within(session: PlatformSession, req: LogRequest) -> tuple[list[str], bool]:
    """The newest lines of the tail that fit ``limit_bytes``, and whether older ones were left out.

    The API server counts ``limitBytes`` from the start of the tail, so a tail over the cap loses
    its newest lines; it is read again with fewer lines (as many as fitted, less a margin) until
    what comes back is whole."""
    tail = req.tail_lines
    lines, cut = read_pod_log(session.client, req)
    for _ in range(_TRIES - 1):
        if not cut:
            return lines, tail != req.tail_lines
        tail = max(1, int(len(lines) * 0.8)) if lines else max(1, (tail or DEFAULT_TAIL) // 4)
        lines, cut = read_pod_log(session.client, replace(req, tail_lines=tail))
    return lines, True


def follow_log(
    session: PlatformSession, target: LogTarget, req: LogRequest, cap_bytes: int = FOLLOW_CAP_BYTES
) -> AsyncIterator[str]:
    """Each line of the log as it is written, redacted, until ``cap_bytes`` were sent. The page's
    secrets are read here, in the caller's thread: the lines then come without blocking a loop."""
    redact = redactor_for(session, target.component)
    follow = LogRequest(req.namespace, req.pod, req.container, tail_lines=req.tail_lines)
    return capped(follow_pod_log(session.client, follow), redact, cap_bytes)


async def capped(
    lines: AsyncGenerator[str, None], redact: Callable[[str], str], cap_bytes: int = FOLLOW_CAP_BYTES
) -> AsyncIterator[str]:
    """``lines`` redacted, each cut at :data:`MAX_LINE`, until ``cap_bytes`` were given (then
    ``lines`` is closed: its connection too)."""
    sent = 0
    async with aclosing(lines):
        async for line in lines:
            text = _cut(redact(line))
            sent += len(text) + 1
            yield text
            if sent >= cap_bytes:
                return
