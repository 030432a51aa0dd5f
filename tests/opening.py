"""The bundle tests' way into :func:`helmdeck.app.opening.open_platform`: the keywords they were
written with (``environment=``, ``cli_files=``, ...) turned into a :class:`Target`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from helmdeck.app.opening import LastDeployed, open_platform, opened
from helmdeck.app.target import Target
from helmdeck.core.session import PlatformSession


def _target(
    file: Path,
    *,
    bundle: Path | None = None,
    environment: str | None = None,
    provided: Sequence[str] = (),
    offline: bool = False,
    kubeconfig: str | None = None,
    cli_files: Sequence[Path] = (),
    instance: str | None = None,
) -> Target:
    return Target(
        file=file,
        bundle=bundle,
        provided=tuple(provided),
        offline=offline,
        environment=environment,
        instance=instance,
        kubeconfig=kubeconfig,
        values=tuple(cli_files),
    )


def session_from_bundle(bundle: Path, workdir: Path, **options: object) -> PlatformSession:
    """The session on ``bundle`` extracted below ``workdir``."""
    return open_platform(_target(Path("platform.yaml"), bundle=bundle, **options), workdir=workdir)  # type: ignore[arg-type]


@contextlib.contextmanager
def session_for_deploy(file: Path, **options: object) -> Iterator[PlatformSession]:
    """The session ``plan`` and ``deploy`` open (the last deployed environment adopted)."""
    with opened(_target(file, **options), last_deployed=LastDeployed.adopt) as session:  # type: ignore[arg-type]
        yield session
