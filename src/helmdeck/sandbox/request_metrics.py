"""Writes the API server served, counted per verb and resource from its own request metrics.

``apiserver_request_total`` counts every request the API server answered, labelled with verb,
resource and dry run. Two snapshots around an operation give what it wrote, with no proxy or audit
policy in between, so tests and benchmarks can hold an operation to "no writes at all".

The metric has no namespace or client label, so writes the control plane makes on its own in the
same window are counted too. On an idle sandbox that is Lease renewals (leader election and kwok's
node heartbeats, ``PUT leases``) and now and then a node's status (``PATCH nodes/status``), left
out by default; whoever asks about a Lease of its own compares that object's ``resourceVersion``
instead.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field

from helmdeck.errors import SandboxError
from helmdeck.sandbox.binaries import locate

WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"})
#: (verb, resource) pairs the control plane writes by itself on an idle cluster
BACKGROUND = frozenset({("PUT", "leases"), ("PATCH", "nodes/status")})
#: questions asked with a POST that store nothing (permission checks, "who am I")
QUESTIONS = frozenset(
    {
        "selfsubjectaccessreviews",
        "selfsubjectreviews",
        "selfsubjectrulesreviews",
        "subjectaccessreviews",
        "localsubjectaccessreviews",
        "tokenreviews",
    }
)
_SAMPLE = re.compile(r"^apiserver_request_total\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Writes:
    """Writes between two snapshots: per (verb, resource[/subresource])."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def by_verb(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (verb, _), n in self.counts.items():
            out[verb] += n
        return dict(sorted(out.items()))

    def __str__(self) -> str:
        if not self.total:
            return "no writes"
        return ", ".join(f"{verb} {res} x{n}" for (verb, res), n in sorted(self.counts.items()))


def parse_writes(
    text: str, *, background: frozenset[tuple[str, str]] = BACKGROUND, verbs: frozenset[str] = WRITE_VERBS
) -> Counter[tuple[str, str]]:
    """The write requests in a ``/metrics`` text (or those of other ``verbs``: ``WATCH`` counts the
    watch streams that ended); dry runs and reviews (a permission check is a POST that stores
    nothing) are left out."""
    out: Counter[tuple[str, str]] = Counter()
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m is None:
            continue
        labels = dict(_LABEL.findall(m["labels"]))
        verb, resource = labels.get("verb", ""), labels.get("resource", "")
        if verb not in verbs or labels.get("dry_run") or resource in QUESTIONS:
            continue
        if labels.get("subresource"):
            resource = f"{resource}/{labels['subresource']}"
        if (verb, resource) in background:
            continue
        out[(verb, resource)] += int(float(m["value"]))
    return out


class RequestMetrics:
    """Snapshots of the API server's write counters, read with kubectl (the sandbox's own)."""

    def __init__(
        self,
        kubeconfig: str,
        *,
        background: frozenset[tuple[str, str]] = BACKGROUND,
        verbs: frozenset[str] = WRITE_VERBS,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.background = background
        self.verbs = verbs

    def snapshot(self) -> Counter[tuple[str, str]]:
        kubectl = str(locate()["kubectl"])
        done = subprocess.run(
            [kubectl, "--kubeconfig", self.kubeconfig, "get", "--raw", "/metrics"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode:
            raise SandboxError(
                f"cannot read the API server's metrics: {done.stderr.strip()[:300]}",
                fix="the kubeconfig's user needs get on the non-resource URL /metrics",
            )
        return parse_writes(done.stdout, background=self.background, verbs=self.verbs)

    @staticmethod
    def since(before: Counter[tuple[str, str]], after: Counter[tuple[str, str]]) -> Writes:
        diff = Counter({k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)})
        return Writes(diff)
