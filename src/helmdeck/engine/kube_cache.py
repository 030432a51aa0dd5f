"""Each worker process's Kubernetes client cache, in memory and its own.

Helm's client (client-go's ``ConfigFlags``) keeps a discovery cache and an HTTP cache on disk, in
``$KUBECACHEDIR`` or ``~/.kube/cache``. Every install invalidates it (Helm refetches the cluster's
API groups to build ``.Capabilities``) and then writes every group's resource list back, one
file each, renamed into place: on a journalled disk that is block I/O and about a sixth of a small
chart's install CPU, and the files are never read by another install (each invalidates them
again). So each worker points ``KUBECACHEDIR`` at a directory of its own on ``/dev/shm`` (memory),
which client-go creates when it first writes there, the worker removes when it ends, and the
parent removes when it kills the worker. A cache directory the user chose (``KUBECACHEDIR`` set)
is kept, and so is the default where there is no ``/dev/shm``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import MutableMapping
from pathlib import Path

SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 (names under it are unguessable: see private_dir)
_PREFIX = "helmdeck-kube-cache-"
VARIABLE = "KUBECACHEDIR"


def private_dir(env: MutableMapping[str, str], *, root: Path = SHARED_MEMORY) -> str | None:
    """Point ``env`` (a worker's, before it starts) at a cache directory of its own; returns the
    directory, or None where the user's choice or the default stays. The name is unguessable, so
    nobody else on the machine can make it first."""
    if env.get(VARIABLE) or not (root.is_dir() and os.access(root, os.W_OK | os.X_OK)):
        return None
    path = str(root / f"{_PREFIX}{secrets.token_hex(8)}")
    env[VARIABLE] = path
    return path


def remove(path: str | None) -> None:
    """Remove a worker's cache directory (it may never have been made)."""
    if path and Path(path).name.startswith(_PREFIX):
        shutil.rmtree(path, ignore_errors=True)


def remove_own() -> None:
    """In a worker on its way out: remove the directory its parent gave it."""
    remove(os.environ.get(VARIABLE))
