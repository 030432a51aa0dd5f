"""What an export is made of, independent of the GitOps tool: each component with its chart
location, dependency order and value parts, and where its tool's objects live."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from helmdeck.gitops.parts import Part, SecretFile, SecretValue
from helmdeck.gitops.sources import ChartLocation, GitSource


@dataclass
class ExportComponent:
    name: str
    namespace: str
    needs: list[str]
    wave: int
    timeout: str
    chart: ChartLocation
    parts: list[Part]

    @property
    def secret_values(self) -> list[SecretValue]:
        return [p for p in self.parts if isinstance(p, SecretValue)]

    @property
    def secret_files(self) -> list[SecretFile]:
        return [p for p in self.parts if isinstance(p, SecretFile)]


@dataclass
class ExportPlan:
    """``prefix`` names the objects (the platform and instance); ``namespace`` is where they live."""

    platform: str
    prefix: str
    environment: str | None
    namespace: str
    secret_store: str
    components: list[ExportComponent]
    git: GitSource | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def object_name(self, component: str) -> str:
        return f"{self.prefix}-{component}"

    def secret_file_name(self, component: str, secret: SecretFile) -> str:
        """The Secret the operator creates from a secret values file (never written by helmdeck)."""
        stem = re.sub(r"[^a-z0-9-]+", "-", secret.path.name.lower()).strip("-")
        return f"{self.prefix}-{component}-{stem}"[:253].rstrip("-")
