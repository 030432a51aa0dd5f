"""The engine over Helm's Go SDK in process (helm-python-sdk, Helm 4.2.3).

Thread safety (what was checked, and the rules this module follows):

* ctypes releases the GIL during every libhelm_c call, so threads really run Helm concurrently; the
  library keeps handles in a registry guarded by a mutex and accepts calls from any thread.
* The SDK documents that one ``Config`` supports actions on *different* releases concurrently but
  concurrent writes to the *same* release corrupt its history. Helm's ``action.Configuration``
  also caches the cluster's capabilities (API versions) on first use without a lock, and keeps
  them: a Config created before a component installed its CRDs would render later components
  against stale API versions. So this engine never shares a ``Config`` between threads: reads
  make one per operation (cheap: it parses options and connects lazily), release workers keep one
  only while the cluster's API groups cannot have changed (:mod:`helmdeck.engine.helm_configs`);
  and it serialises operations on the same release within the process with a lock per (cluster,
  namespace, release).
* A loaded ``Chart`` is not immutable as the SDK claims (see :mod:`helmdeck.engine.charts`):
  release writes load a fresh handle from the chart's archive in their worker.
* Measured on the sandbox (helm_python 0.2.2, 2 busy cores): 8 releases installed from 8 threads
  all deployed, both with one Config per thread and with one shared Config; 4 threads upgrading
  one release *without* serialisation: 1 succeeded and 3 failed with "release: already exists"
  (two writers computed the same next revision), while through this engine the same 4 upgrades
  became revisions 2-5 with one deployed revision. A Config costs about 2 ms to create and probe,
  and an install of a small chart took about 250 ms either way, so a Config per operation is free.
  tests/unit/test_engine_threads.py (renders) and tests/cluster/test_engine_concurrency.py
  (installs, upgrades) keep these properties checked.
* Never ``fork`` after helm_python is imported (Go's threads do not survive it): workers are exec'd.

Containment: Helm evaluates a chart's templates again when it installs or upgrades, against the
cluster, and that evaluation can recurse or loop where a render did not. So every release write
(install, upgrade, rollback, uninstall) runs in a worker process with memory and time limits
(:mod:`helmdeck.engine.release_writes`), cancellable across the process boundary; reads (history,
status, values, manifests, listings) evaluate nothing and stay in this process. A platform's own
listing does not come here (see :mod:`helmdeck.core.release_listing`: Helm's decodes every revision).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import helm_python

from helmdeck.engine import _abi, release_writes
from helmdeck.engine.charts import LoadedChart
from helmdeck.engine.options import InstallOptions, ListOptions, RenderOptions, RollbackOptions, UninstallOptions
from helmdeck.engine.port import HelmEngine, Values
from helmdeck.engine.releases import Release
from helmdeck.engine.render import RenderedRelease, render, values_for_helm
from helmdeck.engine.sdk_errors import (
    ReleaseNotFoundError,
    cluster_unreachable,
    release_error,
)

_locks_guard = threading.Lock()
_release_locks: dict[tuple[str, ...], threading.Lock] = {}


def _release_lock(*key: str) -> threading.Lock:
    with _locks_guard:
        lock = _release_locks.get(key)
        if lock is None:
            lock = _release_locks[key] = threading.Lock()
        return lock


_T = TypeVar("_T")
_Options = TypeVar("_Options", InstallOptions, RollbackOptions, UninstallOptions)


class HelmSdkEngine:
    """:class:`~helmdeck.engine.port.HelmEngine` over helm_python, bound to one kubeconfig.

    Holds no native state itself, so one instance may be shared by threads, or each thread may
    get its own from :func:`engine_for`.
    """

    def __init__(
        self,
        kubeconfig: str | os.PathLike[str] | None,
        namespace: str = "default",
        *,
        kube_context: str | None = None,
        qps: float | None = None,
        burst: int | None = None,
    ) -> None:
        self.kubeconfig = os.fspath(kubeconfig) if kubeconfig is not None else None
        self._namespace = namespace
        self.kube_context = kube_context
        self.qps = qps
        self.burst = burst

    @property
    def namespace(self) -> str:
        return self._namespace

    def __repr__(self) -> str:
        return f"HelmSdkEngine(kubeconfig={self.kubeconfig!r}, namespace={self._namespace!r})"

    # --- plumbing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _config(self, namespace: str) -> Iterator[helm_python.Config]:
        try:
            config = helm_python.Config(
                kubeconfig_path=self.kubeconfig,
                kube_context=self.kube_context,
                namespace=namespace,
                qps=self.qps,
                burst_limit=self.burst,
            )
        except helm_python.HelmError as exc:
            raise cluster_unreachable(exc) from None
        with config:
            yield config

    def _lock(self, namespace: str, release: str) -> threading.Lock:
        return _release_lock(self.kubeconfig or "", self.kube_context or "", namespace, release)

    def _read(
        self, action: str, release_name: str, namespace: str | None, read: Callable[[helm_python.Config], _T]
    ) -> _T:
        """``read`` with a Config for ``namespace``; a Helm error comes out naming ``action`` and the release."""
        ns = namespace or self._namespace
        with self._config(ns) as config:
            try:
                return read(config)
            except helm_python.HelmError as exc:
                raise release_error(exc, action=action, release=release_name, namespace=ns) from None

    def _has_history(self, namespace: str, release_name: str) -> bool:
        try:
            with self._config(namespace) as config:
                return bool(config.history(release_name))
        except helm_python.HelmNotFoundError:
            return False
        except helm_python.HelmError:
            return True

    def _cluster(self, namespace: str) -> dict[str, Any]:
        return {
            "kubeconfig": self.kubeconfig,
            "context": self.kube_context,
            "namespace": namespace,
            "qps": self.qps,
            "burst": self.burst,
        }

    def _write(self, write: release_writes.Write, archive: bytes = b"") -> dict[str, Any]:
        """Run ``write`` in a release worker; its Helm error comes back raised as helm_python's."""
        state = release_writes.state_of(lambda: self.status(write.release, namespace=write.namespace))
        return release_writes.result_of(release_writes.run(write, archive, state=state))

    def _resolved(self, options: _Options) -> _Options:
        return replace(options, namespace=options.namespace or self._namespace)

    # --- offline ----------------------------------------------------------------------------

    def render(
        self, chart: LoadedChart, values: Values, release_name: str, options: RenderOptions = RenderOptions()
    ) -> RenderedRelease:
        return render(
            chart,
            values,
            release_name,
            options.namespace or self._namespace,
            is_upgrade=options.is_upgrade,
            kube_version=options.kube_version,
            api_versions=options.api_versions,
            component=options.component,
            values_files=options.values_files,
        )

    # --- release writes ---------------------------------------------------------------------

    def install(
        self, chart: LoadedChart, release_name: str, values: Values, options: InstallOptions = InstallOptions()
    ) -> Release:
        return self._write_chart("install", chart, release_name, values_for_helm(values, chart=chart.name), options)

    def upgrade(
        self, chart: LoadedChart, release_name: str, values: Values, options: InstallOptions = InstallOptions()
    ) -> Release:
        """Upgrade to exactly ``values`` over the chart's defaults (see :class:`InstallOptions`)."""
        values = values_for_helm(values, chart=chart.name) or {}
        return self._write_chart("upgrade", chart, release_name, values, options)

    def _write_chart(
        self, op: str, chart: LoadedChart, release_name: str, values: dict[str, Any] | None, options: InstallOptions
    ) -> Release:
        """Install or upgrade in a worker; a Helm error names chart, component and values files."""
        options = self._resolved(options)
        ns = options.namespace or ""
        write = release_writes.Write(op, release_name, self._cluster(ns), options, values, chart.name, chart.digest)
        with self._lock(ns, release_name):
            try:
                summary = self._write(write, chart.archive)
            except helm_python.HelmError as exc:
                no_release = "has no deployed releases" in str(exc)
                if op == "upgrade" and no_release and not self._has_history(ns, release_name):
                    raise ReleaseNotFoundError(
                        f"upgrade: release {ns}/{release_name} does not exist",
                        where=f"release {ns}/{release_name}",
                        fix="install it first (helmdeck deploy installs components that have no release)",
                    ) from None
                raise release_error(
                    exc,
                    action=op,
                    release=release_name,
                    namespace=ns,
                    chart=chart.name,
                    component=options.component,
                    values_files=options.values_files,
                ) from None
        description = options.description or f"{op.capitalize()} complete"
        return replace(Release.from_summary(summary), description=description)

    def rollback(self, release_name: str, revision: int, options: RollbackOptions = RollbackOptions()) -> Release:
        """Roll back to ``revision`` (a new revision is created); returns the new revision."""
        options = self._resolved(options)
        ns = options.namespace or ""
        write = release_writes.Write("rollback", release_name, self._cluster(ns), options, revision=revision)
        with self._lock(ns, release_name):
            try:
                self._write(write)
            except helm_python.HelmError as exc:
                raise release_error(exc, action="rollback", release=release_name, namespace=ns) from None
        return self.status(release_name, namespace=ns)

    def uninstall(self, release_name: str, options: UninstallOptions = UninstallOptions()) -> Release | None:
        """Remove the release (see :class:`UninstallOptions`); returns the removed release (None if
        there was none)."""
        options = self._resolved(options)
        ns = options.namespace or ""
        write = release_writes.Write("uninstall", release_name, self._cluster(ns), options)
        with self._lock(ns, release_name):
            try:
                result = self._write(write)
            except helm_python.HelmError as exc:
                raise release_error(exc, action="uninstall", release=release_name, namespace=ns) from None
        summary = result.get("release")
        return Release.from_summary(summary) if isinstance(summary, Mapping) else None

    # --- release reads ----------------------------------------------------------------------

    def history(
        self, release_name: str, *, namespace: str | None = None, with_descriptions: bool = False
    ) -> list[Release]:
        """Revisions of a release, oldest first. Descriptions cost one extra request per revision."""

        def read(config: helm_python.Config) -> tuple[list[dict[str, Any]], list[Any]]:
            summaries = config.history(release_name)
            if not with_descriptions:
                return summaries, [None] * len(summaries)
            return summaries, [config.get_all(release_name, revision=int(s["revision"])).get("info") for s in summaries]

        summaries, infos = self._read("history", release_name, namespace, read)
        releases = [
            Release.from_summary(s, i if isinstance(i, Mapping) else None)
            for s, i in zip(summaries, infos, strict=True)
        ]
        return sorted(releases, key=lambda r: r.revision)

    def list_releases(self, options: ListOptions = ListOptions()) -> list[Release]:
        """Releases in every state (deployed, failed, pending, ...) of a namespace or all of them."""
        ns = options.namespace or self._namespace
        with self._config(ns) as config:
            try:
                summaries = _abi.list_releases(
                    config,
                    all=True,
                    all_namespaces=options.all_namespaces,
                    selector=options.selector,
                    filter=options.name_filter,
                )
            except helm_python.HelmKubeError as exc:
                raise cluster_unreachable(exc) from None
            except helm_python.HelmError as exc:
                raise release_error(exc, action="list", release="*", namespace=ns) from None
        return [Release.from_summary(s) for s in summaries]

    def status(self, release_name: str, *, namespace: str | None = None, revision: int | None = None) -> Release:
        """A release's latest (or given) revision, with its manifest and description."""
        full = self._read("status", release_name, namespace, lambda c: c.get_all(release_name, revision=revision))
        summary = full.get("summary") or {}
        info = full.get("info")
        return Release.from_summary(summary, info if isinstance(info, Mapping) else None)

    def get_manifest(self, release_name: str, revision: int | None = None, *, namespace: str | None = None) -> str:
        """The plain manifests of a revision (no hooks), as ``helm get manifest`` prints them."""
        summary = self._read(
            "get manifest", release_name, namespace, lambda c: c.status(release_name, revision=revision)
        )
        return str(summary.get("manifest") or "")

    def get_values(
        self, release_name: str, *, namespace: str | None = None, revision: int | None = None
    ) -> dict[str, Any]:
        """The values a revision was installed with (the user values, as ``helm get values``)."""
        values = self._read(
            "get values", release_name, namespace, lambda c: c.get_values(release_name, revision=revision)
        )
        return dict(values) if isinstance(values, Mapping) else {}

    def check_reachable(self) -> None:
        """Raise ClusterError unless the cluster answers."""
        with self._config(self._namespace) as config:
            try:
                config.check_reachable()
            except helm_python.HelmError as exc:
                raise cluster_unreachable(exc) from None


def engine_for(
    kubeconfig: str | os.PathLike[str] | None,
    namespace: str = "default",
    *,
    kube_context: str | None = None,
) -> HelmEngine:
    """An engine for ``kubeconfig``; cheap, and safe to call from (and use in) worker threads."""
    return HelmSdkEngine(kubeconfig, namespace, kube_context=kube_context)
