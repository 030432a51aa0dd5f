"""helmdeck: deploy and operate research data platforms on Kubernetes, with Helm as the engine."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # the version is read from the installed metadata on first use: importlib.metadata costs
    # 40 ms, more than a quarter of what `helmdeck --help` may take
    if name != "__version__":
        raise AttributeError(f"module 'helmdeck' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("helmdeck")
    except PackageNotFoundError:  # running from a source tree that was never installed
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
