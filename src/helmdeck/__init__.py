"""helmdeck: deploy and operate research data platforms on Kubernetes, with Helm as the engine."""

from __future__ import annotations

import os
import sys


def _installed_version() -> str:
    """The version in the installed metadata, found the way importlib.metadata finds it (the first
    ``helmdeck-*.dist-info`` on sys.path) without loading it: importlib.metadata (with email,
    zipfile and csv) costs 40 ms, a third of what `helmdeck --version` may take."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if not (name.startswith("helmdeck-") and name.endswith(".dist-info")):
                continue
            try:
                with open(os.path.join(entry, name, "METADATA"), encoding="utf-8") as fh:
                    for line in fh:
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
                        if not line.strip():  # the headers end at the first blank line
                            break
            except OSError:
                pass
            break
    from importlib.metadata import PackageNotFoundError, version  # zipped or egg installs

    try:
        return version("helmdeck")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    # the version is read from the installed metadata on first use (module attributes without
    # `typing`: `helmdeck --version` loads nothing it does not print)
    if name != "__version__":
        raise AttributeError(f"module 'helmdeck' has no attribute {name!r}")
    value = _installed_version()
    globals()["__version__"] = value
    return value
