"""How often Python's cyclic garbage collector runs in helmdeck's processes.

helmdeck reads the cluster in large lists: a status of 100 components decodes about 100,000
dicts and lists, which live until the status is made. With CPython's default threshold (a
collection every 700 new containers) they survive young collections into the oldest generation
and set off full collections, each walking every object of the process: measured, 55 of the 93 ms
of CPU a fresh 100-component status took in the web service. Almost nothing helmdeck makes is a
cycle (decoded JSON never is), so collecting less often costs little memory.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: new containers between young collections (CPython's default is 700)
YOUNG_OBJECTS = 50_000


def collect_less_often() -> None:
    gc.set_threshold(YOUNG_OBJECTS, 10, 10)


def settle_long_lived() -> None:
    """After a long-running process has started: what it made so far (modules, the app, its
    templates) lives as long as the process, so full collections need not walk it again."""
    collect_less_often()
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while the block runs, for one reading that builds a large tree of
    decoded JSON and lets it go (a status): even the rarer collections of :func:`collect_less_often`
    walked the growing tree again and again, 0.2 s of the 2 s of CPU a CLI status of 1000 components
    took. Collection resumes after the block, so a loop of readings (``--watch``) still collects."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
