"""Extensions as every front end reaches them: the platform's catalog, the parameters of an install
gathered from their sources, and the manager on a session in the platform's environment (the one
given, else the one last deployed); the previews the web service shows before a change."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helmdeck.app.opening import LastDeployed, open_platform
from helmdeck.app.target import Target
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.installed import installed_extensions
from helmdeck.extensions.manager import ExtensionManager
from helmdeck.extensions.state import default_state_dir, upload_dir

if TYPE_CHECKING:
    from helmdeck.core.progress import Progress
    from helmdeck.extensions.catalog import Extension
    from helmdeck.extensions.installed import InstalledExtension
    from helmdeck.spec import Platform


def platform_catalog(platform: Platform, state_dir: Path | None = None) -> Catalog:
    """The platform's catalog with its uploads (``state_dir``, default the platform's state directory)."""
    state = state_dir or default_state_dir(platform.prefixed(platform.name))
    return Catalog.for_platform(platform, upload_dir(state))


def extension_manager(
    target: Target,
    platform: Platform,
    catalog: Catalog,
    *,
    progress: Progress | None = None,
    interrupt: threading.Event | None = None,
    timeout: float = 300.0,
) -> ExtensionManager:
    """The manager extensions are installed and uninstalled with: shared values come from the
    environment given, else the one the platform was last deployed with."""
    session = open_platform(target, platform=platform, last_deployed=LastDeployed.adopt)
    return ExtensionManager(session, catalog, progress=progress, interrupt=interrupt, timeout=timeout)


def install_parameters(
    extension: Extension,
    files: Sequence[dict[str, Any]],
    environ: Mapping[str, str],
    given: Mapping[str, Any],
) -> dict[str, Any]:
    """An install's parameters: each of ``files`` (read ``NAME: VALUE`` maps), then the
    ``HELMDECK_PARAM_<NAME>`` variables of ``environ``, then ``given``, each overriding the one before.

    Raises:
        ConfigError: a parameter is missing or bad (before any cluster is asked).
    """
    from helmdeck.extensions.parameter_input import params_from_env

    params: dict[str, Any] = {}
    for values in files:
        params.update(values)
    params.update(params_from_env(extension.parameters, environ))
    params.update(given)
    extension.check_parameters(params)
    return params


def check_uninstall(manager: ExtensionManager, name: str, force: bool) -> InstalledExtension:
    """The install ``name`` stands for, refused when others require it unless ``force``.

    Raises:
        ConfigError: naming the extensions that require it (``details.requiredBy``).
    """
    found, _ = manager.removable(name, manager.session.live_releases(), force=force, how_to_force="force it")
    return found


def release_objects_fate(manifest: str, namespace: str) -> list[dict[str, Any]]:
    """The objects of a release's manifest and whether an uninstall deletes them (Helm keeps those
    annotated ``helm.sh/resource-policy: keep``); a claim deleted takes its data with it."""
    import yaml

    from helmdeck.manifests.objects import RESOURCE_POLICY_ANNOTATION

    out = []
    for doc in yaml.safe_load_all(manifest):
        if not isinstance(doc, dict):
            continue
        meta = doc.get("metadata") or {}
        kept = (meta.get("annotations") or {}).get(RESOURCE_POLICY_ANNOTATION) == "keep"
        out.append(
            {
                "kind": str(doc.get("kind", "")),
                "name": str(meta.get("name", "")),
                "namespace": str(meta.get("namespace") or namespace),
                "kept": kept,
                "data": doc.get("kind") == "PersistentVolumeClaim",
            }
        )
    return out


def preview_uninstall(manager: ExtensionManager, name: str) -> dict[str, Any]:
    """What uninstalling ``name`` would delete and keep, and who needs it; nothing changes."""
    live = manager.session.live_releases()
    found = manager.find(name, live)
    manifest = manager.session.engine.get_manifest(found.release, namespace=found.namespace)
    data = manager.data_of(name)
    objects = release_objects_fate(manifest, found.namespace)
    for o in objects:  # the uninstall keeps every claim of the extension unless asked to purge
        if f"{o['kind']} {o['namespace']}/{o['name']}" in data or o["kind"] == "PersistentVolumeClaim":
            o["kept"] = True
    return {
        **found.as_dict(),
        "requiredBy": manager.dependents(found, installed_extensions(live)),
        "objects": objects,
        "keptData": data,
    }
