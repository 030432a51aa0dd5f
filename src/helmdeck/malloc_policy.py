"""How many arenas glibc's malloc gives helmdeck's threads.

glibc gives a thread that finds the arenas in use one of its own, up to eight per core, and hands
little of an arena back to the system. A deploy's threads (one per component in flight, the list
and gate threads) each allocate in bursts, so a deploy of 1000 components held about 30 MiB more
(333 against 302 MiB resident) in arenas than with two, and took no longer with two: Python's small
objects come from its own allocator under the GIL, and the few large ones hardly contend. This is
``MALLOC_ARENA_MAX=2``, which a process can only set for itself through ``mallopt``.
"""

from __future__ import annotations

import ctypes
import os

#: glibc's ``M_ARENA_MAX`` parameter of ``mallopt``
M_ARENA_MAX = -8
ARENAS = 2


def fewer_malloc_arenas() -> bool:
    """Limit this process to ``ARENAS`` malloc arenas; False where the user chose
    (``MALLOC_ARENA_MAX`` set) or the C library is not glibc."""
    if os.environ.get("MALLOC_ARENA_MAX") or not _glibc():
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, ARENAS))


def _glibc() -> bool:
    """Whether the C library is glibc, whose mallopt knows M_ARENA_MAX."""
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError, OSError):
        return False
