"""``bundle.json``: what a bundle holds and where it came from.

Paths are relative to the bundle's root directory. ``files`` lists every file except ``bundle.json``
and ``SHA256SUMS`` themselves (``SHA256SUMS`` covers ``bundle.json``). ``required`` lists the files
the platform needs that were deliberately left out (secrets): the deployer provides them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from helmdeck.bundle.errors import BundleError, BundleProblem
from helmdeck.serialize import JsonObject, camel

MANIFEST_FILE = "bundle.json"
PLATFORM_FILE = "platform.yaml"
IMAGES_FILE = "images.txt"
PROVIDED_DIR = "provided"
"""Where the rewritten platform file expects the files the deployer provides (secrets)."""
FORMAT = "helmdeck.dev/bundle/v1"

_E = TypeVar("_E", "FileEntry", "ChartEntry", "ImageEntry", "RequiredFile")


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
                files=tuple(_entry(FileEntry, f) for f in raw["files"]),
                charts=tuple(_entry(ChartEntry, c) for c in raw["charts"]),
                images=tuple(_entry(ImageEntry, i) for i in raw["images"]),
                required=tuple(_entry(RequiredFile, r) for r in raw.get("required", [])),
                warnings=tuple(str(w) for w in raw.get("warnings", [])),
                platform_file=str(raw.get("platformFile", PLATFORM_FILE)),
            )
        except BundleError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise BundleError(bundle, [BundleProblem(MANIFEST_FILE, f"not a valid manifest: {reason}")]) from None


# how a field of an entry is read back from its JSON, by its annotation (the module's annotations are
# strings): a missing key is a KeyError the manifest reports, except for an optional value
_READERS: dict[str, Callable[[Any], Any]] = {
    "str": str,
    "int": int,
    "str | None": lambda v: None if v is None else str(v),
    "tuple[str, ...]": lambda v: tuple(str(x) for x in v),
}


def _entry(cls: type[_E], raw: Mapping[str, Any]) -> _E:
    """An entry of the manifest (a file, chart, image, required file) from its JSON: the inverse of
    its ``as_dict`` (camelCase keys, no declarations)."""
    args = []
    for f in fields(cls):
        key = camel(f.name)
        value = raw.get(key) if "None" in str(f.type) else raw[key]
        args.append(_READERS[str(f.type)](value))
    return cls(*args)
