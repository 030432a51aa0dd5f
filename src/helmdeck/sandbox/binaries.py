"""Where the sandbox's Go-built binaries live: the cache directories that ``tools/build.sh`` fills.

Both sides key a module's directory by its version and a digest of its go.mod and go.sum, so a
checkout finds exactly the binaries built from its own pins.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from helmdeck.errors import SandboxError

MODULE_BINARIES: dict[str, tuple[str, ...]] = {
    "kube": ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"),
    "etcd": ("etcd",),
    "kwok": ("kwok", "kwokctl"),
    "helm": ("helm",),
}
#: built only when named (``tools/build.sh helmfile``): benchmark baselines the sandbox does not need
OPTIONAL_MODULE_BINARIES: dict[str, tuple[str, ...]] = {"helmfile": ("helmfile",)}
_VERSION_KEYS = {
    "kube": "KUBE_VERSION",
    "etcd": "ETCD_VERSION",
    "kwok": "KWOK_VERSION",
    "helm": "HELM_VERSION",
    "helmfile": "HELMFILE_VERSION",
}


def cache_root() -> Path:
    explicit = os.environ.get("HELMDECK_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "helmdeck"


def tools_dir() -> Path:
    """The ``tools/`` folder of the source tree helmdeck runs from (or ``HELMDECK_TOOLS_DIR``)."""
    explicit = os.environ.get("HELMDECK_TOOLS_DIR")
    if explicit:
        return Path(explicit)
    # src/helmdeck/sandbox/binaries.py -> repository root
    return Path(__file__).resolve().parents[3] / "tools"


def read_versions(tools: Path) -> dict[str, str]:
    versions: dict[str, str] = {}
    path = tools / "versions.env"
    try:
        text = path.read_text()
    except OSError as exc:
        raise SandboxError(
            f"cannot read the sandbox tool versions: {exc.strerror}",
            where=str(path),
            fix="run helmdeck from a source checkout, or set HELMDECK_TOOLS_DIR to its tools/ folder",
        ) from exc
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            versions[key.strip()] = value.strip()
    return versions


@dataclass(frozen=True)
class SandboxBinaries:
    """Absolute paths of every binary the sandbox runs, and the Kubernetes version they carry."""

    paths: dict[str, Path]
    kube_version: str

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]


def module_dir(module: str, tools: Path | None = None) -> Path:
    tools = tools or tools_dir()
    versions = read_versions(tools)
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((tools / module / name).read_bytes())
    return cache_root() / "go-bin" / f"{module}-{versions[_VERSION_KEYS[module]]}-{digest.hexdigest()[:12]}"


def locate() -> SandboxBinaries:
    """Find the built binaries, or say which are missing and how to build them."""
    tools = tools_dir()
    versions = read_versions(tools)
    paths: dict[str, Path] = {}
    missing: list[str] = []
    for module, names in MODULE_BINARIES.items():
        directory = module_dir(module, tools)
        complete = (directory / ".complete").exists()
        for name in names:
            path = directory / name
            if complete and path.exists():
                paths[name] = path
            else:
                missing.append(f"{name} ({module} {versions[_VERSION_KEYS[module]]})")
    if missing:
        raise SandboxError(
            "the sandbox binaries are not built: " + ", ".join(missing),
            where=str(cache_root() / "go-bin"),
            fix=f"run {tools / 'build.sh'} (a cold build takes about 20-30 minutes on 2 cores; "
            "later runs reuse the cache)",
        )
    return SandboxBinaries(paths=paths, kube_version=versions["KUBE_VERSION"])


def optional_binary(module: str, name: str | None = None) -> Path | None:
    """A binary of an optional module (:data:`OPTIONAL_MODULE_BINARIES`), or None when it is not
    built (``tools/build.sh MODULE`` builds it)."""
    directory = module_dir(module)
    path = directory / (name or OPTIONAL_MODULE_BINARIES[module][0])
    return path if (directory / ".complete").exists() and path.exists() else None
