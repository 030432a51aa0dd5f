"""Health is one enum across the domain types (status, reports, revision records, the resource
tree), whose values are the words the JSON always had: a record read back holds the enum, and
writes the same text again."""

from __future__ import annotations

import json

from helmdeck.core.resource_tree import health_word
from helmdeck.health import Health
from helmdeck.revisions.store import PlatformRevision


def test_a_revision_record_reads_back_health_as_the_enum_and_writes_the_same_words() -> None:
    stored = {
        "revision": 3,
        "platform": "dash",
        "environment": "demo",
        "specDigest": "d",
        "operation": "deploy",
        "user": "ana",
        "components": {
            "db": {
                "release": "db",
                "namespace": "s",
                "chartVersion": "1",
                "chart": "db",
                "revision": 2,
                "status": "deployed",
                "health": "failed",
            },
            "old": {
                "release": "old",
                "namespace": "s",
                "chartVersion": "1",
                "chart": "old",
                "revision": 1,
                "status": "deployed",
                "health": "",
            },
        },
    }
    record = PlatformRevision.from_json(stored)
    assert record.components["db"].health is Health.failed
    assert record.components["old"].health == ""  # older records kept no health
    again = json.loads(json.dumps(record.to_json()))
    assert again["components"]["db"]["health"] == "failed" and again["components"]["old"]["health"] == ""


def test_the_resource_trees_words_are_the_enum() -> None:
    assert health_word("ready") is Health.healthy and health_word("progressing") is Health.progressing
    assert json.dumps({"health": health_word("failed")}) == '{"health": "failed"}'
