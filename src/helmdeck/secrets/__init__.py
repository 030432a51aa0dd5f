"""Secrets: generation, resolution from env/files, the in-cluster store, and redaction.

The cluster-backed store lives in :mod:`helmdeck.secrets.kube_store` (through :mod:`helmdeck.cluster`).

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
Its names are listed once, as the imports under ``TYPE_CHECKING`` (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.secrets.generate import generate_secret as generate_secret
    from helmdeck.secrets.redact import RedactingFilter as RedactingFilter
    from helmdeck.secrets.redact import Redactor as Redactor
    from helmdeck.secrets.redact import known_redactor as known_redactor
    from helmdeck.secrets.redact import placeholder as placeholder
    from helmdeck.secrets.redact import remember as remember
    from helmdeck.secrets.sources import describe_source as describe_source
    from helmdeck.secrets.sources import read_external as read_external
    from helmdeck.secrets.store import MemoryStore as MemoryStore
    from helmdeck.secrets.store import SecretInfo as SecretInfo
    from helmdeck.secrets.store import SecretStore as SecretStore
    from helmdeck.secrets.store import StoreConflict as StoreConflict
    from helmdeck.secrets.store import StoredSecret as StoredSecret
    from helmdeck.secrets.store import placeholder_secrets as placeholder_secrets


__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
