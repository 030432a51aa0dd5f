"""Loading charts (directory, ``.tgz``, ``oci://``, repository) into :class:`LoadedChart` values.

A platform often uses one chart for many components, and ``validate``/``plan``/``deploy`` load the
same charts again, so loaded charts are cached by path and content fingerprint (file paths, sizes
and modification times).

Each LoadedChart keeps a snapshot of the chart as a ``.tgz`` in memory: every native handle used for
rendering or installing is made from that snapshot, so what was validated is what gets installed even
if files change in between. Helm's dependency processing removes disabled subcharts from the chart
it is given (measured with helm_python 0.2.2: after one render with ``sub.enabled: false``, later
renders never include ``sub`` again), so a native handle is shared only for charts without
dependencies; charts with dependencies get a fresh handle per render or install.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tarfile
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python

from helmdeck.engine import contained
from helmdeck.engine.refs import ChartRef, RepositoryCredentials
from helmdeck.engine.remote import fetch_chart
from helmdeck.engine.sdk_errors import chart_error
from helmdeck.errors import ConfigError
from helmdeck.spec.user_files import check_yaml_limits
from helmdeck.yaml_limits import check_yaml_size, check_yaml_structure

#: a chart archive, or a subchart's inside it (the largest public charts are a few MiB)
MAX_CHART_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ChartDependency:
    """A dependency declared in Chart.yaml, and whether its chart is present in ``charts/``."""

    name: str
    version: str | None
    repository: str | None
    alias: str | None = None
    condition: str | None = None
    tags: tuple[str, ...] = ()
    present: bool = True


@dataclass(frozen=True)
class ChartFile:
    name: str
    data: str


class _Snapshot:
    """Native chart handles made from an in-memory archive; see the module docstring."""

    def __init__(self, archive: bytes, shareable: bool) -> None:
        self._archive = archive
        self._shareable = shareable
        self._shared: helm_python.Chart | None = None
        self._lock = threading.Lock()

    @property
    def archive(self) -> bytes:
        return self._archive

    @contextlib.contextmanager
    def handle(self, *, exclusive: bool = False) -> Iterator[helm_python.Chart]:
        if self._shareable and not exclusive:
            with self._lock:
                if self._shared is None:
                    self._shared = helm_python.Chart.load_archive(self._archive)
                shared = self._shared
            yield shared
            return
        with helm_python.Chart.load_archive(self._archive) as fresh:
            yield fresh


@dataclass(frozen=True, eq=False)
class LoadedChart:
    """A chart ready to render or install: its metadata, defaults, schema and a content digest.

    ``digest`` (``sha256:...``) hashes the chart's files by name and content (not timestamps), so it
    changes exactly when the chart does, whichever form (directory or archive) it was loaded from.
    """

    ref: ChartRef
    path: Path
    metadata: Mapping[str, Any]
    default_values: Mapping[str, Any]
    values_schema: Mapping[str, Any] | None
    dependencies: tuple[ChartDependency, ...]
    crds: tuple[ChartFile, ...]
    digest: str
    _snapshot: _Snapshot = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    @property
    def app_version(self) -> str | None:
        value = self.metadata.get("appVersion")
        return str(value) if value is not None else None

    @property
    def kube_version(self) -> str | None:
        """The Kubernetes version constraint of Chart.yaml ``kubeVersion``."""
        value = self.metadata.get("kubeVersion")
        return str(value) if value else None

    @property
    def description(self) -> str:
        return str(self.metadata.get("description", ""))

    @property
    def type(self) -> str:
        return str(self.metadata.get("type") or "application")

    @property
    def keywords(self) -> tuple[str, ...]:
        raw = self.metadata.get("keywords")
        return tuple(str(k) for k in raw if k is not None) if isinstance(raw, list) else ()

    @property
    def annotations(self) -> dict[str, str]:
        raw = self.metadata.get("annotations")
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}

    @property
    def archive(self) -> bytes:
        """The chart as a ``.tgz``: what every render and install of it is made from."""
        return self._snapshot.archive

    def handle(self, *, exclusive: bool = False) -> contextlib.AbstractContextManager[helm_python.Chart]:
        """A native handle for one operation; ``exclusive`` for operations that may change it."""
        return self._snapshot.handle(exclusive=exclusive)

    def __str__(self) -> str:
        return f"{self.name}-{self.version}"


def _archive_digest(archive: bytes) -> str:
    entries: list[tuple[str, str]] = []
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            extracted = tar.extractfile(member)
            content = extracted.read() if extracted is not None else b""
            entries.append((member.name, hashlib.sha256(content).hexdigest()))
    digest = hashlib.sha256()
    for name, content_hash in sorted(entries):
        digest.update(f"{name}\0{content_hash}\n".encode())
    return f"sha256:{digest.hexdigest()}"


def _dependencies(metadata: Mapping[str, Any], loaded: list[dict[str, Any]]) -> tuple[ChartDependency, ...]:
    present = {str(d.get("name")) for d in loaded}
    result: list[ChartDependency] = []
    for dep in metadata.get("dependencies") or []:
        if not isinstance(dep, Mapping):
            continue
        tags = dep.get("tags")
        result.append(
            ChartDependency(
                name=str(dep.get("name", "")),
                version=str(dep["version"]) if dep.get("version") else None,
                repository=str(dep["repository"]) if dep.get("repository") else None,
                alias=str(dep["alias"]) if dep.get("alias") else None,
                condition=str(dep["condition"]) if dep.get("condition") else None,
                tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
                present=str(dep.get("name", "")) in present,
            )
        )
    return tuple(result)


def chart_values_text(chart: Path) -> str:
    """values.yaml of a chart directory or archive ("" when absent or unreadable)."""
    try:
        if chart.is_dir():
            file = chart / "values.yaml"
            return file.read_text(encoding="utf-8") if file.is_file() else ""
        with tarfile.open(chart, "r:*") as archive:
            return _archive_values_text(archive)
    except (OSError, tarfile.TarError, UnicodeDecodeError):
        return ""


def _archive_values_text(archive: tarfile.TarFile) -> str:
    for member in archive.getmembers():
        parts = member.name.split("/")
        if len(parts) == 2 and parts[1] == "values.yaml" and member.isfile():
            handle = archive.extractfile(member)
            return handle.read().decode("utf-8") if handle else ""
    return ""


#: files Helm parses as YAML when it loads a chart, in the chart and in every subchart
_HELM_YAML = frozenset({"Chart.yaml", "values.yaml", "requirements.yaml", "requirements.lock", "Chart.lock"})
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
#: subcharts inside subcharts inside ... the chart
_MAX_CHART_NESTING = 10


def _read_by_helm(parts: tuple[str, ...]) -> bool:
    """Whether Helm (at load or install) or helmdeck parses this chart file as YAML: the metadata and
    values of the chart and its subcharts, and CRDs (which Helm applies without templating)."""
    if not parts:
        return False
    return parts[-1] in _HELM_YAML or (len(parts) >= 2 and parts[-2] == "crds" and parts[-1].endswith(_YAML_SUFFIXES))


def _check_text(data: bytes, shown: str, *, top_values: bool) -> None:
    check_yaml_size(len(data), shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # Helm's loader reports it, naming the file
    if top_values:
        check_yaml_limits(text, shown)  # the chart's own defaults are read by helmdeck too: no duplicate keys
    else:
        check_yaml_structure(text, shown)


def _check_archive_yaml(archive: bytes, shown: str, nesting: int = 0) -> None:
    if nesting > _MAX_CHART_NESTING:
        raise ConfigError(f"{shown}: subcharts nested more than {_MAX_CHART_NESTING} deep", where=shown)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            for member in tar:
                parts = tuple(p for p in member.name.split("/") if p not in ("", "."))[1:]
                if not member.isfile() or not parts:
                    continue
                nested = len(parts) >= 2 and parts[-2] == "charts" and parts[-1].endswith(".tgz")
                if not (nested or _read_by_helm(parts)):
                    continue
                if nested:
                    check_chart_size(member.size, f"{shown}:{member.name}")
                else:
                    check_yaml_size(member.size, f"{shown}:{member.name}")
                handle = tar.extractfile(member)
                data = handle.read() if handle is not None else b""
                if nested:
                    _check_archive_yaml(data, f"{shown}:{member.name}", nesting + 1)
                else:
                    _check_text(data, f"{shown}:{member.name}", top_values=parts == ("values.yaml",) and nesting == 0)
    except (OSError, tarfile.TarError, EOFError):
        return  # not an archive: Helm's loader says so, naming the file


def check_chart_size(size: int, shown: str) -> None:
    if size > MAX_CHART_BYTES:
        raise ConfigError(
            f"{shown} is {size // (1024 * 1024)} MiB; a chart archive may be at most "
            f"{MAX_CHART_BYTES // (1024 * 1024)} MiB",
            where=shown,
            fix="check that this is the chart you meant",
        )


def check_chart_yaml(path: Path) -> None:
    """Apply the YAML limits (:mod:`helmdeck.yaml_limits`) to every file of a chart directory or
    archive that Helm or helmdeck parses as YAML, subcharts' included, before Helm loads the chart:
    Helm reads them in Go, where nothing of helmdeck's would stop an expansion or a deep nesting."""
    if not path.is_dir():
        with contextlib.suppress(OSError):
            check_chart_size(path.stat().st_size, str(path))
            _check_archive_yaml(path.read_bytes(), str(path))
        return
    for root, dirs, files in os.walk(path):
        dirs.sort()
        relative = Path(root).relative_to(path).parts
        for name in sorted(files):
            parts = (*relative, name)
            file = Path(root, name)
            shown = str(file)
            nested = len(parts) >= 2 and parts[-2] == "charts" and name.endswith(".tgz")
            if not (nested or _read_by_helm(parts)) or not file.is_file():
                continue
            try:
                size = file.stat().st_size
                if nested:
                    check_chart_size(size, shown)
                    _check_archive_yaml(file.read_bytes(), shown)
                else:
                    check_yaml_size(size, shown)
                    _check_text(file.read_bytes(), shown, top_values=parts == ("values.yaml",))
            except OSError:
                continue  # Helm's loader reports unreadable files


