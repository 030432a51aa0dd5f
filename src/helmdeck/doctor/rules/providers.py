"""Which operator or chart provides a custom resource kind, for the hint of a missing-CRD finding.

The table is data (``providers.yaml``, one entry per provider) of projects research platforms
commonly use. A provider is matched by the API groups that belong to it wholly, so a kind not listed
still gets its project named; where several projects share a group, by ``group/Kind``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml


@dataclass(frozen=True)
class Provider:
    name: str  # the operator or project
    install: str  # how it is usually installed

    def hint(self) -> str:
        return f"{self.name} provides it ({self.install})"


@functools.cache
def providers() -> dict[str, Provider]:
    """``group`` or ``group/Kind`` -> its provider (read once, when a hint is first asked for)."""
    table = yaml.safe_load(resources.files(__package__).joinpath("providers.yaml").read_text())
    return {what: Provider(row["name"], row["install"]) for row in table for what in row["provides"]}


def provider_for(group: str, kind: str) -> Provider | None:
    table = providers()
    return table.get(f"{group}/{kind}") or table.get(group)


def install_hint(group: str, kind: str) -> str:
    """``the MongoDB Community Operator provides it (Helm chart ...)``, or a generic hint."""
    provider = provider_for(group, kind)
    if provider is not None:
        return provider.hint()
    return f"the operator or chart that defines the {group} API group provides it"
