"""Recent events about an object and its pods: fetched once per namespace, deduplicated, ordered."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import lightkube

from helmdeck.cluster.kinds import list_objects
from helmdeck.serialize import JsonObject, computed, json_field

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EventSummary(JsonObject):
    kind: str = field(metadata=json_field(exclude=True))
    name: str = field(metadata=json_field(exclude=True))
    namespace: str | None
    type: str  # Normal | Warning
    reason: str
    message: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    source: str
    # the API's resourceVersion, compared only to order events recorded within the same second
    sequence: int = field(default=0, metadata=json_field(exclude=True))

    __json_computed__ = (computed("object_name", name="object"),)
    __json_order__ = ("object", "namespace", "type", "reason", "message", "count", "firstSeen", "lastSeen", "source")

    @property
    def warning(self) -> bool:
        return self.type == "Warning"

    @property
    def object_name(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_time(value: Any) -> datetime | None:
    """A Kubernetes Time or MicroTime (``2024-05-01T10:00:00Z``, ``...00.123456Z``) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def summarize_event(event: Mapping[str, Any]) -> EventSummary:
    """One core/v1 Event, with the timestamps and count of whichever of its generations of fields are set
    (legacy first/lastTimestamp+count, or eventTime+series from the events.k8s.io writers)."""
    involved = _map(event.get("involvedObject"))
    series = _map(event.get("series"))
    meta = _map(event.get("metadata"))
    created = parse_time(meta.get("creationTimestamp"))
    first = parse_time(event.get("firstTimestamp")) or parse_time(event.get("eventTime")) or created
    last = (
        parse_time(series.get("lastObservedTime"))
        or parse_time(event.get("lastTimestamp"))
        or parse_time(event.get("eventTime"))
        or created
    )
    count = series.get("count") or event.get("count") or 1
    source = _map(event.get("source")).get("component") or event.get("reportingComponent") or ""
    return EventSummary(
        kind=str(involved.get("kind", "")),
        name=str(involved.get("name", "")),
        namespace=involved.get("namespace") or meta.get("namespace"),
        type=str(event.get("type") or "Normal"),
        reason=str(event.get("reason") or ""),
        message=str(event.get("message") or "").strip(),
        count=int(count) if isinstance(count, int) else 1,
        first_seen=first,
        last_seen=last,
        source=str(source),
        sequence=_sequence(meta.get("resourceVersion")),
    )


def _sequence(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


_COMBINED = "(combined from similar events): "


def generic_message(event: EventSummary) -> str:
    """The message with the generated names of the object's children masked (``web-7d9f-x2k4q`` of
    ReplicaSet ``web-7d9f`` becomes ``web-7d9f-*``), so a controller's retries read as one event."""
    text = event.message.removeprefix(_COMBINED)
    if event.name:
        text = re.sub(rf"\b{re.escape(event.name)}-[a-z0-9]{{5}}\b", f"{event.name}-*", text)
    return text


def summarize_events(
    events: Iterable[Mapping[str, Any]],
    involved: Collection[tuple[str, str]] | None = None,
    *,
    limit: int | None = None,
    warnings_only: bool = False,
) -> list[EventSummary]:
    """Events about the ``(kind, name)`` objects in ``involved`` (all when None), oldest first.

    Repeats (same object, type, reason and message, as separate Event objects) merge into one with the
    counts summed and the widest time span; ``limit`` keeps the most recent ones.
    """
    merged: dict[tuple[str, str, str, str, str], EventSummary] = {}
    for raw in events:
        event = summarize_event(raw)
        if involved is not None and (event.kind, event.name) not in involved:
            continue
        if warnings_only and not event.warning:
            continue
        text = generic_message(event)
        key = (event.kind, event.name, event.type, event.reason, text)
        seen = merged.get(key)
        if seen is None:
            merged[key] = event
            continue
        firsts = [t for t in (seen.first_seen, event.first_seen) if t]
        lasts = [t for t in (seen.last_seen, event.last_seen) if t]
        merged[key] = EventSummary(
            kind=event.kind,
            name=event.name,
            namespace=event.namespace,
            type=event.type,
            reason=event.reason,
            message=event.message if event.message == seen.message else text,
            count=seen.count + event.count,
            first_seen=min(firsts) if firsts else None,
            last_seen=max(lasts) if lasts else None,
            source=seen.source or event.source,
            sequence=max(seen.sequence, event.sequence),
        )
    ordered = sorted(
        merged.values(),
        key=lambda e: (e.last_seen or _EPOCH, e.sequence, e.kind, e.name, e.reason, e.message),
    )
    if limit is not None:
        ordered = ordered[-limit:] if limit > 0 else []
    return ordered


def recent_events(
    client: lightkube.Client,
    namespace: str,
    involved: Collection[tuple[str, str]],
    *,
    limit: int | None = 20,
    warnings_only: bool = False,
) -> list[EventSummary]:
    """The recent events of the given objects in one namespace (one list request)."""
    if not involved:
        return []
    # one object: let the server filter; several: one list beats one request each
    fields = {"involvedObject.name": next(iter(involved))[1]} if len(involved) == 1 else None
    raw = list_objects(client, "v1", "Event", namespace=namespace, fields=fields)
    return summarize_events(raw, set(involved), limit=limit, warnings_only=warnings_only)
