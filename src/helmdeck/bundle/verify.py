"""``helmdeck bundle verify``: every file of a bundle against its checksum, by name.

A bundle is one directory (its root) holding ``SHA256SUMS``, ``bundle.json`` and the files both
list. Verification reports every problem at once, each naming the file: a checksum that differs, a
listed file that is missing, a file nobody listed, a name that would escape the directory or is
not a plain file, and a manifest that disagrees with ``SHA256SUMS``.

Checksums catch corruption and edits by anyone who did not also rewrite both lists; against a
deliberate attacker, compare the bundle's own SHA-256 (printed when it is made) over a trusted
channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from helmdeck.bundle.checksums import SUMS_FILE, ParsedSums, parse_sums
from helmdeck.bundle.errors import BundleError, BundleProblem
from helmdeck.bundle.manifest import MANIFEST_FILE, PROVIDED_DIR, BundleManifest, ImageEntry
from helmdeck.bundle.tarball import ArchiveUnreadable, Member, read_member, scan, unsafe_name
from helmdeck.errors import ConfigError
from helmdeck.serialize import JsonObject, computed, json_field


@dataclass
class Verification(JsonObject):
    """The outcome of checking one bundle file."""

    bundle: str
    root: str | None
    files: dict[str, Member] = field(default_factory=dict, metadata=json_field(exclude=True))
    problems: list[BundleProblem] = field(default_factory=list)
    manifest: BundleManifest | None = field(default=None, metadata=json_field(exclude=True))

    __json_computed__ = ("ok", "platform", computed("file_count", name="files"))
    __json_order__ = ("bundle", "ok", "root", "platform", "files", "problems")

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def platform(self) -> str | None:
        return self.manifest.platform if self.manifest else None

    @property
    def file_count(self) -> int:
        return len(self.files)

    def raise_for_problems(self) -> None:
        if self.problems:
            raise BundleError(self.bundle, self.problems)


def _root_of(members: list[Member], problems: list[BundleProblem]) -> str | None:
    roots = {m.name.split("/", 1)[0] for m in members if m.ok}
    if len(roots) != 1:
        problems.append(
            BundleProblem(
                "/",
                "the archive has no single top directory" + (f" (found {', '.join(sorted(roots))})" if roots else ""),
            )
        )
        return None
    return roots.pop()


def verify_bundle(path: Path) -> Verification:
    """Check a bundle file; the result lists every problem (``ok`` when there is none).

    Raises:
        ConfigError: the file does not exist.
    """
    shown = str(path)
    if not path.is_file():
        raise ConfigError(f"bundle {shown} does not exist", where=shown, fix="name a file made by `helmdeck bundle`")
    try:
        members = scan(path)
    except ArchiveUnreadable as exc:
        return Verification(shown, None, problems=[BundleProblem(path.name, f"not a readable .tar.gz ({exc})")])
    problems = [BundleProblem(m.name, m.problem) for m in members if m.problem is not None]
    root = _root_of(members, problems)
    result = Verification(shown, root, problems=problems)
    if root is None:
        return result
    prefix = root + "/"
    files = {m.name.removeprefix(prefix): m for m in members if m.ok and m.name.startswith(prefix)}
    result.files = files

    raw_sums = read_member(path, prefix + SUMS_FILE) if SUMS_FILE in files else None
    if raw_sums is None:
        problems.append(BundleProblem(SUMS_FILE, "missing: nothing can be checked"))
        return result
    sums = parse_sums(raw_sums)
    problems += _sums_problems(sums, files)
    manifest_ok = MANIFEST_FILE in sums.checksums and not any(p.path == MANIFEST_FILE for p in problems)
    if not manifest_ok:
        if MANIFEST_FILE not in sums.checksums and MANIFEST_FILE not in files:
            problems.append(BundleProblem(MANIFEST_FILE, "missing"))
        return result
    raw_manifest = read_member(path, prefix + MANIFEST_FILE) or b""
    try:
        manifest = BundleManifest.from_json(raw_manifest, bundle=shown)
    except BundleError as exc:
        problems += exc.problems
        return result
    result.manifest = manifest
    problems += _manifest_problems(manifest, sums, files)
    return result


def _sums_problems(sums: ParsedSums, files: Mapping[str, Member]) -> list[BundleProblem]:
    """What the checksum file says against the bundle's files."""
    problems: list[BundleProblem] = []
    problems += [BundleProblem(SUMS_FILE, f"line {n} is not `<sha256>  <path>`") for n in sums.bad_lines]
    problems += [BundleProblem(p, f"listed twice in {SUMS_FILE}") for p in sums.duplicates]
    for name in sorted(sums.checksums):
        member = files.get(name)
        if member is None:
            problems.append(BundleProblem(name, f"listed in {SUMS_FILE} but missing from the bundle"))
        elif member.sha256 != sums.checksums[name]:
            problems.append(BundleProblem(name, "checksum differs: the file was changed or damaged"))
    for name in sorted(set(files) - set(sums.checksums) - {SUMS_FILE}):
        problems.append(BundleProblem(name, f"not listed in {SUMS_FILE}: it was added to the bundle"))
    return problems


def _manifest_problems(manifest: BundleManifest, sums: ParsedSums, files: Mapping[str, Member]) -> list[BundleProblem]:
    """What the manifest says against the checksum file and the bundle's files."""
    problems: list[BundleProblem] = []
    listed = {f.path: f for f in manifest.files}
    for name in sorted(set(listed) | (set(sums.checksums) - {MANIFEST_FILE})):
        entry, checksum = listed.get(name), sums.checksums.get(name)
        if entry is None:
            problems.append(BundleProblem(name, f"in {SUMS_FILE} but not in {MANIFEST_FILE}"))
        elif checksum is None:
            problems.append(BundleProblem(name, f"in {MANIFEST_FILE} but not in {SUMS_FILE}"))
        elif entry.sha256 != checksum:
            problems.append(BundleProblem(name, f"{MANIFEST_FILE} and {SUMS_FILE} disagree about its checksum"))
        elif name in files and files[name].sha256 == checksum and files[name].size != entry.size:
            problems.append(BundleProblem(name, f"size differs from {MANIFEST_FILE}"))
    if manifest.platform_file not in files:
        problems.append(BundleProblem(manifest.platform_file, "the platform file is missing"))
    for req in manifest.required:
        # the deployer's files are linked in at these paths: they must stay inside provided/
        if unsafe_name(req.path) is not None or not req.path.startswith(PROVIDED_DIR + "/"):
            problems.append(BundleProblem(req.path, f"a required file must be a plain path under {PROVIDED_DIR}/"))
        elif req.path in files:
            problems.append(BundleProblem(req.path, "a required file is carried in the bundle"))
    return problems


def read_images(file: Path) -> list[ImageEntry]:
    """The images of a verified bundle (a BundleError naming every bad file otherwise)."""
    result = verify_bundle(file)
    result.raise_for_problems()
    assert result.manifest is not None
    return list(result.manifest.images)
