"""Text for the SVG documents the server draws (the deploy timeline, the platform graph): escaped
for element content and for attributes, and clipped to fit a label."""

from __future__ import annotations

from html import escape


def clip(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def text(value: str) -> str:
    return escape(value, quote=False)


def attr(value: str) -> str:
    return escape(value, quote=True)
