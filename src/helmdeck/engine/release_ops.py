"""Helm's release writes (install, upgrade, rollback, uninstall) inside a worker process.

Runs in :mod:`helmdeck.engine.render_worker`, never in helmdeck's own process: an install
evaluates the chart's templates again, against the cluster (``lookup``, ``.Capabilities`` after the
chart's CRDs are installed), and a chart that recurses or loops only then must kill this process,
not helmdeck. A write gets a ``Config`` kept from an earlier one only while the cluster's API groups
cannot have changed (Helm caches the capabilities it read in it: :mod:`helmdeck.engine.helm_configs`)
and, for installs and upgrades, a fresh chart handle from the archive (Helm prunes disabled
subcharts from the chart it is given). Install and upgrade run under a Helm context the parent can
cancel (``{"cancel": id}`` frames); Helm's rollback and uninstall take none, so a cancelled one is
killed by the parent after its grace period.

Installs and upgrades skip Helm's client-side OpenAPI validation (:data:`CHART_WRITE_OPTIONS`). Against
an API server that takes the ``fieldValidation`` parameter (GA since Kubernetes 1.27, older than any
cluster Helm 4 supports), that validation validates nothing: kubectl's schema only asks the server's
OpenAPI v3 document whether it takes the parameter, and then leaves the check to the server, which Helm
asks for ``fieldValidation=Strict`` on every server-side apply. Asking cost a fetch and parse of the
group's OpenAPI document per install (about two thirds of a small chart's install CPU). An unknown
field is refused exactly as before, by the server, naming the field; deploy's preflight dry run
refuses it before anything is written.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from typing import Any

from helmdeck.engine.helm_configs import CHANGED_KEY, GENERATION_KEY, KeptConfigs, may_change_apis
from helmdeck.engine.options import InstallOptions, RollbackOptions, UninstallOptions

#: the operations this module runs
OPS = frozenset({"install", "upgrade", "rollback", "uninstall"})
#: the ops that take a chart
CHART_OPS = frozenset({"install", "upgrade"})
#: options every install and upgrade gets (why: the module's docstring)
CHART_WRITE_OPTIONS = {"disable_openapi_validation": True}
#: Waits before an install is tried again because the CRDs its chart's ``crds/`` just created are
#: not served yet: Helm waits for them only when told to wait for everything, and the API server
#: lists a new kind in discovery a moment after it is created. Helm refuses such an install before
#: it records the release, so trying again (with a fresh Config: Helm keeps the API versions it
#: read in it) is safe.
CRD_WAITS = (0.25, 0.5, 1.0, 2.0)
_NOT_SERVED_YET = "ensure CRDs are installed first"


class ReleaseWriter:
    def __init__(self, helm: Any, abi: Any) -> None:
        self._helm = helm
        self._abi = abi
        self._lock = threading.Lock()
        self._running: tuple[int, Any] | None = None
        self._cancelled: set[int] = set()
        self._configs = KeptConfigs(self._new_config)

    def cancel(self, request_id: int) -> None:
        """Cancel the write ``request_id`` (before it starts, or while it runs)."""
        with self._lock:
            self._cancelled = {request_id}
            if self._running is not None and self._running[0] == request_id:
                self._running[1].cancel()

    def handle(self, request: dict[str, Any], archive: bytes) -> dict[str, Any]:
        request_id = int(request.get("id") or 0)
        try:
            reply = self._attempt(request_id, request, archive, fresh=False)
            for wait in CRD_WAITS:
                if not self._crds_not_served_yet(request_id, request, reply, archive):
                    break
                time.sleep(wait)
                reply = self._attempt(request_id, request, archive, fresh=True)
            return reply
        finally:
            with self._lock:
                self._cancelled.discard(request_id)

    def _crds_not_served_yet(
        self, request_id: int, request: dict[str, Any], reply: dict[str, Any], archive: bytes
    ) -> bool:
        """An install refused because its chart's own CRDs are not served yet (see CRD_WAITS)."""
        if request["op"] != "install" or reply.get("ok") or _NOT_SERVED_YET not in str(reply.get("message")):
            return False
        with self._lock:
            if request_id in self._cancelled:
                return False
        with self._helm.Chart.load_archive(archive) as chart:
            return bool(chart.crds)

    def _new_config(self, cluster: Mapping[str, Any]) -> Any:
        return self._helm.Config(
            kubeconfig_path=cluster["kubeconfig"],
            kube_context=cluster["context"],
            namespace=cluster["namespace"],
            qps=cluster.get("qps"),
            burst_limit=cluster.get("burst"),
        )

    def _attempt(self, request_id: int, request: dict[str, Any], archive: bytes, *, fresh: bool) -> dict[str, Any]:
        """One try of the write, on a kept Config unless ``fresh`` or the chart brings CRDs
        (:mod:`helmdeck.engine.helm_configs`)."""
        helm, op = self._helm, request["op"]
        install = InstallOptions.from_json(request["options"]) if op in CHART_OPS else None
        with contextlib.ExitStack() as stack:
            try:
                # a fresh handle each try: Helm prunes disabled subcharts from the chart it is given
                chart = stack.enter_context(helm.Chart.load_archive(archive)) if install is not None else None
            except helm.HelmError as exc:
                return {"ok": False, **error_reply(exc)}
            crds = bool(chart is not None and chart.crds)
            try:
                if fresh or crds:
                    config, kept = self._new_config(request["cluster"]), False
                else:
                    after = install.capabilities_after if install is not None else None
                    config, kept = self._configs.get(request["cluster"], request.get(GENERATION_KEY), after)
            except helm.HelmError as exc:
                return {"ok": False, "stage": "config", **error_reply(exc)}
            if not kept:
                stack.enter_context(config)
            context = stack.enter_context(helm.HelmContext())
            with self._lock:
                self._running = (request_id, context)
                if request_id in self._cancelled:
                    context.cancel()
            try:
                result = self._write(config, context, request, chart, install)
                reply: dict[str, Any] = {"ok": True, "result": result}
            except helm.HelmError as exc:
                result, reply = None, {"ok": False, **error_reply(exc)}
            finally:
                with self._lock:
                    self._running = None
            manifest = str(result.get("manifest") or "") if isinstance(result, dict) else ""
            if may_change_apis(op, reply["ok"], crds, manifest):
                reply[CHANGED_KEY] = True
                self._configs.drop()
            return reply

    def _write(
        self, config: Any, context: Any, request: dict[str, Any], chart: Any, install: InstallOptions | None
    ) -> Any:
        """The write itself; ``chart`` and ``install`` (its options, read once) for installs and upgrades."""
        op, name, options = request["op"], request["release"], request["options"]
        if op == "rollback":
            self._abi.rollback(config, name, **RollbackOptions.from_json(options).helm_keys(request["revision"]))
            return None
        if op == "uninstall":
            return self._abi.uninstall(config, name, **UninstallOptions.from_json(options).helm_keys())
        assert install is not None
        keys = install.helm_keys(upgrade=op == "upgrade")
        write_options = {**keys, **CHART_WRITE_OPTIONS}
        return self._abi.chart_write(op, config, chart, name, request["values"], context, write_options)


def error_reply(exc: Any) -> dict[str, Any]:
    """A helm_python exception as the parent rebuilds it (:func:`helmdeck.engine.contained.helm_error`)."""
    return {
        "helmError": type(exc).__name__,
        "message": str(exc),
        "detail": exc.detail,
        "code": getattr(exc, "code", None),
    }
