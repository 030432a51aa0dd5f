"""Pages of a container's log (tail, previous run, live follow) and of two platform revisions
compared; server-rendered like the others, the follow over server-sent events."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from helmdeck.core.component_detail import ComponentNotFound
from helmdeck.core.pod_logs import DEFAULT_TAIL
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.secrets.redact import known_redactor
from helmdeck.server.api_logs import views_of
from helmdeck.server.state import backend_of
from helmdeck.server.ui import _error_text, page, user

router = APIRouter(include_in_schema=False)

#: lines a followed log keeps on the page (older ones scroll away; the REST tail has the rest)
FOLLOW_TAIL = 200


def _log_path(name: str, pod: str, container: str) -> str:
    return f"{quote(name, safe='')}/logs/{quote(pod, safe='')}/{quote(container, safe='')}"


@router.get("/components/{name}/logs/{pod}/{container}")
async def log_page(
    request: Request, name: str, pod: str, container: str, previous: bool = False, follow: bool = False
) -> HTMLResponse:
    """The tail of the log (or its previous run's); ``follow``: its last lines, then new ones live."""
    who = await user(request)
    context: dict[str, Any] = {
        "component": name,
        "pod": pod,
        "container": container,
        "previous": previous and not follow,
        "follow": follow,
        "path": _log_path(name, pod, container),
        "log": None,
    }
    if follow:
        # the container must be the component's before the page opens a stream on it
        try:
            await run_in_threadpool(views_of(request).pod_log_sources, name)
        except HelmdeckError as exc:
            return _log_error(request, who, exc, context)
        context["stream"] = f"/ui/events/components/{context['path']}?tailLines={FOLLOW_TAIL}"
        return page(request, "pod_log.html", who, **context)
    try:
        context["log"] = await run_in_threadpool(
            views_of(request).pod_log, name, pod, container, previous, DEFAULT_TAIL, None
        )
    except HelmdeckError as exc:
        return _log_error(request, who, exc, context)
    return page(request, "pod_log.html", who, **context)


def _log_error(request: Request, who: Any, exc: HelmdeckError, context: dict[str, Any]) -> HTMLResponse:
    code = 404 if isinstance(exc, ComponentNotFound) else 503 if isinstance(exc, ClusterError) else 422
    return page(request, "pod_log.html", who, code, error=_error_text(known_redactor().error(exc)), **context)


@router.get("/ui/events/components/{name}/logs/{pod}/{container}")
async def log_events(request: Request, name: str, pod: str, container: str, tailLines: int = FOLLOW_TAIL) -> Any:
    """Each line as HTML (event ``line``), then ``end`` with why the stream stopped."""
    await user(request)
    try:
        lines = await run_in_threadpool(
            views_of(request).follow_pod_log, name, pod, container, max(0, min(tailLines, FOLLOW_TAIL))
        )
    except HelmdeckError as exc:
        error = _error_text(known_redactor().error(exc))

        async def refused() -> Any:
            yield {"event": "end", "data": f'<p class="error" role="alert">{escape(error)}</p>'}

        return EventSourceResponse(refused())

    async def stream() -> Any:
        why = "The container stopped, or the log reached its size cap: follow again to go on."
        try:
            async for line in lines:
                yield {"event": "line", "data": f'<div class="log-line">{escape(line) or "&nbsp;"}</div>'}
        except HelmdeckError as exc:
            why = _error_text(known_redactor().error(exc))
        yield {"event": "end", "data": f'<p class="muted" data-testid="follow-end">{escape(why)}</p>'}

    return EventSourceResponse(stream(), ping=15)


@router.get("/history/compare")
async def compare_page(request: Request) -> HTMLResponse:
    """Two platform revisions compared (``from`` and ``to``); without them, the latest two."""
    who = await user(request)
    backend = backend_of(request)
    revisions = await run_in_threadpool(backend.history)
    numbers = [int(r["revision"]) for r in revisions]
    params = request.query_params
    try:
        old = int(params.get("from") or (numbers[-2] if len(numbers) > 1 else 0))
        new = int(params.get("to") or (numbers[-1] if numbers else 0))
    except ValueError:
        return page(request, "compare.html", who, 422, revisions=numbers, error="from and to must be revision numbers.")
    context: dict[str, Any] = {"revisions": list(reversed(numbers)), "old": old, "new": new, "result": None}
    if not old or not new:
        return page(request, "compare.html", who, error="Two revisions are needed to compare.", **context)
    try:
        context["result"] = await run_in_threadpool(views_of(request).compare_revisions, old, new)
    except HelmdeckError as exc:
        status = 404 if isinstance(exc, ClusterError) else 422
        return page(request, "compare.html", who, status, error=_error_text(known_redactor().error(exc)), **context)
    return page(request, "compare.html", who, **context)
