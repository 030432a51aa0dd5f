"""A clock tests advance by hand, for the Lease: expiry, renewals and loss without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 1000.0
        self._lock = threading.Condition()
        #: waits the renewer asked for, in order (seconds)
        self.waits: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds
            self._lock.notify_all()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Returns when the test has advanced the clock by ``seconds`` (or ``stop`` is set)."""
        with self._lock:
            self.waits.append(seconds)
            until = self._mono + seconds
            while self._mono < until and not stop.is_set():
                self._lock.wait(0.01)
            return stop.is_set()
