"""Every operation's session is made in one place, helmdeck.app.opening, which owns the environment
and instance rules: a session made anywhere else would skip some of them."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "helmdeck"
OPENING = SRC / "app" / "opening.py"
MADE = re.compile(r"\bPlatformSession\(")


def test_a_platform_session_is_made_only_by_open_platform() -> None:
    makers = sorted(
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        if path != OPENING
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MADE.search(line)
    )
    assert makers == [], "make the session through helmdeck.app.opening.open_platform"
    assert MADE.search(OPENING.read_text(encoding="utf-8"))
