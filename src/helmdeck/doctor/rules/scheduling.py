"""Where a pod could run: node selectors, required node affinity, taints and node sizes (for
preflight), and what the scheduler's "0/3 nodes are available: ..." message says (for diagnosis)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from helmdeck.doctor.rules.resources import format_quantity, quantities


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _labels(node: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(_map(node.get("metadata")).get("labels"))


def node_name(node: Mapping[str, Any]) -> str:
    return str(_map(node.get("metadata")).get("name", ""))


def allocatable(node: Mapping[str, Any]) -> dict[str, Decimal]:
    return quantities(_map(node.get("status")).get("allocatable"))


def _expression_holds(expr: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    key, op, values = str(expr.get("key")), expr.get("operator"), [str(v) for v in _list(expr.get("values"))]
    present = key in labels
    value = str(labels.get(key, ""))
    if op == "In":
        return present and value in values
    if op == "NotIn":
        return not present or value not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and values:
        try:
            number, bound = int(value), int(values[0])
        except ValueError:
            return False
        return number > bound if op == "Gt" else number < bound
    return False


def _affinity_allows(spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    required = _map(
        _map(_map(spec.get("affinity")).get("nodeAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    terms = _list(required.get("nodeSelectorTerms"))
    if not terms:
        return True
    labels = _labels(node)
    name = node_name(node)
    for term in terms:
        term = _map(term)
        exprs = [_map(e) for e in _list(term.get("matchExpressions"))]
        fields = [_map(e) for e in _list(term.get("matchFields"))]
        if not exprs and not fields:
            continue  # an empty term matches nothing
        if all(_expression_holds(e, labels) for e in exprs) and all(
            _expression_holds(e, {"metadata.name": name}) for e in fields
        ):
            return True
    return False


def _tolerated(taint: Mapping[str, Any], tolerations: Sequence[Any]) -> bool:
    for raw in tolerations:
        tol = _map(raw)
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol.get("key") == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and str(tol.get("value", "")) == str(taint.get("value", "")):
            return True
    return False


def why_excluded(spec: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """Why the scheduler would never place a pod with this spec on ``node`` (None: it may)."""
    if _map(node.get("spec")).get("unschedulable"):
        return "cordoned (unschedulable)"
    labels = _labels(node)
    for key, value in _map(spec.get("nodeSelector")).items():
        if str(labels.get(key)) != str(value):
            return f"nodeSelector {key}={value} does not match"
    if not _affinity_allows(spec, node):
        return "required node affinity does not match"
    for taint in _list(_map(node.get("spec")).get("taints")):
        taint = _map(taint)
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(taint, _list(spec.get("tolerations"))):
            return f"taint {taint.get('key')}={taint.get('value', '')}:{taint.get('effect')} is not tolerated"
    return None


@dataclass(frozen=True)
class Unplaceable:
    """A pod no node can ever run: which resource, how much it asks, and the most any node has."""

    resource: str
    requested: Decimal
    largest: Decimal  # the most of it on one node the pod may use
    largest_anywhere: Decimal  # the most on any node at all
    excluded: tuple[str, ...]  # "node: why" for nodes with enough of it that the pod may not use

    def reason(self) -> str:
        def fmt(value: Decimal) -> str:
            return format_quantity(self.resource, value)

        asks = f"each pod asks for {fmt(self.requested)} {self.resource}"
        if self.largest_anywhere <= 0:
            return f"{asks}, and no node offers {self.resource}"
        if self.largest_anywhere < self.requested:
            return f"{asks}; the most any node offers is {fmt(self.largest_anywhere)}"
        return f"{asks}; the nodes that have enough are excluded: {'; '.join(self.excluded)}"


def unplaceable(
    spec: Mapping[str, Any], requests: Mapping[str, Decimal], nodes: Sequence[Mapping[str, Any]]
) -> Unplaceable | None:
    """The first resource request no usable node could ever satisfy (by allocatable size, not by
    what is free right now), or None when some node fits the pod. Nodes reporting nothing are
    skipped, so a cluster whose nodes are unknown (no permission to list them) passes."""
    if not nodes:
        return None
    usable = [n for n in nodes if why_excluded(spec, n) is None]
    if any(all(allocatable(n).get(r, Decimal(0)) >= q for r, q in requests.items() if q > 0) for n in usable):
        return None
    for resource, amount in requests.items():
        if amount <= 0:
            continue
        fits_usable = [allocatable(n).get(resource, Decimal(0)) for n in usable]
        if fits_usable and max(fits_usable) >= amount:
            continue
        anywhere = max((allocatable(n).get(resource, Decimal(0)) for n in nodes), default=Decimal(0))
        excluded = tuple(
            f"{node_name(n)}: {why_excluded(spec, n)}"
            for n in nodes
            if allocatable(n).get(resource, Decimal(0)) >= amount and why_excluded(spec, n) is not None
        )
        return Unplaceable(resource, amount, max(fits_usable, default=Decimal(0)), anywhere, excluded)
    # each resource fits somewhere, but never all on one node
    resource, amount = max(((r, q) for r, q in requests.items() if q > 0), key=lambda rq: rq[1])
    return Unplaceable(resource, amount, amount, amount, ("no single node has all the pod asks for",))


# --------------------------------------------------------------------- the scheduler's message

_COUNTED = re.compile(r"^(\d+)\s+(.*)$")
# "..., preemption: ..." (newer schedulers) or ". preemption: ..." (older ones)
_PREEMPTION = re.compile(r"[.,]?\s*preemption:.*$", re.DOTALL)


@dataclass(frozen=True)
class SchedulingFailure:
    """The scheduler's verdict on a pending pod, split into its reasons."""

    message: str
    summary: str  # the verdict without the preemption report and side notes
    reasons: tuple[tuple[int, str], ...]  # (how many nodes, why)

    @property
    def insufficient(self) -> list[str]:
        """Resources some nodes lack: ``cpu``, ``memory``, ``nvidia.com/gpu``..."""
        return [why.removeprefix("Insufficient ").strip() for _, why in self.reasons if why.startswith("Insufficient ")]

    def mentions(self, text: str) -> bool:
        return text.lower() in self.summary.lower()


def parse_scheduling_message(message: str) -> SchedulingFailure:
    """``0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node
    affinity/selector. no new claims to deallocate, preemption: ...`` -> its reasons with node counts
    (side notes after a sentence's end, like the one about claims to deallocate, are dropped)."""
    text = _PREEMPTION.sub("", message.strip())
    head, _, listing = text.partition(": ")
    reasons: list[tuple[int, str]] = []
    kept: list[str] = []
    for part in re.split(r",\s*", listing):
        part = part.split(". ", 1)[0].strip().rstrip(".")
        if not part:
            continue
        counted = _COUNTED.match(part)
        reasons.append((int(counted.group(1)), counted.group(2)) if counted else (0, part))
        kept.append(part)
    summary = f"{head}: {', '.join(kept)}" if kept else text
    return SchedulingFailure(message, summary, tuple(reasons))
