"""``bundle.json``: what a bundle holds and where it came from.

Paths are relative to the bundle's root directory. ``files`` lists every file except ``bundle.json``
and ``SHA256SUMS`` themselves (``SHA256SUMS`` covers ``bundle.json``). ``required`` lists the files
the platform needs that were deliberately left out (secrets): the deployer provides them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from helmdeck.bundle.errors import BundleError, BundleProblem
from helmdeck.serialize import JsonObject

MANIFEST_FILE = "bundle.json"
PLATFORM_FILE = "platform.yaml"
IMAGES_FILE = "images.txt"
PROVIDED_DIR = "provided"
"""Where the rewritten platform file expects the files the deployer provides (secrets)."""
FORMAT = "helmdeck.dev/bundle/v1"


@dataclass(frozen=True)
class FileEntry(JsonObject):
    path: str
    sha256: str
    size: int
    kind: str  # platform | chart | extension | values | images


@dataclass(frozen=True)
class ChartEntry(JsonObject):
    """A chart archive in the bundle and who uses it (components, or a catalog entry for extensions)."""

    name: str
    version: str
    digest: str
    path: str
    source: str
    used_by: tuple[str, ...]


@dataclass(frozen=True)
class ImageEntry(JsonObject):
    """A container image the platform runs: tag and digest as the reference carries them."""

    image: str
    repository: str
    tag: str | None
    digest: str | None
    components: tuple[str, ...]
    environments: tuple[str, ...]


@dataclass(frozen=True)
class RequiredFile(JsonObject):
    """A file the platform references that the bundle does not carry; the deployer provides it.

    ``kind`` is ``values`` (a values file: the platform cannot load without it) or ``secret`` (a
    secret's ``fromFile``: needed until the secret is stored in the cluster).
    """

    path: str
    source: str
    kind: str
    reason: str
    used_by: tuple[str, ...]


@dataclass(frozen=True)
class BundleManifest(JsonObject):
    helmdeck_version: str
    platform: str
    instance: str
    created: str
    environments: tuple[str, ...]
    files: tuple[FileEntry, ...]
    charts: tuple[ChartEntry, ...]
    images: tuple[ImageEntry, ...]
    required: tuple[RequiredFile, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    platform_file: str = PLATFORM_FILE
    format: str = FORMAT

    __json_order__ = (
        "format",
        "helmdeckVersion",
        "platform",
        "instance",
        "created",
        "environments",
        "platformFile",
        "files",
        "charts",
        "images",
        "required",
        "warnings",
    )

    def image_names(self) -> list[str]:
        return [i.image for i in self.images]

    def to_json(self) -> bytes:
        return (json.dumps(self.as_dict(), indent=2, sort_keys=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, *, bundle: str) -> BundleManifest:
        """Read ``bundle.json``; a BundleError naming it when it is not a manifest this helmdeck reads."""
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            if raw.get("format") != FORMAT:
                raise BundleError(
                    bundle,
                    [BundleProblem(MANIFEST_FILE, f"format {raw.get('format')!r} is not {FORMAT}")],
                    fix="use the helmdeck version that made the bundle, or rebuild it with this one",
                )
            return cls(
                helmdeck_version=str(raw["helmdeckVersion"]),
                platform=str(raw["platform"]),
                instance=str(raw.get("instance", "")),
                created=str(raw["created"]),
                environments=tuple(str(e) for e in raw["environments"]),
                files=tuple(
                    FileEntry(str(f["path"]), str(f["sha256"]), int(f["size"]), str(f["kind"])) for f in raw["files"]
                ),
                charts=tuple(
                    ChartEntry(
                        str(c["name"]),
                        str(c["version"]),
                        str(c["digest"]),
                        str(c["path"]),
                        str(c["source"]),
                        tuple(str(u) for u in c["usedBy"]),
                    )
                    for c in raw["charts"]
                ),
                images=tuple(
                    ImageEntry(
                        str(i["image"]),
                        str(i["repository"]),
                        None if i.get("tag") is None else str(i["tag"]),
                        None if i.get("digest") is None else str(i["digest"]),
                        tuple(str(c) for c in i["components"]),
                        tuple(str(e) for e in i["environments"]),
                    )
                    for i in raw["images"]
                ),
                required=tuple(
                    RequiredFile(
                        str(r["path"]),
                        str(r["source"]),
                        str(r["kind"]),
                        str(r["reason"]),
                        tuple(str(u) for u in r["usedBy"]),
                    )
                    for r in raw.get("required", [])
                ),
                warnings=tuple(str(w) for w in raw.get("warnings", [])),
                platform_file=str(raw.get("platformFile", PLATFORM_FILE)),
            )
        except BundleError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise BundleError(bundle, [BundleProblem(MANIFEST_FILE, f"not a valid manifest: {reason}")]) from None
