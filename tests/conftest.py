"""Test-wide settings.

Property-based tests explore new inputs on every developer run; in CI (CI=true) they replay a fixed
sequence instead, so a landing never depends on which random inputs a run happened to draw. A
failure found locally becomes a plain regression test.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
