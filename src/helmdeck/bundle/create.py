"""``helmdeck bundle``: a platform and everything it needs to deploy without a network, in one file.

Layout (below one top directory, ``<platform>-bundle/``)::

    platform.yaml        the platform file, rewritten to point inside the bundle
    charts/              one .tgz per chart, dependencies inside
    catalog/<n>/         the charts of the n-th extension catalog entry
    values/              the values files, at their paths relative to the platform file
                         (files from outside its directory under values/external/)
    images.txt           the container images to preload, one per line
    bundle.json          the manifest (see helmdeck.bundle.manifest)
    SHA256SUMS           the checksum of every file above

Secret files are never carried (see :mod:`helmdeck.bundle.secret_files`): the rewritten platform
file points at ``provided/<path>``, and ``bundle.json`` lists them under ``required`` for the
deployer to provide. Images are listed by rendering the staged bundle itself, so a bundle that
renders here is known to be complete.

The archive is reproducible: the same inputs and creation time give the same bytes. The creation
time is ``created``, else ``$SOURCE_DATE_EPOCH`` (the reproducible-builds convention), else now.
"""

from __future__ import annotations

import datetime
import itertools
import os
import posixpath
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from helmdeck import __version__
from helmdeck.bundle.charts import PackedChart, archive_name, describe_source, pack_chart, package_directory
from helmdeck.bundle.checksums import SUMS_FILE, format_sums, sha256_hex
from helmdeck.bundle.images import ImageListing, list_platform_images
from helmdeck.bundle.manifest import (
    IMAGES_FILE,
    MANIFEST_FILE,
    PLATFORM_FILE,
    PROVIDED_DIR,
    BundleManifest,
    ChartEntry,
    FileEntry,
    RequiredFile,
)
from helmdeck.bundle.rewrite import Rewrites, rewrite_platform_text
from helmdeck.bundle.secret_files import secret_reason
from helmdeck.bundle.tarball import tar_gz_bytes
from helmdeck.engine import ChartSource
from helmdeck.errors import ConfigError
from helmdeck.extensions.catalog import Catalog
from helmdeck.manifests import ImageRef
from helmdeck.serialize import JsonObject, json_field
from helmdeck.spec import Platform, load_platform
from helmdeck.spec.yaml_document import display_path


@dataclass
class BundleResult(JsonObject):
    """A bundle written: where, how big, its own SHA-256 (to compare over a trusted channel)."""

    path: Path
    size: int
    sha256: str
    seconds: float = field(metadata=json_field(round=3))
    manifest: BundleManifest


def creation_time(created: datetime.datetime | None = None) -> datetime.datetime:
    if created is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch:
            try:
                created = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
            except (ValueError, OverflowError):
                raise ConfigError(
                    f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds",
                    fix="set it to a Unix time such as 1700000000, or unset it",
                ) from None
        else:
            created = datetime.datetime.now(datetime.UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=datetime.UTC)
    return created.astimezone(datetime.UTC).replace(microsecond=0)


@dataclass
class _Required:
    path: str
    original: Path
    kind: str
    reason: str
    used_by: list[str] = field(default_factory=list)


