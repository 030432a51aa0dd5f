"""Redaction: every known secret value becomes ``<redacted:NAME>`` in anything we show.

Used for human and JSON output, errors, logs (:class:`RedactingFilter`) and diffs. Besides
the plain value it catches the forms a value takes in rendered manifests and JSON: its
base64 encoding (a Kubernetes Secret's ``data``) and its JSON-escaped spelling.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from helmdeck.errors import HelmdeckError

T = TypeVar("T")
E = TypeVar("E", bound=HelmdeckError)


def placeholder(name: str) -> str:
    return f"<redacted:{name}>"


def _spellings(value: str) -> list[str]:
    raw = value.encode("utf-8")
    encoded = base64.b64encode(raw).decode("ascii")
    return [
        value,
        json.dumps(value)[1:-1],
        encoded,
        encoded.rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii"),
    ]


#: shorter spellings are redacted only where they are a whole value: inside other text a value of
#: one to three characters would cut every word holding those letters ("x" in "extension")
MIN_SUBSTRING = 4


class Redactor:
    """Replaces known secret values wherever they appear in strings, dicts (keys too) and lists."""

    def __init__(self, secrets: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
        """``secrets``: name -> value, or (name, value) pairs when one name had several values."""
        self._names: dict[str, str] = {}
        pairs = secrets.items() if isinstance(secrets, Mapping) else (secrets or [])
        for name, value in pairs:
            if not value:
                continue
            for spelling in _spellings(value):
                self._names.setdefault(spelling, name)
        # longest first, so a secret that contains another is replaced whole
        ordered = sorted((s for s in self._names if len(s) >= MIN_SUBSTRING), key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None
        self._short = {s for s in self._names if len(s) < MIN_SUBSTRING}

    def __bool__(self) -> bool:
        return self._pattern is not None or bool(self._short)

    def text(self, text: str) -> str:
        if not text:
            return text
        if text in self._short:
            return placeholder(self._names[text])
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: placeholder(self._names[m.group(0)]), text)

    def redact(self, obj: T) -> T:
        """A copy of ``obj`` (str, bytes, dict, list, tuple, nested) with secrets replaced."""
        if not self:
            return obj
        return self._walk(obj)  # type: ignore[no-any-return]

    def _walk(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {self._walk(k): self._walk(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._walk(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self._walk(v) for v in obj)
        if isinstance(obj, bytes):
            try:
                return self.text(obj.decode("utf-8")).encode("utf-8")
            except UnicodeDecodeError:
                return obj
        return obj

    def error(self, exc: E) -> E:
        """A copy of a HelmdeckError with its message, where, fix and details redacted."""
        if not self:
            return exc
        # not copy.copy: subclasses may take other constructor arguments than the message
        out = exc.__class__.__new__(exc.__class__)
        out.__dict__.update(exc.__dict__)
        problems = exc.__dict__.get("problems")
        if isinstance(problems, list):
            out.__dict__["problems"] = [self.error(p) if isinstance(p, HelmdeckError) else p for p in problems]
        out.message = self.text(exc.message)
        out.where = self.text(exc.where) if exc.where else exc.where
        out.fix = self.text(exc.fix) if exc.fix else exc.fix
        out.details = self.redact(exc.details)
        out.args = (out.message,)
        return out

    def logging_filter(self) -> RedactingFilter:
        return RedactingFilter(self)


# --- every secret this process has seen ------------------------------------------------------
# Secret stores and placeholder generation report values here, so the CLI's error boundary,
# JSON output and log handlers can redact them without being handed a Redactor.

_known: set[tuple[str, str]] = set()
_known_lock = threading.Lock()
_known_redactor: Redactor | None = None


def remember(secrets: Mapping[str, str]) -> None:
    """Add values to the process-wide set that :func:`known_redactor` redacts."""
    global _known_redactor
    with _known_lock:
        new = {(name, value) for name, value in secrets.items() if value} - _known
        if new:
            _known.update(new)
            _known_redactor = None


def known_redactor() -> Redactor:
    """A Redactor for every secret value remembered so far in this process."""
    global _known_redactor
    with _known_lock:
        if _known_redactor is None:
            _known_redactor = Redactor(sorted(_known))
        return _known_redactor


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from messages and tracebacks.

    Attach it to handlers so records from every logger pass through it. Without a
    redactor it uses :func:`known_redactor` at each record, so values learnt later count.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor

    @property
    def redactor(self) -> Redactor:
        return self._redactor if self._redactor is not None else known_redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self.redactor
        if not redactor:
            return True
        message = record.getMessage()
        cleaned = redactor.text(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.text(record.stack_info)
        return True
