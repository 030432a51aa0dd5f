"""State remembered for each cluster client between readings, dropped with the client.

One client is one cluster: what was learnt through one (uids, resourceVersions, platform ids) must
never answer for another, and a client that is gone takes its memory with it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PerClient(Generic[T]):
    """``memory(client)``: the client's state, made by ``make`` on first use. :attr:`lock` is held
    while it is looked up; callers that change the state from several threads hold it too."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._states: weakref.WeakKeyDictionary[Any, T] = weakref.WeakKeyDictionary()
        self.lock = threading.Lock()

    def __call__(self, client: Any) -> T:
        with self.lock:
            state = self._states.get(client)
            if state is None:
                state = self._states[client] = self._make()
            return state
