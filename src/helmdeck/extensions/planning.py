"""Which extension instances an install creates: the instance's component name (multi-install,
release name limits), its requirements resolved from the catalog, GPU availability, and which
installed extensions depend on another."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.cluster import Forbidden, list_objects
from helmdeck.core.progress import Progress, no_progress
from helmdeck.core.session import PlatformSession
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.extensions.catalog import Catalog, Extension
from helmdeck.extensions.installed import InstalledExtension, installed_extensions
from helmdeck.extensions.parameters import check_parameters, secret_values
from helmdeck.extensions.requirements import Requirement
from helmdeck.secrets.redact import remember

GPU_RESOURCE = "nvidia.com/gpu"
MAX_RELEASE_NAME = 53
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class InstallStep:
    extension: Extension
    component: str
    parameters: dict[str, Any]
    required_by: str | None = None


class ExtensionPlanner:
    """Extensions of one platform (a :class:`PlatformSession`) from one catalog: what is installed
    and what an install would do."""

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
