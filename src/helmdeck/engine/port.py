"""The engine port: what helmdeck needs from Helm, whatever runs it underneath."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeAlias

from helmdeck.engine.charts import LoadedChart
from helmdeck.engine.options import InstallOptions, ListOptions, RenderOptions, RollbackOptions, UninstallOptions
from helmdeck.engine.releases import Release
from helmdeck.engine.render import RenderedRelease

#: a release's values as the user gives them (the chart's defaults apply underneath)
Values: TypeAlias = Mapping[str, Any] | None


class CancelToken:
    """Lets another thread abort a long install or upgrade (Ctrl-C, a failed sibling...).

    An engine registers how to abort its running operation with :meth:`on_cancel`; cancelling
    before that makes the operation abort as soon as it starts.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` on cancel (now, if already cancelled); returns an unregister function."""
        with self._lock:
            already = self._cancelled
            if not already:
                self._callbacks.append(callback)
        if already:
            callback()

        def unregister() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unregister


class HelmEngine(Protocol):
    """Helm bound to one cluster (a kubeconfig) and a default namespace.

    Every method may be called from several threads at once for *different* releases; calls for
    the same release are serialised by the engine within a process (across processes that is the
    platform lock's job). Errors are HelmdeckErrors: ConfigError for bad charts/values/templates,
    ClusterError (or its subclasses in :mod:`helmdeck.engine.sdk_errors`) for cluster failures.
    """

    @property
    def namespace(self) -> str: ...

    def render(
        self, chart: LoadedChart, values: Values, release_name: str, options: RenderOptions = RenderOptions()
    ) -> RenderedRelease: ...

    def install(
        self, chart: LoadedChart, release_name: str, values: Values, options: InstallOptions = InstallOptions()
    ) -> Release: ...

    def upgrade(
        self, chart: LoadedChart, release_name: str, values: Values, options: InstallOptions = InstallOptions()
    ) -> Release: ...

    def rollback(self, release_name: str, revision: int, options: RollbackOptions = RollbackOptions()) -> Release: ...

    def uninstall(self, release_name: str, options: UninstallOptions = UninstallOptions()) -> Release | None: ...

    def history(
        self, release_name: str, *, namespace: str | None = None, with_descriptions: bool = False
    ) -> list[Release]: ...

    def list_releases(self, options: ListOptions = ListOptions()) -> list[Release]: ...

    def status(self, release_name: str, *, namespace: str | None = None, revision: int | None = None) -> Release: ...

    def get_manifest(self, release_name: str, revision: int | None = None, *, namespace: str | None = None) -> str: ...

    def get_values(
        self, release_name: str, *, namespace: str | None = None, revision: int | None = None
    ) -> dict[str, Any]: ...

    def check_reachable(self) -> None: ...
