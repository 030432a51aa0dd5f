"""The errors helmdeck shows to users: a message, where it comes from, and how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from helmdeck.serialize import JsonObject, json_field


@dataclass
class HelmdeckError(JsonObject, Exception):
    """An error meant for the user; the CLI prints it without a traceback.

    ``where`` names the file (with line and column when known), object or component at
    fault; ``fix`` says what to do about it. ``http_status`` is what the web service answers with
    it: each kind of error says its own, so the server never guesses from a message's text.
    """

    #: unprocessable: the request (or the platform file it acts on) is wrong
    http_status: ClassVar[int] = 422

    message: str = field(metadata=json_field(name="error"))
    where: str | None = field(default=None, metadata=json_field(omit_if_empty=True))
    fix: str | None = field(default=None, metadata=json_field(omit_if_empty=True))
    exit_code: int = field(default=1, metadata=json_field(exclude=True))
    details: dict[str, Any] = field(default_factory=dict, metadata=json_field(omit_if_empty=True))

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class ConfigError(HelmdeckError):
    """The platform file, a values file or a flag is wrong."""


def parses(parse: Callable[[str], object], text: str) -> bool:
    """Whether ``parse`` takes ``text`` without a ConfigError: the yes or no of a parser whose
    error would say why not, where only the answer matters."""
    try:
        parse(text)
    except ConfigError:
        return False
    return True


class ClusterError(HelmdeckError):
    """The cluster cannot be reached or refused an operation."""

    #: the service depends on the cluster, which is not answering as it should
    http_status: ClassVar[int] = 503


class SandboxError(HelmdeckError):
    """The local sandbox cluster failed to start, stop or answer."""
