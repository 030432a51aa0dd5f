"""Installing and uninstalling extensions: each instance a component of the platform, deployed
and health-gated like one, inside the platform's operation (lease, revision record)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from helmdeck.core.session import config_digest
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import ComponentResult, DeployReport, Outcome
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.engine.render import render
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.extensions.catalog import Extension
from helmdeck.extensions.installed import DesiredExtension, ExtensionReport, installed_extensions
from helmdeck.extensions.parameters import PARAMETERS_KEY
from helmdeck.extensions.planning import GPU_RESOURCE, ExtensionPlanner, InstallStep
from helmdeck.extensions.shared_values import shared_values
from helmdeck.extensions.upload import UploadPolicy, check_install
from helmdeck.revisions.operation import platform_operation
from helmdeck.secrets.redact import known_redactor


class ExtensionManager(ExtensionPlanner):
    """Installs and uninstalls extensions of one platform from one catalog."""

    # -- doing -----------------------------------------------------------------------------------
    def desired(self, step: InstallStep) -> DesiredExtension:
        ext = step.extension
        s = self.session
        values: dict[str, Any] = {"global": shared_values(s.platform, s.environment, ext.chart.values_schema)}
        if step.parameters or ext.parameters:
            values[PARAMETERS_KEY] = dict(step.parameters)
        rendered = render(ext.chart, values, step.component, self.namespace, component=step.component)
        return DesiredExtension(
            name=step.component,
            release=step.component,
            namespace=self.namespace,
            chart=ext.chart,
            values=values,
            rendered=rendered,
            digest=config_digest(ext.chart, values),
            timeout=self.timeout,
            extension=ext.name,
        )

    def is_uploaded(self, ext: Extension) -> bool:
        upload_dir = self.catalog.upload_dir
        return upload_dir is not None and Path(ext.source).resolve().parent == upload_dir.resolve()

    def _check_uploads(self, steps: Sequence[InstallStep], desired: Sequence[DesiredExtension]) -> None:
        """Uploaded charts pass the upload policy again, rendered with the parameters of this install
        (which may template a namespace or switch objects on): nothing is installed otherwise."""
        policy = UploadPolicy(admin_namespace=self.session.admin_namespace, extensions_namespace=self.namespace)
        for step, d in zip(steps, desired, strict=True):
            if self.is_uploaded(step.extension):
                check_install(Path(step.extension.source), d.rendered, policy, name=step.extension.name)

    def _deployer(self, operation: str) -> Deployer:
        return Deployer(
            self.session,
            progress=self.progress,
            cancel=self.cancel,
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
        if any(st.extension.requires_gpu for st in steps) and not self._cluster_has_gpu():
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
                if failed is not None or self.cancel.is_set():
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
                    s.engine.uninstall(d.release, namespace=d.namespace, ignore_not_found=True)
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

    def uninstall(self, name: str, *, force: bool = False) -> ExtensionReport:
        start = time.monotonic()
        s = self.session
        operation = f"ext uninstall {name}"
        report = ExtensionReport(s.platform_id, operation)
        with platform_operation(s, cancel=self.cancel) as op:
            live = s.live_releases()
            target = self.find(name, live)
            blocked = self.dependents(target, installed_extensions(live))
            if blocked and not force:
                raise ConfigError(
                    f"extension {target.component} is required by {', '.join(blocked)}",
                    fix=f"uninstall {', '.join(blocked)} first, or force it (--force) and leave them broken",
                    details={"requiredBy": blocked},
                )
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
                s.engine.uninstall(
                    target.release,
                    namespace=target.namespace,
                    keep_history=True,
                    wait=True,
                    timeout=self.timeout,
                    description=f"helmdeck {operation}",
                )
                result.message = "removed (history kept for rollback)"
                if blocked:
                    result.message += f"; forced although {', '.join(blocked)} require it"
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
