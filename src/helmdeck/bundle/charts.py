"""Charts as bundle archives: whatever a reference names becomes one ``.tgz`` inside the bundle.

* a chart directory is packaged the way ``helm package`` does (``.helmignore`` honoured, the
  subcharts of ``charts/`` inside), then rewritten deterministically so the archive depends on the
  chart's content only;
* a local ``.tgz`` is carried byte for byte;
* an ``oci://`` or repository chart is pulled (through helmdeck's chart cache) and carried as pulled.

Dependencies are carried as ``charts/`` holds them, pinned by ``Chart.lock``: a bundle never
resolves dependencies itself, so what was tested is what ships. A chart missing one fails with the
fix (``helmdeck deps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helmdeck.bundle.checksums import sha256_hex
from helmdeck.bundle.tarball import normalized_archive
from helmdeck.engine import ChartRef, ChartSource, LoadedChart, load_chart
from helmdeck.engine.helm_text import HelmParseError, package_chart
from helmdeck.errors import ConfigError


@dataclass(frozen=True)
class PackedChart:
    """A chart ready to go into a bundle."""

    chart: LoadedChart
    data: bytes
    source: str

    @property
    def name(self) -> str:
        return self.chart.name

    @property
    def version(self) -> str:
        return self.chart.version

    @property
    def sha256(self) -> str:
        return sha256_hex(self.data)


def package_directory(path: Path) -> bytes:
    """The chart directory ``path`` as a deterministic ``.tgz`` (Helm's packaging, fixed metadata)."""
    try:
        raw = package_chart(path)
    except HelmParseError as exc:
        raise ConfigError(f"cannot package chart {path}: {exc}", where=str(path)) from None
    return normalized_archive(raw)


def describe_source(ref: ChartRef, base_dir: Path) -> str:
    """The reference as the platform file wrote it (relative to its directory when local)."""
    if ref.is_remote:
        return str(ref)
    location = Path(ref.location)
    try:
        return location.resolve().relative_to(base_dir.resolve()).as_posix()
    except ValueError:
        return location.name


def pack_chart(reference: str | Mapping[str, Any], *, base_dir: Path, cache_dir: Path | None = None) -> PackedChart:
    """Load (pulling when remote) and pack one chart reference of a platform file."""
    chart = load_chart(reference, base_dir=base_dir, cache_dir=cache_dir)
    directory = chart.ref.source is ChartSource.DIRECTORY
    data = package_directory(chart.path) if directory else chart.path.read_bytes()
    return PackedChart(chart, data, describe_source(chart.ref, base_dir))


def archive_name(chart: LoadedChart) -> str:
    return f"{chart.name}-{chart.version}.tgz"
