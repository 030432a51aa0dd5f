"""Kubernetes resource quantities (``500m``, ``2Gi``) as Decimals, parsed as the API server does."""

from __future__ import annotations

from decimal import Decimal

from lightkube.utils.quantity import parse_quantity as _parse


def parse_quantity(text: str) -> Decimal | None:
    """The quantity as a Decimal (cores, bytes); ValueError when it is not one."""
    return _parse(text)
