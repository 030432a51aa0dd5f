"""The pages of plan, deploy and undeploy: ``/plan`` (make a plan, review it, deploy exactly it,
confirming destructive changes a second time), ``/deploys/{op}`` (the graph lighting up component
by component, the progress, Stop) and ``/undeploy`` (admins: the dry run, then confirm)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from helmdeck.errors import HelmdeckError
from helmdeck.secrets.redact import known_redactor
from helmdeck.server.api_deploy import deploys_of
from helmdeck.server.auth import Role
from helmdeck.server.deploy_graph import overlay
from helmdeck.server.platform_graph import platform_graph_svg
from helmdeck.server.state import remote_of, runner_of
from helmdeck.server.ui import Parts, live_events, page, user
from helmdeck.server.web_deploys import AlreadyDeployed, StoredPlan

if TYPE_CHECKING:
    from helmdeck.server.operations import Operation
    from helmdeck.server.security import Principal

router = APIRouter(include_in_schema=False)


def _error_text(exc: HelmdeckError) -> str:
    exc = known_redactor().error(exc)
    return exc.message + (f" Fix: {exc.fix}" if exc.fix else "")


def _status_or_none(request: Request) -> dict[str, Any] | None:
    try:
        status: dict[str, Any] = request.app.state.status_cache.get()
    except HelmdeckError:
        return None  # the graph then shows the plan's components alone
    return status


def _graph(
    status: dict[str, Any] | None,
    plan: StoredPlan | None,
    events: list[dict[str, Any]],
    expanded: list[str] | None = None,
    base: str = "/",
) -> Markup:
    """``expanded``, ``base``: the namespaces shown node by node, and the page whose links expand
    more (this one: a collapsed namespace opens on the plan or deploy page, not the overview)."""
    components = plan.view.get("components", []) if plan is not None else []
    needs = plan.needs if plan is not None else {}
    svg = platform_graph_svg(overlay(status, components, needs, events), expanded or [], base=base)
    # the SVG is built from escaped text only (svg_text), so it goes into the page as it is
    return Markup(svg)  # noqa: S704


async def _progress_graph(
    request: Request, op: Operation, stored: StoredPlan | None, expand: list[str] | None
) -> Markup:
    """The graph of a deploy's progress: the platform as it is, the plan, and the operation's events."""
    status = await run_in_threadpool(_status_or_none, request)
    return _graph(status, stored, list(op.events), expand, f"/deploys/{op.id}")


Expand = Annotated[list[str] | None, Query()]


def _expand_query(expanded: list[str] | None) -> str:
    return f"?{urlencode([('expand', ns) for ns in expanded])}" if expanded else ""


# --- plan ------------------------------------------------------------------------------------


@router.get("/plan")
async def plan_page(request: Request) -> HTMLResponse:
    who = await user(request, Role.operator)
    return page(request, "plan.html", who, plan=None)


@router.post("/plan")
async def make_plan(request: Request) -> Response:
    who = await user(request, Role.operator)
    try:
        stored = await run_in_threadpool(deploys_of(request).plan, who, remote_of(request))
    except HelmdeckError as exc:
        return page(request, "plan.html", who, 422, plan=None, error=_error_text(exc))
    return RedirectResponse(f"/plan/{stored.id}", status_code=303)


async def _plan_view(
    request: Request,
    who: Any,
    stored: StoredPlan,
    status_code: int = 200,
    expand: list[str] | None = None,
    **extra: Any,
) -> Response:
    status = await run_in_threadpool(_status_or_none, request)
    deployed = deploys_of(request).deployed_by(stored)  # then it is not offered again
    return page(
        request,
        "plan.html",
        who,
        status_code,
        plan=stored.public(),
        graph=_graph(status, stored, [], expand, f"/plan/{stored.id}"),
        deployed=deployed is not None,
        **extra,
    )


@router.get("/plan/{plan_id}")
async def show_plan(request: Request, plan_id: str, expand: Expand = None) -> Response:
    who = await user(request, Role.operator)
    try:
        stored = deploys_of(request).get(plan_id)
    except HelmdeckError as exc:
        return page(request, "plan.html", who, 404, plan=None, error=_error_text(exc))
    return await _plan_view(request, who, stored, expand=expand)


@router.post("/plan/{plan_id}/deploy")
async def deploy_plan(request: Request, plan_id: str) -> Response:
    who = await user(request, Role.operator)
    form = await request.form()
    confirm = form.get("confirm_destructive") == "true"
    deploys = deploys_of(request)
    try:
        op = await run_in_threadpool(deploys.deploy, who, plan_id, confirm, remote_of(request))
    except AlreadyDeployed as exc:
        # a second click (or a reload of the form's answer): the page of the deploy already made
        return RedirectResponse(f"/deploys/{(exc.details or {})['operation']}", status_code=303)
    except HelmdeckError as exc:
        try:
            stored = deploys.get(plan_id)
        except HelmdeckError:
            return page(request, "plan.html", who, 404, plan=None, error=_error_text(exc))
        moved = list((exc.details or {}).get("differences") or [])
        code = exc.http_status
        return await _plan_view(request, who, stored, code, error=_error_text(exc), moved=moved)
    return RedirectResponse(f"/deploys/{op.id}", status_code=303)


# --- a deploy in progress --------------------------------------------------------------------


@router.get("/deploys/{op_id}")
async def deploy_progress(request: Request, op_id: str, expand: Expand = None) -> HTMLResponse:
    who = await user(request)
    op = runner_of(request).get(op_id)
    if op is None:
        return page(request, "error.html", who, 404, message=f"No operation {op_id}.")
    return await _deploy_page(request, who, op, expand)


async def _deploy_page(
    request: Request, who: Principal, op: Operation, expand: list[str] | None, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    """The deploy's page: its plan and the graph of its progress, which a live stream keeps current."""
    stored = deploys_of(request).plan_of(op.id)
    return page(
        request,
        "deploy.html",
        who,
        status_code,
        op=op.as_dict(),
        plan=stored.public() if stored else None,
        graph=await _progress_graph(request, op, stored, expand),
        graph_stream=f"/ui/deploys/{op.id}/graph{_expand_query(expand)}",
        **extra,
    )


