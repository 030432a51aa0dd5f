"""Can the current credentials create and patch everything the platform installs?

One SelfSubjectAccessReview per distinct (verb, group, resource, namespace), sent concurrently from
one event loop, so a platform of hundreds of objects costs a few dozen small requests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from helmdeck.cluster import KubeClient
from helmdeck.cluster.access import Access, ClusterReview, Verdict
from helmdeck.doctor.findings import Finding

MANIFEST_VERBS = ("create", "patch")


@dataclass(frozen=True)
class Need:
    """An access the deploy needs, and for what."""

    access: Access
    component: str | None
    object: str | None
    why: str  # "installs Deployment svc/api", "stores Helm releases"


Review = Callable[[Access], Verdict]


def review_with(client: KubeClient) -> ClusterReview:
    return ClusterReview(client)


def review_all(accesses: Iterable[Access], review: Review) -> dict[Access, Verdict]:
    distinct = sorted(set(accesses))
    if isinstance(review, ClusterReview):
        return review.many(distinct)
    return {access: review(access) for access in distinct}


def check_permissions(needs: Sequence[Need], review: Review) -> list[Finding]:
    verdicts = review_all((n.access for n in needs), review)
    denied: dict[tuple[str, str, str], list[Need]] = defaultdict(list)
    for need in needs:
        if not verdicts[need.access].allowed:
            a = need.access
            denied[(a.group, a.resource, a.namespace)].append(need)
    findings = []
    for (group, resource, namespace), items in denied.items():
        verbs = sorted({n.access.verb for n in items})
        qualified = f"{resource}.{group}" if group else resource
        where = f"in namespace {namespace}" if namespace else "cluster-wide"
        first = items[0]
        others = len({n.object for n in items}) - 1
        reasons = sorted({verdicts[n.access].reason for n in items if verdicts[n.access].reason})
        findings.append(
            Finding(
                "error",
                "permissions",
                first.component,
                first.object,
                f"these credentials may not {'/'.join(verbs)} {qualified} {where}, which the deploy needs "
                f"({first.why}{f' and {others} more' if others > 0 else ''})"
                + (f": {'; '.join(reasons)}" if reasons else ""),
                f"ask a cluster admin for a Role/ClusterRole granting {', '.join(verbs)} on {qualified} {where}, "
                "or use a kubeconfig context that has it",
                {"verbs": verbs, "group": group, "resource": resource, "namespace": namespace},
            )
        )
    return findings
