"""Packages hand on their names lazily from one list: the imports under ``TYPE_CHECKING`` in their
``__init__``. Every listed name must resolve, and the list must be all there is (no second copy)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from helmdeck.lazy import listed_in

SRC = Path(__file__).resolve().parents[2] / "src" / "helmdeck"
LAZY_PACKAGES = sorted(
    p.parent.name for p in SRC.glob("*/__init__.py") if "listed_in(__file__)" in p.read_text(encoding="utf-8")
)


def test_the_packages_that_hand_on_names_list_them_once() -> None:
    assert {"bundle", "cluster", "gitops", "manifests", "secrets", "spec", "values"} <= set(LAZY_PACKAGES)
    for name in LAZY_PACKAGES:
        text = (SRC / name / "__init__.py").read_text(encoding="utf-8")
        assert "_EXPORTS" not in text and "__all__" not in text, f"{name}/__init__.py lists its names twice"


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_every_listed_name_resolves_to_its_module_attribute(name: str) -> None:
    package = importlib.import_module(f"helmdeck.{name}")
    listed = listed_in(str(SRC / name / "__init__.py"))
    assert len(listed) > 0
    for exported, (module, attr) in listed.items():
        assert getattr(package, exported) is getattr(importlib.import_module(module), attr), exported


def test_an_unlisted_name_is_an_attribute_error() -> None:
    import helmdeck.gitops

    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = helmdeck.gitops.nothing_here
