"""Chart kubeVersion constraints, checked with Helm's (Masterminds semver v3) rules."""

from __future__ import annotations

import pytest

from helmdeck.core.kube_version import ConstraintError, Version, satisfies

CASES = [
    # what charts in the wild write, against the versions clusters report
    (">=1.25.0-0", "v1.35.4", True),
    (">=1.25.0-0", "v1.30.5-gke.1014001", True),
    (">=1.25.0", "v1.30.5-gke.1014001", False),  # the GKE/EKS trap: a prerelease-looking version
    (">=1.25.0", "v1.28.3+k3s1", True),  # build metadata never counts
    (">= 1.19.0-0 < 1.36.0-0", "v1.35.4", True),
    (">= 1.19.0-0 < 1.35.0-0", "v1.35.4", False),
    (">=1.40.0-0", "v1.35.4", False),
    ("^1.2", "1.35.4", True),
    ("^1.2", "2.0.0", False),
    ("~1.35", "1.35.4", True),
    ("~1.34", "1.35.4", False),
    ("1.x", "1.35.4", True),
    ("2.x", "1.35.4", False),
    ("<1.20 || >=1.30", "1.35.4", True),
    ("<1.20 || >=1.36", "1.35.4", False),
    ("1.20 - 1.36", "1.35.4", True),
    ("1.20 - 1.34", "1.35.4", False),
    # the library's own semantics for bare, wildcard and partial versions
    ("=2.0", "2.0.1", True),
    ("4.1", "4.1.0", True),
    ("2.1", "2.2.1", False),
    ("!=4.1", "4.1.1", False),
    ("!=4.1", "5.1.0-alpha.1", False),
    ("!=4.1-alpha", "4.1.0", True),
    ("!=4.1.0", "4.1.1", True),
    ("<11", "11.1.0", False),
    ("<=11", "11.2.3", True),
    ("<=1.1", "1.1.1", True),
    ("<=1.1", "1.2.3", False),
    (">1.1", "1.1.9", False),
    (">1.1", "1.2.0", True),
    (">11", "11.1.0", False),
    (">=11.1", "11.0.2", False),
    (">0", "0.0.1-alpha", False),
    (">=0-0", "0.0.1-alpha", True),
    (">0.0.0-0", "0.0.0-alpha", True),
    ("<0-z", "0.0.0-alpha", True),
    ("*", "4.5.6", True),
    ("*", "1.2.3-alpha.1", False),
    ("*-0", "1.2.3-alpha.1", True),
    ("", "4.5.6", True),
    ("0.x.x", "1.2.3", False),
    ("^0.0.0", "1.2.3", False),
    ("~0.0.0", "1.2.3", True),
    ("^0.2.3", "0.2.5", True),
    ("^0.2.3", "0.5.6", False),
    ("^0.0.3", "0.0.4", False),
    ("^0.0", "0.0.3", True),
    ("^0.0", "0.1.4", False),
    ("^0", "0.2.3", True),
    ("^1.2.0-alpha.0", "1.2.1-alpha.1", True),
    ("^1.2.0", "1.2.1-alpha.1", False),
    ("~1.2.3-beta.2", "1.2.4-beta.2", True),
    ("~1.2.3-beta.2", "1.3.4-beta.2", False),
    ("~1.1.1-beta", "1.1.1-alpha", False),
    (">1.1, <2", "1.2.1", True),
    (">=1.1, <2, !=1.2.3", "1.2.3", False),
    (">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", True),
    (">= 1.1, <2, !=1.2.3 || > 3", "3.0.0", False),
    ("1.1-3", "4.3.2", False),  # no spaces: a prerelease, not a range
    ("v1.2", "1.2.7", True),
]


@pytest.mark.parametrize(("constraint", "version", "expected"), CASES)
def test_constraint(constraint: str, version: str, expected: bool) -> None:
    assert satisfies(constraint, version) is expected


@pytest.mark.parametrize("constraint", ["foo", ">= bar", "BAR >= 1.2.3", "12.3.4.1234", "12.3.34~ 1.2.3", "1x"])
def test_improper_constraints_are_errors(constraint: str) -> None:
    with pytest.raises(ConstraintError, match="improper constraint"):
        satisfies(constraint, "1.2.3")


def test_versions_order_by_semver_precedence() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
    ]
    parsed = [Version.parse(v) for v in ordered]
    assert parsed == sorted(reversed(parsed))
    assert Version.parse("v1.2+build.5") == Version.parse("1.2.0")
    with pytest.raises(ConstraintError):
        Version.parse("one.two")
