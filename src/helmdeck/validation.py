"""``helmdeck validate``: the platform file, then every component rendered with the Helm engine, then
checks over all rendered manifests together. Needs no cluster: secrets are placeholders.

Every component is rendered even when an earlier one fails, so one run reports every problem.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.errors import HelmdeckError
from helmdeck.findings import Finding, Severity
from helmdeck.manifests import check_platform
from helmdeck.secrets.sources import unavailable_external
from helmdeck.secrets.store import placeholder_secrets
from helmdeck.serialize import JsonObject, computed, json_field
from helmdeck.spec.platform import Platform


@dataclass
class ValidationReport(JsonObject):
    platform: str
    environment: str | None
    findings: list[dict[str, Any]] = field(default_factory=list)
    rendered: dict[str, DesiredComponent] = field(default_factory=dict, repr=False, metadata=json_field(exclude=True))

    __json_computed__ = ("ok", computed("component_names", name="components"))
    __json_order__ = ("platform", "environment", "ok", "components", "findings")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def component_names(self) -> list[str]:
        return sorted(self.rendered)


def _error_finding(component: str, exc: HelmdeckError) -> dict[str, Any]:
    return Finding("error", "render", component, None, exc.message, exc.fix or "", template=exc.where).as_dict()


def secret_source_findings(platform: Platform, stored: Collection[str] | None) -> list[Finding]:
    """External secrets a deploy could not resolve (``stored``: the names stored in the cluster, None
    when unknown). A variable is often set only where the deploy runs, so without the store an unset
    one is a warning; a missing file the platform names is an error."""
    out = []
    for name, problem in unavailable_external(platform, stored):
        from_env = platform.spec.secrets[name].from_env is not None
        severity: Severity = "warning" if from_env and stored is None else "error"
        out.append(Finding(severity, "secrets", None, problem.where, problem.message, problem.fix or ""))
    return out


def catalog_findings(platform: Platform) -> list[Finding]:
    """Local extension catalog entries that do not exist, when a deploy reads the catalog (it
    installs ``spec.extensions.preinstall`` after the components, so this would fail only then)."""
    if not platform.spec.extensions.preinstall:
        return []
    out = []
    for j, entry in enumerate(platform.spec.extensions.catalog):
        if "://" in entry or Path(entry).exists():
            continue
        key = ("spec", "extensions", "catalog", j)
        out.append(
            Finding(
                "error",
                "catalog",
                None,
                platform.where(key),
                f"extension catalog entry {entry} (spec.extensions.catalog[{j}]) does not exist, and deploy "
                f"reads the catalog to preinstall {', '.join(platform.spec.extensions.preinstall)}",
                "create it, or fix the path (relative paths start at the platform file's directory)",
            )
        )
    return out


def validate_platform(
    session: PlatformSession,
    *,
    components: list[str] | None = None,
    foreign_namespaces: dict[str, str] | None = None,
    stored_secrets: Collection[str] | None = None,
) -> ValidationReport:
    """Render and check; ``foreign_namespaces`` (namespace -> owner) and the names of the secrets
    stored by earlier deploys come from the cluster when known."""
    platform = session.platform
    report = ValidationReport(session.platform_id, session.environment)
    report.findings += [f.as_dict() for f in secret_source_findings(platform, stored_secrets)]
    report.findings += [f.as_dict() for f in catalog_findings(platform)]
    secrets = placeholder_secrets(platform)
    for name in components or platform.component_names:
        try:
            report.rendered[name] = session.desired_one(name, secrets)
        except HelmdeckError as exc:
            report.findings.append(_error_finding(name, exc))
    for ns in platform.all_namespaces():
        owner = (foreign_namespaces or {}).get(ns)
        if owner:
            report.findings.append(
                Finding(
                    "error",
                    "namespace-owner",
                    None,
                    f"Namespace {ns}",
                    f"namespace {ns} of this platform already belongs to {owner}",
                    "set spec.instance (namespaces get its prefix) or name other namespaces in spec.namespaces",
                ).as_dict()
            )
    entries = {name: d.rendered.platform_entry() for name, d in report.rendered.items()}
    for finding in check_platform(
        entries, owned_namespaces=platform.all_namespaces(), foreign_namespaces=foreign_namespaces or {}
    ):
        report.findings.append(finding.as_dict())
    report.findings.sort(key=lambda f: 0 if f["severity"] == "error" else 1 if f["severity"] == "warning" else 2)
    return report