@dataclass
class _Chart:
    path: str
    packed: PackedChart
    used_by: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, platform: Platform, marked_secret: Sequence[Path], cache_dir: Path | None) -> None:
        self.platform = platform
        self.base = platform.base_dir.resolve()
        self.marked = list(marked_secret)
        self.cache_dir = cache_dir
        self.entries: dict[str, bytes] = {}
        self.kinds: dict[str, str] = {}
        self.sources: dict[Path, str] = {}
        self.required: dict[Path, _Required] = {}
        self.charts: dict[str, _Chart] = {}
        self.rewrites = Rewrites()
        self.warnings: list[str] = []

    # -- placing files ----------------------------------------------------------------------------
    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.base).as_posix()
        except ValueError:
            return f"external/{path.name}"

    def _free(self, wanted: str, data: bytes | None) -> str:
        """``wanted``, or the first free name beside it (``name-2.ext``, ...) when another file took it;
        a file with the same content shares the name."""
        stem, ext = posixpath.splitext(wanted)
        taken_by_required = {r.path for r in self.required.values()}
        for n in itertools.count(1):
            candidate = wanted if n == 1 else f"{stem}-{n}{ext}"
            present = self.entries.get(candidate)
            if present is None and candidate not in taken_by_required:
                return candidate
            if data is not None and present == data:
                return candidate
        raise AssertionError("unreachable")

    def add(self, path: str, data: bytes, kind: str) -> None:
        self.entries[path] = data
        self.kinds[path] = kind

    def file(self, original: Path, used_by: str, kind: str = "values") -> str:
        """The bundle path that replaces ``original``; carries it, or records it as required."""
        original = original.resolve()
        if original in self.sources:
            return self.sources[original]
        if original in self.required:
            self.required[original].used_by.append(used_by)
            return self.required[original].path
        reason = "a secret's fromFile" if kind == "secret" else secret_reason(original, self.marked)
        if reason is not None:
            path = self._free(f"{PROVIDED_DIR}/{self.relative(original)}", None)
            self.required[original] = _Required(path, original, kind, reason, [used_by])
            return path
        try:
            data = original.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"cannot read {display_path(original)}: {exc.strerror}",
                where=display_path(original),
                fix="check the file",
            ) from None
        path = self._free(f"values/{self.relative(original)}", data)
        self.add(path, data, "values")
        self.sources[original] = path
        return path

    def chart(self, packed: PackedChart, used_by: str, folder: str = "charts") -> str:
        wanted = f"{folder}/{archive_name(packed.chart)}"
        path = self._free(wanted, packed.data)
        if path not in self.charts:
            self.charts[path] = _Chart(path, packed)
            self.add(path, packed.data, "chart" if folder == "charts" else "extension")
        self.charts[path].used_by.append(used_by)
        return path

    # -- the platform's parts ---------------------------------------------------------------------
    def components(self, environments: Sequence[str] | None) -> None:
        for i, component in enumerate(self.platform.components):
            source = component.chart if isinstance(component.chart, str) else component.chart.model_dump()
            packed = pack_chart(source, base_dir=self.base, cache_dir=self.cache_dir)
            self.rewrites.charts[i] = self.chart(packed, component.name)
            for j, values in enumerate(component.values):
                self.rewrites.component_values[(i, j)] = self.file(values, component.name)
            for env, comp_env in component.environments.items():
                if environments is not None and env not in environments:
                    continue
                for j, values in enumerate(comp_env.values):
                    self.rewrites.component_env_values[(i, env, j)] = self.file(values, f"{component.name} ({env})")

    def environments(self, environments: Sequence[str] | None) -> None:
        for env, spec in self.platform.spec.environments.items():
            if environments is not None and env not in environments:
                continue
            for j, values in enumerate(spec.values):
                self.rewrites.environment_values[(env, j)] = self.file(values, f"environment {env}")

    def secrets(self) -> None:
        for name, decl in self.platform.spec.secrets.items():
            if decl.from_file is not None:
                self.rewrites.secret_files[name] = self.file(decl.from_file, f"secret {name}", kind="secret")

    def catalog(self) -> None:
        for k, entry in enumerate(self.platform.spec.extensions.catalog):
            folder = f"catalog/{k}"
            label = f"{entry if '://' in entry else self.relative(Path(entry))} (extension catalog)"
            if "://" in entry:
                self.chart(pack_chart(entry, base_dir=self.base, cache_dir=self.cache_dir), label, folder)
            else:
                catalog = Catalog([entry]).load()
                for problem in catalog.problems:
                    self.warnings.append(f"{label}: left out {problem.source}: {problem.message}")
                for ext in catalog.extensions:
                    chart = ext.chart
                    data = package_directory(chart.path) if chart.ref.source is ChartSource.DIRECTORY else None
                    packed = PackedChart(chart, data or chart.path.read_bytes(), describe_source(chart.ref, self.base))
                    self.chart(packed, label, folder)
            self.rewrites.catalog[k] = folder + "/"


