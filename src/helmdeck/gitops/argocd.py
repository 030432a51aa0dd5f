"""Argo CD: an Application (argoproj.io/v1alpha1) per component.

Dependency order becomes ``argocd.argoproj.io/sync-wave``: a component's wave is its level in
the ``needs`` graph, so an app-of-apps syncing this directory creates every component after
those it needs (Argo CD waits for an Application's health between waves only when the
Application health check is enabled in ``argocd-cm``, see the index README).

Argo CD cannot take Helm values from a Kubernetes Secret. The plain values go inline
(``valuesObject``); secret values stay out and are listed, by reference only (helmdeck's secrets
Secret and key, or the secret values file), in the ``helmdeck.dev/secret-values`` annotation for
the operator's secret tooling (argocd-vault-plugin, or a chart's existingSecret fed by External
Secrets) to supply.
"""

from __future__ import annotations

import json
from typing import Any

from helmdeck.gitops.errors import ExportError
from helmdeck.gitops.model import ExportComponent, ExportPlan
from helmdeck.gitops.parts import PlainValues, SecretFile, SecretValue
from helmdeck.values.merge import merge_maps

APPLICATION = "argoproj.io/v1alpha1"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SECRETS_ANNOTATION = "helmdeck.dev/secret-values"
IN_CLUSTER = "https://kubernetes.default.svc"


def secret_refs(plan: ExportPlan, comp: ExportComponent) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for part in comp.parts:
        if isinstance(part, SecretValue):
            out.append({"path": part.path, "secret": plan.secret_store, "key": part.secret})
        elif isinstance(part, SecretFile):
            out.append(
                {"valuesFile": part.shown, "secret": plan.secret_file_name(comp.name, part), "key": "values.yaml"}
            )
    return out


def _source(plan: ExportPlan, comp: ExportComponent, where: str) -> dict[str, Any]:
    loc = comp.chart
    if loc.kind == "git":
        assert plan.git is not None and loc.path is not None
        if not (plan.git.root / loc.path).is_dir():
            raise ExportError(
                f"component {comp.name}: chart {loc.path} is a packaged chart, and Argo CD takes charts "
                "from Git as directories only",
                where=where,
                fix="commit the chart's directory and point `chart:` at it, or publish the .tgz to a chart repository",
            )
        return {"repoURL": loc.url, "path": loc.path.removeprefix("./"), "targetRevision": plan.git.branch}
    if loc.kind == "oci":
        # Argo CD names OCI Helm repositories without the scheme and the chart separately
        repo = loc.url.removeprefix("oci://").rsplit("/", 1)[0]
        return {"repoURL": repo, "chart": loc.name, "targetRevision": loc.version}
    return {"repoURL": loc.url, "chart": loc.name, "targetRevision": loc.version}


def application(
    plan: ExportPlan, comp: ExportComponent, *, project: str, auto_sync: bool, where: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for part in comp.parts:
        if isinstance(part, PlainValues):
            values = merge_maps(values, part.data)
    source = _source(plan, comp, where)
    source["helm"] = {"releaseName": comp.name, **({"valuesObject": values} if values else {})}
    sync: dict[str, Any] = {
        "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
        "retry": {"limit": 3, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
    }
    if auto_sync:
        sync["automated"] = {"prune": True, "selfHeal": True}
    annotations = {SYNC_WAVE: str(comp.wave)}
    refs = secret_refs(plan, comp)
    if refs:
        annotations[SECRETS_ANNOTATION] = json.dumps(refs, separators=(",", ":"))
    return {
        "apiVersion": APPLICATION,
        "kind": "Application",
        "metadata": {
            "name": plan.object_name(comp.name),
            "namespace": plan.namespace,
            "labels": {**plan.labels, "helmdeck.dev/component": comp.name},
            "annotations": annotations,
        },
        "spec": {
            "project": project,
            "destination": {"server": IN_CLUSTER, "namespace": comp.namespace},
            "source": source,
            "syncPolicy": sync,
        },
    }
