"""Connecting to a cluster: kubeconfig resolution, clients, reachability and error translation."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import lightkube
import yaml
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import SingleConfig

from helmdeck.cluster.decoding import prepare_decoding
from helmdeck.cluster.errors import BY_STATUS, Forbidden, Unauthorized
from helmdeck.errors import ClusterError
from helmdeck.serialize import JsonObject

FIELD_MANAGER = "helmdeck"
_IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
_KUBECONFIG_FIX = (
    "pass --kubeconfig PATH or set KUBECONFIG; for the local sandbox, `helmdeck sandbox up` "
    "then `helmdeck sandbox kubeconfig` prints its path"
)


@dataclass(frozen=True)
class ServerVersion(JsonObject):
    major: int
    minor: int
    git_version: str
    platform: str

    @property
    def semver(self) -> str:
        """``1.33.1`` from ``v1.33.1+k3s1``: what chart ``kubeVersion`` constraints compare with."""
        core = self.git_version.lstrip("v").split("+", 1)[0].split("-", 1)[0]
        return core or f"{self.major}.{self.minor}.0"


def resolve_kubeconfig(kubeconfig: str | None) -> Path | None:
    """The kubeconfig file to use, or None when only in-cluster credentials are available.

    Order: the explicit path, then each entry of ``KUBECONFIG``, then ``~/.kube/config``.
    """
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ClusterError(f"kubeconfig {path} does not exist", where=str(path), fix=_KUBECONFIG_FIX)
        return path
    for entry in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if entry and Path(entry).expanduser().is_file():
            return Path(entry).expanduser()
    default = Path("~/.kube/config").expanduser()
    if default.is_file():
        return default
    if _IN_CLUSTER_TOKEN.is_file():
        return None
    raise ClusterError("no kubeconfig found (KUBECONFIG unset, no ~/.kube/config)", fix=_KUBECONFIG_FIX)


def load_config(kubeconfig: str | None, context: str | None = None) -> SingleConfig:
    """The selected context of a kubeconfig (or the in-cluster service account), as lightkube holds it."""
    path = resolve_kubeconfig(kubeconfig)
    if path is None:
        try:
            in_cluster = lightkube.KubeConfig.from_service_account().get()
        except lightkube.ConfigError as err:
            raise ClusterError(f"in-cluster credentials unusable: {err}", fix=_KUBECONFIG_FIX) from err
        assert in_cluster is not None
        return in_cluster
    if _has_no_clusters(path):
        raise ClusterError(
            "the kubeconfig names no cluster",
            where=str(path),
            fix="point --kubeconfig or KUBECONFIG at a cluster's kubeconfig ('helmdeck sandbox up' prints one)",
        )
    try:
        kubeconfig_obj = lightkube.KubeConfig.from_file(path)
    except Exception as err:  # yaml, msgspec and key errors all mean the same thing here
        raise ClusterError(
            f"kubeconfig cannot be read: {err}",
            where=str(path),
            fix="check the file is a valid kubeconfig (clusters, contexts, users)",
        ) from err
    if context is not None and context not in kubeconfig_obj.contexts:
        known = ", ".join(sorted(kubeconfig_obj.contexts)) or "none"
        raise ClusterError(
            f"context {context!r} is not in the kubeconfig (contexts: {known})",
            where=str(path),
            fix="pass one of the listed contexts with --context",
        )
    try:
        config = kubeconfig_obj.get(context_name=context)
    except (lightkube.ConfigError, KeyError) as err:
        raise ClusterError(
            f"kubeconfig has no usable context: {err}",
            where=str(path),
            fix="set current-context in the kubeconfig or pass --context",
        ) from err
    assert config is not None
    return config


#: the client handle services pass around; only this package calls methods on it
KubeClient = lightkube.Client


def make_client(
    kubeconfig: str | None,
    context: str | None = None,
    *,
    namespace: str | None = None,
    timeout: float = 10.0,
    check: bool = True,
    concurrent: bool = True,
) -> lightkube.Client:
    """A lightkube client for the kubeconfig/context; with ``check``, the cluster is asked for its
    version first so an unreachable cluster or rejected credentials fail here, with the fix.

    ``concurrent=False`` promises that one thread at a time uses the client (and that no other
    client is used meanwhile): the decoding tables are then built as each type is first decoded
    rather than all of them up front (:func:`prepare_decoding`, a tenth of a one-shot ``status``)."""
    config = load_config(kubeconfig, context)
    if concurrent:
        prepare_decoding()
    client = lightkube.Client(
        config=config,
        namespace=namespace,
        timeout=httpx2.Timeout(timeout),
        field_manager=FIELD_MANAGER,
    )
    if not concurrent:
        _SINGLE_THREADED.add(client)
    if check:
        try:
            server_version(client)
        except BaseException:
            client.close()
            raise
    return client


#: clients made with ``concurrent=False``: their users promised one thread at a time
_SINGLE_THREADED: weakref.WeakSet[lightkube.Client] = weakref.WeakSet()


def single_threaded(client: lightkube.Client) -> bool:
    """Whether ``client`` was made for one thread at a time (its decoding tables are not prepared)."""
    return client in _SINGLE_THREADED


def make_async_client(client: lightkube.Client, *, timeout: float = 10.0) -> lightkube.AsyncClient:
    """An async client on the same cluster and credentials as ``client`` (for watches on an event loop)."""
    prepare_decoding()
    return lightkube.AsyncClient(
        config=client.config,
        namespace=client.namespace,
        timeout=httpx2.Timeout(timeout),
        field_manager=FIELD_MANAGER,
    )


def server_url(client: lightkube.Client | lightkube.AsyncClient) -> str:
    return client.config.cluster.server


def describe_target(client: lightkube.Client | lightkube.AsyncClient) -> str:
    config = client.config
    where = f"cluster {config.cluster.server}"
    if config.context_name:
        where += f" (context {config.context_name}"
        where += f", kubeconfig {config.fname})" if config.fname else ")"
    return where


# Non-resource endpoints (/version, discovery) are outside lightkube's resource API; an httpx client
# built by lightkube's own adapter carries the same TLS and credentials, one per lightkube client.
_raw_clients: weakref.WeakKeyDictionary[lightkube.Client, httpx2.Client] = weakref.WeakKeyDictionary()
_raw_lock = threading.Lock()


def serve_raw_http(client: lightkube.Client, http: httpx2.Client) -> None:
    """Have :func:`raw_http` answer for ``client`` with ``http``: a stand-in for a cluster (the
    tests' in-memory API) serves the raw requests too."""
    with _raw_lock:
        _raw_clients[client] = http


def raw_http(client: lightkube.Client) -> httpx2.Client:
    with _raw_lock:
        raw = _raw_clients.get(client)
        if raw is None:
            params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(10.0))
            raw = client_adapter.Client(client.config, params)
            _raw_clients[client] = raw
            weakref.finalize(client, raw.close)
        return raw


