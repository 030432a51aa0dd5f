"""One JSON shape: Kubernetes' casing (camelCase) in every output, API models that refuse fields they
do not declare, and stored records from before the casing change still readable."""

from __future__ import annotations

import inspect
import re

import pytest
from pydantic import BaseModel, ValidationError

from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.revisions.store import ComponentRevision, PlatformRevision
from helmdeck.server import models

SNAKE = re.compile(r"^[a-z]+_[a-z_]+$")


def keys(data: object) -> set[str]:
    if isinstance(data, dict):
        return {str(k) for k in data} | {k for v in data.values() for k in keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys(v)}
    return set()


def revision() -> PlatformRevision:
    comp = ComponentRevision("api", "svc", "backend", "1.2.0", 3, "deployed")
    return PlatformRevision(4, "dash", "demo", "digest", "deploy", "ana", components={"api": comp})


def test_platform_revisions_are_camel_case_and_old_records_still_read() -> None:
    data = revision().to_json()
    assert not {k for k in keys(data) if SNAKE.match(k)}
    assert data["specDigest"] == "digest" and data["components"]["api"]["chartVersion"] == "1.2.0"
    old = {**{k: v for k, v in data.items() if k != "specDigest"}, "spec_digest": "digest"}
    old["components"] = {"api": {**{k: v for k, v in data["components"]["api"].items() if k != "chartVersion"}}}
    old["components"]["api"]["chart_version"] = "1.2.0"
    assert PlatformRevision.from_json(old) == revision()


def test_releases_are_camel_case() -> None:
    rel = Release("api", "svc", 1, ReleaseStatus.DEPLOYED, "backend", "1.2.0", "2.0", None)
    assert {"chartVersion", "appVersion"} <= set(rel.as_dict()) and not any(SNAKE.match(k) for k in rel.as_dict())


OUTPUT_MODELS = [
    m
    for _, m in inspect.getmembers(models, inspect.isclass)
    if issubclass(m, BaseModel) and m.__module__ == models.__name__ and not m.__name__.startswith("_")
]


@pytest.mark.parametrize("model", OUTPUT_MODELS, ids=lambda m: m.__name__)
def test_api_models_refuse_unknown_fields(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match=r"(?i)extra"):
        model.model_validate({"surelyNotAField": 1})


def test_api_models_speak_camel_case() -> None:
    out = models.PlatformRevision.model_validate(revision().to_json()).model_dump(by_alias=True)
    assert out["specDigest"] == "digest" and out["components"]["api"]["chartVersion"] == "1.2.0"


def test_the_one_serializer_speaks_camel_case_for_any_result() -> None:
    import dataclasses
    import enum
    from datetime import UTC, datetime
    from pathlib import Path

    from helmdeck.serialize import to_json_data

    class Color(enum.Enum):
        red = "red"

    @dataclasses.dataclass
    class Inner:
        chart_version: str
        at: datetime

    @dataclasses.dataclass
    class Outer:
        spec_digest: str
        inner: Inner
        items: tuple[Inner, ...]
        color: Color
        where: Path

    when = datetime(2026, 1, 1, tzinfo=UTC)
    data = to_json_data(Outer("d", Inner("1.0", when), (Inner("2.0", when),), Color.red, Path("/x")))
    assert data == {
        "specDigest": "d",
        "inner": {"chartVersion": "1.0", "at": "2026-01-01T00:00:00+00:00"},
        "items": [{"chartVersion": "2.0", "at": "2026-01-01T00:00:00+00:00"}],
        "color": "red",
        "where": "/x",
    }
    assert to_json_data(revision()) == revision().to_json()
