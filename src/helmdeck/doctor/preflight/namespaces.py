"""Preflight of the platform's namespaces: which exist already, and which belong to another
platform (two platforms would fight over their objects)."""

from __future__ import annotations

from helmdeck.cluster import ObjRef, get_object
from helmdeck.cluster.namespaces import foreign_namespaces
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.errors import HelmdeckError


def read_namespaces(run: PreflightRun) -> None:
    """Whether each of the platform's namespaces exists (None: could not tell)."""
    for name in run.session.platform.all_namespaces():
        run.namespaces[name] = _namespace_exists(run, name)


def check_namespace_owners(run: PreflightRun) -> None:
    run.report.checks.append("namespace-owners")
    nothing: dict[str, str] = {}
    foreign = run.fact(
        "list namespaces",
        lambda: foreign_namespaces(run.session.client, run.session.platform_id),
        nothing,
        "namespace owner checks",
    )
    for name in run.session.platform.all_namespaces():
        if name in foreign:
            run.report.add(
                Finding(
                    "error",
                    "namespace-owners",
                    None,
                    f"Namespace {name}",
                    f"namespace {name} belongs to {foreign[name]}: two platforms would fight over its objects",
                    "set spec.instance (or --instance) so this platform's namespaces get a prefix, "
                    "or name other namespaces in spec.namespaces",
                )
            )


def _namespace_exists(run: PreflightRun, name: str) -> bool | None:
    assert run.client is not None
    try:
        return get_object(run.client, ObjRef("v1", "Namespace", name)) is not None
    except HelmdeckError:
        return None
