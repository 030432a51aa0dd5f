"""Uploading an extension chart (``.tgz``) into the platform's upload catalog directory.

An upload is untrusted. It is checked in this order, and the first failure rejects it:

1. a ``.tgz`` name and at most ``max_archive_bytes``;
2. the gzip stream decompressed in chunks with a hard limit (a decompression bomb stops at the
   limit, not at the end of the bomb);
3. every tar member inspected before anything is written: no absolute paths, no ``..``, no links
   (symbolic or hard), devices, FIFOs or other special members, at most ``max_members`` members and
   ``max_unpacked_bytes`` in all, everything inside one top-level directory;
4. regular files written by this module (never ``tarfile.extract``) into a fresh temporary
   directory beside the upload directory;
5. a valid ``Chart.yaml`` (``apiVersion: v2``, or ``v1`` as Kaapana's charts are, a name matching
   the top directory, a SemVer version), a chart Helm loads, and valid extension metadata;
6. no template calls ``lookup`` (it would read the live cluster when Helm installs the chart);
7. the chart renders with its defaults, and what it renders stays in the extensions namespace,
   and has no cluster-scoped objects (ClusterRole, ClusterRoleBinding, CRDs, webhooks, ...) nor
   bindings to ``cluster-admin``, unless the policy allows cluster-scoped objects.

Every install checks again (:func:`check_install`) with the actual parameters, since values can
template a namespace or switch objects on.

Only then is the chart moved (one ``rename``) to ``<upload dir>/<name>-<version>``. A rejected
upload raises :class:`UploadRejected` with the reason, and the temporary directory is removed: nothing
is left behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import yaml

from helmdeck.engine import load_chart
from helmdeck.engine.charts import LOOKUP_CALL, ChartCache, check_chart_yaml
from helmdeck.engine.render import RenderedRelease, render
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.extensions.catalog import Extension, extension_from_chart
from helmdeck.extensions.requirements import is_version
from helmdeck.manifests.scopes import ScopeResolver
from helmdeck.serialize import JsonObject

MiB = 1024 * 1024
_CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CHUNK = 64 * 1024
_TAR_OVERHEAD = 1024  # a tar header per member, plus end-of-archive blocks


class UploadRejected(HelmdeckError):
    """The uploaded chart was refused; ``message`` says why, and nothing was kept."""


@dataclass(frozen=True)
class UploadPolicy:
    admin_namespace: str
    extensions_namespace: str
    max_archive_bytes: int = 5 * MiB
    max_unpacked_bytes: int = 20 * MiB
    max_members: int = 1000
    allow_cluster_scoped: bool = False


@dataclass(frozen=True)
class UploadResult(JsonObject):
    extension: Extension
    path: Path

    __json_order__ = ("path", "extension")


def _reject(message: str, fix: str | None = None) -> UploadRejected:
    return UploadRejected(message, where="upload", fix=fix)


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress gzip ``data`` (one or more members), refusing to produce more than ``limit`` bytes."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while not inflater.eof:
            if pos >= len(data):
                raise _reject("the archive is truncated", fix="upload the complete .tgz made by 'helm package'")
            pending = data[pos : pos + _CHUNK]
            pos += len(pending)
            while pending and not inflater.eof:
                try:
                    out += inflater.decompress(pending, limit + 1 - len(out))
                except zlib.error:
                    raise _reject(
                        "the file is not gzip-compressed", fix="upload a .tgz made by 'helm package'"
                    ) from None
                if len(out) > limit:
                    raise _reject(
                        f"the archive unpacks to more than {limit // MiB} MiB "
                        "(a decompression bomb, or a chart far too large)",
                        fix="keep charts small: leave data and images out of them",
                    )
                pending = inflater.unconsumed_tail
        pos -= len(inflater.unused_data)
        if not any(data[pos:]):
            break  # zero padding some tools leave after the last member
    return bytes(out)


def _check_member(member: tarfile.TarInfo) -> PurePosixPath:
    name = member.name
    if "\x00" in name or "\\" in name:
        raise _reject(f"member {name!r} has a forbidden character in its name")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/"):
        raise _reject(f"member {name!r} has an absolute path", fix="package the chart with 'helm package'")
    if any(part == ".." for part in path.parts):
        raise _reject(f"member {name!r} points outside the chart ('..')", fix="package the chart with 'helm package'")
    if member.issym() or member.islnk():
        kind = "symbolic link" if member.issym() else "hard link"
        raise _reject(f"member {name!r} is a {kind} (to {member.linkname!r})", fix="charts hold regular files only")
    if not (member.isfile() or member.isdir()):
        raise _reject(f"member {name!r} is a device, FIFO or other special file", fix="charts hold regular files only")
    return path


def _inspect(tar_bytes: bytes, policy: UploadPolicy) -> tuple[str, list[tuple[PurePosixPath, tarfile.TarInfo]]]:
    members: list[tuple[PurePosixPath, tarfile.TarInfo]] = []
    total = 0
    top: set[str] = set()
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
            for member in tar:
                if len(members) >= policy.max_members:
                    raise _reject(f"the archive has more than {policy.max_members} members")
                path = _check_member(member)
                total += member.size
                if total > policy.max_unpacked_bytes:
                    raise _reject(f"the archive's files add up to more than {policy.max_unpacked_bytes // MiB} MiB")
                parts = [p for p in path.parts if p not in ("", ".")]
                if not parts:
                    continue
                top.add(parts[0])
                members.append((PurePosixPath(*parts), member))
    except tarfile.TarError as exc:
        raise _reject(f"the file is not a tar archive: {exc}", fix="upload a .tgz made by 'helm package'") from None
    if len(top) != 1:
        raise _reject(
            "the archive must hold one chart directory" + (f", it holds {', '.join(sorted(top))}" if top else ""),
            fix="package one chart with 'helm package CHART_DIR'",
        )
    return top.pop(), members


def _write_members(tar_bytes: bytes, members: list[tuple[PurePosixPath, tarfile.TarInfo]], dest: Path) -> None:
    seen: set[PurePosixPath] = set()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
        for path, member in members:
            target = dest.joinpath(*path.parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if path in seen:
                raise _reject(f"member {member.name!r} appears twice")
            seen.add(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                raise _reject(f"member {member.name!r} cannot be read")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(target, flags, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out)


def _check_chart_yaml(chart_dir: Path, top: str) -> tuple[str, str]:
    chart_file = chart_dir / "Chart.yaml"
    if not chart_file.is_file():
        raise _reject(f"the archive has no {top}/Chart.yaml", fix="upload a Helm chart packaged with 'helm package'")
    try:
        check_chart_yaml(chart_dir)  # before anything, ours or Helm's, parses a file of it
    except ConfigError as exc:
        shown = exc.message.replace(f"{chart_dir.parent}/", "")  # the server's directory is not the user's business
        raise _reject(shown, fix=exc.fix) from None
    try:
        meta = yaml.safe_load(chart_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _reject(f"{top}/Chart.yaml is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise _reject(f"{top}/Chart.yaml is not a mapping")
    # v1 too: Kaapana's extension charts are v1 charts, which Helm 3 installs as they are
    if meta.get("apiVersion") not in ("v1", "v2"):
        raise _reject(
            f"{top}/Chart.yaml: apiVersion is {meta.get('apiVersion')!r}", fix="write apiVersion: v2 (v1 is taken too)"
        )
    name, version = meta.get("name"), meta.get("version")
    if not isinstance(name, str) or not _CHART_NAME.match(name):
        raise _reject(
            f"{top}/Chart.yaml: name {name!r} is not a valid chart name", fix="use lowercase letters, digits, -"
        )
    if name != top:
        raise _reject(
            f"{top}/Chart.yaml names the chart {name!r}, not {top!r}", fix="the top directory is the chart name"
        )
    if not isinstance(version, str) or not is_version(version):
        raise _reject(f"{top}/Chart.yaml: version {version!r} is not SemVer", fix="write a version such as 0.1.0")
    if meta.get("type") == "library":
        raise _reject(f"chart {name} is a library chart, which cannot be installed")
    return name, version


def check_rendered(extension: Extension, policy: UploadPolicy) -> None:
    """Render with the chart's defaults and refuse objects outside the extension's reach."""
    try:
        rendered = render(extension.chart, None, extension.name, policy.extensions_namespace, component=extension.name)
    except HelmdeckError as exc:
        raise _reject(f"chart {extension.name} does not render with its defaults: {exc.message}", fix=exc.fix) from None
    check_objects(rendered, policy)


def check_objects(rendered: RenderedRelease, policy: UploadPolicy, *, when: str = "") -> None:
    """The upload policy on what a chart renders (with its defaults at upload, with the actual
    parameters at every install): objects only in the extensions namespace, nothing cluster-scoped
    unless allowed, no binding to cluster-admin."""
    scopes = ScopeResolver()
    for obj in rendered.crds:
        scopes.learn_crd(dict(obj.body))
    for obj in rendered.objects:
        what = f"{obj.kind} {obj.name} ({obj.source}){when}"
        namespace = obj.metadata.get("namespace")
        if not scopes.is_namespaced(obj.group, obj.kind):
            if not policy.allow_cluster_scoped:
                raise _reject(
                    f"{what} is cluster-scoped; extensions may only create objects in namespaces",
                    fix="drop it from the chart, or have an admin allow cluster-scoped objects for this catalog",
                )
            continue
        if namespace not in (None, "", policy.extensions_namespace):
            raise _reject(
                f"{what} goes into namespace {namespace}; an uploaded extension may only create objects in "
                f"the extensions namespace {policy.extensions_namespace}",
                fix=f"leave metadata.namespace out (the release namespace {policy.extensions_namespace} is used)",
            )
        if obj.kind in ("RoleBinding", "ClusterRoleBinding") and not policy.allow_cluster_scoped:
            ref = obj.body.get("roleRef")
            if isinstance(ref, dict) and ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
                raise _reject(f"{what} grants cluster-admin", fix="grant a Role with only what the extension needs")


# `lookup` inside a template action: the only way a template reads the live cluster


def uses_lookup(chart_dir: Path) -> str | None:
    """The first template (of the chart or a bundled subchart) calling ``lookup``, if any.

    helmdeck checks what a chart renders without cluster access, where ``lookup`` returns
    nothing; at install Helm renders again with the cluster at hand, and ``lookup`` could then copy
    any Secret the installer may read (the platform's own secrets) into the extension's objects.
    """
    for path in sorted(chart_dir.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(chart_dir)
        if "templates" not in relative.parts and path.suffix != ".tpl":
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if LOOKUP_CALL.search(text):
            return str(relative)
    return None


def _check_no_lookup(chart_dir: Path, name: str) -> None:
    template = uses_lookup(chart_dir)
    if template is not None:
        raise _reject(
            f"chart {name} calls `lookup` in {template}: an uploaded extension may not read the cluster "
            "while it is installed",
            fix="pass what the chart needs as parameters instead of looking it up",
        )


def _policy_file(chart_dir: Path) -> Path:
    return chart_dir.with_name(chart_dir.name + ".policy.json")


def accepted_policy(chart_dir: Path, policy: UploadPolicy) -> UploadPolicy:
    """The policy an upload was accepted under (an admin may have allowed cluster-scoped objects)."""
    try:
        recorded = json.loads(_policy_file(chart_dir).read_text())
    except (OSError, ValueError):
        return policy
    return replace(policy, allow_cluster_scoped=bool(recorded.get("allowClusterScoped")))


def check_install(chart_dir: Path, rendered: RenderedRelease, policy: UploadPolicy, *, name: str) -> None:
    """Before an uploaded extension is installed: no ``lookup``, and what it renders with the
    actual parameters passes the policy it was accepted under."""
    _check_no_lookup(chart_dir, name)
    check_objects(rendered, accepted_policy(chart_dir, policy), when=" with these parameters")


def accept_upload(data: bytes, filename: str, upload_dir: Path, policy: UploadPolicy) -> UploadResult:
    """Check an uploaded chart archive and keep it in ``upload_dir``; UploadRejected otherwise."""
    if not filename.endswith((".tgz", ".tar.gz")):
        raise _reject(f"{filename!r} is not a .tgz chart archive", fix="upload the .tgz that 'helm package' makes")
    if len(data) > policy.max_archive_bytes:
        raise _reject(
            f"the upload is {len(data)} bytes, more than the limit of {policy.max_archive_bytes} bytes",
            fix="keep charts small: leave data and images out of them",
        )
    tar_bytes = gunzip_bounded(data, policy.max_unpacked_bytes + _TAR_OVERHEAD * (policy.max_members + 2))
    top, members = _inspect(tar_bytes, policy)
    parent = upload_dir.parent
    created = [p for p in (parent, *parent.parents) if not p.exists()]
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".helmdeck-upload-", dir=parent))
    kept = False
    try:
        _write_members(tar_bytes, members, staging)
        chart_dir = staging / top
        name, version = _check_chart_yaml(chart_dir, top)
        try:
            chart = load_chart(str(chart_dir), cache=ChartCache())
            extension = extension_from_chart(chart, f"upload {filename}")
        except HelmdeckError as exc:
            raise _reject(f"chart {name} cannot be loaded: {exc.message}", fix=exc.fix) from None
        _check_no_lookup(chart_dir, name)
        check_rendered(extension, policy)
        upload_dir.mkdir(parents=True, exist_ok=True)
        final = upload_dir / f"{name}-{version}"
        if final.exists():
            raise _reject(
                f"extension {name} {version} was uploaded before",
                fix="bump the chart's version to upload a changed chart",
            )
        os.rename(chart_dir, final)
        kept = True
        _policy_file(final).write_text(json.dumps({"allowClusterScoped": policy.allow_cluster_scoped}))
        return UploadResult(extension_from_chart(load_chart(str(final)), str(final)), final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not kept:
            for directory in created:  # innermost first: directories made only for this upload
                with contextlib.suppress(OSError):
                    directory.rmdir()
