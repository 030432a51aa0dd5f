"""The web service: ``create_app(settings)`` builds it (tests build it without a network port)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from helmdeck import __version__
from helmdeck.errors import HelmdeckError
from helmdeck.gc_policy import settle_long_lived
from helmdeck.secrets.redact import known_redactor
from helmdeck.server import (
    api,
    api_deploy,
    api_logs,
    app_errors,
    ui,
    ui_deploy,
    ui_extensions,
    ui_history,
    ui_tokens,
    ui_views,
)
from helmdeck.server.actions import Actions
from helmdeck.server.audit import AuditLog
from helmdeck.server.auth import TokenStore
from helmdeck.server.backend import ClusterBackend, PlatformBackend
from helmdeck.server.deploy_port import ClusterDeploys, DeployPort
from helmdeck.server.guard import FailureLimiter
from helmdeck.server.operations import OperationRunner
from helmdeck.server.security import Authenticator, SessionStore
from helmdeck.server.settings import ServerSettings
from helmdeck.server.web_deploys import WebDeploys
from helmdeck.wording import counted

_log = logging.getLogger("helmdeck.serve")

HTMX_VERSION = "2.0.11"
HTMX_SSE_VERSION = "2.2.4"


class StatusCache:
    """The platform status, read once for everyone who asks within ``max_age`` seconds.

    Reading the status of a large platform costs the cluster and this process a few hundred
    milliseconds; pages, live streams and API clients share one reading instead of each making its
    own. While anyone is looking (a request in the last minute), a background thread refreshes the
    reading every ``max_age`` seconds, so requests find a fresh one waiting. Changes made through the
    service drop the reading at once; ``get(fresh=True)`` always reads the cluster.
    """

    IDLE_AFTER = 60.0

    def __init__(self, backend: PlatformBackend, max_age: float) -> None:
        self.backend = backend
        self.max_age = max_age
        self._lock = threading.Lock()
        self._value: dict[str, Any] | None = None
        self._at = 0.0
        self._asked = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> dict[str, Any]:
        value = self.backend.status()
        value["observedAt"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._value, self._at = value, time.monotonic()
        return value

    def _current(self) -> dict[str, Any] | None:
        value, at = self._value, self._at
        return value if value is not None and time.monotonic() - at < self.max_age else None

    def get(self, *, fresh: bool = False) -> dict[str, Any]:
        """The shared reading (never older than ``max_age``), or a new one; readers never wait for
        a background refresh, which starts when the reading is half as old as allowed."""
        self._asked = time.monotonic()
        current = None if fresh else self._current()
        if current is not None:
            return current
        with self._lock:  # one reader reads the cluster; the others wait for its result
            current = None if fresh else self._current()
            return current if current is not None else self._read()

    def invalidate(self) -> None:
        self._value = None

    def start(self) -> None:
        if self.max_age <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._refresh_loop, name="status-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self.max_age / 2):
            if time.monotonic() - self._asked > self.IDLE_AFTER:
                continue
            try:
                if self._value is None or time.monotonic() - self._at >= self.max_age / 2:
                    with self._lock:
                        self._read()
            except Exception:  # noqa: S112 - a failed background read is retried; requests report errors
                continue


def tokens_path(state_dir: Path) -> Path:
    return state_dir / "tokens.json"


def audit_path(state_dir: Path) -> Path:
    return state_dir / "audit.log"


_SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>helmdeck API</title>
<link rel="stylesheet" href="/api/docs-assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="/api/v1/openapi.json"></div>
<script src="/api/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>
"""


def time_ago(stamp: Any, now: datetime | None = None) -> str:
    """``2026-12-04T10:00:00+00:00`` as "3 min ago" (the exact time stays in the page's title)."""
    try:
        then = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    then = then if then.tzinfo else then.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - then).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now" if seconds >= -60 else str(stamp)


