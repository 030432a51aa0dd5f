"""What ``helmdeck serve`` runs with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helmdeck.app.target import Target
from helmdeck.extensions.upload import MiB


@dataclass
class ServerSettings:
    platform_file: Path = Path("platform.yaml")
    instance: str | None = None  # run as this instance of the platform (``--instance``)
    state_dir: Path | None = None  # None: helmdeck.extensions.state.default_state_dir(platform)
    kubeconfig: str | None = None
    context: str | None = None
    environment: str | None = None  # None: the environment of the latest platform revision
    allow_cluster_scoped_uploads: bool = False
    max_upload_bytes: int = 5 * MiB
    secure_cookies: bool = False  # set behind TLS: cookies only over https
    session_hours: float = 8.0
    status_poll_seconds: float = 2.0
    operation_timeout: float = 300.0
    #: seconds a stop signal lets running operations finish their component (``serve --shutdown-grace``)
    shutdown_grace: float = 60.0
    #: networks of reverse proxies whose X-Forwarded-For names the client (``serve --trusted-proxy``)
    trusted_proxies: tuple[str, ...] = ()

    def target(self) -> Target:
        """The platform the service runs on, as the application layer takes it."""
        return Target(
            file=self.platform_file,
            environment=self.environment,
            instance=self.instance,
            kubeconfig=self.kubeconfig,
            context=self.context,
        )
