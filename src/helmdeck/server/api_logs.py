"""REST endpoints of a component's container logs and of comparing two platform revisions (viewer
role), under ``/api/v1``."""

from __future__ import annotations

import json
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from helmdeck.core.pod_logs import MAX_LIMIT_BYTES, MAX_TAIL
from helmdeck.errors import HelmdeckError
from helmdeck.secrets.redact import known_redactor
from helmdeck.server import models_views
from helmdeck.server.backend_views import ViewsBackend
from helmdeck.server.routes import Viewer, error_bodies
from helmdeck.server.state import backend_of

router = APIRouter(prefix="/api/v1")

_NOT_FOUND = error_bodies(
    {404: "No such component.", 422: "No such pod or container of the component, or a bad limit."}
)

TailLines = Annotated[int | None, Query(alias="tailLines", ge=0, le=MAX_TAIL, description="The last lines (500).")]


def views_of(request: Request) -> ViewsBackend:
    return cast(ViewsBackend, backend_of(request))


@router.get(
    "/components/{name}/logs",
    response_model=list[models_views.LogSource],
    summary="The component's pods and containers whose logs can be read",
    responses=_NOT_FOUND,
)
def log_sources(request: Request, name: str, _: Viewer) -> list[dict[str, Any]]:
    return views_of(request).pod_log_sources(name)


@router.get(
    "/components/{name}/logs/{pod}/{container}",
    response_model=models_views.PodLog,
    summary="The tail of a container's log (or of its previous run), capped in lines and bytes, secrets redacted",
    responses=_NOT_FOUND,
)
def pod_log(
    request: Request,
    name: str,
    pod: str,
    container: str,
    _: Viewer,
    tail_lines: TailLines = None,
    previous: bool = Query(default=False, description="The log of the run before the container's last restart."),
    limit_bytes: Annotated[
        int | None, Query(alias="limitBytes", ge=1, le=MAX_LIMIT_BYTES, description="At most this many bytes.")
    ] = None,
) -> dict[str, Any]:
    return views_of(request).pod_log(name, pod, container, previous, tail_lines, limit_bytes)


@router.get(
    "/components/{name}/logs/{pod}/{container}/follow",
    summary="Server-sent events: the log's last lines, then each line as it is written (event line), "
    "secrets redacted; an end event when the container stops or the size cap is reached, an error event when "
    "the log cannot be read",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **_NOT_FOUND},
)
async def follow_log(
    request: Request, name: str, pod: str, container: str, _: Viewer, tail_lines: TailLines = None
) -> EventSourceResponse:
    lines = await run_in_threadpool(views_of(request).follow_pod_log, name, pod, container, tail_lines)

    async def stream() -> Any:
        try:
            async for line in lines:
                yield {"event": "line", "data": json.dumps(line)}
        except HelmdeckError as exc:
            yield {"event": "error", "data": json.dumps(known_redactor().error(exc).as_dict())}
            return
        yield {"event": "end", "data": "{}"}

    return EventSourceResponse(stream(), ping=15)


@router.get(
    "/history/compare",
    response_model=models_views.RevisionCompare,
    response_model_by_alias=True,
    summary="Compare two platform revisions: per component the chart version, release revision, values diff "
    "(redacted) and manifest diff",
    responses=error_bodies({404: "A revision is not recorded."}),
)
def compare(
    request: Request,
    _: Viewer,
    from_: Annotated[int, Query(alias="from", ge=1, description="The older platform revision.")],
    to: Annotated[int, Query(ge=1, description="The newer platform revision.")],
) -> dict[str, Any]:
    return views_of(request).compare_revisions(from_, to)
