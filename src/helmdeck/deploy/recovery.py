"""Undoing one component: the revision to return to, rolling back or uninstalling after a failure,
and recovering a release a dead operator left pending."""

from __future__ import annotations

from collections.abc import Callable

from helmdeck.core.session import DesiredComponent
from helmdeck.engine.options import RollbackOptions, UninstallOptions
from helmdeck.engine.port import HelmEngine
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import HelmdeckError
from helmdeck.secrets.redact import known_redactor


def last_good_revision(eng: HelmEngine, d: DesiredComponent, live: Release | None) -> int | None:
    """The revision to roll back to if this change fails: the last one that was deployed."""
    if live is None:
        return None
    if live.status is ReleaseStatus.DEPLOYED:
        return live.revision
    history = eng.history(d.release, namespace=d.namespace)
    good = [r.revision for r in history if r.status in (ReleaseStatus.DEPLOYED, ReleaseStatus.SUPERSEDED)]
    return max(good) if good else None


def undo(eng: HelmEngine, d: DesiredComponent, previous: int | None) -> str:
    """Roll back to ``previous``, or uninstall a first install; says what was done."""
    try:
        if previous is None:
            eng.uninstall(d.release, UninstallOptions(namespace=d.namespace, ignore_not_found=True, timeout=d.timeout))
            return "uninstalled (it was a first install)"
        rel = eng.rollback(d.release, previous, RollbackOptions(namespace=d.namespace, timeout=d.timeout))
        return f"rolled back to revision {previous} (now revision {rel.revision})"
    except HelmdeckError as exc:
        return f"could not undo: {known_redactor().text(str(exc))}"


def hooks_then_without(write: Callable[[bool], object], failed: Callable[[HelmdeckError], None] | None = None) -> bool:
    """Run a Helm write (its argument: whether to disable hooks) and, when it fails, once more with
    hooks disabled: a release a dead operator left pending, or one being torn down, often fails on
    its own hooks (a Job that cannot run any more), which must not keep it stuck. ``failed`` hears
    of the first failure; the second is raised. Returns whether hooks were disabled."""
    try:
        write(False)
        return False
    except HelmdeckError as exc:
        if failed is not None:
            failed(exc)
    write(True)
    return True


def uninstall_release(
    eng: HelmEngine,
    release: str,
    namespace: str,
    timeout: float,
    *,
    wait: bool = False,
    failed: Callable[[HelmdeckError], None] | None = None,
) -> bool:
    """Uninstall a release (one gone already is fine) as :func:`hooks_then_without` does its
    write; whether hooks were disabled."""
    return hooks_then_without(
        lambda disable_hooks: eng.uninstall(
            release,
            UninstallOptions(
                namespace=namespace, ignore_not_found=True, disable_hooks=disable_hooks, wait=wait, timeout=timeout
            ),
        ),
        failed,
    )


def recover(eng: HelmEngine, d: DesiredComponent, live: Release, previous: int | None) -> str:
    """Bring a release a dead operator left pending back to a state Helm can work from."""
    if previous is None or live.status is ReleaseStatus.UNINSTALLING:
        forced = uninstall_release(eng, d.release, d.namespace, d.timeout)
        return f"uninstalled the {live.status.value} revision {live.revision}{_how(forced)}"
    forced = hooks_then_without(
        lambda disable_hooks: eng.rollback(
            d.release, previous, RollbackOptions(namespace=d.namespace, disable_hooks=disable_hooks, timeout=d.timeout)
        )
    )
    return f"rolled the {live.status.value} revision {live.revision} back to {previous}{_how(forced)}"


def _how(hooks_disabled: bool) -> str:
    return " with hooks disabled" if hooks_disabled else ""
