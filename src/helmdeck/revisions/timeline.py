"""Where a deploy's time went: per component, when it rendered, when Helm wrote it to the API server,
and how long its health gate waited for the first and the last of its objects; per platform, the
preflight, the preparation under the lock and the final health check. Times are seconds from the
deploy's start (monotonic clock).

The critical chain is the path through the ``needs`` graph that ended last, followed backwards
through the need that finished last (the one each component actually waited for). Its floor, the
readiness waits along it, is what no tool can beat with these pods; the rest of the chain's time is
overhead (rendering, API writes, scheduling of the work itself).

The record lives here, below ``deploy``, because the platform revision record keeps it (compact) so
``history show REV --timeline`` can draw a deploy long after it ran.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from helmdeck.errors import ConfigError
from helmdeck.serialize import JsonObject, json_field

#: a component's phases, in the order they happen
RENDER = "render"
INSTALL = "install"  # Helm's install or upgrade: the API writes (and recovering a pending release)
FIRST_READY = "first-ready"  # the health gate until the first object was ready
LAST_READY = "last-ready"  # then until the last one was
UNDO = "undo"  # a failed component rolled back or uninstalled
COMPONENT_PHASES = (RENDER, INSTALL, FIRST_READY, LAST_READY, UNDO)
#: the platform's own phases
PREFLIGHT = "preflight"
PREPARE = "prepare"  # lock, namespaces, secrets, rendering with them, drift
FINAL_CHECK = "final-check"  # every component's health once more at the end
PLATFORM_PHASES = (PREFLIGHT, PREPARE, FINAL_CHECK)
#: the readiness waits: what the pods take, not helmdeck
WAITS = (FIRST_READY, LAST_READY)

_COMPACT_VERSION = 1


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass
class ComponentTimeline:
    name: str
    needs: tuple[str, ...] = ()
    outcome: str = ""
    #: the component's own work, from the moment the executor picked it up to its result
    span: Span | None = None
    phases: dict[str, Span] = field(default_factory=dict)

    @property
    def readiness_wait(self) -> float:
        return sum(self.phases[p].seconds for p in WAITS if p in self.phases)


# the readable form: seconds to the millisecond
_SECONDS = json_field(round=3)


@dataclass(frozen=True)
class PhaseView(JsonObject):
    phase: str
    start: float = field(metadata=_SECONDS)
    end: float = field(metadata=_SECONDS)


@dataclass(frozen=True)
class ComponentView(JsonObject):
    component: str
    needs: tuple[str, ...]
    outcome: str
    #: when its work began and ended (None: it never ran)
    start: float | None = field(metadata=_SECONDS)
    end: float | None = field(metadata=_SECONDS)
    #: on the critical chain
    critical: bool
    phases: tuple[PhaseView, ...]


@dataclass(frozen=True)
class TimelineView(JsonObject):
    """A timeline with what is derived from it: the critical chain, its floor and its overhead."""

    seconds: float = field(metadata=_SECONDS)
    platform_phases: tuple[PhaseView, ...]
    components: tuple[ComponentView, ...]
    critical_chain: tuple[str, ...]
    #: the readiness waits along the critical chain: the lower bound with these pods
    floor: float = field(metadata=_SECONDS)
    #: when the critical chain ended
    chain_seconds: float = field(metadata=_SECONDS)
    #: what the chain took beyond its pods' readiness: helmdeck's own time, and the API server's
    overhead: float = field(metadata=_SECONDS)


@dataclass
class Timeline(JsonObject):
    """A deploy's times as recorded; its JSON is its :meth:`view`."""

    __json_value__ = "view"

    seconds: float = 0.0
    platform: dict[str, Span] = field(default_factory=dict)
    components: dict[str, ComponentTimeline] = field(default_factory=dict)

    # -- the critical chain ---------------------------------------------------------------------
    def critical_chain(self) -> list[str]:
        """The components the deploy's end waited on, first to last: start from the component that
        ended last and go back through the need that ended last, down to one with no timed need."""
        timed = {n: c for n, c in self.components.items() if c.span is not None}
        if not timed:
            return []
        current: str | None = max(timed, key=lambda n: (_end(timed[n]), n))
        chain: list[str] = []
        while current is not None and current not in chain:
            chain.append(current)
            needs = [d for d in timed[current].needs if d in timed]
            current = max(needs, key=lambda n: (_end(timed[n]), n)) if needs else None
        chain.reverse()
        return chain

    def floor(self, chain: Sequence[str] | None = None) -> float:
        """The readiness waits along the critical chain: the deploy's lower bound with these pods."""
        names = self.critical_chain() if chain is None else chain
        return sum(self.components[n].readiness_wait for n in names)

    # -- output ---------------------------------------------------------------------------------
    def view(self) -> TimelineView:
        """The timeline as ``deploy -o json``, ``history show --timeline -o json`` and the web service
        show it: phases in their order, the critical chain computed once for every key it gives."""
        chain = self.critical_chain()
        floor = self.floor(chain)
        chain_end = _end(self.components[chain[-1]]) if chain else 0.0
        on_chain = set(chain)
        return TimelineView(
            seconds=self.seconds,
            platform_phases=_phases(self.platform, PLATFORM_PHASES),
            components=tuple(
                ComponentView(
                    component=c.name,
                    needs=c.needs,
                    outcome=c.outcome,
                    start=c.span.start if c.span else None,
                    end=c.span.end if c.span else None,
                    critical=c.name in on_chain,
                    phases=_phases(c.phases, COMPONENT_PHASES),
                )
                for c in self.components.values()
            ),
            critical_chain=tuple(chain),
            floor=floor,
            chain_seconds=chain_end,
            overhead=max(0.0, chain_end - floor),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Timeline:
        """The inverse of the JSON (:meth:`view`; the derived fields are computed again)."""
        out = cls(seconds=float(data.get("seconds") or 0.0))
        for p in data.get("platformPhases") or []:
            out.platform[str(p["phase"])] = Span(float(p["start"]), float(p["end"]))
        for c in data.get("components") or []:
            span = Span(float(c["start"]), float(c["end"])) if c.get("start") is not None else None
            phases = {str(p["phase"]): Span(float(p["start"]), float(p["end"])) for p in c.get("phases") or []}
            name = str(c["component"])
            out.components[name] = ComponentTimeline(
                name, tuple(c.get("needs") or ()), str(c.get("outcome", "")), span, phases
            )
        return out

    # -- the revision record's form -------------------------------------------------------------
    def compact(self) -> dict[str, Any]:
        """For the platform revision record (a gzip JSON Secret, at most 1 MiB): milliseconds as
        integers, needs as indexes, a phase as a fixed slot. Under 40 bytes a component gzipped (5.6 KB for 200)."""
        names = list(self.components)
        index = {n: i for i, n in enumerate(names)}
        rows = []
        for c in self.components.values():
            slots: list[int | None] = []
            for p in (None, *COMPONENT_PHASES):
                span = c.span if p is None else c.phases.get(p)
                slots += [_ms(span.start), _ms(span.end)] if span else [None, None]
            rows.append([c.name, [index[d] for d in c.needs if d in index], c.outcome, *slots])
        platform = {p: [_ms(s.start), _ms(s.end)] for p, s in self.platform.items()}
        return {"v": _COMPACT_VERSION, "ms": _ms(self.seconds), "p": platform, "c": rows}

    @classmethod
    def from_compact(cls, data: Mapping[str, Any]) -> Timeline:
        if data.get("v") != _COMPACT_VERSION:
            raise ConfigError(
                f"the deploy timeline has format version {data.get('v')!r}, which this helmdeck cannot read",
                fix="read it with the helmdeck version that recorded it",
            )
        out = cls(seconds=(data.get("ms") or 0) / 1000)
        for p, (start, end) in (data.get("p") or {}).items():
            out.platform[str(p)] = Span(start / 1000, end / 1000)
        rows = data.get("c") or []
        names = [str(row[0]) for row in rows]
        for row in rows:
            name, needs, outcome, *slots = row
            spans = [
                Span(slots[i] / 1000, slots[i + 1] / 1000) if slots[i] is not None else None
                for i in range(0, len(slots), 2)
            ]
            phases = {p: s for p, s in zip(COMPONENT_PHASES, spans[1:], strict=False) if s is not None}
            out.components[str(name)] = ComponentTimeline(
                str(name), tuple(names[i] for i in needs), str(outcome), spans[0], phases
            )
        return out


class TimelineRecorder:
    """Marks phases as a deploy runs; components run in threads of their own."""

    def __init__(self, origin: float | None = None) -> None:
        self.origin = time.monotonic() if origin is None else origin
        self._lock = threading.RLock()
        self.timeline = Timeline()

    def now(self) -> float:
        return time.monotonic() - self.origin

    def component(self, name: str, needs: Sequence[str] = ()) -> ComponentTimeline:
        with self._lock:
            found = self.timeline.components.get(name)
            if found is None:
                found = self.timeline.components[name] = ComponentTimeline(name, tuple(needs))
            return found

    def mark(self, name: str | None, phase: str, start: float, end: float | None = None) -> None:
        """A phase of a component (``name``) or of the platform (None), from monotonic clock
        readings (``end``: now)."""
        span = Span(start - self.origin, (time.monotonic() if end is None else end) - self.origin)
        with self._lock:
            if name is None:
                self.timeline.platform[phase] = span
            else:
                self.component(name).phases[phase] = span

    @contextmanager
    def phase(self, name: str | None, phase: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.mark(name, phase, start)

    def gate(self, name: str, start: float, elapsed: float, first_ready: float | None) -> None:
        """A health gate that began at ``start`` (monotonic), took ``elapsed`` seconds and saw its first
        object ready ``first_ready`` seconds in (None: none was, or the gate cannot say)."""
        end = start + elapsed
        first = end if first_ready is None else min(end, start + first_ready)
        self.mark(name, FIRST_READY, start, first)
        self.mark(name, LAST_READY, first, end)

    def renders(self, times: Mapping[str, tuple[float, float]]) -> None:
        """Each component's last rendering, when it happened within this deploy."""
        for name, (start, end) in times.items():
            if start >= self.origin and name in self.timeline.components:
                self.mark(name, RENDER, start, end)

    def finish(self, name: str, start: float, outcome: str) -> None:
        with self._lock:
            c = self.component(name)
            c.span = Span(start - self.origin, time.monotonic() - self.origin)
            c.outcome = outcome

    def done(self, outcomes: Mapping[str, str] | None = None) -> Timeline:
        """The timeline so far; ``outcomes`` name what became of components that never ran (skipped)."""
        with self._lock:
            self.timeline.seconds = self.now()
            for name, outcome in (outcomes or {}).items():
                c = self.timeline.components.get(name)
                if c is not None and not c.outcome:
                    c.outcome = outcome
            return self.timeline


def _end(c: ComponentTimeline) -> float:
    return c.span.end if c.span is not None else 0.0


def _ordered(phases: Mapping[str, Span], order: Sequence[str]) -> list[tuple[str, Span]]:
    rank = {p: i for i, p in enumerate(order)}
    return sorted(phases.items(), key=lambda item: (rank.get(item[0], len(rank)), item[1].start))


def _phases(phases: Mapping[str, Span], order: Sequence[str]) -> tuple[PhaseView, ...]:
    return tuple(PhaseView(p, s.start, s.end) for p, s in _ordered(phases, order))


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def revision_timeline(record: Mapping[str, Any]) -> dict[str, Any]:
    """A platform revision's timeline (the record as JSON, ``PlatformRevision.to_json``) readable,
    with the critical chain and the floor: what ``history show REV --timeline -o json`` and the web
    service give. An error saying why when the revision has none."""
    compact = record.get("timeline")
    revision, platform, operation = record.get("revision"), record.get("platform"), record.get("operation")
    if not compact:
        why = (
            "it was recorded by a helmdeck without deploy timelines"
            if operation == "deploy"
            else f"it records a {operation}, and only deploys record a timeline"
        )
        raise ConfigError(
            f"platform revision {revision} of {platform} has no timeline: {why}",
            fix="pick a revision recorded by a deploy (see `helmdeck history`)",
        )
    return {
        "platform": platform,
        "revision": revision,
        "operation": operation,
        "created": record.get("created"),
        "timeline": Timeline.from_compact(compact).as_dict(),
    }


def listed_revision(record: Mapping[str, Any]) -> dict[str, Any]:
    """A revision's JSON for a list of revisions: the timeline (tens of kilobytes at a thousand
    components) as ``timelineSummary``, its length, floor and critical chain."""
    out = {k: v for k, v in record.items() if k != "timeline"}
    compact = record.get("timeline")
    summary = None
    if compact:
        full = Timeline.from_compact(compact).as_dict()
        summary = {k: full[k] for k in ("seconds", "floor", "chainSeconds", "criticalChain")}
    out["timelineSummary"] = summary
    return out
