"""Installing and uninstalling extensions on a running platform.

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
extension back) and refuses while another installed extension requires it, unless forced.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helmdeck.cluster import Forbidden, list_objects
from helmdeck.core.progress import Progress
from helmdeck.core.session import DesiredComponent, PlatformSession, config_digest
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import ComponentResult, DeployReport, Outcome
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.engine.render import render
from helmdeck.errors import ClusterError, ConfigError, HelmdeckError
from helmdeck.extensions.catalog import Catalog, Extension
from helmdeck.extensions.parameters import PARAMETERS_KEY, check_parameters, secret_values
from helmdeck.extensions.requirements import Requirement
from helmdeck.extensions.shared_values import shared_values
from helmdeck.extensions.upload import UploadPolicy, check_install
from helmdeck.labels import EXTENSION_LABEL
from helmdeck.revisions.operation import platform_operation
from helmdeck.secrets.redact import known_redactor, remember

GPU_RESOURCE = "nvidia.com/gpu"
MAX_RELEASE_NAME = 53
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def no_progress(_name: str, _state: str, _detail: str) -> None:
    return None


@dataclass
class DesiredExtension(DesiredComponent):
    """A component desired from an extension chart; its release also carries the extension label."""

    extension: str = ""

    def labels(self, platform_id: str, environment: str | None) -> dict[str, str]:
        return {**super().labels(platform_id, environment), EXTENSION_LABEL: self.extension}


@dataclass
class InstalledExtension:
    component: str
    extension: str
    release: str
    namespace: str
    version: str
    revision: int
    status: str
    updated: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "extension": self.extension,
            "release": self.release,
            "namespace": self.namespace,
            "version": self.version,
            "revision": self.revision,
            "status": self.status,
            "updated": self.updated,
        }


@dataclass
class ExtensionReport:
    """What an install or uninstall did, per component (required extensions first)."""

    platform: str
    operation: str
    components: list[ComponentResult] = field(default_factory=list)
    platform_revision: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "operation": self.operation,
            "ok": self.ok,
            "platformRevision": self.platform_revision,
            "seconds": round(self.seconds, 2),
            "components": [c.as_dict() for c in self.components],
        }


@dataclass(frozen=True)
class InstallStep:
    extension: Extension
    component: str
    parameters: dict[str, Any]
    required_by: str | None = None


def installed_extensions(live: Mapping[str, Release]) -> list[InstalledExtension]:
    """The platform's extensions among its live releases (uninstalled ones left out)."""
    out = []
    for name, rel in sorted(live.items()):
        ext = rel.labels.get(EXTENSION_LABEL)
        if not ext or rel.status is ReleaseStatus.UNINSTALLED:
            continue
        out.append(
            InstalledExtension(
                component=name,
                extension=ext,
                release=rel.name,
                namespace=rel.namespace,
                version=rel.chart_version,
                revision=rel.revision,
                status=rel.status.value,
                updated=rel.updated.isoformat() if rel.updated else None,
            )
        )
    return out


