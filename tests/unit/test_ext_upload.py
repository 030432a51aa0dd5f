"""Uploads of hostile archives are all refused, with a reason, and leave nothing behind."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from helmdeck.extensions.upload import MiB, UploadPolicy, UploadRejected, accept_upload, gunzip_bounded

from .ext_support import EXT_CHARTS

POLICY = UploadPolicy(admin_namespace="lab-admin", extensions_namespace="lab-extensions", max_archive_bytes=MiB)

CHART_YAML = b"apiVersion: v2\nname: up\nversion: 0.1.0\nannotations:\n  helmdeck.dev/kind: application\n"
CM = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata: {a: b}\n"


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return raw.getvalue()


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def chart(*extra: tuple[tarfile.TarInfo, bytes | None], template: bytes = CM) -> bytes:
    return _tar([_file("up/Chart.yaml", CHART_YAML), _file("up/templates/cm.yaml", template), *extra])


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def _state(tmp_path: Path) -> set[str]:
    return {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}


def test_good_chart_is_kept(tmp_path: Path) -> None:
    upload_dir = tmp_path / "state" / "uploads"
    result = accept_upload(chart(), "up-0.1.0.tgz", upload_dir, POLICY)
    assert result.path == upload_dir / "up-0.1.0"
    assert result.extension.name == "up" and result.extension.version == "0.1.0"
    assert sorted(os.listdir(upload_dir / "up-0.1.0")) == ["Chart.yaml", "templates"]
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["uploads"]
    with pytest.raises(UploadRejected, match="uploaded before"):
        accept_upload(chart(), "up-0.1.0.tgz", upload_dir, POLICY)


def test_real_extension_chart_is_accepted(tmp_path: Path) -> None:
    import helm_python

    with helm_python.Chart.load(EXT_CHARTS / "tiny-app") as loaded:
        archive = Path(loaded.save(tmp_path))
    result = accept_upload(archive.read_bytes(), archive.name, tmp_path / "state" / "uploads", POLICY)
    assert result.extension.display_name == "Tiny app"
    assert [p.name for p in result.extension.parameters][:2] == ["size", "tokenless"]


def _bomb() -> bytes:
    # 64 MiB of zeros compress to about 64 KiB: under the upload limit, over the unpacked limit
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    header = tarfile.TarInfo("up/templates/zeros.yaml")
    header.size = 64 * MiB
    out = [compressor.compress(header.tobuf())]
    block = b"\0" * MiB
    for _ in range(64):
        out.append(compressor.compress(block))
    out.append(compressor.flush())
    return b"".join(out)


CASES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "path traversal": (lambda: chart(_file("up/../../evil.yaml", b"x")), "up/../../evil.yaml", "'..'"),
    "absolute path": (lambda: chart(_file("/etc/cron.d/evil", b"x")), "/etc/cron.d/evil", "absolute path"),
    "symlink": (lambda: chart(_special("up/templates/link.yaml", tarfile.SYMTYPE, "/etc/passwd")), "link", "symbolic"),
    "hardlink": (
        lambda: chart(_special("up/templates/hard.yaml", tarfile.LNKTYPE, "up/Chart.yaml")),
        "hard",
        "hard link",
    ),
    "device file": (lambda: chart(_special("up/dev", tarfile.CHRTYPE)), "up/dev", "device"),
    "fifo": (lambda: chart(_special("up/fifo", tarfile.FIFOTYPE)), "up/fifo", "FIFO"),
    "oversize upload": (lambda: chart(_file("up/big.bin", os.urandom(2 * MiB))), "more than the limit", "bytes"),
    "decompression bomb": (_bomb, "unpacks to more than", "decompression bomb"),
    "admin namespace": (
        lambda: chart(template=CM.replace(b"metadata:\n", b"metadata:\n  namespace: lab-admin\n")),
        "namespace lab-admin",
        "an uploaded extension may only create objects in",
    ),
    "kube-system": (
        lambda: chart(template=CM.replace(b"metadata:\n", b"metadata:\n  namespace: kube-system\n")),
        "namespace kube-system",
        "an uploaded extension may only create objects in",
    ),
    "cluster role": (
        lambda: chart(
            template=b"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules: []\n"
        ),
        "ClusterRole x",
        "cluster-scoped",
    ),
    "cluster role binding": (
        lambda: chart(
            template=b"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\n"
            b"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: []\n"
        ),
        "ClusterRoleBinding x",
        "cluster-scoped",
    ),
    "namespace object": (
        lambda: chart(template=b"apiVersion: v1\nkind: Namespace\nmetadata: {name: mine}\n"),
        "Namespace mine",
        "cluster-scoped",
    ),
    "cluster-admin rolebinding": (
        lambda: chart(
            template=b"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb}\n"
            b"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: []\n"
        ),
        "RoleBinding rb",
        "cluster-admin",
    ),
    "not gzip": (lambda: b"PK\x03\x04 this is a zip", "not gzip", "gzip"),
    "truncated": (lambda: chart()[:-40], "truncated", "truncated"),
    "two charts": (lambda: chart(_file("other/Chart.yaml", CHART_YAML)), "one chart directory", "other"),
    "no Chart.yaml": (lambda: _tar([_file("up/templates/cm.yaml", CM)]), "no up/Chart.yaml", "Chart.yaml"),
    "wrong apiVersion": (
        lambda: _tar([_file("up/Chart.yaml", CHART_YAML.replace(b"v2", b"v3")), _file("up/templates/cm.yaml", CM)]),
        "apiVersion is 'v3'",
        "v3",
    ),
    "bad version": (
        lambda: _tar([_file("up/Chart.yaml", CHART_YAML.replace(b"0.1.0", b"one")), _file("up/t.yaml", b"")]),
        "version 'one' is not SemVer",
        "SemVer",
    ),
    "name mismatch": (
        lambda: _tar([_file("up/Chart.yaml", CHART_YAML.replace(b"name: up", b"name: other"))]),
        "names the chart 'other'",
        "other",
    ),
    "bad annotation": (
        lambda: _tar(
            [
                _file("up/Chart.yaml", CHART_YAML.replace(b"kind: application", b"kind: daemon")),
                _file("up/templates/cm.yaml", CM),
            ]
        ),
        "helmdeck.dev/kind is 'daemon'",
        "daemon",
    ),
    "template error": (
        lambda: chart(template=b'{{ fail "boom" }}\n'),
        "does not render with its defaults",
        "boom",
    ),
    "too many members": (
        lambda: chart(*[_file(f"up/files/f{i}.txt", b"x") for i in range(1001)]),
        "more than 1000 members",
        "members",
    ),
    "not tgz name": (lambda: chart(), "is not a .tgz", "tgz"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malicious_archives_are_rejected_and_leave_nothing(tmp_path: Path, case: str) -> None:
    make, reason, word = CASES[case]
    state = tmp_path / "state"
    state.mkdir()
    (state / "keep.txt").write_text("existing state")
    before = _state(tmp_path)
    name = "chart.zip" if case == "not tgz name" else "up-0.1.0.tgz"
    with pytest.raises(UploadRejected) as err:
        accept_upload(make(), name, state / "uploads", POLICY)
    assert reason in err.value.message
    assert word in err.value.message + (err.value.fix or "")
    assert _state(tmp_path) == before
    assert not (tmp_path / "etc").exists() and not (tmp_path / "evil.yaml").exists()


def test_rejected_upload_removes_state_directories_it_created(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected):
        accept_upload(chart(_file("up/../x", b"")), "up.tgz", tmp_path / "new" / "state" / "uploads", POLICY)
    with pytest.raises(UploadRejected):
        accept_upload(chart(template=b'{{ fail "x" }}'), "up.tgz", tmp_path / "new" / "state" / "uploads", POLICY)
    assert list(tmp_path.iterdir()) == []


def test_cluster_scoped_allowed_by_policy(tmp_path: Path) -> None:
    template = b"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules: []\n"
    policy = UploadPolicy("lab-admin", "lab-extensions", allow_cluster_scoped=True)
    result = accept_upload(chart(template=template), "up.tgz", tmp_path / "uploads", policy)
    assert result.path.is_dir()


def test_gunzip_bounded_handles_members_and_padding() -> None:
    data = gzip.compress(b"a" * 10) + gzip.compress(b"b" * 5) + b"\0" * 512
    assert gunzip_bounded(data, 100) == b"a" * 10 + b"b" * 5
    with pytest.raises(UploadRejected, match="unpacks to more than"):
        gunzip_bounded(gzip.compress(b"x" * 1000), 999)
    assert gunzip_bounded(gzip.compress(b"x" * 1000), 1000) == b"x" * 1000
