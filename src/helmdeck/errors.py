"""The errors helmdeck shows to users: a message, where it comes from, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class HelmdeckError(Exception):
    """An error meant for the user; the CLI prints it without a traceback.

    ``where`` names the file (with line and column when known), object or component at
    fault; ``fix`` says what to do about it.
    """

    message: str
    where: str | None = None
    fix: str | None = None
    exit_code: int = 1
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message}
        if self.where:
            out["where"] = self.where
        if self.fix:
            out["fix"] = self.fix
        if self.details:
            out["details"] = self.details
        return out


class ConfigError(HelmdeckError):
    """The platform file, a values file or a flag is wrong."""


class ClusterError(HelmdeckError):
    """The cluster cannot be reached or refused an operation."""


class SandboxError(HelmdeckError):
    """The local sandbox cluster failed to start, stop or answer."""
