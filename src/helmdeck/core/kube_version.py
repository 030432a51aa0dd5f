"""Chart ``kubeVersion`` constraints checked the way Helm checks them at install time.

Helm compares the cluster's full ``gitVersion`` (``v1.30.5-gke.1014001`` included) with the chart's
constraint using the Masterminds semver v3 rules, which differ from npm's and PEP 440's: a bare
``1.2`` means ``1.2.x``, ``||`` separates alternatives, commas or spaces join conditions, ``1 - 2``
is a range, and a prerelease version (which is how GKE and EKS versions parse) satisfies a
condition only when that condition carries a prerelease itself (hence charts writing
``>=1.25.0-0``). No maintained Python library implements these rules, and Helm's SDK does not
expose its check, so they are implemented here from the library's documented behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import total_ordering

_VERSION = re.compile(
    r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
# A version in a condition: parts may be wildcards (x, X, *) or missing. _CV captures the parts.
_CV = (
    r"v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?"
    r"(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
    r"(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_CV_PLAIN = (
    r"v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_OPS = r"!=|>=|=>|<=|=<|~>|=|>|<|~|\^"
_CONDITION = re.compile(rf"^\s*({_OPS})?\s*{_CV}\s*$")
_FIND = re.compile(rf"(?:{_OPS})?\s*{_CV_PLAIN}")
_VALID_AND = re.compile(rf"^\s*(?:{_OPS})?\s*{_CV_PLAIN}\s*(?:(?:\s+|,\s*)(?:{_OPS})?\s*{_CV_PLAIN}\s*)*$")
_HYPHEN = re.compile(rf"\s*({_CV_PLAIN})\s+-\s+({_CV_PLAIN})\s*")


class ConstraintError(ValueError):
    """A constraint or version that does not parse."""


def _identifier_key(part: str) -> tuple[int, int, str]:
    # numeric identifiers sort numerically and before alphanumeric ones (semver 2.0 section 11)
    return (0, int(part), "") if part.isdigit() else (1, 0, part)


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: str = ""
    metadata: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """A version as Helm reads it: a leading ``v`` and missing minor or patch are allowed."""
        match = _VERSION.match(text.strip())
        if match is None:
            raise ConstraintError(f"{text!r} is not a semantic version")
        major, minor, patch, pre, meta = match.groups()
        return cls(int(major), int(minor or 0), int(patch or 0), pre or "", meta or "")

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # a release sorts after its prereleases; build metadata never counts
        pre = tuple(_identifier_key(p) for p in self.prerelease.split(".")) if self.prerelease else ()
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        return text + (f"+{self.metadata}" if self.metadata else "")


@dataclass(frozen=True)
class _Condition:
    op: str
    version: Version  # wildcards and missing parts as 0
    dirty: bool  # some part was a wildcard or missing
    minor_dirty: bool  # the minor (and so the patch) was
    patch_dirty: bool  # only the patch was

    def allows(self, v: Version) -> bool:
        if v.prerelease and not self.version.prerelease and (self.op != "!=" or self.dirty):
            # a prerelease only satisfies conditions that ask for prereleases
            return False
        return _OPERATORS[self.op](self, v)


def _tilde(c: _Condition, v: Version) -> bool:
    if v < c.version:
        return False
    con = c.version
    if (con.major, con.minor, con.patch) == (0, 0, 0) and not c.minor_dirty and not c.patch_dirty:
        return True  # ~0.0.0, ~* and a bare * accept everything
    if v.major != con.major:
        return False
    return c.minor_dirty or v.minor == con.minor


def _equal(c: _Condition, v: Version) -> bool:
    return _tilde(c, v) if c.dirty else v == c.version


def _not_equal(c: _Condition, v: Version) -> bool:
    con = c.version
    if c.dirty:
        if con.major != v.major:
            return True
        if c.minor_dirty:
            return False
        if con.minor != v.minor:
            return True
        if c.patch_dirty:
            if v.prerelease or con.prerelease:
                return Version(0, 0, 0, v.prerelease) != Version(0, 0, 0, con.prerelease)
            return False
        # a missing part is always dirty, so nothing reaches here
    return v != con


def _greater(c: _Condition, v: Version) -> bool:
    con = c.version
    if not c.dirty:
        return v > con
    if v.major != con.major:
        return v.major > con.major
    if c.minor_dirty:
        return False  # >1.x means 2.0.0 or later
    if c.patch_dirty:
        return v.minor > con.minor  # >1.2 means 1.3.0 or later
    return v > con


def _less(c: _Condition, v: Version) -> bool:
    return v < c.version


def _greater_equal(c: _Condition, v: Version) -> bool:
    return v >= c.version


def _less_equal(c: _Condition, v: Version) -> bool:
    con = c.version
    if not c.dirty:
        return v <= con
    if v.major > con.major:
        return False
    return not (v.major == con.major and v.minor > con.minor and not c.minor_dirty)


def _caret(c: _Condition, v: Version) -> bool:
    con = c.version
    if v < con:
        return False
    if con.major > 0 or c.minor_dirty:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.patch_dirty:
        return v.minor == con.minor
    if v.minor > 0:
        return False
    return v.patch == con.patch


_OPERATORS: dict[str, Callable[[_Condition, Version], bool]] = {
    "": _equal,
    "=": _equal,
    "!=": _not_equal,
    ">": _greater,
    "<": _less,
    ">=": _greater_equal,
    "=>": _greater_equal,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _is_wild(part: str | None) -> bool:
    return part in ("x", "X", "*")


def _condition(text: str) -> _Condition:
    match = _CONDITION.match(text)
    if match is None:
        raise ConstraintError(f"improper constraint: {text.strip()}")
    op, major, minor, patch, pre, _meta = match.groups()
    minor = minor[1:] if minor else None
    patch = patch[1:] if patch else None
    pre = pre or ""
    # wildcards are only meaningful as whole parts; "1x" is not a version
    for part in (major, minor, patch):
        if part is not None and not part.isdigit() and not _is_wild(part):
            raise ConstraintError(f"improper constraint: {text.strip()}")
    minor_dirty = patch_dirty = False
    if _is_wild(major):
        base = f"0.0.0{pre}"
    elif minor is None or _is_wild(minor):
        minor_dirty = True
        base = f"{major}.0.0{pre}"
    elif patch is None or _is_wild(patch):
        patch_dirty = True
        base = f"{major}.{minor}.0{pre}"
    else:
        base = f"{major}.{minor}.{patch}{pre}"
    dirty = _is_wild(major) or minor_dirty or patch_dirty
    return _Condition(op or "", Version.parse(base), dirty, minor_dirty, patch_dirty)


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: alternatives (``||``), each a list of conditions that must all hold."""

    text: str
    alternatives: tuple[tuple[_Condition, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Constraint:
        rewritten = _HYPHEN.sub(lambda m: f">= {m.group(1)}, <= {m.group(2)}", text)
        alternatives: list[tuple[_Condition, ...]] = []
        for part in rewritten.split("||"):
            if not part.strip():
                # an empty alternative means "any release", as in the library
                alternatives.append((_Condition("", Version(0, 0, 0), True, False, False),))
                continue
            if _VALID_AND.match(part) is None:
                raise ConstraintError(f"improper constraint: {part.strip()}")
            alternatives.append(tuple(_condition(m.group(0)) for m in _FIND.finditer(part)))
        return cls(text, tuple(alternatives))

    def allows(self, version: Version) -> bool:
        return any(all(c.allows(version) for c in conditions) for conditions in self.alternatives)


def satisfies(constraint: str, version: str) -> bool:
    """Whether ``version`` (e.g. a cluster's ``v1.30.5-gke.1014001``) meets ``constraint``
    (e.g. ``>=1.25.0-0``). Raises ConstraintError when either does not parse."""
    return Constraint.parse(constraint).allows(Version.parse(version))
