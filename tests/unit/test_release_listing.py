"""helmdeck lists a platform's releases from Helm's release Secrets, decoding only each release's
newest revision, and sees them as Helm's own listing does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from helmdeck.cluster.kinds import items_of
from helmdeck.core import release_listing
from helmdeck.core.release_listing import release_of
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.engine.storage import encode_release_data, newest_release_secrets
from helmdeck.errors import ClusterError


def _secret(
    name: str, version: int, status: str, *, deployed: str = "2026-12-07T22:55:33.711167706Z"
) -> dict[str, Any]:
    release = {
        "name": name,
        "namespace": "apps",
        "version": version,
        "info": {"status": status, "last_deployed": deployed, "description": "Upgrade complete", "notes": "hi"},
        "chart": {"metadata": {"name": "hello", "version": f"0.{version}.0", "appVersion": "1.27"}},
        "manifest": "kind: ConfigMap",
    }
    labels = {"name": name, "owner": "helm", "status": status, "version": str(version), "helmdeck.dev/component": name}
    return {
        "metadata": {"name": f"sh.helm.release.v1.{name}.v{version}", "namespace": "apps", "labels": labels},
        "data": {"release": encode_release_data(release)},
    }


def test_only_the_newest_revision_of_each_release_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = [[_secret("web", 1, "superseded"), _secret("web", 3, "failed"), _secret("web", 2, "superseded")]]
    listed.append([_secret("db", 1, "deployed")])
    decoded: list[str] = []
    real = release_listing.decode_release_data

    def counting(raw: str) -> dict[str, Any] | None:
        data = real(raw)
        decoded.append(f"{data['name']}.v{data['version']}" if data else "?")
        return data

    monkeypatch.setattr(release_listing, "decode_release_data", counting)
    releases = [release_of(s) for s in newest_release_secrets(items_of(listed))]
    assert sorted(decoded) == ["db.v1", "web.v3"]
    web = next(r for r in releases if r is not None and r.name == "web")
    assert (web.revision, web.status, web.chart, web.app_version) == (3, ReleaseStatus.FAILED, "hello-0.3.0", "1.27")
    assert web.labels == {"helmdeck.dev/component": "web"}, "Helm's own labels are not the release's"
    assert (web.manifest, web.description, web.notes) == ("", "", "hi"), "as Helm lists: no manifest"


def test_helms_nanosecond_times_read_in_whole_seconds_with_their_zone() -> None:
    utc = release_of(_secret("a", 1, "deployed"))
    assert utc is not None and utc.updated == datetime(2026, 12, 7, 22, 55, 33, tzinfo=UTC)
    local = release_of(_secret("a", 1, "deployed", deployed="2026-12-07T23:55:33.7+01:00"))
    assert local is not None and local.updated == datetime(2026, 12, 7, 23, 55, 33, tzinfo=timezone(timedelta(hours=1)))
    odd = release_of(_secret("a", 1, "deployed", deployed="yesterday"))
    assert odd is not None and odd.updated is None


def test_a_secret_that_is_not_a_release_is_skipped_and_a_failed_list_is_raised() -> None:
    broken = _secret("x", 1, "deployed")
    broken["data"]["release"] = "bm90IGEgcmVsZWFzZQ=="
    assert release_of(broken) is None
    with pytest.raises(ClusterError, match="forbidden"):
        list(items_of([ClusterError("secrets is forbidden")]))
