"""A component's health, in the words every output uses (status, deploy and rollback reports,
platform revisions, the web pages): one enum whose values are those words, so JSON stays plain text."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal, TypedDict


class Health(StrEnum):
    """A component's (or a shown object's) health; the values are the JSON's."""

    healthy = "healthy"
    progressing = "progressing"
    failed = "failed"
    #: some objects report nothing helmdeck can read, the rest are healthy
    unknown = "unknown"
    #: not installed
    absent = "absent"

    @classmethod
    def of_state(cls, state: str) -> Health:
        """The word for an object's readiness state (``ready``, ``progressing``, ``failed``,
        ``unknown``): an object that is ready is healthy."""
        return cls.healthy if state == "ready" else cls(state)

    @classmethod
    def recorded(cls, text: str) -> Health | None:
        """A health read back from a record: None for records made before health was kept, or by a
        later helmdeck with a word this one does not know."""
        try:
            return cls(text)
        except ValueError:
            return None


#: health that means a component is not (yet) what it should be
UNHEALTHY = frozenset({Health.failed, Health.progressing})


class FinalHealth(TypedDict):
    """A component's health at the end of an operation, with why (a report's ``health`` entries)."""

    health: Health
    reason: str


def final_health(entries: Mapping[str, FinalHealth], name: str) -> Health | Literal[""]:
    """The health ``name`` ended with; "" when the operation did not check it."""
    entry = entries.get(name)
    return entry["health"] if entry is not None else ""
