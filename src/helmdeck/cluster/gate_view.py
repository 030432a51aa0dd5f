"""What one health gate sees of the shared streams (:mod:`helmdeck.cluster.gate_service`).

A stream that was open before the gate began may not have caught up yet with the writes that
preceded the gate (the Helm upgrade it checks): its copy of a Deployment can still be the old,
ready one. So the gate reads its own objects once when it begins, and sees that reading until the
stream has taken in a change at least as new (watch events come in resourceVersion order, so
from then on the stream knows everything the reading knew). No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from helmdeck.cluster.gate_state import Store, Stream
from helmdeck.cluster.pods import OwnerIndex

Obj = dict[str, Any]


def resource_version(value: Any) -> int | None:
    """A resourceVersion as a number, to order it: etcd's revisions are (Kubernetes made them
    comparable, KEP-5504); None when the server's are not numbers, and then nothing is ordered."""
    try:
        return int(str(value))
    except ValueError:
        return None


class _Overlay(Mapping[str, Obj]):
    """A stream's objects with some names as a fresher reading has them (None: absent there)."""

    def __init__(self, base: Mapping[str, Obj], over: Mapping[str, Obj | None]) -> None:
        self.base = base
        self.over = over

    def __getitem__(self, name: str) -> Obj:
        if name in self.over:
            obj = self.over[name]
            if obj is None:
                raise KeyError(name)
            return obj
        return self.base[name]

    def __iter__(self) -> Iterator[str]:
        yield from (n for n in self.base if n not in self.over)
        yield from (n for n, o in self.over.items() if o is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class GateView(Store):
    """A gate's store: the shared streams' objects (with its own reading where a stream lags), and
    its own storage class and Job ending lookups (kept in the inherited fields)."""

    def __init__(self, shared: Store, watermarks: Mapping[Stream, int]) -> None:
        super().__init__()
        self.shared = shared
        #: per stream, the newest resourceVersion it has taken in (list or event)
        self.watermarks = watermarks
        #: the gate's own reading: per stream, name -> (resourceVersion of the reading, object or None)
        self.readings: dict[Stream, dict[str, tuple[int, Obj | None]]] = {}

    def read(self, stream: Stream, name: str, version: int, obj: Obj | None) -> None:
        self.readings.setdefault(stream, {})[name] = (version, obj)

    def listed(self, stream: Stream) -> Mapping[str, Obj] | None:
        base = self.shared.listed(stream)
        readings = self.readings.get(stream)
        if not readings:
            return base
        mark = self.watermarks.get(stream)
        if base is None:  # not listed yet: the reading is all there is
            behind = {n: obj for n, (_, obj) in readings.items()}
        else:  # (no watermark: the server's versions are not numbers, the stream is all there is)
            behind = {n: obj for n, (version, obj) in readings.items() if mark is not None and mark < version}
        if len(behind) < len(readings):
            # the stream caught up with these (for good: its watermark only grows while the gate runs)
            self.readings[stream] = {n: readings[n] for n in behind}
        if not behind:
            return base
        return _Overlay(base or {}, behind)

    def error(self, stream: Stream) -> str | None:
        return self.shared.error(stream)

    def owner_index(self, stream: Stream) -> OwnerIndex:
        return self.shared.owner_index(stream)
