"""The audit log: one JSON line per change (who, what, when, result) in the state directory."""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helmdeck.secrets.redact import known_redactor


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        target: str,
        result: str,
        detail: dict[str, Any] | None = None,
        remote: str | None = None,
    ) -> dict[str, Any]:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "actor": actor,
            "role": role,
            "action": action,
            "target": target,
            "result": result,
            "remote": remote,
            "detail": known_redactor().redact(detail or {}),
        }
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line)
        return entry

    def tail(self, limit: int = 200) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self._lock, self.path.open(encoding="utf-8") as fh:
            lines = deque(fh, maxlen=limit)
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out
