"""The installs an extension install makes: the missing required extensions (dependencies first,
the highest catalog version meeting each constraint, default parameters), then the extension;
with the checks that refuse the plan (cycles, wrong installed versions, a catalog lacking a
version, required extensions that need parameters, GPU policy)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helmdeck.engine.releases import Release
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.extensions.catalog import Catalog, Extension
from helmdeck.extensions.gpu import check_gpu_policy
from helmdeck.extensions.installed import InstalledExtension, installed_extensions
from helmdeck.extensions.naming import component_name
from helmdeck.extensions.parameter_values import secret_values
from helmdeck.secrets.redact import remember
from helmdeck.spec import Platform


@dataclass(frozen=True)
class InstallStep:
    extension: Extension
    component: str
    parameters: dict[str, Any]
    required_by: str | None = None


def plan_install(
    catalog: Catalog,
    platform: Platform,
    name: str,
    parameters: Mapping[str, Any] | None,
    *,
    instance_name: str | None,
    version: str | None,
    live: Mapping[str, Release],
) -> list[InstallStep]:
    """The installs an install of ``name`` makes, given the live releases: missing required
    extensions (dependencies first), then the extension. Raises ConfigError for bad parameters or
    unsatisfiable requirements."""
    ext = catalog.get(name, version)
    checked = ext.check_parameters(parameters or {})
    remember(secret_values(ext.parameters, checked))
    check_gpu_policy(platform, ext)
    main = InstallStep(ext, component_name(platform, ext, instance_name, live), checked)
    installed = installed_extensions(live)
    steps: list[InstallStep] = []
    add_requirements(catalog, platform, ext, installed, steps, [ext.name])
    return [*steps, main]


def add_requirements(
    catalog: Catalog,
    platform: Platform,
    ext: Extension,
    installed: Sequence[InstalledExtension],
    steps: list[InstallStep],
    chain: list[str],
) -> None:
    """Append to ``steps`` the installs ``ext``'s requirements need, their own requirements first."""
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
        found = catalog.satisfying(req)
        if found is None:
            offered = ", ".join(e.version for e in catalog.versions(req.name)) or "none"
            raise ConfigError(
                f"extension {ext.name} requires {req}, which the catalog cannot provide "
                f"(versions of {req.name} in the catalog: {offered})",
                fix=f"add a chart of {req.name} meeting the constraint to the catalog, or upload one",
            )
        try:
            params = found.check_parameters({})
        except HelmdeckError as exc:
            raise ConfigError(
                f"extension {ext.name} requires {found.name}, which needs parameters: {exc.message}",
                fix=f"install {found.name} first with its parameters ('helmdeck ext install {found.name} --param ...')",
            ) from None
        check_gpu_policy(platform, found)
        add_requirements(catalog, platform, found, installed, steps, [*chain, req.name])
        live_names = {s.component for s in steps}
        component = found.name if not found.multi_install else f"{found.name}-{secrets.token_hex(3)}"
        if component not in live_names:
            steps.append(InstallStep(found, component, params, required_by=ext.name))
