"""The app-wide objects every request handler reaches through ``request.app.state`` (set by create_app)."""

from __future__ import annotations

from fastapi import Request

from helmdeck.server.actions import Actions
from helmdeck.server.backend import PlatformBackend
from helmdeck.server.operations import OperationRunner


def backend_of(request: Request) -> PlatformBackend:
    backend: PlatformBackend = request.app.state.backend
    return backend


def actions_of(request: Request) -> Actions:
    actions: Actions = request.app.state.actions
    return actions


def runner_of(request: Request) -> OperationRunner:
    runner: OperationRunner = request.app.state.runner
    return runner


def remote_of(request: Request) -> str | None:
    """The client's address, as the audit log records it."""
    return request.client.host if request.client else None
