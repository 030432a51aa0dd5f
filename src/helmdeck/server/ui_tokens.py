"""The tokens page (admins): list, create (the secret is shown once), revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from helmdeck.errors import HelmdeckError
from helmdeck.server.auth import Role
from helmdeck.server.security import Principal
from helmdeck.server.state import actions_of, remote_of
from helmdeck.server.ui import error_text, page, user

router = APIRouter(include_in_schema=False)


def _tokens_page(request: Request, who: Principal, status_code: int = 200, **context: Any) -> HTMLResponse:
    records = [r.public() for r in request.app.state.tokens.records()]
    return page(request, "tokens.html", who, status_code, tokens=records, **context)


@router.get("/tokens")
async def tokens_page(request: Request) -> HTMLResponse:
    return _tokens_page(request, await user(request, Role.admin))


@router.post("/tokens")
async def create_token(request: Request) -> HTMLResponse:
    who = await user(request, Role.admin)
    form = await request.form()
    name, role = str(form.get("name") or ""), str(form.get("role") or "viewer")
    try:
        record, secret = await run_in_threadpool(actions_of(request).create_token, who, name, role, remote_of(request))
    except HelmdeckError as exc:
        return _tokens_page(request, who, 422, error=error_text(exc), form_name=name, form_role=role)
    # shown on this response only (never stored, never cached: every page is no-store)
    return _tokens_page(request, who, created=record, secret=secret)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str) -> Response:
    who = await user(request, Role.admin)
    if token_id == who.token_id:
        return _tokens_page(request, who, 422, error="You cannot revoke the token you are signed in with.")
    try:
        await run_in_threadpool(actions_of(request).revoke_token, who, token_id, remote_of(request))
    except HelmdeckError as exc:
        return _tokens_page(request, who, 422, error=error_text(exc))
    return RedirectResponse("/tokens", status_code=303)
