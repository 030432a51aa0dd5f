"""Event summaries: timestamps from either event API generation, deduplication and ordering."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from helmdeck.cluster.events import parse_time, summarize_event, summarize_events


def event(
    name: str,
    reason: str,
    message: str,
    *,
    kind: str = "Pod",
    last: str | None = None,
    first: str | None = None,
    count: int | None = None,
    type_: str = "Warning",
    event_time: str | None = None,
    series: dict[str, Any] | None = None,
    created: str = "2024-05-01T09:00:00Z",
    rv: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{name}.{reason}",
            "namespace": "services",
            "creationTimestamp": created,
            **({"resourceVersion": rv} if rv else {}),
        },
        "involvedObject": {"kind": kind, "name": name, "namespace": "services"},
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": "kubelet"},
    }
    if last:
        out["lastTimestamp"] = last
    if first:
        out["firstTimestamp"] = first
    if count is not None:
        out["count"] = count
    if event_time:
        out["eventTime"] = event_time
    if series:
        out["series"] = series
    return out


def test_parse_time_handles_time_and_microtime() -> None:
    assert parse_time("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert parse_time("2024-05-01T10:00:00.250000Z") == datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert parse_time(None) is None
    assert parse_time("not a time") is None


def test_legacy_fields() -> None:
    e = summarize_event(
        event("api-1", "BackOff", "Back-off restarting failed container", last="2024-05-01T10:05:00Z", count=7)
    )
    assert e.count == 7
    assert e.last_seen == datetime(2024, 5, 1, 10, 5, tzinfo=UTC)
    assert e.source == "kubelet"


def test_series_fields_from_new_event_api() -> None:
    raw = event(
        "api-1",
        "BackOff",
        "Back-off",
        event_time="2024-05-01T10:00:00.000000Z",
        series={"count": 4, "lastObservedTime": "2024-05-01T10:07:00.000000Z"},
    )
    e = summarize_event(raw)
    assert e.count == 4
    assert e.first_seen == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert e.last_seen == datetime(2024, 5, 1, 10, 7, tzinfo=UTC)


def test_falls_back_to_creation_timestamp() -> None:
    e = summarize_event(event("api-1", "Scheduled", "assigned", type_="Normal"))
    assert e.last_seen == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert e.count == 1


def test_sorted_oldest_first_and_filtered_by_object() -> None:
    raw = [
        event("api-1", "BackOff", "Back-off restarting", last="2024-05-01T10:05:00Z"),
        event("api-1", "Pulled", "pulled image", last="2024-05-01T10:01:00Z", type_="Normal"),
        event("other", "BackOff", "unrelated", last="2024-05-01T10:02:00Z"),
        event("backend", "ScalingReplicaSet", "scaled up", kind="Deployment", last="2024-05-01T10:00:00Z"),
    ]
    out = summarize_events(raw, {("Pod", "api-1"), ("Deployment", "backend")})
    assert [e.reason for e in out] == ["ScalingReplicaSet", "Pulled", "BackOff"]


def test_duplicates_merge_counts_and_span() -> None:
    raw = [
        event(
            "api-1",
            "BackOff",
            "Back-off restarting",
            first="2024-05-01T10:01:00Z",
            last="2024-05-01T10:03:00Z",
            count=2,
        ),
        event(
            "api-1",
            "BackOff",
            "Back-off restarting",
            first="2024-05-01T10:00:00Z",
            last="2024-05-01T10:09:00Z",
            count=3,
        ),
        event("api-2", "BackOff", "Back-off restarting", last="2024-05-01T10:04:00Z"),
    ]
    out = summarize_events(raw)
    assert len(out) == 2
    merged = out[-1]
    assert (merged.name, merged.count) == ("api-1", 5)
    assert merged.first_seen == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert merged.last_seen == datetime(2024, 5, 1, 10, 9, tzinfo=UTC)


def test_limit_keeps_most_recent_and_warnings_only() -> None:
    raw = [event("api-1", f"R{i}", f"m{i}", last=f"2024-05-01T10:0{i}:00Z") for i in range(5)]
    raw.append(event("api-1", "Started", "started", last="2024-05-01T10:09:00Z", type_="Normal"))
    assert [e.reason for e in summarize_events(raw, limit=2)] == ["R4", "Started"]
    assert [e.reason for e in summarize_events(raw, limit=2, warnings_only=True)] == ["R3", "R4"]
    assert summarize_events(raw, limit=0) == []


def test_equal_timestamps_order_is_stable() -> None:
    raw = [
        event("b", "Z", "z", last="2024-05-01T10:00:00Z"),
        event("a", "A", "a", last="2024-05-01T10:00:00Z"),
    ]
    assert [e.name for e in summarize_events(raw)] == ["a", "b"]
    assert [e.name for e in summarize_events(list(reversed(raw)))] == ["a", "b"]


def test_same_second_events_keep_the_order_they_were_recorded_in() -> None:
    raw = [
        event("web-1", "Scheduled", "assigned", last="2024-05-01T10:00:00Z", type_="Normal", rv="1207"),
        event("web", "SuccessfulCreate", "Created pod", kind="ReplicaSet", last="2024-05-01T10:00:00Z", rv="1203"),
        event("web-1", "Failed", "pull failed", last="2024-05-01T10:00:00Z", rv="1210"),
        event("web", "ScalingReplicaSet", "scaled up", kind="Deployment", last="2024-05-01T10:00:00Z", rv="1199"),
    ]
    assert [e.reason for e in summarize_events(raw)] == [
        "ScalingReplicaSet",
        "SuccessfulCreate",
        "Scheduled",
        "Failed",
    ]


def test_retries_naming_generated_pods_merge() -> None:
    failed_create = 'Error creating: pods "web-6fb8667f5-{}" is forbidden: exceeded quota: q'
    raw = [
        event(
            "web-6fb8667f5",
            "FailedCreate",
            failed_create.format("zgmmt"),
            kind="ReplicaSet",
            last="2024-05-01T10:00:00Z",
        ),
        event(
            "web-6fb8667f5",
            "FailedCreate",
            failed_create.format("x464k"),
            kind="ReplicaSet",
            last="2024-05-01T10:00:01Z",
        ),
        event(
            "web-6fb8667f5",
            "FailedCreate",
            "(combined from similar events): " + failed_create.format("fnfsk"),
            kind="ReplicaSet",
            last="2024-05-01T10:00:04Z",
        ),
        event(
            "web-6fb8667f5", "SuccessfulCreate", "Created pod: web-6fb8667f5-abcde", kind="ReplicaSet", type_="Normal"
        ),
    ]
    failed = [e for e in summarize_events(raw) if e.reason == "FailedCreate"]
    assert len(failed) == 1
    assert failed[0].count == 3
    assert failed[0].message == 'Error creating: pods "web-6fb8667f5-*" is forbidden: exceeded quota: q'
    assert failed[0].last_seen == datetime(2024, 5, 1, 10, 0, 4, tzinfo=UTC)
    # a lone event keeps its real message
    [created] = [e for e in summarize_events(raw) if e.reason == "SuccessfulCreate"]
    assert created.message == "Created pod: web-6fb8667f5-abcde"
