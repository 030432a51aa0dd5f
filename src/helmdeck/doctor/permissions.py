"""Can the current credentials create and patch everything the platform installs?

One SelfSubjectAccessReview per distinct (verb, group, resource, namespace), sent concurrently from
one event loop, so a platform of hundreds of objects costs a few dozen small requests.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx2
import lightkube
from lightkube.models.authorization_v1 import ResourceAttributes, SelfSubjectAccessReviewSpec
from lightkube.resources.authorization_v1 import SelfSubjectAccessReview

from helmdeck.cluster.client import make_async_client
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


def _review_body(access: Access) -> SelfSubjectAccessReview:
    return SelfSubjectAccessReview(
        spec=SelfSubjectAccessReviewSpec(
            resourceAttributes=ResourceAttributes(
                verb=access.verb,
                group=access.group,
                resource=access.resource,
                namespace=access.namespace or None,
            )
        )
    )


def _verdict(status: Any) -> Verdict:
    if status is None:
        return Verdict(False, "the API server returned no verdict")
    return Verdict(bool(status.allowed), status.reason or status.evaluationError or "")


class ClusterReview:
    """Reviews against the cluster. Many at once go out concurrently from one event loop in one
    thread: lightkube's response decoding is not safe to run from several threads at once (it
    crashed the process under load), and an event loop needs no threads to overlap the requests."""

    def __init__(self, client: lightkube.Client, *, concurrency: int = 8) -> None:
        self.client = client
        self.concurrency = concurrency

    def __call__(self, access: Access) -> Verdict:
        return self.many([access])[access]

    def many(self, accesses: Sequence[Access]) -> dict[Access, Verdict]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._many(accesses))
        # called from a thread that runs an event loop already (a sync caller inside async code):
        # the reviews get a loop of their own, in one worker thread
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(lambda: asyncio.run(self._many(accesses))).result()

    async def _many(self, accesses: Sequence[Access]) -> dict[Access, Verdict]:
        aclient = make_async_client(self.client)
        limit = asyncio.Semaphore(self.concurrency)

        async def one(access: Access) -> Verdict:
            async with limit:
                try:
                    return _verdict((await aclient.create(_review_body(access))).status)
                except lightkube.ApiError as err:
                    return Verdict(False, f"the review itself was refused: {err.status.message}")
                except (httpx2.HTTPError, OSError) as err:
                    return Verdict(False, f"the review could not be sent: {type(err).__name__}: {err}")

        try:
            verdicts = await asyncio.gather(*(one(a) for a in accesses))
        finally:
            await aclient.close()
        return dict(zip(accesses, verdicts, strict=True))


def review_with(client: lightkube.Client) -> ClusterReview:
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