class ExtensionManager:
    """Extensions of one platform (a :class:`PlatformSession`) from one catalog."""

    def __init__(
        self,
        session: PlatformSession,
        catalog: Catalog,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        failure_grace: float = 10.0,
        timeout: float = 300.0,
    ) -> None:
        self.session = session
        self.catalog = catalog
        self.progress = progress or no_progress
        self.cancel = cancel or threading.Event()
        self.failure_grace = failure_grace
        self.timeout = timeout

    @property
    def namespace(self) -> str:
        return self.session.platform.logical_namespace("extensions")

    # -- reading ---------------------------------------------------------------------------------
    def installed(self) -> list[InstalledExtension]:
        return installed_extensions(self.session.live_releases())

    def _requirements_of(self, installed: InstalledExtension) -> tuple[Requirement, ...]:
        """What an installed extension requires, read from its chart in the catalog."""
        for ext in self.catalog.versions(installed.extension):
            if ext.version == installed.version:
                return ext.requires
        versions = self.catalog.versions(installed.extension)
        return versions[0].requires if versions else ()

    # -- planning --------------------------------------------------------------------------------
    def component_name(self, ext: Extension, instance_name: str | None, live: Mapping[str, Release]) -> str:
        platform = self.session.platform
        taken = {n for n, r in live.items() if r.status is not ReleaseStatus.UNINSTALLED}
        if not ext.multi_install:
            if instance_name:
                raise ConfigError(
                    f"extension {ext.name} is installed once per platform: it takes no instance name",
                    fix="leave out --instance-name",
                )
            name = ext.name
            if name in platform.component_names:
                raise ConfigError(
                    f"extension {ext.name} has the name of a component of the platform file",
                    fix="rename the extension chart or the component",
                )
            if name in taken:
                rel = live[name]
                raise ConfigError(
                    f"extension {ext.name} is already installed (release {rel.namespace}/{rel.name}, "
                    f"revision {rel.revision}, {rel.status.value}) and is not multi-install",
                    fix=f"uninstall it first ('helmdeck ext uninstall {ext.name}'), or use it as it is",
                )
            return name
        if instance_name:
            if not _DNS_LABEL.match(instance_name):
                raise ConfigError(
                    f"instance name {instance_name!r} is not a DNS label",
                    fix="use lowercase letters, digits and '-', starting and ending with a letter or digit",
                )
            name = f"{ext.name}-{instance_name}"
            if len(name) > MAX_RELEASE_NAME:
                raise ConfigError(
                    f"release name {name} is longer than {MAX_RELEASE_NAME} characters",
                    fix=f"use an instance name of at most {MAX_RELEASE_NAME - len(ext.name) - 1} characters",
                )
            if name in taken or name in platform.component_names:
                raise ConfigError(
                    f"extension {ext.name} already has an install named {instance_name} ({name})",
                    fix="choose another --instance-name",
                )
            return name
        while True:
            name = f"{ext.name[: MAX_RELEASE_NAME - 7]}-{secrets.token_hex(3)}"
            if name not in taken:
                return name

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
        ext = self.catalog.get(name, version)
        checked = check_parameters(ext.name, ext.parameters, parameters or {})
        remember(secret_values(ext.parameters, checked))
        self._check_gpu(ext)
        main = InstallStep(ext, self.component_name(ext, instance_name, live), checked)
        installed = installed_extensions(live)
        steps: list[InstallStep] = []
        self._add_requirements(ext, installed, steps, [ext.name])
        return [*steps, main]

    def _add_requirements(
        self, ext: Extension, installed: list[InstalledExtension], steps: list[InstallStep], chain: list[str]
    ) -> None:
        for req in ext.requires:
            if req.name in chain:
                raise ConfigError(
                    f"extensions require each other in a cycle: {' -> '.join([*chain, req.name])}",
                    fix="remove one of these helmdeck.dev/requires annotations",
                )
            have = [i for i in installed if i.extension == req.name]
            if any(req.allows(i.version) for i in have):
                continue
            if have:
                versions = ", ".join(i.version for i in have)
                raise ConfigError(
                    f"extension {ext.name} requires {req}, but {req.name} {versions} is installed",
                    fix=f"upgrade {req.name}: uninstall it and install a version meeting {req.constraint}",
                )
            if any(s.extension.name == req.name and req.allows(s.extension.version) for s in steps):
                continue
            found = self.catalog.satisfying(req)
            if found is None:
                offered = ", ".join(e.version for e in self.catalog.versions(req.name)) or "none"
                raise ConfigError(
                    f"extension {ext.name} requires {req}, which the catalog cannot provide "
                    f"(versions of {req.name} in the catalog: {offered})",
                    fix=f"add a chart of {req.name} meeting the constraint to the catalog, or upload one",
                )
            try:
                params = check_parameters(found.name, found.parameters, {})
            except HelmdeckError as exc:
                raise ConfigError(
                    f"extension {ext.name} requires {found.name}, which needs parameters: {exc.message}",
                    fix=f"install {found.name} first with its parameters ('helmdeck ext install {found.name} "
                    "--param ...')",
                ) from None
            self._check_gpu(found)
            self._add_requirements(found, installed, steps, [*chain, req.name])
            live_names = {s.component for s in steps}
            component = found.name if not found.multi_install else f"{found.name}-{secrets.token_hex(3)}"
            if component not in live_names:
                steps.append(InstallStep(found, component, params, required_by=ext.name))

    def _check_gpu(self, ext: Extension) -> None:
        if not ext.requires_gpu:
            return
        mode = self.session.platform.spec.gpu
        if mode == "off":
            raise ConfigError(
                f"extension {ext.name} needs a GPU, and the platform has GPUs turned off (spec.gpu: off)",
                where=self.session.platform.where(("spec", "gpu")),
                fix="set spec.gpu to auto or required on a cluster with GPU nodes",
            )

    def _cluster_has_gpu(self) -> bool:
        try:
            for node in list_objects(self.session.client, "v1", "Node"):
                alloc = (node.get("status") or {}).get("allocatable") or {}
                if str(alloc.get(GPU_RESOURCE, "0")) not in ("0", ""):
                    return True
        except Forbidden:
            return True  # not allowed to look: let the scheduler decide
        return False

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

    def find(self, name: str, live: Mapping[str, Release] | None = None) -> InstalledExtension:
        """An installed extension by component name, or by extension name when installed once."""
        installed = installed_extensions(self.session.live_releases() if live is None else live)
        for inst in installed:
            if inst.component == name:
                return inst
        same = [i for i in installed if i.extension == name]
        if len(same) == 1:
            return same[0]
        if len(same) > 1:
            raise ConfigError(
                f"extension {name} is installed {len(same)} times: {', '.join(i.component for i in same)}",
                fix="name the install to remove, e.g. 'helmdeck ext uninstall " + same[0].component + "'",
            )
        known = [i.component for i in installed]
        raise ConfigError(
            f"no installed extension named {name!r}",
            fix=("installed: " + ", ".join(known)) if known else "no extension is installed",
        )

    def dependents(self, target: InstalledExtension, installed: list[InstalledExtension]) -> list[str]:
        """Installed extensions that would lose a requirement if ``target`` went."""
        remaining = [i for i in installed if i.component != target.component]
        out = []
        for other in remaining:
            for req in self._requirements_of(other):
                if req.name != target.extension:
                    continue
                if not any(i.extension == req.name and req.allows(i.version) for i in remaining):
                    out.append(other.component)
        return out

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


def deployed_environment(session: PlatformSession) -> str | None:
    """The environment the platform was last deployed with (from its latest platform revision)."""
    from helmdeck.revisions.store import RevisionStore

    try:
        latest = RevisionStore(session.client, session.admin_namespace, session.platform_id).latest()
    except ClusterError:
        return None
    return latest.environment if latest else None
