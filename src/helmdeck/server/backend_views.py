"""The backend's reads for the logs and revision-compare views: a mixin of
:class:`helmdeck.server.backend.ClusterBackend` (kept apart so the backend module stays small) and the
protocol the endpoints need from a backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from helmdeck.core.pod_logs import follow_log, log_request, log_sources, log_target, read_log

if TYPE_CHECKING:  # the backend's session comes from the application layer (helmdeck.app)
    from helmdeck.core.session import PlatformSession


class ViewsBackend(Protocol):
    def pod_log_sources(self, name: str) -> list[dict[str, Any]]: ...

    def pod_log(
        self, name: str, pod: str, container: str, previous: bool, tail_lines: int | None, limit_bytes: int | None
    ) -> dict[str, Any]: ...

    def follow_pod_log(self, name: str, pod: str, container: str, tail_lines: int | None) -> AsyncIterator[str]: ...

    def compare_revisions(self, old: int, new: int) -> dict[str, Any]: ...


class ViewsMixin:
    """Needs ``_read()`` (the long-lived read session) and ``component_live(name)`` of the backend."""

    def _read(self) -> PlatformSession:
        raise NotImplementedError

    def component_live(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def pod_log_sources(self, name: str) -> list[dict[str, Any]]:
        """The component's pods and their containers, whose logs can be read."""
        return log_sources(self.component_live(name))

    def pod_log(
        self, name: str, pod: str, container: str, previous: bool, tail_lines: int | None, limit_bytes: int | None
    ) -> dict[str, Any]:
        """The tail of one container's log (or its previous run's), capped and redacted."""
        target = log_target(self.component_live(name), pod, container)
        req = log_request(target, previous=previous, tail_lines=tail_lines, limit_bytes=limit_bytes)
        return read_log(self._read(), target, req)

    def follow_pod_log(self, name: str, pod: str, container: str, tail_lines: int | None) -> AsyncIterator[str]:
        """Checks the container is the component's now (raises otherwise); the lines come as the
        caller iterates."""
        target = log_target(self.component_live(name), pod, container)
        return follow_log(self._read(), target, log_request(target, tail_lines=tail_lines))

    def compare_revisions(self, old: int, new: int) -> dict[str, Any]:
        """What changed between two platform revisions, per component (redacted)."""
        from helmdeck.revisions.compare import compare_revisions

        return compare_revisions(self._read(), old, new)
