"""The health gates of one process, served by one event loop: one thread, one async client per
cluster, and one list+watch per (kind, namespace) that every gate waiting on objects there shares.

A gate used to run its own event loop, client (TLS handshakes) and watches; a deploy of hundreds of
components ran hundreds of each against one API server, and decoded every Pod event once per gate.
Now a stream is opened by the first gate that needs it, fans its events out to every gate
following it (an informer's cache: a gate that comes later starts from what the stream holds), and
closes a moment after the last of them ends (:data:`LINGER`, so the next component of a dependency
chain, a few seconds behind, finds it still open). The gates themselves, with their grace periods,
Job and storage class lookups, are :mod:`helmdeck.cluster.gate_run`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import lightkube
import msgspec

from helmdeck.cluster.client import make_async_client
from helmdeck.cluster.gate_state import Interest, Store, Stream
from helmdeck.cluster.gate_view import resource_version
from helmdeck.cluster.kinds import listed_object, resource_class
from helmdeck.cluster.pods import owner_uids

#: seconds a stream stays open after its last gate ended
LINGER = 3.0


@dataclass(eq=False)
class _Feed:
    """One shared list+watch and the gates following it: each by its wake-up event, and the
    changes that concern it."""

    stream: Stream
    waiters: dict[asyncio.Event, Interest] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    closing: asyncio.TimerHandle | None = None

    def wake(self, name: str | None = None, changed: Iterable[Mapping[str, Any] | None] = ()) -> None:
        """Wake the gates a change to the object ``name`` concerns, given the object before and
        after (None: a new listing or an error concerns them all)."""
        owners: set[str] | None = None  # of the object before and after, found when first needed
        # hot: every event of a namespace's Pods meets every gate following them
        for waiter, interest in self.waiters.items():
            if waiter.is_set():
                continue
            if name is None or name in interest.names:
                waiter.set()
            elif interest.owners:
                if owners is None:
                    owners = {uid for obj in changed for uid in owner_uids(obj)}
                if not interest.owners.isdisjoint(owners):
                    waiter.set()


class GateService:
    """The shared streams of one cluster (and credentials). Gates run on its loop thread, started
    on first use; :meth:`run` is called from any other thread."""

    def __init__(self, client: lightkube.Client) -> None:
        # made here, used only on the loop thread (an httpx client binds to no loop until it is used)
        self.aclient = make_async_client(client)
        #: what the streams hold; touched only on the loop thread
        self.cache = Store()
        self.watermarks: dict[Stream, int] = {}
        self._feeds: dict[Stream, _Feed] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- from the calling threads -----------------------------------------------------------------
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="helmdeck-gates", daemon=True)
                self._thread.start()
            return self._loop

    def call(self, main: Any, updates: queue.SimpleQueue[Any], on_item: Any) -> Any:
        """Run the coroutine ``main`` on the loop; meanwhile hand every item it puts on ``updates``
        to ``on_item`` in this thread, until it puts None. Interrupted here, ``main`` is cancelled."""
        future = asyncio.run_coroutine_threadsafe(main, self.loop())
        try:
            while (item := updates.get()) is not None:
                on_item(item)
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        """Close every stream and the client, and stop the loop (at exit)."""
        with self._lock:
            loop, thread, self._loop = self._loop, self._thread, None
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)

    async def _shutdown(self) -> None:
        tasks = [f.task for f in self._feeds.values() if f.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._feeds.clear()
        await self.aclient.close()

    # -- on the loop thread -------------------------------------------------------------------------
    def subscribe(self, streams: Mapping[Stream, Interest], waiter: asyncio.Event) -> set[Stream]:
        """Follow ``streams``, waking ``waiter`` on each change that concerns it; returns those that
        were open already (their state may predate what the gate checks)."""
        opened_before = set()
        for stream, names in streams.items():
            feed = self._feeds.get(stream)
            if feed is None:
                feed = self._feeds[stream] = _Feed(stream)
                feed.task = asyncio.create_task(self._follow(feed))
            else:
                opened_before.add(stream)
                if feed.closing is not None:
                    feed.closing.cancel()
                    feed.closing = None
            feed.waiters[waiter] = names
        return opened_before

    def unsubscribe(self, streams: Iterable[Stream], waiter: asyncio.Event) -> None:
        for stream in streams:
            feed = self._feeds.get(stream)
            if feed is None:
                continue
            feed.waiters.pop(waiter, None)
            if not feed.waiters and feed.closing is None:
                feed.closing = asyncio.get_running_loop().call_later(LINGER, self._close, feed)

    def _close(self, feed: _Feed) -> None:
        feed.closing = None
        if feed.waiters or self._feeds.get(feed.stream) is not feed:
            return
        del self._feeds[feed.stream]
        if feed.task is not None:
            feed.task.cancel()
        self.cache.drop(feed.stream)
        self.watermarks.pop(feed.stream, None)

    def _advance(self, stream: Stream, version: Any) -> None:
        number = resource_version(version)
        if number is None:
            return
        if number > self.watermarks.get(stream, -1):
            self.watermarks[stream] = number

    async def _follow(self, feed: _Feed) -> None:
        """List then watch one stream for as long as a gate follows it, relisting when the watch breaks."""
        stream = feed.stream
        failures = 0
        while True:
            try:
                items, version, events = await self._list(stream)
                self.cache.replace(stream, items)
                self.watermarks.pop(stream, None)
                self._advance(stream, version)
                feed.wake()
                failures = 0
                async for event, obj in events:
                    typed = listed_object(stream.info, obj)
                    before = self.cache.apply(stream, event, typed)
                    meta = typed.get("metadata", {})
                    self._advance(stream, meta.get("resourceVersion"))
                    feed.wake(str(meta.get("name")), (before, typed))
            except lightkube.ApiError as err:
                if err.status.code == 410:  # resource version too old: list again
                    continue
                failures += 1
                self.cache.errors[stream] = err.status.message or str(err)
                feed.wake()
            except Exception as err:
                # whatever breaks a stream, it lists again: a stream that ended here would leave
                # every gate following it waiting until its timeout
                failures += 1
                self.cache.errors[stream] = f"{type(err).__name__}: {err}"
                feed.wake()
            await asyncio.sleep(min(5.0, 0.25 * 2**failures))

    async def _list(self, stream: Stream) -> tuple[list[dict[str, Any]], str | None, Watch]:
        """The stream's objects, their list's resourceVersion, and the watch that follows on from it."""
        items, version = await self.read(stream)
        res, where = _request(stream)
        return items, version, self.aclient.watch(res, **where, resource_version=version)

    async def read(self, stream: Stream) -> tuple[list[dict[str, Any]], str | None]:
        """The stream's objects as the API server has them now, and that reading's resourceVersion."""
        res, where = _request(stream)
        listing = self.aclient.list(res, **where)
        items = [listed_object(stream.info, o) async for o in listing]
        return items, list_version(listing)


Watch = AsyncIterable[tuple[str, Mapping[str, Any]]]


def _request(stream: Stream) -> tuple[Any, dict[str, Any]]:
    """The resource class of a stream's list and watch, and where they look."""
    where: dict[str, Any] = {"fields": {"metadata.name": stream.name} if stream.name else None}
    if stream.info.namespaced:
        where["namespace"] = stream.namespace
    return resource_class(stream.info), where


def list_version(listing: Any) -> str | None:
    try:
        return str(listing.resourceVersion)
    except lightkube.NotReadyError:
        return None


# -- one service per cluster and credentials, for the whole process ------------------------------------
_services: dict[str, GateService] = {}
_services_lock = threading.Lock()


def _identity(client: lightkube.Client) -> str:
    """Which cluster and credentials ``client`` stands for (a digest: the key holds no secret)."""
    config = client.config
    parts = msgspec.json.encode([config.cluster, config.user, str(config.fname), config.context_name])
    return hashlib.sha256(parts).hexdigest()


def gate_service(client: lightkube.Client) -> GateService:
    """The process's gate service for ``client``'s cluster and credentials: sessions on the same
    cluster (a deploy's components, the web service's operations) share its streams."""
    key = _identity(client)
    with _services_lock:
        service = _services.get(key)
        if service is None:
            service = _services[key] = GateService(client)
        return service


def _forget_in_child() -> None:
    # a forked child has none of the loop threads: it starts services of its own if it needs them
    _services.clear()


os.register_at_fork(after_in_child=_forget_in_child)


@atexit.register
def _close_all() -> None:
    with _services_lock:
        services = list(_services.values())
        _services.clear()
    for service in services:
        service.close()
