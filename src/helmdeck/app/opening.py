"""The one place an operation's :class:`PlatformSession` is made, from a :class:`Target`.

:func:`open_platform` loads the platform (from its file, or from a verified and extracted bundle),
applies the instance and environment rules (:mod:`helmdeck.app.rules`) and the offline values layer;
:func:`opened` does the same around a temporary directory for what a bundle or ``--offline`` writes.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from helmdeck.app.rules import LastDeployed, apply_last_deployed, bundle_environment
from helmdeck.app.target import Target
from helmdeck.core.session import PlatformSession
from helmdeck.errors import ConfigError

if TYPE_CHECKING:
    from helmdeck.spec import Platform

__all__ = ["LastDeployed", "Target", "open_platform", "opened"]


def open_platform(
    target: Target,
    *,
    workdir: Path | None = None,
    platform: Platform | None = None,
    last_deployed: LastDeployed = LastDeployed.ignore,
    concurrent: bool = True,
) -> PlatformSession:
    """The session on ``target``.

    ``workdir`` (created, or empty; kept until the session is done) receives an extracted bundle and
    the offline values layer: required with ``target.bundle`` or ``target.offline``. ``platform`` is
    one already loaded from ``target.file`` (a long-lived service loads it once). ``concurrent``
    False: a client for one thread (``status`` builds no decoding tables for threads it never starts).

    Raises:
        ConfigError: ``provided`` files without a bundle, an unknown environment or bad instance, the
            bundle's rules (:func:`bundle_environment`), a last deployed environment no longer declared.
        BundleError: the bundle does not verify.
    """
    if target.bundle is None and target.provided:
        raise ConfigError("--provide only applies to --bundle", fix="drop --provide, or deploy from a bundle")
    environment = target.environment
    platform_file = target.file
    if target.bundle is not None:
        platform, platform_file, environment = _from_bundle(target, _needed(workdir, "a bundle"))
    elif platform is None:
        from helmdeck.spec import load_platform

        platform = load_platform(target.file)
    files = list(target.values)
    if target.offline:
        from helmdeck.bundle.offline import write_offline_values

        directory = _needed(workdir, "--offline")
        directory.mkdir(parents=True, exist_ok=True)
        files.insert(0, write_offline_values(platform, directory))
    session = PlatformSession(
        platform_file,
        platform=platform,
        environment=environment,
        instance=target.instance,
        kubeconfig=target.kubeconfig,
        context=target.context,
        cli_files=files,
        cli_sets=target.sets,
    )
    if not concurrent:
        from helmdeck.cluster import make_client

        session.client = make_client(session.kubeconfig, session.context, concurrent=False)
    apply_last_deployed(session, last_deployed)
    return session


@contextlib.contextmanager
def opened(target: Target, *, last_deployed: LastDeployed = LastDeployed.ignore) -> Iterator[PlatformSession]:
    """:func:`open_platform` with a temporary working directory that lives until the block ends."""
    if target.bundle is None and not target.offline:
        yield open_platform(target, last_deployed=last_deployed)
        return
    with tempfile.TemporaryDirectory(prefix="helmdeck-deploy-") as tmp:
        yield open_platform(target, workdir=Path(tmp) / "work", last_deployed=last_deployed)


def _needed(workdir: Path | None, what: str) -> Path:
    if workdir is None:
        raise ValueError(f"open_platform needs a workdir for {what}: use opened()")
    return workdir


def _from_bundle(target: Target, workdir: Path) -> tuple[Platform, Path, str | None]:
    """The bundle verified and extracted below ``workdir``, its provided files linked in, its
    platform loaded and checked to read nothing outside it; with the environment its manifest allows."""
    from helmdeck.bundle.open import bundle_manifest, check_contained, open_bundle, provide_files
    from helmdeck.spec import load_platform

    assert target.bundle is not None
    platform_file = open_bundle(target.bundle, workdir)
    manifest = bundle_manifest(platform_file)
    environment = bundle_environment(manifest, target.environment, target.bundle)
    provide_files(platform_file, target.provided)
    platform = load_platform(platform_file)
    check_contained(platform, platform_file.parent, manifest.required)
    return platform, platform_file, environment
