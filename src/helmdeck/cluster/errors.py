"""The cluster port's own errors, by what the API server answered, so services decide on a missing
object, a refusal or a conflict without knowing the Kubernetes client underneath."""

from __future__ import annotations

from typing import ClassVar

from helmdeck.errors import ClusterError


class NotFound(ClusterError):
    """404: the object (or its kind, or its namespace) does not exist."""


class Unauthorized(ClusterError):
    """401: the credentials were rejected."""


class Forbidden(ClusterError):
    """403: the credentials may not do this (RBAC), or an admission policy refused it."""


class Conflict(ClusterError):
    """409: the object exists already, or changed since it was read."""


class Invalid(ClusterError):
    """422: the object is not valid for this cluster."""


class PlatformBusy(ClusterError):
    """Another live operator holds the platform's lock: the change waits for it (a conflict, not an outage)."""

    http_status: ClassVar[int] = 409


class Gone(ClusterError):
    """410: a watch or list continued from a resource version the server no longer has."""


BY_STATUS: dict[int, type[ClusterError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
}
