"""What an engine call is asked to do beyond its chart, release and values: one frozen object per call.

Each option is written once, here. A release write ships its options object as it is to the release
worker (:mod:`helmdeck.engine.release_ops`, JSON across the process boundary: :meth:`to_json` and
:meth:`from_json`), and the worker turns it into libhelm_c's option keys (``helm_keys``); unset keys
(None, False) are left out by :mod:`helmdeck.engine._abi`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from helmdeck.engine.port import CancelToken


def _seconds(timeout: float | None) -> int | None:
    return None if timeout is None else max(1, math.ceil(timeout))


def _wait_strategy(wait: bool) -> str:
    # Without --wait the helm CLI still waits for hooks ("hookOnly"); "watcher" also waits for
    # every resource to be ready (kstatus).
    return "watcher" if wait else "hookOnly"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


@dataclass(frozen=True, kw_only=True)
class WriteOptions:
    """What every release write (install, upgrade, rollback, uninstall) takes."""

    #: None: the engine's namespace
    namespace: str | None = None
    #: how long Helm may wait (for hooks; with ``wait`` also for the resources), in seconds
    timeout: float | None = None
    #: wait until every resource is ready, not only the hooks
    wait: bool = False
    #: lets another thread abort the write; stays in this process (a cancel reaches the worker as a frame)
    cancel: CancelToken | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "cancel"}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        # JSON has no tuples: a sequence comes back as the tuple it was made from
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in data:
                value = data[f.name]
                kwargs[f.name] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)


@dataclass(frozen=True, kw_only=True)
class InstallOptions(WriteOptions):
    """An install or an upgrade of a chart (the upgrade-only fields are ignored by an install).

    An upgrade never reuses the previous release's values (``reset_values``): helmdeck always passes
    the complete merged values, and Helm would otherwise keep old values when given none.
    """

    #: the release's description (Helm's default: "Install complete", "Upgrade complete")
    description: str | None = None
    labels: Mapping[str, str] | None = None
    #: adopt existing objects that no release owns
    take_ownership: bool = False
    #: upgrade only: revisions kept
    max_history: int | None = None
    #: upgrade only: take back fields another manager (``kubectl edit``) changed since
    force_conflicts: bool = False
    #: what a Helm error names (the component and the values files behind the values); not for Helm
    component: str | None = None
    values_files: Sequence[str] = ()
    #: ``time.monotonic()`` after which Helm must read the cluster's API groups (``.Capabilities``):
    #: when what the release needs was ready; None: any moment (:mod:`helmdeck.engine.helm_configs`)
    capabilities_after: float | None = None

    def helm_keys(self, *, upgrade: bool) -> dict[str, Any]:
        keys = {
            "namespace": self.namespace,
            "timeout_seconds": _seconds(self.timeout),
            "wait": _wait_strategy(self.wait),
            "wait_for_jobs": self.wait,
            "description": self.description,
            "labels": dict(self.labels) if self.labels else None,
            "take_ownership": self.take_ownership,
        }
        if upgrade:
            keys.update(max_history=self.max_history, reset_values=True, force_conflicts=self.force_conflicts)
        return keys


@dataclass(frozen=True, kw_only=True)
class RollbackOptions(WriteOptions):
    """A rollback to an earlier revision (which becomes a new revision)."""

    #: skip the chart's hooks
    disable_hooks: bool = False
    #: revisions kept
    max_history: int | None = None

    def helm_keys(self, revision: int) -> dict[str, Any]:
        return {
            "version": revision,
            "timeout_seconds": _seconds(self.timeout),
            "wait": _wait_strategy(self.wait),
            "wait_for_jobs": self.wait,
            "disable_hooks": self.disable_hooks,
            "max_history": self.max_history,
        }


@dataclass(frozen=True, kw_only=True)
class UninstallOptions(WriteOptions):
    """A removal of a release.

    ``disable_hooks`` skips the chart's delete hooks: the way out for a release whose hooks cannot
    run (a stuck ``uninstalling`` release, a namespace being torn down). ``keep_history`` keeps the
    release's revisions, which lets ``rollback`` bring it back.
    """

    disable_hooks: bool = False
    #: no error when there is no such release
    ignore_not_found: bool = False
    description: str | None = None
    keep_history: bool = False

    def helm_keys(self) -> dict[str, Any]:
        return {
            "keep_history": self.keep_history,
            "disable_hooks": self.disable_hooks,
            "timeout_seconds": _seconds(self.timeout),
            "wait": _wait_strategy(self.wait),
            "ignore_not_found": self.ignore_not_found,
            "description": self.description,
        }


@dataclass(frozen=True, kw_only=True)
class ListOptions:
    """Which releases a listing returns (in every state: deployed, failed, pending, ...)."""

    #: None: the engine's namespace
    namespace: str | None = None
    all_namespaces: bool = False
    #: a selector on release labels (``helmdeck.dev/platform=dash``)
    selector: str | None = None
    #: a regular expression on release names
    name_filter: str | None = None


@dataclass(frozen=True, kw_only=True)
class RenderOptions:
    """A render of a chart, as ``helm template`` does it.

    ``kube_version`` (e.g. ``v1.30.0``) and ``api_versions`` set ``.Capabilities`` as
    ``helm template --kube-version/--api-versions`` do; ``component`` and ``values_files`` only make
    error messages precise.
    """

    #: None: the engine's namespace
    namespace: str | None = None
    is_upgrade: bool = False
    kube_version: str | None = None
    api_versions: Sequence[str] = ()
    component: str | None = None
    values_files: Sequence[str] = ()
