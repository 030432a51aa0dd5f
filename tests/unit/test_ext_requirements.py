from __future__ import annotations

import pytest

from helmdeck.errors import ConfigError
from helmdeck.extensions.requirements import parse_requirements, parse_version


def test_parse_requirements_names_and_constraints() -> None:
    reqs = parse_requirements("workflow-base>=0.1.0 <1.0.0, viewer^2.1, plain")
    assert [r.name for r in reqs] == ["workflow-base", "viewer", "plain"]
    assert reqs[0].constraint == ">=0.1.0 <1.0.0"
    assert str(reqs[1]) == "viewer^2.1"
    assert reqs[2].clauses == ()


@pytest.mark.parametrize(
    ("constraint", "version", "ok"),
    [
        (">=0.1.0", "0.1.0", True),
        (">=0.1.0", "0.0.9", False),
        (">=0.1 <1", "0.9.9", True),
        (">=0.1 <1", "1.0.0", False),
        ("^1.2.3", "1.9.0", True),
        ("^1.2.3", "2.0.0", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("~1.2.0", "1.2.7", True),
        ("~1.2.0", "1.3.0", False),
        ("=1.0.0", "1.0.0", True),
        ("!=1.0.0", "1.0.0", False),
        (">1.0.0", "1.0.0-rc.1", False),
        ("<=2.0.0", "2.0.0", True),
    ],
)
def test_constraints(constraint: str, version: str, ok: bool) -> None:
    (req,) = parse_requirements(f"x{constraint}")
    assert req.allows(version) is ok


def test_unparseable_version_is_not_allowed() -> None:
    (req,) = parse_requirements("x>=1.0.0")
    assert not req.allows("banana")


@pytest.mark.parametrize("text", ["x>=banana", "x >= 1.0 ??", "Upper>=1.0", ">=1.0"])
def test_bad_requirements_name_the_problem(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_requirements(text, where="Chart.yaml")
    assert err.value.where == "Chart.yaml"
    assert err.value.fix


def test_short_versions_read_as_semver() -> None:
    assert str(parse_version("0.1")) == "0.1.0"
    with pytest.raises(ConfigError, match="not a SemVer"):
        parse_version("one")
