"""Counting the API server's writes from its request metrics: which requests are writes."""

from __future__ import annotations

from collections import Counter

from helmdeck.sandbox.request_metrics import RequestMetrics, parse_path_gets, parse_writes


def _line(verb: str, resource: str, value: int, *, dry_run: str = "", subresource: str = "", code: str = "200") -> str:
    labels = (
        f'code="{code}",component="apiserver",dry_run="{dry_run}",group="",resource="{resource}",'
        f'scope="resource",subresource="{subresource}",verb="{verb}",version="v1"'
    )
    return f"apiserver_request_total{{{labels}}} {value}"


TEXT = "\n".join(
    [
        "# HELP apiserver_request_total [STABLE] Counter of apiserver requests",
        "# TYPE apiserver_request_total counter",
        _line("GET", "secrets", 40),
        _line("POST", "secrets", 3, code="201"),
        _line("PUT", "secrets", 2),
        _line("POST", "secrets", 1, code="409"),
        _line("APPLY", "deployments", 9, dry_run="All"),
        _line("PUT", "leases", 77),
        _line("POST", "leases", 1, code="201"),
        _line("POST", "selfsubjectaccessreviews", 8, code="201"),
        _line("PATCH", "pods", 5, subresource="status"),
        _line("PATCH", "nodes", 4, subresource="status"),
        'apiserver_request_longrunning{verb="WATCH"} 3',
    ]
)


def test_writes_are_counted_per_verb_and_resource_leaving_out_reads_dry_runs_reviews_and_heartbeats() -> None:
    assert parse_writes(TEXT) == Counter(
        {("POST", "secrets"): 4, ("PUT", "secrets"): 2, ("POST", "leases"): 1, ("PATCH", "pods/status"): 5}
    )


def test_the_writes_between_two_snapshots() -> None:
    before = parse_writes(TEXT)
    after = parse_writes(TEXT.replace(_line("PUT", "secrets", 2), _line("PUT", "secrets", 5)))
    writes = RequestMetrics.since(before, after)
    assert writes.total == 3 and writes.by_verb() == {"PUT": 3}
    assert str(writes) == "PUT secrets x3"
    assert str(RequestMetrics.since(after, after)) == "no writes"


def test_gets_of_a_path_are_counted_from_the_non_resource_samples() -> None:
    """The OpenAPI documents are non-resource URLs: counted with the path as subresource, no resource."""
    openapi = (
        'apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",'
        'subresource="openapi/v3",verb="GET",version=""} 7'
    )
    text = "\n".join([TEXT, openapi, openapi.replace('code="200"', 'code="304"').replace("} 7", "} 2")])
    assert parse_path_gets(text, "openapi/v3") == 9
    assert parse_path_gets(TEXT, "openapi/v3") == 0
    assert parse_path_gets(text, "status") == 0  # PATCH pods/status: a resource's, and no GET