def swagger_ui_dir() -> Path:
    """Swagger UI's files, as the fastapi-offline package ships them."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("helmdeck.server").joinpath(name)))


def _recover(runner: OperationRunner) -> None:
    """Operations a killed service left running are recorded as interrupted before any new one."""
    try:
        interrupted = runner.recover()
    except HelmdeckError as exc:  # an unreachable cluster must not keep the service from starting
        _log.warning("could not read the operation journal: %s", known_redactor().error(exc))
        return
    for op in interrupted:
        _log.warning("operation %s (%s %s) was %s", op.id, op.kind, op.target, op.error)


def _attach_state(
    app: FastAPI,
    settings: ServerSettings,
    backend: PlatformBackend,
    deploys: DeployPort | None,
    runner: OperationRunner,
    status_cache: StatusCache,
) -> None:
    """The service's parts, shared by every route through ``request.app.state``."""
    state_dir = backend.state_dir
    tokens = TokenStore(tokens_path(state_dir))
    audit = AuditLog(audit_path(state_dir))
    app.state.settings = settings
    app.state.backend = backend
    app.state.tokens = tokens
    app.state.audit = audit
    app.state.runner = runner
    app.state.auth = Authenticator(tokens, SessionStore(settings.session_hours * 3600))
    app.state.limiter = FailureLimiter()
    app.state.actions = Actions(backend, runner, audit, tokens, on_change=status_cache.invalidate)
    app.state.status_cache = status_cache
    app.state.deploys = WebDeploys(
        deploys or ClusterDeploys(settings), app.state.actions, getattr(backend, "reload_platform", None)
    )
    templates = Jinja2Templates(directory=str(_package_dir("templates")))
    templates.env.globals["htmx_version"] = HTMX_VERSION
    templates.env.filters["ago"] = time_ago
    templates.env.filters["counted"] = counted  # "1 line", "2 lines": never "1 lines" or "line(s)"
    app.state.templates = templates


def _include_routes(app: FastAPI) -> None:
    app.include_router(api_logs.router)  # first: its /history/compare is not api's /history/{revision}
    app.include_router(api.router)
    app.include_router(api_deploy.router)
    app.include_router(ui_views.router)
    app.include_router(ui.router)
    app.include_router(ui_extensions.router)
    app.include_router(ui_tokens.router)
    app.include_router(ui_history.router)
    app.include_router(ui_deploy.router)
    app.mount("/static", StaticFiles(directory=str(_package_dir("static"))), name="static")
    app.mount("/api/docs-assets", StaticFiles(directory=str(swagger_ui_dir())), name="swagger-ui")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Swagger UI from files served here (offline sites have no CDN), started by a script file:
        # the pages' Content-Security-Policy allows no inline script
        return HTMLResponse(_SWAGGER_PAGE)


def _add_healthz(app: FastAPI, runner: OperationRunner) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        # a stopping service is not ready for new work: a load balancer sends it none
        if runner.closing:
            return JSONResponse({"status": "shutting down"}, status_code=503)
        return JSONResponse({"status": "ok"})


def create_app(
    settings: ServerSettings, backend: PlatformBackend | None = None, deploys: DeployPort | None = None
) -> FastAPI:
    backend = backend or ClusterBackend(settings)
    status_cache = StatusCache(backend, max_age=settings.status_poll_seconds)
    runner = OperationRunner(journal=backend.journal())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settle_long_lived()
        _recover(runner)
        status_cache.start()
        yield
        status_cache.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="helmdeck",
        version=__version__,
        description=(
            "Platform status, history and rollback, extensions (catalog, install, uninstall, upload) and "
            "doctor findings of one helmdeck platform. Authenticate with `Authorization: Bearer <token>`; "
            "roles: viewer (reads) < operator (plans, deploys, installs, uninstalls, rollbacks) < "
            "admin (undeploy, tokens, uploads, audit)."
        ),
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN with an inline script: see api_docs
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    _attach_state(app, settings, backend, deploys, runner, status_cache)
    _include_routes(app)
    app_errors.add_guard(app, settings)
    _add_healthz(app, runner)
    app_errors.add_security_headers(app)
    app_errors.add_error_handlers(app)
    return app
