"""What the current credentials may do and who they are: SelfSubjectAccessReviews (many at once,
from one event loop) and a SelfSubjectReview."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx2
import lightkube
from lightkube.models.authorization_v1 import ResourceAttributes, SelfSubjectAccessReviewSpec
from lightkube.resources.authentication_v1 import SelfSubjectReview
from lightkube.resources.authorization_v1 import SelfSubjectAccessReview

from helmdeck.cluster.client import make_async_client, translate_errors


@dataclass(frozen=True, order=True)
class Access:
    verb: str
    group: str
    resource: str
    namespace: str  # "" for cluster-scoped resources


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""


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


def who_am_i(client: lightkube.Client) -> str | None:
    """The user name the cluster sees for these credentials (None when it does not say).

    Raises the cluster port's errors: Unauthorized, Forbidden, NotFound (no SelfSubjectReview on
    clusters before 1.28), or a ClusterError when the cluster cannot be reached.
    """
    with translate_errors(client, "ask the cluster who these credentials are"):
        review = client.create(SelfSubjectReview())
    status = review.status
    return status.userInfo.username if status and status.userInfo else None