@router.get("/ui/deploys/{op_id}/graph")
async def deploy_graph_events(request: Request, op_id: str, expand: Expand = None) -> EventSourceResponse:
    """The graph whenever it changes while the deploy runs, then once more at its end ("done")."""
    await user(request)
    runner = runner_of(request)
    stored = deploys_of(request).plan_of(op_id)
    template = request.app.state.templates.get_template("_deploy_graph.html")

    async def read() -> Parts:
        op = runner.get(op_id)
        if op is None:
            return None
        graph = ("graph", template.render(graph=await _progress_graph(request, op, stored, expand)))
        return [graph, ("done", "")] if op.done else [graph]

    return live_events(min(request.app.state.settings.status_poll_seconds, 0.5), read)


@router.post("/deploys/{op_id}/stop")
async def stop_deploy(request: Request, op_id: str) -> Response:
    who = await user(request, Role.operator)
    try:
        await run_in_threadpool(deploys_of(request).stop, who, op_id, remote_of(request))
    except HelmdeckError as exc:
        op = runner_of(request).get(op_id)
        if op is None:
            return page(request, "error.html", who, 404, message=_error_text(exc))
        return await _deploy_page(request, who, op, None, 409, error=_error_text(exc))
    return RedirectResponse(f"/deploys/{op_id}", status_code=303)


# --- undeploy (admins) -----------------------------------------------------------------------


@router.get("/undeploy")
async def undeploy_page(request: Request, purge: bool = False) -> HTMLResponse:
    who = await user(request, Role.admin)
    try:
        preview = await run_in_threadpool(deploys_of(request).preview_undeploy, who, purge)
    except HelmdeckError as exc:
        return page(request, "undeploy.html", who, 422, preview=None, error=_error_text(exc))
    return page(request, "undeploy.html", who, preview=preview)


@router.post("/undeploy")
async def undeploy(request: Request) -> Response:
    who = await user(request, Role.admin)
    form = await request.form()
    purge = form.get("purge_data") == "true"
    try:
        op = await run_in_threadpool(
            deploys_of(request).undeploy, who, str(form.get("confirmation") or ""), purge, remote_of(request)
        )
    except AlreadyDeployed as exc:  # a second click: the undeploy the first one started
        return RedirectResponse(f"/operations/{(exc.details or {})['operation']}", status_code=303)
    except HelmdeckError as exc:
        return page(request, "undeploy.html", who, exc.http_status, preview=None, error=_error_text(exc))
    return RedirectResponse(f"/operations/{op.id}", status_code=303)
