"""A container's log through the API server (``pods/log``): a capped tail, the previous container's
log after a restart, and a follow that streams lines as the kubelet (or kwok) writes them.

lightkube's ``Client.log`` has neither ``previous`` nor ``limitBytes``, so the request is made with the
HTTP client lightkube's own adapter builds for the kubeconfig (same TLS and credentials), as
:func:`helmdeck.cluster.client.get_json` does for the paths lightkube has no resource for.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from urllib.parse import quote

import httpx2
import lightkube
from lightkube.config import client_adapter

from helmdeck.cluster.client import _auth_error, describe_target, raw_http, unreachable
from helmdeck.errors import ClusterError


class LogUnavailable(ClusterError):
    """The API server (or the node) has no log for this container: not started, no previous run,
    gone, or a node that serves no logs."""


@dataclass(frozen=True)
class LogRequest:
    namespace: str
    pod: str
    container: str
    previous: bool = False
    tail_lines: int | None = None
    limit_bytes: int | None = None

    def path(self) -> str:
        return f"/api/v1/namespaces/{quote(self.namespace, safe='')}/pods/{quote(self.pod, safe='')}/log"

    def params(self, follow: bool) -> dict[str, str]:
        out = {"container": self.container}
        if self.previous:
            out["previous"] = "true"
        if self.tail_lines is not None:
            out["tailLines"] = str(self.tail_lines)
        if self.limit_bytes is not None:
            out["limitBytes"] = str(self.limit_bytes)
        if follow:
            out["follow"] = "true"
        return out

    def action(self) -> str:
        which = "previous log" if self.previous else "log"
        return f"read the {which} of container {self.container} of pod {self.namespace}/{self.pod}"


def _refusal(client: lightkube.Client, req: LogRequest, code: int, body: str) -> ClusterError:
    if code in (401, 403):
        return _auth_error(client, code, body[:300], req.action())
    try:
        message = str(json.loads(body).get("message") or body)
    except (ValueError, AttributeError):
        message = body
    message = message.strip()[:500] or f"HTTP {code}"
    fix = (
        "the container has not run before (no restart), so it has no previous log"
        if req.previous
        else "wait until the container started; on the sandbox, recreate it to get its log files "
        "('helmdeck sandbox down' then 'up')"
    )
    return LogUnavailable(
        f"could not {req.action()}: {message}", where=describe_target(client), fix=fix, details={"status": code}
    )


def read_pod_log(client: lightkube.Client, req: LogRequest) -> tuple[list[str], bool]:
    """The log's lines and whether it was cut at ``limit_bytes`` (the API server stops there)."""
    try:
        response = raw_http(client).get(req.path(), params=req.params(follow=False))
    except (httpx2.HTTPError, OSError) as err:
        raise unreachable(client, err, req.action()) from err
    if response.status_code != 200:
        raise _refusal(client, req, response.status_code, response.text)
    data = response.content
    cut = req.limit_bytes is not None and len(data) >= req.limit_bytes
    lines = data.decode("utf-8", errors="replace").splitlines()
    if cut and lines and not data.endswith(b"\n"):
        lines = lines[:-1]  # the last line is partial: the byte limit fell inside it
    return lines, cut


def _async_http(client: lightkube.Client) -> httpx2.AsyncClient:
    # no read timeout: a followed log may stay quiet for hours
    params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(10.0, read=None))
    http: httpx2.AsyncClient = client_adapter.AsyncClient(client.config, params)
    return http


async def follow_pod_log(client: lightkube.Client, req: LogRequest) -> AsyncGenerator[str, None]:
    """The log's last ``tail_lines`` lines, then each line as it is written, until the container
    stops or the caller stops iterating (its connection is closed then)."""
    http = _async_http(client)
    try:
        async with http.stream("GET", req.path(), params=req.params(follow=True)) as response:
            if response.status_code != 200:
                body = (await response.aread()).decode("utf-8", errors="replace")
                raise _refusal(client, req, response.status_code, body)
            async for line in response.aiter_lines():
                yield line
    except (httpx2.HTTPError, OSError) as err:
        raise unreachable(client, err, req.action()) from err
    finally:
        await http.aclose()
