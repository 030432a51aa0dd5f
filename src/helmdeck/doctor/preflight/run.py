"""One preflight run: the report being filled and the cluster facts read so far. A fact that
cannot be read (no permission to list nodes, say) becomes an info finding naming the checks it
skips, and the run goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from helmdeck.cluster import KindInfo, KubeClient, ServerVersion, kind_info, list_objects
from helmdeck.core.session import PlatformSession
from helmdeck.doctor.findings import DoctorReport, Finding
from helmdeck.errors import HelmdeckError

T = TypeVar("T")


@dataclass
class PreflightRun:
    """One preflight run: the report being filled and the cluster facts read so far."""

    session: PlatformSession
    report: DoctorReport
    client: KubeClient | None = None
    version: ServerVersion | None = None
    namespaces: dict[str, bool | None] = field(default_factory=dict)  # None: could not tell
    pull_secret: Mapping[str, Any] | None = None  # the registry's pull Secret, once read

    def fact(self, what: str, read: Callable[[], T], default: T, skips: str) -> T:
        """Read one cluster fact; on refusal, note which checks are skipped and go on."""
        try:
            return read()
        except HelmdeckError as err:
            self.report.add(
                Finding(
                    "info",
                    "skipped",
                    None,
                    None,
                    f"could not {what} ({err.message}); {skips} skipped",
                    err.fix or "use credentials that may read it to get these checks",
                )
            )
            return default

    def listed(
        self, what: str, api_version: str, kind: str, skips: str, *, namespace: str | None = None
    ) -> list[dict[str, Any]] | None:
        """Every object of a kind (in ``namespace``), or None when they cannot be listed (noted as
        for :meth:`fact`)."""
        client = self.client
        assert client is not None
        return self.fact(what, lambda: list(list_objects(client, api_version, kind, namespace=namespace)), None, skips)

    def kind(self, api_version: str, kind: str) -> KindInfo | None:
        """How the cluster serves a kind, or None when it does not (or cannot be asked)."""
        try:
            return kind_info(self.client, api_version, kind)
        except HelmdeckError:
            return None


def by_name(objects: Iterable[dict[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(o["metadata"]["name"]): o for o in objects}
