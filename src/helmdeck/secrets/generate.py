"""New secret values: cryptographically random characters from the declared alphabet."""

from __future__ import annotations

import secrets

from helmdeck.spec.models import Generate


def generate_secret(spec: Generate | None = None) -> str:
    """A fresh value of ``spec.length`` characters drawn uniformly from ``spec.characters``."""
    spec = spec or Generate()
    characters = spec.characters
    return "".join(secrets.choice(characters) for _ in range(spec.length))
