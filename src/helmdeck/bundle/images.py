"""The container images a platform runs, to preload on an air-gapped cluster.

Every component is rendered (no cluster: secrets are placeholders) in each environment, and every
extension chart of the catalog with the values its install would get, and the images of all
containers and init containers of every object (hooks included: a migration Job's image must be
there before the upgrade needs it) are collected with the components and environments using them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from helmdeck.bundle.manifest import ImageEntry
from helmdeck.core.session import render_component
from helmdeck.engine.render import render
from helmdeck.errors import HelmdeckError
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.install_values import default_parameters, extension_values
from helmdeck.extensions.shared_values import shared_values
from helmdeck.manifests import ImageRef
from helmdeck.manifests.index import PlatformObjects
from helmdeck.manifests.inventory import inventory
from helmdeck.secrets.store import placeholder_secrets
from helmdeck.spec import Platform

EXTENSION_PREFIX = "extension:"


@dataclass
class ImageListing:
    images: list[ImageEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _extension_objects(platform: Platform, environment: str | None, warnings: list[str]) -> PlatformObjects:
    catalog = Catalog.for_platform(platform).load()
    for problem in catalog.problems:
        warnings.append(f"extension catalog: {problem.source}: {problem.message}")
    namespace = platform.logical_namespace("extensions")
    out: dict[str, Any] = {}
    for ext in catalog.extensions:
        shared = shared_values(platform, environment, ext.chart.values_schema)
        values = extension_values(ext, shared, default_parameters(ext))
        label = f"{EXTENSION_PREFIX}{ext.name}"
        try:
            rendered = render(ext.chart, values, ext.name, namespace, component=label)
        except HelmdeckError as exc:
            warnings.append(
                f"{label} {ext.version}: images not listed, it does not render with defaults: {exc.message}"
            )
            continue
        out[f"{label}@{ext.version}"] = rendered.platform_entry()
    return out


def list_platform_images(platform: Platform, environments: Sequence[str | None]) -> ImageListing:
    """The images of ``platform`` in each of ``environments`` (None: no environment)."""
    secrets = placeholder_secrets(platform)
    components: dict[str, set[str]] = defaultdict(set)
    envs: dict[str, set[str]] = defaultdict(set)
    listing = ImageListing()
    for env in environments:
        if env is not None:
            platform.environment(env)  # unknown names fail here, listing the known ones
        objects: dict[str, Any] = {
            name: render_component(platform, name, env, secrets).rendered.platform_entry()
            for name in platform.component_names
        }
        objects.update(_extension_objects(platform, env, listing.warnings))
        for use in inventory(objects).images:
            components[use.image].add(use.component.split("@", 1)[0])
            if env is not None:
                envs[use.image].add(env)
    for image in sorted(components):
        ref = ImageRef.parse(image)
        listing.images.append(
            ImageEntry(
                image, ref.repository, ref.tag, ref.digest, tuple(sorted(components[image])), tuple(sorted(envs[image]))
            )
        )
    listing.warnings = list(dict.fromkeys(listing.warnings))
    return listing
