"""The registry image check against a registry on loopback that speaks the Docker Registry API's
token handshake: images present, missing, and a registry that does not answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from helmdeck.cluster import ObjRef
from helmdeck.doctor.preflight.image_presence import (
    ImageRef,
    RegistryClient,
    check_images_present,
    credentials_from_pull_secret,
)
from helmdeck.manifests import ImageUse
from tests.fakes.registry import PASSWORD, pull_secret, serving_registry


@pytest.fixture
def registry() -> Iterator[str]:
    with serving_registry() as host:
        yield host


def use(image: str, component: str = "api") -> ImageUse:
    return ImageUse(image, component, ObjRef("apps/v1", "Deployment", component, "lab"), "app", False, "t.yaml")


def test_image_references_parse_as_docker_does() -> None:
    assert ImageRef.parse("nginx") == ImageRef("registry-1.docker.io", "library/nginx", "latest")
    assert ImageRef.parse("bitnami/redis:7.2") == ImageRef("registry-1.docker.io", "bitnami/redis", "7.2")
    assert ImageRef.parse("localhost:5000/lab/app:1.0") == ImageRef("localhost:5000", "lab/app", "1.0")
    digest = "sha256:" + "a" * 64
    assert ImageRef.parse(f"reg.example.org/x/y@{digest}") == ImageRef("reg.example.org", "x/y", digest)


def test_missing_images_are_errors_and_present_ones_pass(registry: str) -> None:
    client = RegistryClient(credentials_from_pull_secret(pull_secret(registry)))
    images = [
        use(f"{registry}/lab/app:1.0"),
        use(f"{registry}/lab/worker:2.1", "worker"),
        use(f"{registry}/lab/app:1.1", "viewer"),  # never pushed
        use("docker.io/library/busybox:1.36", "job"),  # not the platform's registry: not asked
    ]
    [finding] = check_images_present(images, f"{registry}/lab", client)
    assert finding.severity == "error" and finding.component == "viewer"
    assert finding.reason.startswith(f"image {registry}/lab/app:1.1 is not in {registry}/lab")
    assert PASSWORD not in json.dumps(finding.as_dict())


def test_without_credentials_the_registry_would_not_say(registry: str) -> None:
    findings = check_images_present([use(f"{registry}/lab/app:1.0")], f"{registry}/lab", RegistryClient())
    assert [(f.severity, f.check) for f in findings] == [("info", "images")]
    assert "could not tell" in findings[0].reason


def test_an_unreachable_registry_is_a_note_not_an_error() -> None:
    [note] = check_images_present([use("127.0.0.1:9/lab/app:1.0")], "127.0.0.1:9/lab", RegistryClient(timeout=2))
    assert note.severity == "info" and "did not answer from here" in note.reason


def test_a_token_realm_must_be_http() -> None:
    client = RegistryClient()
    with pytest.raises(ValueError, match="not an http"):
        client._token("x", 'Bearer realm="file:///etc/passwd",service="x"')
