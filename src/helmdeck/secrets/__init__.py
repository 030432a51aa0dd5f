"""Secrets: generation, resolution from env/files, the in-cluster store, and redaction.

The cluster-backed store lives in :mod:`helmdeck.secrets.kube_store` (through :mod:`helmdeck.cluster`).

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.secrets.generate import generate_secret
    from helmdeck.secrets.redact import RedactingFilter, Redactor, known_redactor, placeholder, remember
    from helmdeck.secrets.sources import describe_source, read_external
    from helmdeck.secrets.store import (
        MemoryStore,
        SecretInfo,
        SecretStore,
        StoreConflict,
        StoredSecret,
        placeholder_secrets,
    )

_EXPORTS: dict[str, tuple[str, str]] = {
    "generate_secret": ("helmdeck.secrets.generate", "generate_secret"),
    "RedactingFilter": ("helmdeck.secrets.redact", "RedactingFilter"),
    "Redactor": ("helmdeck.secrets.redact", "Redactor"),
    "known_redactor": ("helmdeck.secrets.redact", "known_redactor"),
    "placeholder": ("helmdeck.secrets.redact", "placeholder"),
    "remember": ("helmdeck.secrets.redact", "remember"),
    "describe_source": ("helmdeck.secrets.sources", "describe_source"),
    "read_external": ("helmdeck.secrets.sources", "read_external"),
    "MemoryStore": ("helmdeck.secrets.store", "MemoryStore"),
    "SecretInfo": ("helmdeck.secrets.store", "SecretInfo"),
    "SecretStore": ("helmdeck.secrets.store", "SecretStore"),
    "StoreConflict": ("helmdeck.secrets.store", "StoreConflict"),
    "StoredSecret": ("helmdeck.secrets.store", "StoredSecret"),
    "placeholder_secrets": ("helmdeck.secrets.store", "placeholder_secrets"),
}

__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "MemoryStore",
    "RedactingFilter",
    "Redactor",
    "SecretInfo",
    "SecretStore",
    "StoreConflict",
    "StoredSecret",
    "describe_source",
    "generate_secret",
    "known_redactor",
    "placeholder",
    "placeholder_secrets",
    "read_external",
    "remember",
]
