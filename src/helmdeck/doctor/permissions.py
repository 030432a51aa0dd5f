"""Can the current credentials create and patch everything the platform installs?

One SelfSubjectAccessReview per distinct (verb, group, resource, namespace), sent concurrently, so a
platform of hundreds of objects costs a few dozen small requests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx2
import lightkube
from lightkube.models.authorization_v1 import ResourceAttributes, SelfSubjectAccessReviewSpec
from lightkube.resources.authorization_v1 import SelfSubjectAccessReview

from helmdeck.doctor.findings import Finding

MANIFEST_VERBS = ("create", "patch")


@dataclass(frozen=True, order=True)
class Access:
    verb: str
    group: str
    resource: str
    namespace: str  # "" for cluster-scoped resources


@dataclass(frozen=True)
class Need:
    """An access the deploy needs, and for what."""

    access: Access
    component: str | None
    object: str | None
    why: str  # "installs Deployment svc/api", "stores Helm releases"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""


Review = Callable[[Access], Verdict]


def review_with(client: lightkube.Client) -> Review:
    def review(access: Access) -> Verdict:
        body = SelfSubjectAccessReview(
            spec=SelfSubjectAccessReviewSpec(
                resourceAttributes=ResourceAttributes(
                    verb=access.verb,
                    group=access.group,
                    resource=access.resource,
                    namespace=access.namespace or None,
                )
            )
        )
        try:
            status = client.create(body).status
        except lightkube.ApiError as err:
            return Verdict(False, f"the review itself was refused: {err.status.message}")
        except (httpx2.HTTPError, OSError) as err:
            return Verdict(False, f"the review could not be sent: {type(err).__name__}: {err}")
        if status is None:
            return Verdict(False, "the API server returned no verdict")
        return Verdict(bool(status.allowed), status.reason or status.evaluationError or "")

    return review


def review_all(accesses: Iterable[Access], review: Review, *, workers: int = 8) -> dict[Access, Verdict]:
    distinct = sorted(set(accesses))
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(distinct)))) as pool:
        return dict(zip(distinct, pool.map(review, distinct), strict=True))


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
