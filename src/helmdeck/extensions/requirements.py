"""``helmdeck.dev/requires``: the extensions an extension needs, with SemVer constraints.

The annotation lists requirements separated by commas, each an extension name followed by
constraints separated by spaces, as Helm writes dependency versions::

    helmdeck.dev/requires: workflow-base>=0.1.0 <1.0.0, object-browser^2.1

Operators: ``=``/``==``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``^`` (same major; same minor
below 1.0.0) and ``~`` (same minor). A version may be shortened (``0.1`` is ``0.1.0``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import semver

from helmdeck.errors import ConfigError, parses
from helmdeck.serialize import JsonObject, json_field

_NAME = re.compile(r"\s*([a-z0-9]([-a-z0-9]*[a-z0-9])?)\s*(.*)$")
_CLAUSE = re.compile(r"(>=|<=|==|!=|=|>|<|\^|~)?\s*v?(\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)")


def parse_version(text: str) -> semver.Version:
    """A chart version as SemVer; ``0.1`` reads as ``0.1.0``."""
    try:
        return semver.Version.parse(text.strip().lstrip("v"), optional_minor_and_patch=True)
    except (ValueError, TypeError):
        raise ConfigError(
            f"{text!r} is not a SemVer version",
            fix="chart versions are MAJOR.MINOR.PATCH, e.g. 1.2.0 (Helm requires SemVer 2)",
        ) from None


def is_version(text: str) -> bool:
    return parses(parse_version, text)


@dataclass(frozen=True)
class Clause:
    op: str
    version: str

    def allows(self, version: semver.Version) -> bool:
        bound = parse_version(self.version)
        if self.op in ("", "=", "=="):
            return version == bound
        if self.op == "!=":
            return version != bound
        if self.op == ">":
            return version > bound
        if self.op == ">=":
            return version >= bound
        if self.op == "<":
            return version < bound
        if self.op == "<=":
            return version <= bound
        if self.op == "^":
            upper = bound.bump_major() if bound.major > 0 else bound.bump_minor()
            return bound <= version < upper
        # "~": same major and minor
        return bound <= version < bound.bump_minor()

    def __str__(self) -> str:
        return f"{self.op}{self.version}"


@dataclass(frozen=True)
class Requirement(JsonObject):
    """One required extension: its chart name and the versions that satisfy it (all clauses)."""

    name: str
    clauses: tuple[Clause, ...] = field(default=(), metadata=json_field(exclude=True))

    # what the catalog shows: the versions allowed as one text
    __json_computed__ = ("constraint",)

    @property
    def constraint(self) -> str:
        return " ".join(str(c) for c in self.clauses)

    def allows(self, version: str) -> bool:
        try:
            parsed = parse_version(version)
        except ConfigError:
            return False
        return all(c.allows(parsed) for c in self.clauses)

    def __str__(self) -> str:
        return f"{self.name}{self.constraint}" if self.clauses else self.name


def parse_requirements(text: str, *, where: str = "helmdeck.dev/requires") -> tuple[Requirement, ...]:
    """Parse the annotation's value; a ConfigError names the item that is wrong."""
    out: list[Requirement] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        match = _NAME.match(item)
        if match is None:
            raise ConfigError(
                f"{item!r} does not start with an extension name",
                where=where,
                fix="write NAME followed by optional constraints, e.g. workflow-base>=0.1.0",
            )
        name, rest = match.group(1), match.group(3).strip()
        clauses: list[Clause] = []
        pos = 0
        while pos < len(rest):
            if rest[pos].isspace():
                pos += 1
                continue
            clause = _CLAUSE.match(rest, pos)
            if clause is None:
                raise ConfigError(
                    f"cannot read the version constraint {rest[pos:]!r} of {name}",
                    where=where,
                    fix="use operators =, !=, >, >=, <, <=, ^ or ~ before a version, e.g. >=0.1.0 <1.0.0",
                )
            parse_version(clause.group(2))
            clauses.append(Clause(clause.group(1) or "", clause.group(2)))
            pos = clause.end()
        out.append(Requirement(name, tuple(clauses)))
    return tuple(out)
