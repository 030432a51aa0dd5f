"""The operation journal: each change the web service runs, kept in the cluster while it runs.

The record is written when the operation starts, again each time one of its components reaches a
new state, and when it ends, as one Secret per operation in the platform's admin namespace (its
events may name values a chart printed, so not a ConfigMap). A service killed in the middle of an
operation (kill -9, a lost node) cannot say so itself: the next service to start finds the record
still ``running``, sees that its holder is gone, and marks it ``interrupted`` with the last state
of every component, so what was done is never lost with the process.
"""

from __future__ import annotations

import base64
import gzip
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from helmdeck.cluster import KubeClient, NotFound, ObjRef, create_object, delete_object, list_objects, replace_object
from helmdeck.cluster.lease import LeaseInfo, dead_local_holder, describe
from helmdeck.labels import KIND_LABEL, MANAGED_BY_LABEL, OPERATION_RECORD_KIND, PLATFORM_LABEL

JOURNAL_KIND = OPERATION_RECORD_KIND
#: records kept per platform (the oldest finished ones go first)
KEEP = 50
#: events kept per record: a Secret holds at most 1 MiB, and the first and last events tell the story
MAX_EVENTS = 200


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def component_states(events: list[dict[str, Any]]) -> dict[str, str]:
    """The last state each component reached, from an operation's events (``*`` is the operation's end)."""
    out: dict[str, str] = {}
    for event in events:
        name = str(event.get("component", ""))
        if name and name != "*":
            out[name] = str(event.get("state", ""))
    return out


class OperationJournal:
    """Operation records of one platform, written by ``holder`` (the lease holder's identity)."""

    def __init__(self, client: KubeClient, namespace: str, platform: str, holder: str) -> None:
        self.client = client
        self.namespace = namespace
        self.platform = platform
        self.holder = holder
        # this process's writing: in a container every restart may be "pid 1" with the same host
        # name, so the holder alone cannot tell a dead predecessor from ourselves
        self.run = secrets.token_hex(6)

    def _name(self, op_id: str) -> str:
        return f"helmdeck.op.{self.platform}.{op_id}"

    def _secret(self, record: dict[str, Any]) -> dict[str, Any]:
        kept = dict(record)
        events = list(kept.get("events") or [])
        if len(events) > MAX_EVENTS:
            kept["events"] = events[:10] + events[-(MAX_EVENTS - 10) :]
        kept["holder"] = record.get("holder") or self.holder
        kept["run"] = record.get("run") or self.run
        kept["components"] = component_states(events)
        payload = base64.b64encode(gzip.compress(json.dumps(kept).encode())).decode()
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": self._name(str(record["id"])),
                "namespace": self.namespace,
                "labels": {KIND_LABEL: JOURNAL_KIND, PLATFORM_LABEL: self.platform, MANAGED_BY_LABEL: "helmdeck"},
            },
            "type": "helmdeck.dev/operation",
            "data": {"record": payload},
        }

    def begin(self, record: dict[str, Any]) -> None:
        """Write the record of an operation that starts (the admin namespace must exist)."""
        from helmdeck.cluster import ensure_namespaces

        ensure_namespaces(self.client, [self.namespace], self.platform)
        create_object(self.client, self._secret(record))
        self._prune()

    def update(self, record: dict[str, Any]) -> None:
        """Write the record again (after a component's new state, or at the end)."""
        replace_object(self.client, self._secret(record))

    def records(self) -> list[dict[str, Any]]:
        """Every record of the platform, newest first."""
        labels = {KIND_LABEL: JOURNAL_KIND, PLATFORM_LABEL: self.platform}
        try:
            secrets = list_objects(self.client, "v1", "Secret", namespace=self.namespace, labels=labels)
        except NotFound:
            return []
        out = []
        for secret in secrets:
            raw = (secret.get("data") or {}).get("record", "")
            try:
                out.append(json.loads(gzip.decompress(base64.b64decode(raw))))
            except (ValueError, OSError):
                continue  # a damaged record tells nothing; the others still do
        return sorted(out, key=lambda r: str(r.get("started", "")), reverse=True)

    def purge(self) -> int:
        """Delete every record of the platform (``undeploy --purge-data``); returns how many."""
        records = self.records()
        for record in records:
            delete_object(self.client, ObjRef("v1", "Secret", self._name(str(record["id"])), self.namespace))
        return len(records)

    def _prune(self) -> None:
        finished = [r for r in self.records() if r.get("state") != "running"]
        for old in finished[KEEP:]:
            delete_object(self.client, ObjRef("v1", "Secret", self._name(str(old["id"])), self.namespace))

    def recover(self, holder_alive: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
        """Mark ``interrupted`` every record still ``running`` whose writer is gone; returns them.

        A writer is gone when its process on this host no longer runs, or when it no longer holds
        the platform's lease (released or expired): an operation holds the lease all along, so a
        live one elsewhere is never marked.
        """
        alive = holder_alive or self._holds_lease
        found = []
        for record in self.records():
            holder = str(record.get("holder", ""))
            if record.get("state") != "running" or record.get("run") == self.run:
                continue
            # our own identity on another run: a predecessor whose pid we now have, so dead
            if holder != self.holder and alive(holder):
                continue
            states = component_states(list(record.get("events") or []))
            done = ", ".join(f"{name} {state}" for name, state in states.items()) or "no component started"
            record["state"] = "interrupted"
            record["finished"] = _now()
            record["error"] = (
                f"interrupted: the web service running it ({holder}) stopped before it finished; last states: {done}"
            )
            record["result"] = {"ok": False, "interrupted": True, "components": states}
            record.setdefault("events", []).append(
                {"time": record["finished"], "component": "*", "state": "interrupted", "detail": record["error"]}
            )
            self.update(record)
            found.append(record)
        return found

    def _holds_lease(self, holder: str) -> bool:
        if not holder or dead_local_holder(holder):
            return False
        info: LeaseInfo | None = describe(self.client, self.namespace, self.platform)
        return info is not None and info.holder == holder and not info.expired
