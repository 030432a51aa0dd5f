"""Rewrite ``from M import a, b`` so each name comes from the module that defines it.

After a module is split (``cluster/watch.py`` into ``gate_state``, ``snapshot`` and ``watch``), the
names its importers ask for live in several modules. Given the old module and the modules its code
went to, this rewrites every ``from OLD import ...`` (at any indentation, including the lazy imports
inside functions) into one import per defining module; run ``ruff check --fix`` and ``ruff format``
afterwards for the order. A name defined nowhere among them is left where it was, and listed.

    python scripts/import_from_definer.py helmdeck.cluster.watch \\
        --into helmdeck.cluster.gate_state helmdeck.cluster.snapshot -- src tests bench
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_path(module: str) -> Path:
    base = ROOT / "src" / Path(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def defined_names(module: str) -> set[str]:
    """Top-level names a module defines itself (functions, classes, assignments), not imports."""
    tree = ast.parse(module_path(module).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def definer_of(old: str, into: list[str]) -> dict[str, str]:
    """Name -> defining module, the old module first (what stayed keeps its import)."""
    out: dict[str, str] = {}
    for module in [old, *into]:
        for name in defined_names(module):
            out.setdefault(name, module)
    return out


def rewrite(text: str, old: str, definer: dict[str, str], unknown: set[str]) -> str:
    lines = text.splitlines(keepends=True)
    nodes = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom) and n.module == old]
    for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
        indent = lines[node.lineno - 1][: node.col_offset]
        by_module: dict[str, list[str]] = {}
        for alias in node.names:
            module = definer.get(alias.name)
            if module is None:
                unknown.add(alias.name)
                module = old
            shown = alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"
            by_module.setdefault(module, []).append(shown)
        new = [f"{indent}from {m} import {', '.join(sorted(names))}\n" for m, names in sorted(by_module.items())]
        assert node.end_lineno is not None
        lines[node.lineno - 1 : node.end_lineno] = new
    return "".join(lines)


def python_files(paths: Iterable[str]) -> Iterable[Path]:
    for path in map(Path, paths):
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the module that was split, e.g. helmdeck.cluster.watch")
    parser.add_argument("--into", nargs="+", required=True, help="the modules its code went to")
    parser.add_argument("paths", nargs="+", help="files or folders to rewrite")
    args = parser.parse_args(argv)
    definer = definer_of(args.old, args.into)
    unknown: set[str] = set()
    for path in python_files(args.paths):
        text = path.read_text()
        if f"from {args.old} import" not in text:
            continue
        new = rewrite(text, args.old, definer, unknown)
        if new != text:
            path.write_text(new)
            print(f"rewrote {path}")
    if unknown:
        print(f"defined in none of them (left as they were): {', '.join(sorted(unknown))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
