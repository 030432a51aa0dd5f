"""The bundle's tar layer: reproducible writing, and reading that refuses anything unsafe by name."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.bundle.tarball import (
    FIXED_MTIME,
    ArchiveUnreadable,
    extract,
    normalized_archive,
    scan,
    tar_gz_bytes,
    unsafe_name,
)

ENTRIES = {"b/values.yaml": b"replicas: 1\n", "a/Chart.yaml": b"name: a\n", "a/templates/x.yaml": b"kind: X\n"}


def test_same_entries_give_the_same_bytes_in_any_order() -> None:
    first = tar_gz_bytes(ENTRIES)
    second = tar_gz_bytes(dict(reversed(list(ENTRIES.items()))))
    assert first == second
    assert first != tar_gz_bytes({**ENTRIES, "b/values.yaml": b"replicas: 2\n"})


def test_members_are_sorted_with_fixed_metadata() -> None:
    data = tar_gz_bytes(ENTRIES)
    assert data[4:8] == b"\0\0\0\0"  # gzip header MTIME is zero
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(ENTRIES)
    for m in members:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) == (FIXED_MTIME, 0, 0, "", "", 0o644)
        assert m.isfile()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil", "escapes"),
        ("a/../../evil", "escapes"),
        ("/etc/passwd", "absolute"),
        ("a//b", "empty"),
        ("./a", "'.'"),
        ("a\\b", "backslash"),
        ("a\nb", "control"),
        ("", "empty name"),
    ],
)
def test_unsafe_names_are_refused_when_writing(name: str, reason: str) -> None:
    found = unsafe_name(name)
    assert found is not None and reason in found
    with pytest.raises(ValueError, match="refusing archive member"):
        tar_gz_bytes({name: b"x"})


def _crafted(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    path = tmp_path / "crafted.tgz"
    with tarfile.open(path, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def test_scan_names_every_unsafe_member_and_hashes_the_rest(tmp_path: Path) -> None:
    archive = _crafted(
        tmp_path,
        [
            (_info("root/ok.yaml"), b"fine\n"),
            (_info("root/../../escape.yaml"), b"x"),
            (_info("/abs.yaml"), b"x"),
            (_info("root/link", tarfile.SYMTYPE, "/etc/passwd"), None),
            (_info("root/hard", tarfile.LNKTYPE, "root/ok.yaml"), None),
            (_info("root/fifo", tarfile.FIFOTYPE), None),
            (_info("root/dev", tarfile.CHRTYPE), None),
            (_info("root/ok.yaml"), b"second copy\n"),
            (_info("root/dir", tarfile.DIRTYPE), None),
        ],
    )
    members = {(m.name, m.problem) for m in scan(archive) if not m.ok}
    reasons = dict(members)
    assert "escapes" in reasons["root/../../escape.yaml"]
    assert "absolute" in reasons["/abs.yaml"]
    assert "symbolic link" in reasons["root/link"]
    assert "hard link" in reasons["root/hard"]
    assert "FIFO" in reasons["root/fifo"]
    assert "character device" in reasons["root/dev"]
    assert "more than once" in reasons["root/ok.yaml"]
    good = [m for m in scan(archive) if m.ok]
    assert [(m.name, m.sha256, m.size) for m in good] == [
        ("root/ok.yaml", hashlib.sha256(b"fine\n").hexdigest(), 5)
    ]  # the directory carries nothing and is left out


@pytest.mark.parametrize("content", [b"not a tar at all", b"", gzip.compress(b"not a tar")])
def test_unreadable_archives_raise(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.tgz"
    path.write_bytes(content)
    with pytest.raises(ArchiveUnreadable):
        scan(path)


def test_truncated_archive_raises(tmp_path: Path) -> None:
    data = tar_gz_bytes({"root/big": bytes(range(256)) * 4000})
    path = tmp_path / "cut.tgz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveUnreadable):
        scan(path)


def test_extract_writes_only_named_files_into_an_empty_directory(tmp_path: Path) -> None:
    archive = tmp_path / "a.tgz"
    archive.write_bytes(tar_gz_bytes({"root/a.yaml": b"a", "root/sub/b.yaml": b"b", "root/c.yaml": b"c"}))
    dest = tmp_path / "out"
    extract(archive, dest, {"root/a.yaml", "root/sub/b.yaml"})
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "root/a.yaml",
        "root/sub/b.yaml",
    ]
    assert (dest / "root/sub/b.yaml").stat().st_mode & 0o777 == 0o644
    with pytest.raises(ValueError, match="not empty"):
        extract(archive, dest, {"root/c.yaml"})
    with pytest.raises(ValueError, match="refusing"):
        extract(archive, tmp_path / "other", {"../x"})


def test_normalized_archive_depends_on_content_only() -> None:
    def archive(mtime: int, order: list[str]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name in order:
                data = ENTRIES[name]
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.uname = len(data), mtime, "someone"
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    one = archive(1_700_000_000, sorted(ENTRIES))
    two = archive(1_800_000_000, sorted(ENTRIES, reverse=True))
    assert one != two
    assert normalized_archive(one) == normalized_archive(two) == tar_gz_bytes(ENTRIES)


_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12).filter(
    lambda s: s not in (".", "..")
)


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.lists(_SEGMENT, min_size=1, max_size=4).map(lambda parts: "root/" + "/".join(parts)),
        st.binary(max_size=200),
        min_size=1,
        max_size=8,
    )
)
def test_what_is_written_scans_back_unchanged(entries: dict[str, bytes]) -> None:
    # a name that is also another's directory cannot exist in a real tree; skip those
    names = set(entries)
    if any(other.startswith(name + "/") for name in names for other in names):
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.tgz"
        path.write_bytes(tar_gz_bytes(entries))
        scanned = scan(path)
    assert all(m.ok for m in scanned)
    assert {m.name: m.sha256 for m in scanned} == {n: hashlib.sha256(d).hexdigest() for n, d in entries.items()}
