"""Response models of the logs and revision-compare endpoints (OpenAPI document)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class LogContainer(_Out):
    name: str
    init: bool
    restarts: int = Field(description="Restarts so far: a container that restarted has a previous log.")
    state: str


class LogSource(_Out):
    pod: str
    namespace: str
    containers: list[LogContainer]


class PodLog(_Out):
    component: str
    namespace: str
    pod: str
    container: str
    previous: bool = Field(description="The log of the container's previous run (before its last restart).")
    restarts: int
    tail_lines: int = Field(description="At most this many of the last lines.")
    limit_bytes: int = Field(description="At most this many bytes were read.")
    lines: list[str] = Field(description="The lines, oldest first, secrets redacted.")
    truncated: bool = Field(description="The byte limit cut the log: older lines are left out.")
    unavailable: str | None = Field(description="Why there is no log (the container never ran, no previous run).")


class CompareSide(_Out):
    chart: str
    chart_version: str
    revision: int = Field(description="The component's Helm release revision.")
    status: str
    release: str
    namespace: str


class ComparedComponent(_Out):
    component: str
    change: Literal["added", "removed", "changed", "unchanged"]
    from_: CompareSide | None = Field(alias="from")
    to: CompareSide | None
    values_diff: str = Field(description="Unified diff of the values Helm rendered with, secrets redacted.")
    manifest_diff: str = Field(description="Unified diff of the manifests, object by object; Secret data never shown.")
    missing: list[int] = Field(description="Release revisions Helm no longer keeps: compared as empty.")


class RevisionRef(_Out):
    revision: int
    operation: str
    created: str


class RevisionCompare(_Out):
    from_: RevisionRef = Field(alias="from")
    to: RevisionRef
    components: list[ComparedComponent]
    counts: dict[str, int]
