"""Live progress of an operation, as every service reports it to the CLI and the web UI."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from helmdeck.cluster.gate_state import ObjectStatus

#: (component, state, detail) for live progress
Progress = Callable[[str, str, str], None]


def no_progress(_name: str, _state: str, _detail: str) -> None:
    """A Progress that shows nothing."""


def describe_waiting(statuses: Sequence[ObjectStatus]) -> str:
    """The first object not ready yet and why, for a progress line."""
    waiting = [s for s in statuses if s.health.state != "ready"]
    if not waiting:
        return "all objects ready"
    first = waiting[0]
    more = f" (+{len(waiting) - 1} more)" if len(waiting) > 1 else ""
    return f"{first.ref.kind}/{first.ref.name}: {first.health.reason}{more}"


_acting: ContextVar[str | None] = ContextVar("helmdeck_acting_user", default=None)


@contextmanager
def acting_as(user: str) -> Iterator[None]:
    """Record ``user`` as who acts for what runs inside (the web service's signed-in user, whose
    changes would otherwise be recorded as the service's OS account)."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def current_user() -> str:
    """Who acts, for revision records and audit: the user the web service acts for, else the OS
    user of the CLI."""
    acting = _acting.get()
    if acting:
        return acting
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