def _load_local(ref: ChartRef, path: Path) -> LoadedChart:
    check_chart_yaml(path)
    try:
        with helm_python.Chart.load(path) as chart, tempfile.TemporaryDirectory(prefix="helmdeck-") as tmp:
            archive = Path(chart.save(tmp)).read_bytes()
            metadata = chart.metadata
            loaded_deps = chart.dependencies
            values = chart.values
            schema = chart.schema
            crds = tuple(ChartFile(str(c.get("filename") or c.get("name")), str(c["data"])) for c in chart.crds)
    except helm_python.HelmError as exc:
        raise chart_error(exc, ref=str(ref)) from None
    dependencies = _dependencies(metadata, loaded_deps)
    missing = [d for d in dependencies if not d.present]
    if missing:
        names = ", ".join(f"{d.name} {d.version or ''}".strip() for d in missing)
        raise ConfigError(
            f"chart {metadata.get('name')} declares dependencies that are not in its charts/ directory: {names}",
            where=str(path),
            fix="build them with `helmdeck deps` (or `helm dependency build`)",
        )
    if metadata.get("type") == "library":
        raise ConfigError(
            f"chart {metadata.get('name')} is a library chart, which cannot be installed",
            where=str(path),
            fix="use an application chart that depends on it",
        )
    return LoadedChart(
        ref=ref,
        path=path,
        metadata=metadata,
        default_values=values,
        values_schema=schema,
        dependencies=dependencies,
        crds=crds,
        digest=_archive_digest(archive),
        _snapshot=_Snapshot(archive, shareable=not dependencies),
    )