def _stage(root: Path, entries: dict[str, bytes], required: list[_Required]) -> Path:
    for name, data in entries.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    # the deployer provides these; here the originals stand in, only to render the image list
    for req in required:
        link = root / req.path
        link.parent.mkdir(parents=True, exist_ok=True)
        if req.original.exists():
            link.symlink_to(req.original)
    return root / PLATFORM_FILE


def create_bundle(
    platform_file: Path,
    output: Path,
    *,
    environments: Sequence[str] = (),
    secret_files: Sequence[Path] = (),
    created: datetime.datetime | None = None,
    cache_dir: Path | None = None,
) -> BundleResult:
    """Write the bundle of ``platform_file`` to ``output``.

    ``environments`` limits the bundle to those (default: all the platform declares); ``secret_files``
    marks more values files as secrets, to be left out.

    Raises:
        ConfigError: the platform does not load or render, a chart cannot be packed or pulled, or an
            environment is unknown.
    """
    started = time.monotonic()
    when = creation_time(created)
    platform = load_platform(platform_file)
    for env in environments:
        platform.environment(env)
    chosen = list(dict.fromkeys(environments)) or None

    builder = _Builder(platform, secret_files, cache_dir)
    builder.environments(chosen)
    builder.components(chosen)
    builder.secrets()
    builder.catalog()
    builder.rewrites.keep_environments = chosen
    assert platform.source_path is not None
    text = rewrite_platform_text(platform.source_path.read_text(encoding="utf-8"), builder.rewrites)
    builder.add(PLATFORM_FILE, text.encode(), "platform")

    kept = chosen if chosen is not None else platform.environment_names
    listing = _list_images(builder, kept)
    manifest = _manifest(builder, platform, when, kept, listing)
    files = dict(builder.entries)
    files[MANIFEST_FILE] = manifest.to_json()
    files[SUMS_FILE] = format_sums({path: sha256_hex(data) for path, data in files.items()})
    root = f"{platform.prefixed(platform.name)}-bundle"
    archive = tar_gz_bytes({f"{root}/{path}": data for path, data in files.items()})

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_bytes(archive)
    os.replace(partial, output)
    return BundleResult(output, len(archive), sha256_hex(archive), time.monotonic() - started, manifest)


def _list_images(builder: _Builder, kept: Sequence[str]) -> ImageListing:
    """The images of the bundled platform, rendered from the staged bundle, into the image list file."""
    with tempfile.TemporaryDirectory(prefix="helmdeck-bundle-") as tmp:
        staged = load_platform(_stage(Path(tmp), builder.entries, list(builder.required.values())))
        listing = list_platform_images(staged, list(kept) or [None])
    builder.warnings += listing.warnings
    for image in listing.images:
        if ImageRef.parse(image.image).floating:
            builder.warnings.append(f"image {image.image} has no pinned tag: preload exactly the one you tested")
    builder.add(IMAGES_FILE, "".join(f"{i.image}\n" for i in listing.images).encode(), "images")
    return listing


def _manifest(
    builder: _Builder, platform: Platform, when: datetime.datetime, kept: Sequence[str], listing: ImageListing
) -> BundleManifest:
    return BundleManifest(
        helmdeck_version=__version__,
        platform=platform.name,
        instance=platform.instance,
        created=when.isoformat().replace("+00:00", "Z"),
        environments=tuple(kept),
        files=tuple(
            FileEntry(path, sha256_hex(data), len(data), builder.kinds[path])
            for path, data in sorted(builder.entries.items())
        ),
        charts=tuple(
            ChartEntry(
                c.packed.name, c.packed.version, c.packed.chart.digest, c.path, c.packed.source, tuple(c.used_by)
            )
            for c in sorted(builder.charts.values(), key=lambda c: c.path)
        ),
        images=tuple(listing.images),
        required=tuple(
            RequiredFile(r.path, builder.relative(r.original), r.kind, r.reason, tuple(r.used_by))
            for r in sorted(builder.required.values(), key=lambda r: r.path)
        ),
        warnings=tuple(builder.warnings),
    )
