"""Live progress of an operation, as every service reports it to the CLI and the web UI."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence

from helmdeck.cluster.watch import ObjectStatus

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


def current_user() -> str:
    """Who acts, for revision records and audit: the OS user of the CLI."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