def get_json(client: lightkube.Client, path: str, action: str | None = None) -> Any:
    """GET a non-resource path (``/version``, ``/apis/GROUP/VERSION``); None when it is 404."""
    action = action or f"read {path}"
    with translate_errors(client, action):
        response = raw_http(client).get(path)
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise _auth_error(client, response.status_code, response.text, action)
        response.raise_for_status()
        return response.json()


def server_version(client: lightkube.Client) -> ServerVersion:
    data = get_json(client, "/version", "reach the cluster (GET /version)")
    if not isinstance(data, dict):
        raise ClusterError(
            "the server at this address does not answer /version like a Kubernetes API server",
            where=describe_target(client),
            fix="check the server URL in the kubeconfig",
        )

    def number(key: str) -> int:
        digits = "".join(ch for ch in str(data.get(key, "")) if ch.isdigit())
        return int(digits) if digits else 0

    return ServerVersion(
        major=number("major"),
        minor=number("minor"),
        git_version=str(data.get("gitVersion", "")),
        platform=str(data.get("platform", "")),
    )


def _auth_error(client: lightkube.Client | lightkube.AsyncClient, code: int, message: str, action: str) -> ClusterError:
    if code == 401:
        return Unauthorized(
            f"the cluster rejected the credentials while trying to {action}",
            where=describe_target(client),
            fix="refresh the credentials in the kubeconfig (expired token or certificate?)",
        )
    return Forbidden(
        f"permission denied to {action}: {message}",
        where=describe_target(client),
        fix="ask a cluster admin for RBAC permission, or use a context that has it",
    )


def api_error(
    client: lightkube.Client | lightkube.AsyncClient,
    err: lightkube.ApiError,
    action: str,
    where: str | None = None,
) -> ClusterError:
    """A user-facing error for an API refusal, with a fix chosen by status code."""
    code = err.status.code or 0
    message = err.status.message or str(err)
    if code in (401, 403):
        out = _auth_error(client, code, message, action)
        if where:
            out.where = where
        return out
    fixes = {
        404: "check the name and namespace; it may not have been created yet",
        409: "the object changed or exists already; retry the operation",
        422: "the object is invalid for this cluster; fix the manifest or values",
        429: "the API server is overloaded; retry later",
    }
    return BY_STATUS.get(code, ClusterError)(
        f"could not {action}: {message}",
        where=where or describe_target(client),
        fix=fixes.get(code, "see the message from the API server"),
        details={"status": code, "reason": err.status.reason or ""},
    )


def unreachable(
    client: lightkube.Client | lightkube.AsyncClient, err: Exception, action: str = "reach the cluster"
) -> ClusterError:
    return ClusterError(
        f"cannot {action}: the API server at {server_url(client)} did not answer ({type(err).__name__}: {err})",
        where=describe_target(client),
        fix="start the cluster (for the sandbox: `helmdeck sandbox up`) or fix the server URL and "
        "network access; check with `kubectl --kubeconfig ... version`",
    )


@contextmanager
def translate_errors(
    client: lightkube.Client | lightkube.AsyncClient, action: str, where: str | None = None
) -> Iterator[None]:
    """Turn lightkube/httpx failures inside the block into ClusterErrors naming ``action``."""
    try:
        yield
    except lightkube.ApiError as err:
        raise api_error(client, err, action, where) from err
    except httpx2.HTTPStatusError as err:
        raise ClusterError(
            f"could not {action}: HTTP {err.response.status_code} {err.response.text[:200]}",
            where=where or describe_target(client),
            fix="see the message from the API server",
            details={"status": err.response.status_code},
        ) from err
    except (httpx2.TransportError, OSError) as err:
        raise unreachable(client, err, action) from err


def _has_no_clusters(path: str | os.PathLike[str]) -> bool:
    """An emptied kubeconfig (``clusters: null``, as tools leave behind) reads as no cluster at all."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return False  # the loader below reports what is wrong with it
    return isinstance(data, dict) and not data.get("clusters")
