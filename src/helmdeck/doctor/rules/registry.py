"""The platform's image registry: its pull secret exists where deploy copies it from, and (offline)
every image comes from it."""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from helmdeck.doctor.findings import Finding
from helmdeck.manifests import ImageUse

PULL_SECRET_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")


def registry_host(reference: str) -> str:
    """The registry an image reference pulls from (``docker.io`` when it names none)."""
    first, sep, _ = reference.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def pull_secret_auths(secret: Mapping[str, Any] | None) -> dict[str, Any]:
    """A pull Secret's entries by registry host (``.dockerconfigjson`` or the older ``.dockercfg``);
    empty when it has none or they do not decode."""
    data = (secret or {}).get("data") or {}
    raw = data.get(".dockerconfigjson") or data.get(".dockercfg")
    if not raw:
        return {}
    try:
        config = json.loads(base64.b64decode(raw))
    except (binascii.Error, ValueError):
        return {}
    auths = config.get("auths", config) if isinstance(config, dict) else {}
    return {
        str(key).removeprefix("https://").removeprefix("http://").split("/", 1)[0]: entry
        for key, entry in (auths.items() if isinstance(auths, dict) else ())
    }


def secret_registries(secret: Mapping[str, Any]) -> list[str]:
    """The registry hosts a pull Secret has credentials for (its ``auths`` keys; no secrets read)."""
    return list(pull_secret_auths(secret))


def check_pull_secret(
    secret_name: str,
    namespace: str,
    registry_url: str,
    secret: Mapping[str, Any] | None,
    *,
    namespace_exists: bool = True,
) -> list[Finding]:
    obj = f"Secret {namespace}/{secret_name}"
    server = registry_host(registry_url + "/x")
    create = "" if namespace_exists else f"kubectl create namespace {namespace}; "
    create += (
        f"kubectl -n {namespace} create secret docker-registry {secret_name} --docker-server={server} "
        "--docker-username=USER --docker-password=... (or --from-file=.dockerconfigjson=FILE)"
    )
    if secret is None:
        return [
            Finding(
                "error",
                "pull-secret",
                None,
                obj,
                f"the platform pulls images from {registry_url} with credentials in Secret {secret_name}, which does "
                f"not exist in the admin namespace {namespace}"
                + ("" if namespace_exists else " (nor does the namespace)"),
                f"create it before deploying: {create}",
            )
        ]
    findings = []
    kind = str(secret.get("type", ""))
    if kind not in PULL_SECRET_TYPES:
        findings.append(
            Finding(
                "error",
                "pull-secret",
                None,
                obj,
                f"Secret {secret_name} has type {kind or 'Opaque'}, so kubelets cannot use it to pull images",
                f"recreate it as a docker-registry secret: kubectl -n {namespace} delete secret {secret_name}; "
                + create,
            )
        )
        return findings
    hosts = secret_registries(secret)
    if hosts and server not in hosts:
        findings.append(
            Finding(
                "warning",
                "pull-secret",
                None,
                obj,
                f"Secret {secret_name} holds credentials for {', '.join(sorted(hosts))}, not for {server}",
                f"recreate it with --docker-server={server}",
            )
        )
    return findings


def check_offline_images(images: Sequence[ImageUse], registry_url: str | None) -> list[Finding]:
    """Offline, every image must come from the platform's registry (where the bundle loads them)."""
    if not registry_url:
        return [
            Finding(
                "error",
                "offline-images",
                None,
                None,
                "offline mode needs the platform's registry, but spec.registry.url is not set",
                "set spec.registry.url to the registry the offline bundle's images are loaded into",
            )
        ]
    prefix = registry_url.rstrip("/") + "/"
    foreign: dict[tuple[str, str], list[ImageUse]] = defaultdict(list)
    for use in images:
        if not use.image.startswith(prefix):
            foreign[(use.component, str(use.object))].append(use)
    findings = []
    for (component, obj), uses in foreign.items():
        listed = ", ".join(sorted({f"{u.container}: {u.image}" for u in uses}))
        findings.append(
            Finding(
                "error",
                "offline-images",
                component,
                obj,
                f"offline, images must come from {registry_url}, but these do not: {listed}",
                f"point the component's image values at {prefix}... (e.g. image.registry/image.repository), "
                "and load the images there with the offline bundle",
                {"images": sorted({u.image for u in uses})},
            )
        )
    return findings
