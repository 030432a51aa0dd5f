"""Secrets: generation, resolution from env/files, the in-cluster store, and redaction.

The cluster-backed store lives in :mod:`helmdeck.secrets.kube_store` (imports lightkube).
"""

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
