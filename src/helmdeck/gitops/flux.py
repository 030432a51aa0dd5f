"""Flux: a HelmRelease (helm.toolkit.fluxcd.io/v2) per component and the sources of their charts.

The objects live in one namespace (the platform's admin namespace unless told otherwise), next to
helmdeck's secrets Secret, because Flux reads ``valuesFrom`` only from the HelmRelease's own
namespace. Each release is installed into the component's namespace (``targetNamespace``) under
the component's name, and Helm keeps its records there (``storageNamespace``), as helmdeck does,
so ``helm ls -n NAMESPACE`` shows the same releases either way.

Values: every layer in helmdeck's order as one ``valuesFrom`` entry, because Flux lays inline
``values`` over all of ``valuesFrom`` and would bury the secrets. Plain layers go to a ConfigMap;
secrets are ``targetPath`` references into helmdeck's secrets Secret (``literal``, so commas and
dots in a generated value stay as they are); secret values files are Secrets the operator creates.
"""

from __future__ import annotations

from typing import Any

import yaml

from helmdeck.gitops.model import ExportComponent, ExportPlan
from helmdeck.gitops.parts import PlainValues, SecretFile, SecretValue
from helmdeck.gitops.sources import repository_name

HELMRELEASE = "helm.toolkit.fluxcd.io/v2"
SOURCE = "source.toolkit.fluxcd.io/v1"
INTERVAL = "10m"
RETRIES = 3
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def _meta(plan: ExportPlan, name: str, component: str | None = None) -> dict[str, Any]:
    labels = dict(plan.labels)
    if component is not None:
        labels["helmdeck.dev/component"] = component
    return {"name": name, "namespace": plan.namespace, "labels": labels}


def _values_key(index: int) -> str:
    return f"values-{index}.yaml"


def values_config_map(plan: ExportPlan, comp: ExportComponent) -> dict[str, Any] | None:
    plain = [p for p in comp.parts if isinstance(p, PlainValues)]
    if not plain:
        return None
    data = {
        _values_key(i): yaml.safe_dump(p.data, sort_keys=False, default_flow_style=False)
        for i, p in enumerate(plain, start=1)
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(plan, f"{plan.object_name(comp.name)}-values", comp.name),
        "data": data,
    }


def values_from(plan: ExportPlan, comp: ExportComponent) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []
    plain = 0
    for part in comp.parts:
        if isinstance(part, PlainValues):
            plain += 1
            name = f"{plan.object_name(comp.name)}-values"
            refs.append({"kind": "ConfigMap", "name": name, "valuesKey": _values_key(plain)})
        elif isinstance(part, SecretValue):
            refs.append(
                {
                    "kind": "Secret",
                    "name": plan.secret_store,
                    "valuesKey": part.secret,
                    "targetPath": part.path,
                    "literal": True,
                }
            )
        elif isinstance(part, SecretFile):
            refs.append({"kind": "Secret", "name": plan.secret_file_name(comp.name, part), "valuesKey": "values.yaml"})
    return refs


def _chart(plan: ExportPlan, comp: ExportComponent) -> dict[str, Any]:
    loc = comp.chart
    if loc.kind == "oci":
        return {"chartRef": {"kind": "OCIRepository", "name": plan.object_name(comp.name)}}
    if loc.kind == "helm":
        source = {"kind": "HelmRepository", "name": repository_name(plan.prefix, loc.url)}
        spec = {"chart": loc.name, "version": loc.version, "sourceRef": source, "interval": INTERVAL}
    else:
        # a chart in Git changes without a version bump: build it again at every new commit
        source = {"kind": "GitRepository", "name": plan.prefix}
        spec = {"chart": loc.path, "sourceRef": source, "reconcileStrategy": "Revision", "interval": INTERVAL}
    return {"chart": {"spec": spec}}


def helm_release(plan: ExportPlan, comp: ExportComponent) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "interval": INTERVAL,
        "releaseName": comp.name,
        "targetNamespace": comp.namespace,
        "storageNamespace": comp.namespace,
        **_chart(plan, comp),
    }
    if comp.needs:
        spec["dependsOn"] = [{"name": plan.object_name(n)} for n in comp.needs]
    # helmdeck's health gate: wait for what the release installed, up to the component's timeout;
    # a failed install or upgrade is retried, then rolled back, as helmdeck rolls back a component
    spec["timeout"] = comp.timeout
    spec["install"] = {"createNamespace": True, "remediation": {"retries": RETRIES}}
    spec["upgrade"] = {
        "cleanupOnFail": True,
        "remediation": {"retries": RETRIES, "remediateLastFailure": True, "strategy": "rollback"},
    }
    spec["rollback"] = {"cleanupOnFail": True}
    # helmdeck repairs drift at every deploy; Flux does it at every reconcile
    spec["driftDetection"] = {"mode": "enabled"}
    refs = values_from(plan, comp)
    if refs:
        spec["valuesFrom"] = refs
    return {
        "apiVersion": HELMRELEASE,
        "kind": "HelmRelease",
        "metadata": _meta(plan, plan.object_name(comp.name), comp.name),
        "spec": spec,
    }


def sources(plan: ExportPlan) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if plan.git is not None and any(c.chart.kind == "git" for c in plan.components):
        out.append(
            {
                "apiVersion": SOURCE,
                "kind": "GitRepository",
                "metadata": _meta(plan, plan.prefix),
                "spec": {"interval": INTERVAL, "url": plan.git.url, "ref": {"branch": plan.git.branch}},
            }
        )
    seen: set[str] = set()
    for comp in plan.components:
        loc = comp.chart
        if loc.kind == "helm" and loc.url not in seen:
            seen.add(loc.url)
            out.append(
                {
                    "apiVersion": SOURCE,
                    "kind": "HelmRepository",
                    "metadata": _meta(plan, repository_name(plan.prefix, loc.url)),
                    "spec": {"interval": INTERVAL, "url": loc.url},
                }
            )
        elif loc.kind == "oci":
            out.append(
                {
                    "apiVersion": SOURCE,
                    "kind": "OCIRepository",
                    "metadata": _meta(plan, plan.object_name(comp.name), comp.name),
                    "spec": {
                        "interval": INTERVAL,
                        "url": loc.url,
                        "ref": {"tag": loc.version},
                        "layerSelector": {"mediaType": HELM_LAYER, "operation": "copy"},
                    },
                }
            )
    return out


def component_objects(plan: ExportPlan, comp: ExportComponent) -> list[dict[str, Any]]:
    config = values_config_map(plan, comp)
    return [*([config] if config else []), helm_release(plan, comp)]
