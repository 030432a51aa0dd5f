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
from collections.abc import Iterator
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


def _samples(text: str) -> Iterator[tuple[dict[str, str], int]]:
    """Each ``apiserver_request_total`` sample of a ``/metrics`` text: its labels and its count."""
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m is not None:
            yield dict(_LABEL.findall(m["labels"])), int(float(m["value"]))


def parse_writes(
    text: str, *, background: frozenset[tuple[str, str]] = BACKGROUND, verbs: frozenset[str] = WRITE_VERBS
) -> Counter[tuple[str, str]]:
    """The write requests in a ``/metrics`` text (or those of other ``verbs``: ``WATCH`` counts the
    watch streams that ended); dry runs and reviews (a permission check is a POST that stores
    nothing) are left out."""
    out: Counter[tuple[str, str]] = Counter()
    for labels, value in _samples(text):
        verb, resource = labels.get("verb", ""), labels.get("resource", "")
        if verb not in verbs or labels.get("dry_run") or resource in QUESTIONS:
            continue
        if labels.get("subresource"):
            resource = f"{resource}/{labels['subresource']}"
        if (verb, resource) in background:
            continue
        out[(verb, resource)] += value
    return out


def parse_path_gets(text: str, path: str) -> int:
    """GETs of the non-resource path ``path`` (``openapi/v3``: the OpenAPI documents, its root and
    every group's) in a ``/metrics`` text; the server counts them under that path as subresource."""
    return sum(
        value
        for labels, value in _samples(text)
        if labels.get("verb") == "GET" and not labels.get("resource") and labels.get("subresource") == path
    )


class RequestMetrics:
    """Snapshots of the API server's request counters, read with kubectl (the sandbox's own)."""

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
        return parse_writes(self._metrics(), background=self.background, verbs=self.verbs)

    def path_gets(self, path: str) -> int:
        """How many GETs of ``path`` the API server has answered since it started."""
        return parse_path_gets(self._metrics(), path)

    def _metrics(self) -> str:
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
        return done.stdout

    @staticmethod
    def since(before: Counter[tuple[str, str]], after: Counter[tuple[str, str]]) -> Writes:
        diff = Counter({k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)})
        return Writes(diff)
