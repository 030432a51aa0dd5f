"""The process that evaluates chart templates for helmdeck (``python -m helmdeck.engine.render_worker``).

A chart's templates are a program: recursive ``tpl`` overflows Go's stack and aborts the whole
process, a ``range`` over ``until 100000000`` eats gigabytes that Go keeps. So helmdeck never
evaluates templates in its own process; :mod:`helmdeck.engine.contained` starts this module as a
fresh interpreter (exec, never fork: the Go runtime's threads do not survive a fork), and it caps
its own address space before Helm's Go runtime is loaded.

Protocol on stdin/stdout, one request at a time: a frame is an 8-byte header (JSON length, blob
length, big-endian uint32 each), then the JSON, then the blob. A request's blob is the chart
archive when the parent has not sent that archive to this process before. A reply is JSON only.
While a request runs (in a thread of its own), the parent may send ``{"cancel": id}``: a release
write (:mod:`helmdeck.engine.release_ops`) then has its Helm context cancelled.
Helm's errors come back as their class name and message, so the parent raises what it raised when
Helm ran in process. Anything that kills this process (Go's ``fatal error``) is read by the parent
from the stderr file it gave us.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import struct
import sys
import threading
import time
import traceback
from collections import OrderedDict
from typing import Any, BinaryIO

from helmdeck.engine.kube_cache import remove_own

HEADER = struct.Struct(">II")
_ARCHIVES_KEPT = 64


def read_frame(stream: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """One frame, or None at end of stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    json_len, blob_len = HEADER.unpack(header)
    body = stream.read(json_len)
    blob = stream.read(blob_len) if blob_len else b""
    if len(body) < json_len or len(blob) < blob_len:
        return None
    message: dict[str, Any] = json.loads(body)
    return message, blob


def frame(message: dict[str, Any], blob: bytes = b"") -> bytes:
    body = json.dumps(message).encode()
    return HEADER.pack(len(body), len(blob)) + body + blob


def _die_with_parent() -> None:
    """End this worker when its parent is gone. The main thread reads stdin all the time, so a
    parent's death (its end of the pipe closing) is seen at once; this watch covers a pipe some
    other process kept open. (``PR_SET_PDEATHSIG`` would fire when the parent *thread* that
    started the worker ends, which in a thread pool is any time.)"""
    parent = os.getppid()
    if parent == 1:
        sys.exit(0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        _exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _exit(code: int) -> None:
    """End now (Go's threads never join), leaving no cache directory behind."""
    remove_own()
    os._exit(code)


def _limit_memory() -> None:
    limit = int(os.environ.get("HELMDECK_WORKER_AS_BYTES", "0"))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard) if limit > 0 else hard  # a parent's own cap, inherited, cannot be raised
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class _Worker:
    def __init__(self) -> None:
        import helm_python

        from helmdeck.engine import _abi

        self._helm = helm_python
        self._abi = _abi
        self._archives: OrderedDict[str, bytes] = OrderedDict()
        self._max_output = int(os.environ.get("HELMDECK_WORKER_MAX_OUTPUT", "0"))
        self._writer: Any = None

    def writer(self) -> Any:
        if self._writer is None:
            from helmdeck.engine.release_ops import ReleaseWriter

            self._writer = ReleaseWriter(self._helm, self._abi)
        return self._writer

    def cancel(self, request_id: int) -> None:
        if self._writer is not None:
            self._writer.cancel(request_id)

    def archive(self, digest: str, blob: bytes) -> bytes:
        if blob:
            self._archives[digest] = blob
            while len(self._archives) > _ARCHIVES_KEPT:
                self._archives.popitem(last=False)
        self._archives.move_to_end(digest)
        return self._archives[digest]

    def handle(self, request: dict[str, Any], blob: bytes) -> dict[str, Any]:
        digest = str(request.get("digest") or "")
        if digest and not blob and digest not in self._archives:
            return {"ok": False, "missing": True}
        archive = self.archive(digest, blob) if digest else b""
        if request["op"] != "render":
            return dict(self.writer().handle(request, archive))
        from helmdeck.engine.release_ops import error_reply

        try:
            with self._helm.Chart.load_archive(archive) as chart:
                return self._render(chart, request)
        except self._helm.HelmError as exc:
            return {"ok": False, **error_reply(exc)}

    def _render(self, chart: Any, request: dict[str, Any]) -> dict[str, Any]:
        rendered = self._abi.render(chart, request["values"], **request["options"])
        crds = (
            [[str(c.get("filename") or c.get("name")), str(c["data"])] for c in chart.crds]
            if request["withCrds"]
            else []
        )
        size = sum(len(text) for text in rendered.values()) + sum(len(c[1]) for c in crds)
        if self._max_output and size > self._max_output:
            biggest = max(rendered, key=lambda path: len(rendered[path]), default="")
            return {"ok": False, "tooLarge": size, "template": biggest}
        return {"ok": True, "rendered": rendered, "crds": crds}


def main() -> None:
    # Ctrl-C reaches the whole process group: a deploy lets its running components finish their
    # install (and the install's contained evaluation); the worker ends with its parent instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    _limit_memory()
    worker = _Worker()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Only frames go to stdout; a stray print (a library's) must not corrupt the protocol.
    sys.stdout = sys.stderr
    running: threading.Thread | None = None

    def run(request: dict[str, Any], blob: bytes) -> None:
        try:
            reply = worker.handle(request, blob)
            stdout.write(frame(reply))
            stdout.flush()
        except BaseException:
            # as an uncaught exception in the main thread would: the parent reads the last line
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(70)

    # Requests run in a thread so that this one can read a cancel while Helm works; the parent
    # sends the next request only after the reply, so at most one runs.
    while True:
        incoming = read_frame(stdin)
        if incoming is None:
            break
        message, blob = incoming
        if "cancel" in message:
            worker.cancel(int(message["cancel"]))
            continue
        if running is not None:
            running.join()
        running = threading.Thread(target=run, args=(message, blob), name="request")
        running.start()
    # stdin closed: the parent died (it closes the pipe only after killing a worker). A running
    # write ends with it, as it would have in the parent's process: the release is left pending
    # for the next deploy to recover under the platform lock, never half-recorded by an orphan.
    _exit(0)


if __name__ == "__main__":
    main()
