"""Installing and uninstalling extensions on a running platform (:class:`ExtensionManager`).

An installed extension is a component of the platform: a Helm release in the platform's extensions
namespace, labelled with the platform, the component and the extension's chart name, so status,
history, rollback and undeploy treat it like any other component. An install

* checks the parameters against the chart's schema before touching the cluster,
* holds the platform's Lease for the whole operation,
* installs missing required extensions first (highest catalog version meeting the constraint,
  default parameters), then the extension itself, each through the deploy executor's per-component
  step: install, health gate, uninstall if the gate fails,
* records a platform revision (operation ``ext install NAME``).

Extensions marked ``multi-install`` get one release per install (``NAME-<instance name>``); others
refuse a second install. Uninstalling keeps Helm's history (so a platform rollback can bring the
extension back) and the extension's volume claims (the inventory's, in any namespace) unless asked
to purge them, and refuses while another installed extension requires it, unless forced.

The pieces live in their own modules: which extensions are installed (``installed``), install
names (``naming``), the install plan (``planning``), GPU needs (``gpu``), the desired component
(``desired``), uploaded charts (``uploaded``), who requires whom (``dependents``) and the report
(``report``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from helmdeck.cluster import delete_object
from helmdeck.core.claim_keeping import keep_claims, mark_left_by_helm
from helmdeck.core.inventory import PlatformInventory
from helmdeck.core.progress import Progress, no_progress
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import ComponentResult, DeployReport, Outcome
from helmdeck.engine.options import UninstallOptions
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.extensions.catalog import Catalog, Extension
from helmdeck.extensions.dependents import dependents
from helmdeck.extensions.desired import DesiredExtension, desired_extension
from helmdeck.extensions.gpu import GPU_RESOURCE, cluster_has_gpu
from helmdeck.extensions.installed import (
    InstalledExtension,
    check_uninstallable,
    find_installed,
    installed_extensions,
)
from helmdeck.extensions.naming import component_name
from helmdeck.extensions.planning import InstallStep, plan_install
from helmdeck.extensions.report import ExtensionReport
from helmdeck.extensions.upload import UploadPolicy
from helmdeck.extensions.uploaded import check_uploads, is_uploaded
from helmdeck.revisions.operation import platform_operation
from helmdeck.secrets.redact import known_redactor
from helmdeck.wording import counted


class ExtensionManager:
    """Extensions of one platform (a :class:`PlatformSession`) from one catalog."""

    def __init__(
        self,
        session: PlatformSession,
        catalog: Catalog,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        interrupt: threading.Event | None = None,
        failure_grace: float = 10.0,
        timeout: float = 300.0,
    ) -> None:
        self.session = session
        self.catalog = catalog
        self.progress = progress or no_progress
        self.cancel = cancel or threading.Event()
        # as the deploy's: no new component starts, the running one finishes its health gate
        self.interrupt = interrupt or threading.Event()
        self.failure_grace = failure_grace
        self.timeout = timeout

    @property
    def namespace(self) -> str:
        return self.session.platform.logical_namespace("extensions")

    # -- reading ---------------------------------------------------------------------------------
    def installed(self) -> list[InstalledExtension]:
        return installed_extensions(self.session.live_releases())

    # -- planning --------------------------------------------------------------------------------
    def component_name(self, ext: Extension, instance_name: str | None, live: Mapping[str, Release]) -> str:
        return component_name(self.session.platform, ext, instance_name, live)

    def plan_install(
        self,
        name: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        instance_name: str | None = None,
        version: str | None = None,
        live: Mapping[str, Release] | None = None,
    ) -> list[InstallStep]:
        """The installs ``install`` would do: missing required extensions (dependencies first), then
        the extension. Raises ConfigError for bad parameters or unsatisfiable requirements."""
        live = self.session.live_releases() if live is None else live
        return plan_install(
            self.catalog,
            self.session.platform,
            name,
            parameters,
            instance_name=instance_name,
            version=version,
            live=live,
        )

    # -- doing -----------------------------------------------------------------------------------
    def desired(self, step: InstallStep) -> DesiredExtension:
        return desired_extension(self.session, step, self.namespace, self.timeout)

    def is_uploaded(self, ext: Extension) -> bool:
        return is_uploaded(self.catalog, ext)

    def _check_uploads(self, steps: Sequence[InstallStep], desired: Sequence[DesiredExtension]) -> None:
        """Uploaded charts pass the upload policy again, rendered with this install's parameters."""
        policy = UploadPolicy(admin_namespace=self.session.admin_namespace, extensions_namespace=self.namespace)
        check_uploads(policy, self.catalog, steps, desired)

    def _deployer(self, operation: str) -> Deployer:
        return Deployer(
            self.session,
            progress=self.progress,
            cancel=self.cancel,
            interrupt=self.interrupt,
            failure_grace=self.failure_grace,
            operation=operation,
        )

    def install(
        self,
        name: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        instance_name: str | None = None,
        version: str | None = None,
    ) -> ExtensionReport:
        start = time.monotonic()
        s = self.session
        operation = f"ext install {name}"
        report = ExtensionReport(s.platform_id, operation)
        steps = self.plan_install(name, parameters, instance_name=instance_name, version=version, live={})
        if any(st.extension.requires_gpu for st in steps) and not cluster_has_gpu(self.session.client):
            gpu_ext = next(st.extension.name for st in steps if st.extension.requires_gpu)
            raise ConfigError(
                f"extension {gpu_ext} needs a GPU, and no node of the cluster offers {GPU_RESOURCE}",
                fix="add a GPU node (with the NVIDIA device plugin), or pick an extension that runs on CPUs",
            )
        desired = [self.desired(st) for st in steps]  # renders: template errors surface before any change
        self._check_uploads(steps, desired)
        with platform_operation(s, namespaces=[self.namespace], cancel=self.cancel) as op:
            live = s.live_releases()
            # the real plan, against what is installed now that the lock is ours
            steps = self.plan_install(name, parameters, instance_name=instance_name, version=version, live=live)
            desired = [self.desired(st) for st in steps]
            self._check_uploads(steps, desired)
            deployer = self._deployer(operation)
            deployer.op = op  # every component checks the lease before it changes anything
            failed: str | None = None
            for step, d in zip(steps, desired, strict=True):
                if failed is not None or self.cancel.is_set() or self.interrupt.is_set():
                    why = "cancelled" if failed is None else failed
                    report.components.append(
                        ComponentResult(
                            d.name,
                            d.release,
                            d.namespace,
                            Outcome.skipped,
                            skipped_because=[why],
                            message=f"skipped: {'cancelled' if failed is None else 'needs ' + why}",
                        )
                    )
                    continue
                current = live.get(d.name)
                if current is not None and current.status is ReleaseStatus.UNINSTALLED:
                    # Helm refuses to install over a name whose history was kept: start it afresh
                    s.engine.uninstall(d.release, UninstallOptions(namespace=d.namespace, ignore_not_found=True))
                    current = None
                if step.required_by:
                    self.progress(d.name, "preparing", f"required by {step.required_by}")
                result = deployer.deploy_component(d, current)
                report.components.append(result)
                if not result.ok:
                    failed = d.name
            report.platform_revision = self._record(deployer, report)
        report.seconds = time.monotonic() - start
        return report

    def _record(self, deployer: Deployer, report: ExtensionReport) -> int:
        deploy_report = DeployReport(self.session.platform_id, self.session.environment, list(report.components))
        return deployer.record_revision(deploy_report).revision

    def find(self, name: str, live: Mapping[str, Release] | None = None) -> InstalledExtension:
        """An installed extension by component name, or by extension name when installed once."""
        return find_installed(name, installed_extensions(self.session.live_releases() if live is None else live))

    def dependents(self, target: InstalledExtension, installed: list[InstalledExtension]) -> list[str]:
        """Installed extensions that would lose a requirement if ``target`` went."""
        return dependents(self.catalog, target, installed)

    def removable(
        self, name: str, live: Mapping[str, Release], *, force: bool, how_to_force: str = "force it (--force)"
    ) -> tuple[InstalledExtension, list[str]]:
        """The install ``name`` stands for and the extensions that require it (which a forced uninstall
        leaves broken), refused while there are any unless ``force``.

        Raises:
            ConfigError: naming the extensions that require it (``details.requiredBy``); its fix says
                ``how_to_force`` (a flag on the command line, a checkbox on the web).
        """
        target = self.find(name, live)
        blocked = self.dependents(target, installed_extensions(live))
        if blocked and not force:
            raise ConfigError(
                f"extension {target.component} is required by {', '.join(blocked)}",
                fix=f"uninstall {', '.join(blocked)} first, or {how_to_force} and leave them broken",
                details={"requiredBy": blocked},
            )
        return target, blocked

    def data_of(self, name: str) -> list[str]:
        """What an uninstall of ``name`` keeps (or, asked to purge, deletes), as undeploy's purge
        list says it: what Helm's uninstall leaves of it (kept by policy, hooks), then its volume
        claims and the volumes its chart ships for them; read-only."""
        live = self.session.live_releases()
        target = self.find(name, live)
        inventory = PlatformInventory.read(self.session, {target.component: live[target.component]})
        return _purge_list(inventory, target.component)

    def uninstall(
        self,
        name: str,
        *,
        force: bool = False,
        purge_data: bool = False,
        confirm: Callable[[list[str]], bool] | None = None,
    ) -> ExtensionReport:
        """Uninstall an extension, keeping its history and its volume claims (wherever they are)
        unless ``purge_data``; ``confirm`` sees the claims to delete before anything changes."""
        start = time.monotonic()
        s = self.session
        operation = f"ext uninstall {name}"
        report = ExtensionReport(s.platform_id, operation)
        # read-only, before the lock: a name that is not installed changes nothing, not even the
        # admin namespace the lock would be taken in
        check_uninstallable(name, s.live_releases())
        with platform_operation(s, cancel=self.cancel) as op:
            live = s.live_releases()
            target, blocked = self.removable(name, live, force=force)
            inventory = PlatformInventory.read(s, {target.component: live[target.component]})
            data = _purge_list(inventory, target.component)
            if purge_data and data and confirm is not None and not confirm(data):
                raise HelmdeckError(f"uninstall of {target.component} cancelled: nothing was changed", exit_code=1)
            self.progress(target.component, "uninstalling", f"{target.status} revision {target.revision}")
            result = ComponentResult(
                target.component,
                target.release,
                target.namespace,
                Outcome.removed,
                action="remove",
                chart=f"{target.extension}-{target.version}",
            )
            t0 = time.monotonic()
            try:
                op.check()
                notes = self._remove(target, inventory, report, purge_data=purge_data, operation=operation)
                if blocked:
                    notes.append(f"forced although {', '.join(blocked)} require it")
                # the outcome says "removed" already: the message says the rest (not "removed removed")
                result.message = f"({'; '.join(notes)})"
                self.progress(target.component, "removed", result.message)
            except HelmdeckError as exc:
                result.outcome = Outcome.failed
                result.message = known_redactor().text(exc.message)
                self.progress(target.component, "failed", result.message)
            result.seconds = time.monotonic() - t0
            report.components.append(result)
            deployer = self._deployer(operation)
            deployer.op = op
            report.platform_revision = self._record(deployer, report)
        report.seconds = time.monotonic() - start
        return report

    def _remove(
        self,
        target: InstalledExtension,
        inventory: PlatformInventory,
        report: ExtensionReport,
        *,
        purge_data: bool,
        operation: str,
    ) -> list[str]:
        """Helm's uninstall (history kept), then what it left and the claims kept or purged; the
        notes saying what happened."""
        s = self.session
        claims = inventory.claims_of([target.component])
        # the volumes its chart ships for those claims: kept with them, purged after them
        volumes = inventory.volumes_of([target.component])
        # before Helm's uninstall, which deletes every object of its manifest, claims too
        keep_claims(s.client, inventory, [target.component])
        s.engine.uninstall(
            target.release,
            UninstallOptions(
                namespace=target.namespace,
                keep_history=True,
                wait=True,
                timeout=self.timeout,
                description=f"helmdeck {operation}",
            ),
        )
        notes = ["history kept for rollback"]
        if purge_data:
            # what Helm left goes first, as undeploy's purge does
            leaves = inventory.helm_leaves([target.component])
            left_gone = [str(o.ref) for o in leaves if delete_object(s.client, o.ref)]
            gone = [str(c) for c in claims if delete_object(s.client, c.ref)]
            # a volume still bound to a claim being deleted goes once the claim has
            volumes_gone = [str(v) for v in volumes if delete_object(s.client, v.ref)]
            report.deleted_data = left_gone + gone + volumes_gone
            if gone:
                notes.append(f"deleted {counted(gone, 'volume claim')}")
            if left_gone:
                notes.append(f"deleted {counted(left_gone, 'object')} Helm leaves")
        else:
            # what Helm left (kept by policy, hooks) is marked, so a later purge finds it
            report.left = [str(o) for o in mark_left_by_helm(s.client, inventory, [target.component])]
            if report.left:
                notes.append(f"Helm left {counted(report.left, 'object')}")
            report.kept_data = inventory.data_of([target.component])
            if claims:
                notes.append(f"kept {counted(claims, 'volume claim')}: purging data deletes them")
        return notes


def _purge_list(inventory: PlatformInventory, component: str) -> list[str]:
    """What purging ``component``'s data deletes, in its order (undeploy's purge list, for one)."""
    return [str(o.ref) for o in inventory.helm_leaves([component])] + inventory.data_of([component])
