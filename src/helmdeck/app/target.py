"""What an operation works on: the platform (a file or a bundle), the cluster, and the values given
on top, as one frozen value that the CLI options and the server settings both produce."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helmdeck.values.set_expressions import SetFlag


@dataclass(frozen=True)
class Target:
    """One platform instance on one cluster, with the command line's values.

    ``environment`` and ``instance`` None mean "not given": the rules of
    :mod:`helmdeck.app.rules` then decide (a bundle's only environment, the last deployed one).
    """

    file: Path = Path("platform.yaml")
    #: an offline bundle to deploy from instead of ``file``
    bundle: Path | None = None
    #: ``NAME=PATH`` files a bundle leaves out (secrets), linked into it at open
    provided: tuple[str, ...] = ()
    #: refuse anything that needs the network; the offline values layer goes below ``values``
    offline: bool = False
    environment: str | None = None
    instance: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    #: umbrella-style values files (``--values``), above the environment
    values: tuple[Path, ...] = ()
    #: every ``--set``/``--set-string``/``--set-json``/``--set-file``, in the order Helm applies them
    sets: tuple[str | SetFlag, ...] = ()

    def replace(self, **changes: object) -> Target:
        """This target with some fields changed (a saved plan's environment, ...)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
