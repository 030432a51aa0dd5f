"""The platform file's health rules per kind (``spec.healthCheckExprs``), evaluated with CEL.

Expressions were checked when the platform file was loaded (``helmdeck.spec.health_checks``);
here they are compiled once per set of rules and run against live objects.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helmdeck.cluster.health_state import Health, State
from helmdeck.spec.health_checks import compile_expression

if TYPE_CHECKING:
    import cel

    from helmdeck.spec.models import HealthCheckExpr

#: (apiVersion, kind, current, inProgress, failed)
RuleSource = tuple[str, str, str, str | None, str | None]


@dataclass(frozen=True)
class _Compiled:
    name: str
    # tried in this order; the first that is true decides (Flux's order)
    checks: tuple[tuple[str, State, cel.Program], ...]


class HealthRules:
    """A platform's rules by (apiVersion, kind); implements :class:`helmdeck.cluster.readiness.KindRule`."""

    def __init__(self, sources: Iterable[RuleSource]) -> None:
        self._rules: dict[tuple[str, str], _Compiled] = {}
        for api_version, kind, current, in_progress, failed in sources:
            group = api_version.rpartition("/")[0] if "/" in api_version else ""
            checks: list[tuple[str, State, cel.Program]] = []
            order: tuple[tuple[str, State, str | None], ...] = (
                ("inProgress", "progressing", in_progress),
                ("failed", "failed", failed),
                ("current", "ready", current),
            )
            for field, state, source in order:
                if source is not None:
                    checks.append((field, state, compile_expression(source)))
            name = f"platform rule: {group}/{kind}" if group else f"platform rule: {kind}"
            self._rules[(api_version, kind)] = _Compiled(name, tuple(checks))

    def __len__(self) -> int:
        return len(self._rules)

    def judge(self, obj: Mapping[str, Any]) -> Health | None:
        rule = self._rules.get((str(obj.get("apiVersion", "")), str(obj.get("kind", ""))))
        if rule is None:
            return None
        # an object nobody reported on yet has no status: {} lets `has(status.phase)` say so
        variables = {"metadata": {}, "spec": {}, "status": {}, **obj}
        for field, state, program in rule.checks:
            try:
                result = program.execute(variables)
            except Exception as exc:  # the extension raises several kinds; a user's rule must not break status
                # as Flux does: a field the object lacks is waited for, not a failure
                return Health("progressing", f"{field} could not be evaluated: {exc}", rule=rule.name)
            if result is True:
                return Health(state, f"{field} is true", terminal=False, rule=rule.name)
        return Health("progressing", "none of its expressions is true yet", rule=rule.name)


@functools.lru_cache(maxsize=32)
def _compiled(sources: tuple[RuleSource, ...]) -> HealthRules:
    return HealthRules(sources)


def platform_rules(exprs: Iterable[HealthCheckExpr]) -> HealthRules | None:
    """The rules of a platform file, compiled once per distinct set; None when it gives none."""
    sources = tuple((e.api_version, e.kind, e.current, e.in_progress, e.failed) for e in exprs)
    return _compiled(sources) if sources else None
