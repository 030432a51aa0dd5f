"""The web pages: server-rendered templates, htmx for forms and live parts, server-sent events for
the overview and for operations in progress."""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from helmdeck.core.component_detail import ComponentNotFound
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.secrets.redact import known_redactor
from helmdeck.server.auth import Role
from helmdeck.server.guard import (
    client_of,
    count_failure,
    credential_key,
    refused_unchecked,
)
from helmdeck.server.platform_graph import platform_graph_svg
from helmdeck.server.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Authenticator,
    Principal,
    csrf_ok,
    identify,
)
from helmdeck.server.state import backend_of, remote_of, runner_of

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


async def user(request: Request, role: Role = Role.viewer) -> Principal:
    """The signed-in user (redirect to the login page otherwise), checked for ``role`` and, on posts,
    for the session's CSRF token."""
    who = await identify(request)
    if who is None:
        raise LoginRequired(request.url.path)
    if who.role < role:
        raise Forbidden(f"This needs the {role.name} role; {who.name} is {who.role.name}.")
    if request.method == "POST" and not await csrf_ok(request, who.csrf):
        raise Forbidden("The form's CSRF token is missing or wrong: reload the page and try again.")
    return who


def page(request: Request, name: str, who: Principal | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    backend = backend_of(request)
    return _templates(request).TemplateResponse(
        request,
        name,
        {
            "who": who,
            "csrf": who.csrf if who else "",
            "platform": backend.platform_id,
            "Role": Role,
            **context,
        },
        status_code=status_code,
    )


def error_text(exc: HelmdeckError) -> str:
    return exc.message + (f" Fix: {exc.fix}" if exc.fix else "")


_error_text = error_text  # the name ui_views imports


# --- login -----------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", None, next=next if next.startswith("/") else "/", login_csrf=token)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request))
    return response


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.secure_cookies)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    sent, cookie = str(form.get(CSRF_FIELD, "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_path = str(form.get("next", "/"))
    next_path = next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"
    if not sent or not cookie or not hmac.compare_digest(sent, cookie):
        return page(
            request,
            "login.html",
            None,
            403,
            error="The form expired: try again.",
            next=next_path,
            login_csrf=cookie or "",
        )
    auth: Authenticator = request.app.state.auth
    client = client_of(request)
    token = str(form.get("token", ""))

    def too_many(wait: float, error: str) -> HTMLResponse:
        refused = page(request, "login.html", None, 429, error=error, next=next_path, login_csrf=cookie)
        refused.headers["Retry-After"] = str(int(wait + 0.999))
        return refused

    wait = refused_unchecked(request.app, token)
    if wait is not None:
        return too_many(wait, "Too many failed sign-ins with this token: wait a minute.")
    record = await run_in_threadpool(auth.tokens.verify, token)
    audit = request.app.state.audit
    if record is None:
        wait = count_failure(request.app, client, token, "web", action="login") if token else None
        if wait is not None:
            return too_many(wait, "Too many failed sign-ins from this address: wait a minute.")
        return page(
            request, "login.html", None, 401, error="That token is not valid.", next=next_path, login_csrf=cookie
        )
    request.app.state.limiter.succeeded(credential_key(token))
    sid, _csrf = auth.sessions.open(record.id)
    audit.record(
        actor=record.name, role=record.role, action="login", target="web", result="succeeded", remote=remote_of(request)
    )
    response = RedirectResponse(next_path, status_code=303)
    hours: float = request.app.state.settings.session_hours
    response.set_cookie(
        SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=_secure(request), max_age=int(hours * 3600)
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    who = await user(request)
    auth: Authenticator = request.app.state.auth
    auth.sessions.close(request.cookies.get(SESSION_COOKIE, ""))
    request.app.state.audit.record(
        actor=who.name, role=who.role.name, action="logout", target="web", result="succeeded", remote=remote_of(request)
    )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- overview --------------------------------------------------------------------------------


@router.get("/")
async def overview(request: Request, expand: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    """The platform graph and the components' table; ``expand``: namespaces the graph shows node by
    node although they hold more components than it collapses."""
    who = await user(request)
    expanded = expand or []
    stream = "/ui/events/status" + (f"?{urlencode([('expand', ns) for ns in expanded])}" if expanded else "")
    try:
        status = await run_in_threadpool(request.app.state.status_cache.get)
    except HelmdeckError as exc:
        # the page and its navigation stay; the live stream below keeps asking and replaces the banner
        return page(
            request, "overview.html", who, 503, status=None, stream_error=_stream_error(request, exc), stream=stream
        )
    return page(request, "overview.html", who, status=status, graph=_graph(status, expanded), stream=stream)


def _graph(status: dict[str, Any], expanded: list[str]) -> Markup:
    # the SVG is built from escaped text only (svg_text), so it goes into the page as it is
    return Markup(platform_graph_svg(status, expanded))  # noqa: S704


def _stream_error(request: Request, exc: HelmdeckError) -> str:
    poll: float = request.app.state.settings.status_poll_seconds
    return f"{error_text(known_redactor().error(exc))} Trying again every {poll:g} s."


#: one reading of a page's live parts: (event, HTML) pairs; None ends the stream
Parts = list[tuple[str, str]] | None


def live_events(poll: float, read: Callable[[], Awaitable[Parts]]) -> EventSourceResponse:
    """A page's live parts as server-sent events: ``read`` once every ``poll`` seconds, and each part
    sent only when it differs from the last one sent under its event name (an unchanged page costs
    the browser nothing). A ``done`` event ends the stream after it is sent, as a reading of None does."""

    async def stream() -> Any:
        last: dict[str, str] = {}
        while True:
            parts = await read()
            if parts is None:
                return
            for event, data in parts:
                if last.get(event) != data:
                    last[event] = data
                    yield {"event": event, "data": data}
                if event == "done":
                    return
            await asyncio.sleep(poll)

    return EventSourceResponse(stream(), ping=15)


@router.get("/ui/events/status")
async def status_events(request: Request, expand: Annotated[list[str] | None, Query()] = None) -> EventSourceResponse:
    await user(request)
    expanded = expand or []
    cache = request.app.state.status_cache
    template = _templates(request).get_template("_components.html")

    async def read() -> Parts:
        try:
            status = await run_in_threadpool(cache.get)
            return [("status", template.render(status=status, graph=_graph(status, expanded)))]
        except HelmdeckError as exc:
            return [("status", template.render(status=None, stream_error=_stream_error(request, exc)))]

    return live_events(request.app.state.settings.status_poll_seconds, read)


# --- one component ---------------------------------------------------------------------------


@router.get("/components/{name}")
async def component(request: Request, name: str) -> HTMLResponse:
    who = await user(request)
    try:
        detail = await run_in_threadpool(backend_of(request).component_detail, name)
    except ClusterError as exc:
        # the page and its navigation stay; its live stream keeps asking and fills it in when the
        # cluster answers
        return page(
            request, "component.html", who, 503, component=name, c=None, stream_error=_stream_error(request, exc)
        )
    except HelmdeckError as exc:
        # the error page with the navigation: the user is signed in, only the component is amiss
        code = 404 if isinstance(exc, ComponentNotFound) else 422
        return page(request, "error.html", who, code, message=error_text(known_redactor().error(exc)))
    return page(request, "component.html", who, component=name, c=detail)


@router.get("/ui/events/components/{name}")
async def component_events(request: Request, name: str, revision: str = "", status: str = "") -> EventSourceResponse:
    """The component page's live part (release status, tree, events) whenever it changes, read every
    poll interval while the page is open; and, when the release has another revision or status than
    the page shows (``revision``, ``status``), its values, manifests and changes again, which are
    read only then: they change with a revision, not in between."""
    await user(request)
    backend = backend_of(request)
    templates = _templates(request)
    opened = int(revision) if revision.isdigit() else None  # empty: the page showed no release
    shown: tuple[int | None, str] = (opened, status)
    live: dict[str, Any] | None = None  # the last reading: kept on the page under an error banner

    async def read() -> Parts:
        nonlocal shown, live
        parts: list[tuple[str, str]] = []
        error = None
        try:
            live = await run_in_threadpool(backend.component_live, name)
            if (live["revision"], live["status"]) != shown:
                detail = await run_in_threadpool(backend.component_detail, name)
                shown = (detail["revision"], detail["status"])
                parts.append(("release", templates.get_template("_component_release.html").render(c=detail)))
        except HelmdeckError as exc:
            error = _stream_error(request, exc)
        html = templates.get_template("_component_live.html").render(c=live, stream_error=error, opened=opened)
        return [*parts, ("live", html)]

    return live_events(request.app.state.settings.status_poll_seconds, read)


# --- operations, doctor ---------------------------------------------------------------------


@router.get("/operations/{op_id}")
async def operation(request: Request, op_id: str) -> HTMLResponse:
    who = await user(request)
    runner = runner_of(request)
    op = runner.get(op_id)
    if op is None:
        return page(request, "error.html", who, 404, message=f"No operation {op_id}.")
    return page(request, "operation.html", who, op=op.as_dict())


@router.get("/ui/operations/{op_id}/events")
async def operation_events(request: Request, op_id: str) -> EventSourceResponse:
    await user(request)
    runner = runner_of(request)
    templates = _templates(request)

    async def stream() -> Any:
        async for event, last in runner.follow(op_id):
            yield {"event": "progress", "data": templates.get_template("_event.html").render(event=event)}
            if last:
                op = runner.get(op_id)
                yield {
                    "event": "done",
                    "data": templates.get_template("_op_state.html").render(op=op.as_dict() if op else None),
                }

    return EventSourceResponse(stream())


@router.get("/doctor")
async def doctor(request: Request, mode: str = "live") -> HTMLResponse:
    who = await user(request)
    mode = "preflight" if mode == "preflight" else "live"
    try:
        report = await run_in_threadpool(backend_of(request).doctor, mode)
        return page(request, "doctor.html", who, report=report, mode=mode)
    except HelmdeckError as exc:
        return page(request, "doctor.html", who, report=None, mode=mode, error=error_text(exc))


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_path)}", status_code=303)


def json_for_attr(data: Any) -> str:
    return json.dumps(data)
