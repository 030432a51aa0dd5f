"""The shape of the code: small modules and short functions, so each concern can be read in one sitting.

A module over 500 lines holds several concerns (split it, as ``cluster/watch.py`` became
``gate_state``, ``snapshot`` and ``watch``); a function over 60 lines holds several steps (name
them). Functions over 60 lines have a budget, today's count: it may only go down, and the failure
lists every offender so a change that adds one sees which.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "helmdeck"

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
#: functions over MAX_FUNCTION_LINES allowed in all of src; lower it whenever one is cut
LONG_FUNCTION_BUDGET = 0
#: modules allowed over the limit while a split is in progress (none today): each may not grow
OVERSIZE_ALLOWED: dict[str, int] = {}


def modules(src: Path = SRC) -> list[Path]:
    return sorted(p for p in src.rglob("*.py") if "__pycache__" not in p.parts)


def oversize_modules(src: Path = SRC) -> list[str]:
    """``path: lines`` for each module over its limit."""
    out = []
    for path in modules(src):
        name = path.relative_to(src).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > OVERSIZE_ALLOWED.get(name, MAX_MODULE_LINES):
            out.append(f"{name}: {lines} lines")
    return out


def long_functions(src: Path = SRC) -> list[str]:
    """``path:line name (N lines)`` for each function (or method) over MAX_FUNCTION_LINES, longest first."""
    found: list[tuple[int, str]] = []
    for path in modules(src):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    where = f"{path.relative_to(src).as_posix()}:{node.lineno}"
                    found.append((length, f"{where} {node.name} ({length} lines)"))
    return [text for _, text in sorted(found, key=lambda item: (-item[0], item[1]))]


def test_no_module_is_over_500_lines() -> None:
    too_big = oversize_modules()
    assert not too_big, f"modules over {MAX_MODULE_LINES} lines (split them by concern):\n" + "\n".join(too_big)


def test_functions_over_60_lines_stay_within_the_budget() -> None:
    long = long_functions()
    assert len(long) <= LONG_FUNCTION_BUDGET, (
        f"{len(long)} functions over {MAX_FUNCTION_LINES} lines, the budget is {LONG_FUNCTION_BUDGET} "
        "(cut the new one into named steps):\n" + "\n".join(long)
    )
