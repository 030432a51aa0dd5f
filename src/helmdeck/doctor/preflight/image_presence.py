"""Is every image of the platform in its registry? A tag that was never pushed to the site's
mirror (or mistyped in a values file) shows only as ImagePullBackOff, minutes into a deploy.

Only images under the platform's registry (``spec.registry.url``: the mirror a site runs, and where
an offline bundle's images are loaded) are asked for, and only when that registry answers: a
registry this machine cannot reach is a note, never an error. The question is the Docker Registry
HTTP API's manifest HEAD, with its token handshake; the credentials are the platform's pull secret,
kept in memory for the requests only.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from helmdeck.doctor.findings import Finding
from helmdeck.doctor.rules.registry import pull_secret_auths, registry_host
from helmdeck.manifests import ImageUse

_MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
#: images asked for at once, and at most in all (a catalog of hundreds is not a preflight's job)
_WORKERS = 8
_MAX_IMAGES = 200


@dataclass(frozen=True)
class ImageRef:
    host: str
    repository: str
    reference: str  # a tag or a digest

    @classmethod
    def parse(cls, image: str) -> ImageRef:
        host = registry_host(image)
        rest = image[len(host) + 1 :] if image.startswith(host + "/") else image
        if "@" in rest:
            repository, reference = rest.split("@", 1)
        else:
            name, _, tag = rest.rpartition(":") if ":" in rest.rsplit("/", 1)[-1] else (rest, "", "latest")
            repository, reference = name, tag
        if host == "docker.io":
            host = "registry-1.docker.io"
            repository = repository if "/" in repository else f"library/{repository}"
        return cls(host, repository, reference)


def _base(host: str) -> str:
    # as Docker does: a registry on this machine speaks plain HTTP, every other one TLS
    plain = host.split(":")[0] in ("localhost", "127.0.0.1", "[::1]")
    return f"{'http' if plain else 'https'}://{host}"


def _request(url: str, method: str = "GET", headers: Mapping[str, str] | None = None) -> urllib.request.Request:
    # a token realm is whatever the registry answered: never let it name a file: or ftp: URL
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url[:80]}")
    return urllib.request.Request(url, method=method, headers=dict(headers or {}))  # noqa: S310 - checked above


class RegistryClient:
    """Manifest HEADs against one or more registries, with anonymous or basic-auth tokens."""

    def __init__(self, credentials: Mapping[str, tuple[str, str]] | None = None, timeout: float = 5.0) -> None:
        self._credentials = dict(credentials or {})
        self._timeout = timeout

    def _open(self, request: urllib.request.Request) -> Any:
        return urllib.request.urlopen(request, timeout=self._timeout)  # noqa: S310 - _request checked the scheme

    def _basic(self, host: str) -> str | None:
        user_password = self._credentials.get(host)
        if user_password is None:
            return None
        return "Basic " + base64.b64encode(":".join(user_password).encode()).decode()

    def _token(self, host: str, challenge: str) -> str | None:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            return self._basic(host)
        fields = dict(_CHALLENGE.findall(params))
        realm = fields.pop("realm", None)
        if scheme.lower() != "bearer" or not realm:
            return None
        request = _request(f"{realm}?{urllib.parse.urlencode(fields)}")
        basic = self._basic(host)
        if basic:
            request.add_header("Authorization", basic)
        with self._open(request) as response:
            body = json.loads(response.read(1_000_000))
        token = body.get("token") or body.get("access_token")
        return f"Bearer {token}" if token else None

    def reachable(self, host: str) -> str | None:
        """None when the registry answers its API root (even with 401), else why not."""
        try:
            with self._open(_request(f"{_base(host)}/v2/")):
                return None
        except urllib.error.HTTPError as err:
            return None if err.code in (401, 403) else f"HTTP {err.code} on /v2/"
        except (OSError, ValueError) as err:
            return str(getattr(err, "reason", err))

    def exists(self, ref: ImageRef) -> bool | str:
        """True or False for a manifest found or not; a string when the registry would not say."""
        url = f"{_base(ref.host)}/v2/{ref.repository}/manifests/{ref.reference}"
        auth: str | None = None
        for _ in range(2):
            request = _request(url, method="HEAD", headers={"Accept": _MANIFEST_TYPES})
            if auth:
                request.add_header("Authorization", auth)
            try:
                with self._open(request):
                    return True
            except urllib.error.HTTPError as err:
                if err.code == 404:
                    return False
                challenge = err.headers.get("WWW-Authenticate") if err.code == 401 else None
                if challenge and auth is None:
                    try:
                        auth = self._token(ref.host, challenge)
                    except (OSError, ValueError) as token_err:
                        return f"no token: {getattr(token_err, 'reason', token_err)}"
                    if auth:
                        continue
                return f"HTTP {err.code}"
            except (OSError, ValueError) as err:
                return str(getattr(err, "reason", err))
        return "access denied"


def credentials_from_pull_secret(secret: Mapping[str, Any] | None) -> dict[str, tuple[str, str]]:
    """host -> (user, password) from a pull Secret; empty when there is none."""
    out = {}
    for host, entry in pull_secret_auths(secret).items():
        if not isinstance(entry, dict):
            continue
        if entry.get("username") is not None:
            out[host] = (str(entry["username"]), str(entry.get("password", "")))
        elif entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            out[host] = (user, password)
    return out


def check_images_present(images: Sequence[ImageUse], registry_url: str, client: RegistryClient) -> list[Finding]:
    """An error for each image under ``registry_url`` that the registry does not have."""
    prefix = registry_url.rstrip("/") + "/"
    uses: dict[str, list[ImageUse]] = {}
    for use in images:
        if use.image.startswith(prefix):
            uses.setdefault(use.image, []).append(use)
    if not uses:
        return []
    host = ImageRef.parse(next(iter(uses))).host
    unreachable = client.reachable(host)
    if unreachable is not None:
        return [
            Finding(
                "info",
                "images",
                None,
                None,
                f"registry {host} did not answer from here ({unreachable}); its images were not checked",
                "run doctor where the registry is reachable to check that every image is in it",
            )
        ]
    names = sorted(uses)[:_MAX_IMAGES]
    with ThreadPoolExecutor(min(_WORKERS, len(names)), thread_name_prefix="image") as pool:
        answers = dict(zip(names, pool.map(lambda image: client.exists(ImageRef.parse(image)), names), strict=True))
    findings = []
    for image, answer in answers.items():
        first = uses[image][0]
        where = ", ".join(sorted({f"{u.component}: {u.object} ({u.container})" for u in uses[image]}))
        if answer is False:
            findings.append(
                Finding(
                    "error",
                    "images",
                    first.component,
                    str(first.object),
                    f"image {image} is not in {registry_url}: its pods would never pull it ({where})",
                    f"push (or mirror) {image} there, or correct the tag in the component's values",
                    {"image": image},
                )
            )
        elif answer is not True:
            findings.append(
                Finding(
                    "info",
                    "images",
                    first.component,
                    str(first.object),
                    f"could not tell whether {image} is in {registry_url} ({answer})",
                    "check the pull secret's credentials for that registry",
                    {"image": image},
                )
            )
    return findings
