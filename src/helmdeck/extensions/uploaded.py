"""Uploaded extension charts at install time: they pass the upload policy again, rendered with the
parameters of this install (which may template a namespace or switch objects on)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from helmdeck.extensions.catalog import Catalog, Extension
from helmdeck.extensions.desired import DesiredExtension
from helmdeck.extensions.planning import InstallStep
from helmdeck.extensions.upload import UploadPolicy, check_install


def is_uploaded(catalog: Catalog, ext: Extension) -> bool:
    upload_dir = catalog.upload_dir
    return upload_dir is not None and Path(ext.source).resolve().parent == upload_dir.resolve()


def check_uploads(
    policy: UploadPolicy, catalog: Catalog, steps: Sequence[InstallStep], desired: Sequence[DesiredExtension]
) -> None:
    """Uploaded charts pass the upload policy again, rendered with the parameters of this install
    (which may template a namespace or switch objects on): nothing is installed otherwise."""
    for step, d in zip(steps, desired, strict=True):
        if is_uploaded(catalog, step.extension):
            check_install(Path(step.extension.source), d.rendered, policy, name=step.extension.name)
