"""Lazy re-exports for package ``__init__`` modules (PEP 562): a name is imported from its module on
first use, so importing one module of a package does not load all the others. The CLI relies on it
to start fast: ``helmdeck --help`` must not load Helm, the Kubernetes client or the web server.

A package lists its names once, as the imports of its ``if TYPE_CHECKING:`` block (``from m import
X as X``: the ``as`` tells type checkers the name is re-exported); :func:`listed_in` reads that
block on the first lookup, so there is no second list to keep in step.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any


def lazy_getattr(
    package: str, exports: Mapping[str, tuple[str, str]], namespace: MutableMapping[str, Any]
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


def listed_in(init_file: str) -> Mapping[str, tuple[str, str]]:
    """The names an ``__init__`` file imports under ``if TYPE_CHECKING:``, as name -> (module,
    attribute); read when first asked, since most imports of a package never look one up."""
    return _TypeCheckingImports(init_file)


class _TypeCheckingImports(Mapping[str, tuple[str, str]]):
    def __init__(self, init_file: str) -> None:
        self._path = Path(init_file)
        self._names: dict[str, tuple[str, str]] | None = None

    def _read(self) -> dict[str, tuple[str, str]]:
        if self._names is None:
            names: dict[str, tuple[str, str]] = {}
            for node in ast.parse(self._path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                    for item in node.body:
                        if isinstance(item, ast.ImportFrom) and item.module:
                            for alias in item.names:
                                names[alias.asname or alias.name] = (item.module, alias.name)
            self._names = names
        return self._names

    def __getitem__(self, name: str) -> tuple[str, str]:
        return self._read()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())
