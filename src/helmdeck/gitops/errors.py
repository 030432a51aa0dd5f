"""The error an export that cannot be made raises."""

from __future__ import annotations

from helmdeck.errors import ConfigError


class ExportError(ConfigError):
    """The platform cannot be exported for the chosen GitOps tool as it stands (a chart it cannot
    fetch, an unpinned remote chart, no Git URL for local charts); ``where`` names the file and key."""
