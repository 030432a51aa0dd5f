"""The history pages: the platform's revisions, a revision's deploy timeline, and the rollback
review and action."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.server.auth import Role
from helmdeck.server.state import actions_of, backend_of, remote_of
from helmdeck.server.timeline_svg import timeline_svg
from helmdeck.server.ui import error_text, page, user

router = APIRouter(include_in_schema=False)


@router.get("/history")
async def history(request: Request) -> HTMLResponse:
    who = await user(request)
    revisions = await run_in_threadpool(backend_of(request).history)
    return page(request, "history.html", who, revisions=list(reversed(revisions)))


@router.get("/history/{revision}/timeline")
async def timeline(request: Request, revision: int) -> HTMLResponse:
    """A deploy's timeline: the same chart as ``history show REV --timeline --out FILE.svg``, inline."""
    who = await user(request)
    try:
        data = await run_in_threadpool(_timeline_of, request, revision)
    except HelmdeckError as exc:
        revisions = await run_in_threadpool(backend_of(request).history)
        status = 404 if isinstance(exc, ClusterError) else 422
        return page(request, "history.html", who, status, revisions=list(reversed(revisions)), error=error_text(exc))
    svg = timeline_svg(data["timeline"], f"revision {revision}: {data['operation']}")
    # timeline_svg escapes every name and text it draws
    return page(request, "timeline.html", who, data=data, svg=Markup(svg))  # noqa: S704


@router.get("/history/{revision}/timeline.svg")
async def timeline_image(request: Request, revision: int) -> Response:
    """The chart alone, to save or to open as an image."""
    await user(request)
    data = await run_in_threadpool(_timeline_of, request, revision)  # errors: the app's error page
    svg = timeline_svg(data["timeline"], f"platform {data['platform']}, revision {revision}: {data['operation']}")
    return Response(svg, media_type="image/svg+xml")


def _timeline_of(request: Request, revision: int) -> dict[str, Any]:
    from helmdeck.revisions.timeline import revision_timeline

    return revision_timeline(backend_of(request).revision(revision))


@router.get("/history/{revision}/rollback")
async def review_rollback(request: Request, revision: int) -> HTMLResponse:
    """What the rollback would change, component by component, before the operator confirms it."""
    who = await user(request, Role.operator)
    backend = backend_of(request)
    try:
        target = await run_in_threadpool(backend.revision, revision)
        preview = await run_in_threadpool(backend.preview_rollback, revision)
    except HelmdeckError as exc:
        revisions = await run_in_threadpool(backend.history)
        return page(request, "history.html", who, 422, revisions=list(reversed(revisions)), error=error_text(exc))
    return page(request, "rollback_confirm.html", who, target=target, preview=preview)


@router.post("/history/{revision}/rollback")
async def rollback(request: Request, revision: int) -> Response:
    who = await user(request, Role.operator)
    try:
        op = await run_in_threadpool(actions_of(request).rollback, who, revision, remote_of(request))
    except HelmdeckError as exc:
        revisions = await run_in_threadpool(backend_of(request).history)
        return page(request, "history.html", who, 422, revisions=list(reversed(revisions)), error=error_text(exc))
    return RedirectResponse(f"/operations/{op.id}", status_code=303)
