"""Deploying from a bundle: verify it, extract it safely, put the provided secret files in place, and
check that its platform file reads nothing outside the extracted directory (but the files the
deployer provided); :func:`helmdeck.app.opening.open_platform` makes the session from it.

``provided`` entries are ``NAME=PATH`` or ``PATH``. NAME is a ``required`` path of ``bundle.json``
(``provided/secrets.yaml``), that path without ``provided/`` (``secrets.yaml``, as the platform file
named it) or its file name when no other required file shares it; a bare PATH matches by its file
name. Each is linked into the extracted bundle (not copied: secrets are not duplicated on disk).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path

from helmdeck.bundle.checksums import sha256_hex
from helmdeck.bundle.errors import BundleError, BundleProblem
from helmdeck.bundle.manifest import MANIFEST_FILE, PROVIDED_DIR, BundleManifest, RequiredFile
from helmdeck.bundle.tarball import ArchiveUnreadable, extract
from helmdeck.bundle.verify import verify_bundle
from helmdeck.errors import ConfigError
from helmdeck.spec import Platform


def open_bundle(file: Path, workdir: Path) -> Path:
    """Verify ``file``, extract it below ``workdir`` (created, or empty) and return its platform file.

    Raises:
        BundleError: a checksum differs, a file is missing or unlisted, or a name is unsafe; every
            such file is named. Nothing is extracted then.
    """
    result = verify_bundle(file)
    result.raise_for_problems()
    assert result.root is not None and result.manifest is not None
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise ConfigError(f"{workdir} is not empty", where=str(workdir), fix="extract bundles into an empty directory")
    try:
        extract(file, workdir, {f"{result.root}/{name}" for name in result.files})
    except ArchiveUnreadable as exc:
        raise BundleError(str(file), [BundleProblem(file.name, str(exc))]) from None
    # the file was read twice: what was extracted must be what was verified
    root = workdir / result.root
    changed = [
        BundleProblem(name, "changed while it was being extracted")
        for name, member in sorted(result.files.items())
        if sha256_hex((root / name).read_bytes()) != member.sha256
    ]
    if changed:
        raise BundleError(str(file), changed)
    return root / result.manifest.platform_file


def bundle_manifest(platform_file: Path) -> BundleManifest:
    """The manifest beside an extracted bundle's platform file."""
    path = platform_file.parent / MANIFEST_FILE
    return BundleManifest.from_json(path.read_bytes(), bundle=str(platform_file.parent))


def _names_of(req: RequiredFile) -> list[str]:
    return [req.path, req.path.removeprefix(PROVIDED_DIR + "/"), posixpath.basename(req.path)]


def match_provided(required: Sequence[RequiredFile], provided: Sequence[str]) -> dict[str, Path]:
    """Which given file stands for which required one: ``{bundle path: local file}``.

    Raises:
        ConfigError: an entry matches no required file, or matches several.
    """
    out: dict[str, Path] = {}
    for item in provided:
        name, eq, local = item.partition("=")
        if not eq:
            name, local = Path(item).name, item
        matches = [r for r in required if name in _names_of(r)]
        known = ", ".join(r.path.removeprefix(PROVIDED_DIR + "/") for r in required) or "none"
        if len(matches) != 1:
            raise ConfigError(
                f"--provide {item}: "
                + (f"'{name}' names several required files" if matches else f"the bundle requires no file '{name}'"),
                fix=f"write NAME=PATH with NAME one of the bundle's required files: {known}",
            )
        path = Path(local).expanduser()
        if not path.is_file():
            raise ConfigError(f"--provide {item}: {local} does not exist", where=local, fix="name an existing file")
        out[matches[0].path] = path.resolve()
    return out


def provide_files(platform_file: Path, provided: Sequence[str]) -> list[str]:
    """Link the provided files into the extracted bundle; returns the required files still missing.

    Raises:
        ConfigError: a required values file was not provided (the platform cannot load without it),
            naming every one and the flag to give.
    """
    root = platform_file.parent
    manifest = bundle_manifest(platform_file)
    for bundle_path, local in match_provided(manifest.required, provided).items():
        link = root / bundle_path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(local)
    missing = [r for r in manifest.required if not (root / r.path).exists()]
    needed = [r for r in missing if r.kind == "values"]
    if needed:
        listing = ", ".join(f"{r.source} (used by {', '.join(r.used_by)})" for r in needed)
        example = needed[0].path.removeprefix(PROVIDED_DIR + "/")
        raise ConfigError(
            f"the bundle leaves out secret files the platform needs: {listing}",
            where=str(root / MANIFEST_FILE),
            fix=f"provide each at deploy time, e.g. --provide {example}=/secure/path/{posixpath.basename(example)}",
        )
    return [r.path for r in missing]


def _local_paths(platform: Platform) -> list[tuple[str, Path]]:
    """Every local file or directory the platform file makes helmdeck read, with what names it."""
    out: list[tuple[str, Path]] = []
    for c in platform.components:
        if c.chart_path is not None:
            out.append((f"component {c.name}: chart", c.chart_path))
        out += [(f"component {c.name}: values", p) for p in c.values]
        for env, comp_env in c.environments.items():
            out += [(f"component {c.name} ({env}): values", p) for p in comp_env.values]
    for env, spec in platform.spec.environments.items():
        out += [(f"environment {env}: values", p) for p in spec.values]
    for name, decl in platform.spec.secrets.items():
        if decl.from_file is not None:
            out.append((f"secret {name}: fromFile", decl.from_file))
    out += [("extension catalog", Path(e)) for e in platform.spec.extensions.catalog if "://" not in e]
    return out


def check_contained(platform: Platform, root: Path, required: Sequence[RequiredFile]) -> None:
    """Refuse a bundled platform file that points outside its bundle (but at the provided files).

    Raises:
        ConfigError: naming each reference that leaves the bundle.
    """
    base = root.resolve()
    provided = {(root / r.path).resolve() for r in required if (root / r.path).exists()}
    outside = [
        f"{what} {path}"
        for what, path in _local_paths(platform)
        if not path.resolve().is_relative_to(base) and path.resolve() not in provided
    ]
    if outside:
        raise ConfigError(
            "the bundle's platform file reads files outside the bundle: " + "; ".join(outside),
            where=str(platform.source_path or root),
            fix="rebuild the bundle with `helmdeck bundle --out-file FILE`; a bundle's platform file only names "
            "its own files",
        )
