"""The service's exception handlers and response middleware, registered by ``create_app``.

Kept apart from the app's wiring so each error's answer (JSON for ``/api/``, a page for people)
reads in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from helmdeck.errors import HelmdeckError
from helmdeck.secrets.redact import known_redactor
from helmdeck.server import ui
from helmdeck.server.guard import GuardMiddleware
from helmdeck.server.security import identify
from helmdeck.server.settings import ServerSettings

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _error_body(exc: HelmdeckError) -> dict[str, Any]:
    return known_redactor().error(exc).as_dict()


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def add_guard(app: FastAPI, settings: ServerSettings) -> None:
    """Request-size and failure limits (added first: the security headers wrap its answers too)."""
    app.add_middleware(GuardMiddleware, upload_limit=lambda: settings.max_upload_bytes)


def add_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for key, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _allowed_methods(app: FastAPI, path: str) -> str:
    """Every method the path has, not only those of the first route matching it."""
    return ", ".join(
        sorted(
            {m for r in app.routes if isinstance(r, APIRoute) and r.path_regex.match(path) for m in (r.methods or ())}
        )
    )


def _validation_body(exc: RequestValidationError) -> dict[str, Any]:
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
    ]
    first = problems[0] if problems else {"where": "", "message": "invalid request"}
    return {
        "error": f"{first['where']}: {first['message']}",
        "where": first["where"],
        "fix": "see the OpenAPI document at /api/v1/openapi.json",
        "details": {"problems": problems},
    }


def add_error_handlers(app: FastAPI) -> None:
    """JSON errors for ``/api/`` clients, the error page (or the login page) for people."""

    @app.exception_handler(HelmdeckError)
    async def helmdeck_error(request: Request, exc: HelmdeckError) -> Response:
        code = exc.http_status  # each error says its own status: never guessed from its text
        if _is_api(request):
            return JSONResponse(_error_body(exc), status_code=code)
        # a signed-in user keeps the navigation on the error page
        who = await identify(request)
        return ui.page(request, "error.html", who, code, message=str(known_redactor().error(exc)))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(app, request.url.path)
        if _is_api(request) or exc.status_code not in (401, 403, 404):
            body = {"error": str(exc.detail)}
            if exc.status_code == 400:  # a body FastAPI could not parse (nested too deep, not UTF-8...)
                body["fix"] = "send the JSON the OpenAPI document at /api/v1/openapi.json describes"
            return JSONResponse(body, status_code=exc.status_code, headers=headers)
        return ui.page(request, "error.html", None, exc.status_code, message=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_body(exc), status_code=422)

    @app.exception_handler(ui.LoginRequired)
    async def login_required(request: Request, exc: ui.LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return ui.login_redirect(exc.next_path)

    @app.exception_handler(ui.Forbidden)
    async def forbidden(request: Request, exc: ui.Forbidden) -> HTMLResponse:
        return ui.page(request, "error.html", None, 403, message=exc.message)
