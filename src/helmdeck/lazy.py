"""Lazy re-exports for package ``__init__`` modules (PEP 562): a name is imported from its module on
first use, so importing one module of a package does not load all the others. The CLI relies on it
to start fast: ``helmdeck --help`` must not load Helm, the Kubernetes client or the web server."""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping
from typing import Any


def lazy_getattr(
    package: str, exports: dict[str, tuple[str, str]], namespace: MutableMapping[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``exports`` (name -> (module, attribute)), cached in ``namespace``."""

    def __getattr__(name: str) -> Any:
        try:
            module, attr = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attr)
        namespace[name] = value
        return value

    return __getattr__