def _fingerprint(path: Path) -> tuple[Any, ...]:
    """Cheap identity of a chart's content on disk: every file's path, size and mtime."""
    if path.is_file():
        stat = path.stat()
        return (stat.st_size, stat.st_mtime_ns)
    entries: list[tuple[str, int, int]] = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            with contextlib.suppress(OSError):
                stat = os.stat(full)
                entries.append((os.path.relpath(full, path), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


class ChartCache:
    """Loaded charts keyed by resolved path and fingerprint; safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._charts: dict[str, tuple[tuple[Any, ...], LoadedChart]] = {}

    def load(self, ref: ChartRef, path: Path) -> LoadedChart:
        key = str(path.resolve())
        fingerprint = _fingerprint(path)
        with self._lock:
            cached = self._charts.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        chart = _load_local(ref, path)
        with self._lock:
            self._charts[key] = (fingerprint, chart)
        return chart

    def clear(self) -> None:
        with self._lock:
            self._charts.clear()


_default_cache = ChartCache()


def default_cache_dir() -> Path:
    """Where pulled charts are kept: ``$HELMDECK_CACHE_DIR`` or ``$XDG_CACHE_HOME/helmdeck/charts``."""
    if os.environ.get("HELMDECK_CACHE_DIR"):
        return Path(os.environ["HELMDECK_CACHE_DIR"]) / "charts"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "helmdeck" / "charts"


def load_chart(
    ref: ChartRef | str | Mapping[str, Any] | os.PathLike[str],
    *,
    base_dir: Path | None = None,
    cache_dir: Path | None = None,
    credentials: RepositoryCredentials | None = None,
    cache: ChartCache | None = None,
) -> LoadedChart:
    """Load a chart from a directory, a ``.tgz``, an ``oci://`` reference or a repository.

    Remote charts are pulled once into ``cache_dir`` (default :func:`default_cache_dir`), keyed by
    repository, name and version; a reference without a version is pulled every time.

    Raises:
        ConfigError: the chart does not exist, cannot be fetched, is not a valid chart, or lacks
            dependencies it declares.
    """
    chart_ref = ChartRef.parse(ref, base_dir=base_dir)
    if chart_ref.is_remote:
        path = fetch_chart(chart_ref, cache_dir or default_cache_dir(), credentials)
    else:
        path = Path(chart_ref.location)
        if not path.exists():
            raise ConfigError(
                f"chart {chart_ref.location} does not exist",
                where=chart_ref.location,
                fix="check the component's chart path (relative paths are resolved from the platform file's directory)",
            )
    contained.prestart()  # a render follows most loads; its worker starts while the chart loads
    return (cache or _default_cache).load(chart_ref, path)


#: a template action calling ``lookup`` (the word inside ``{{ ... }}``, not in text or comments around it)
LOOKUP_CALL = re.compile(r"\{\{(?:(?!\}\}).)*?\blookup\b", re.DOTALL)


def _templates_match(chart: LoadedChart, pattern: re.Pattern[str]) -> bool:
    with tarfile.open(fileobj=io.BytesIO(chart._snapshot._archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not ("/templates/" in member.name or member.name.endswith(".tpl")):
                continue
            handle = tar.extractfile(member)
            if handle is not None and pattern.search(handle.read().decode("utf-8", errors="replace")):
                return True
    return False


def calls_lookup(chart: LoadedChart) -> bool:
    """Whether a template of the chart (or a bundled subchart) calls ``lookup``: then what it renders
    without a cluster (plan, validate) can differ from what it installs (bitnami charts keep an
    existing password that way)."""
    return _templates_match(chart, LOOKUP_CALL)
