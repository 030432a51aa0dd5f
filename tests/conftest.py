"""Test-wide settings.

Property-based tests explore new inputs on every developer run; in CI (CI=true) they replay a fixed
sequence instead, so a landing never depends on which random inputs a run happened to draw. A
failure found locally becomes a plain regression test.
"""

from __future__ import annotations

import os

from hypothesis import settings

# The tests write platform files into temporary directories that name the repository's test charts:
# files outside a platform file's directory are refused unless allowed (tests of that unset it).
os.environ.setdefault("HELMDECK_ALLOW_OUTSIDE", "1")

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
