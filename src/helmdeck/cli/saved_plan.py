"""``plan --out FILE`` and ``deploy --plan FILE`` around the plan and deploy commands: saving a
reviewed plan, and deploying it only while it still holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from helmdeck.errors import ConfigError

if TYPE_CHECKING:
    from helmdeck.core.session import PlatformSession
    from helmdeck.plan.planner import Plan

_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def diff_text(diff: str) -> Text:
    """A unified diff coloured as git colours it; Rich drops the colours off a terminal (or with
    NO_COLOR), so pipes and logs get the plain text."""
    out = Text()
    for line in diff.splitlines(keepends=True):
        style = next((s for prefix, s in _DIFF_STYLES if line.startswith(prefix)), "")
        out.append(line, style=style)
    return out


def save_plan(session: PlatformSession, plan: Plan, path: Path) -> None:
    from helmdeck.plan.plan_file import write_plan_file
    from helmdeck.plan.reviewed import record_plan

    write_plan_file(path, record_plan(session, plan))


def open_plan(
    path: Path, env: str | None, instance: str | None, only: list[str] | None
) -> tuple[dict[str, Any], str | None, str | None]:
    """The saved plan, and the environment and instance to deploy it in: the plan's own unless
    given (given ones that differ make the plan check refuse, naming them)."""
    from helmdeck.app.rules import from_saved_plan
    from helmdeck.plan.plan_file import read_plan_file

    if only:
        raise ConfigError(
            "--only cannot be combined with --plan: a saved plan covers the whole platform",
            fix="deploy the plan as it is, or make a new plan and deploy without --plan",
        )
    planned = read_plan_file(path)
    return (planned, *from_saved_plan(planned, env, instance))


def plan_guard(session: PlatformSession, planned: dict[str, Any], path: Path, *, human: bool) -> Callable[[], None]:
    """Checks the plan now, so a stale one refuses before even the platform's lock is taken, and
    returns the check the deploy runs again under the lock (another operator may deploy between)."""
    from helmdeck.cli.output import err_console
    from helmdeck.plan.reviewed import verify_plan

    def check() -> None:
        verify_plan(session, planned, str(path))

    check()
    if human:
        err_console.print(
            f"the plan {path} of {planned['createdAt']} still holds ({planned.get('summary')}): deploying exactly it",
            highlight=False,
        )
    return check
