"""The component graph: levels in dependency order, dependents, and cycles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycle(needs: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One dependency cycle as ``[a, b, a]``, or None. Unknown names are ignored."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in needs:
        if state.get(start):
            continue
        # iterative DFS: deep chains must not hit Python's recursion limit
        path: list[str] = [start]
        iters = [iter(needs.get(start, ()))]
        state[start] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if nxt not in needs:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(needs.get(nxt, ())))
    return None


def levels(needs: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Kahn's algorithm by levels: every name after all it needs; declaration order within a level.

    Raises ValueError when the graph has a cycle (the loader rejects cycles first).
    """
    remaining = {name: {d for d in deps if d in needs} for name, deps in needs.items()}
    done: set[str] = set()
    out: list[list[str]] = []
    while remaining:
        level = [name for name, deps in remaining.items() if deps <= done]
        if not level:
            raise ValueError(f"dependency cycle: {' -> '.join(find_cycle(needs) or [])}")
        out.append(level)
        done.update(level)
        for name in level:
            del remaining[name]
    return out


def dependents(needs: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Every component that needs ``name`` directly or through others, in dependency order."""
    reverse: dict[str, list[str]] = {n: [] for n in needs}
    for n, deps in needs.items():
        for d in deps:
            if d in reverse:
                reverse[d].append(n)
    seen: set[str] = set()
    stack = list(reverse.get(name, []))
    while stack:
        n = stack.pop()
        if n not in seen and n != name:
            seen.add(n)
            stack.extend(reverse[n])
    order = [n for level in levels(needs) for n in level]
    return [n for n in order if n in seen]
