"""The process that evaluates chart templates for helmdeck (``python -m helmdeck.engine.render_worker``).

A chart's templates are a program: recursive ``tpl`` overflows Go's stack and aborts the whole
process, a ``range`` over ``until 100000000`` eats gigabytes that Go keeps. So helmdeck never
evaluates templates in its own process; :mod:`helmdeck.engine.contained` starts this module as a
fresh interpreter (exec, never fork: the Go runtime's threads do not survive a fork), and it caps
its own address space before Helm's Go runtime is loaded.

Protocol on stdin/stdout, one request at a time: a frame is an 8-byte header (JSON length, blob
length, big-endian uint32 each), then the JSON, then the blob. A request's blob is the chart
archive when the parent has not sent that archive to this process before. A reply is JSON only.
Helm's errors come back as their class name and message, so the parent raises what it raised when
Helm ran in process. Anything that kills this process (Go's ``fatal error``) is read by the parent
from the stderr file it gave us.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import struct
import sys
from collections import OrderedDict
from typing import Any, BinaryIO

HEADER = struct.Struct(">II")
_ARCHIVES_KEPT = 64
_PR_SET_PDEATHSIG = 1


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
    # A parent killed with SIGKILL closes our stdin, but only after the running render ends.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        sys.exit(0)


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

    def archive(self, digest: str, blob: bytes) -> bytes:
        if blob:
            self._archives[digest] = blob
            while len(self._archives) > _ARCHIVES_KEPT:
                self._archives.popitem(last=False)
        self._archives.move_to_end(digest)
        return self._archives[digest]

    def handle(self, request: dict[str, Any], blob: bytes) -> dict[str, Any]:
        digest = str(request["digest"])
        if not blob and digest not in self._archives:
            return {"ok": False, "missing": True}
        archive = self.archive(digest, blob)
        try:
            with self._helm.Chart.load_archive(archive) as chart:
                if request["op"] == "render":
                    return self._render(chart, request)
                return self._dry_run(chart, request)
        except self._helm.HelmError as exc:
            return {
                "ok": False,
                "helmError": type(exc).__name__,
                "message": str(exc),
                "detail": exc.detail,
                "code": getattr(exc, "code", None),
            }

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

    def _dry_run(self, chart: Any, request: dict[str, Any]) -> dict[str, Any]:
        """Install or upgrade with Helm's server dry run: templates evaluated exactly as the real
        action will (the cluster's capabilities, ``lookup`` answered by the API server), nothing written."""
        cluster = request["cluster"]
        with self._helm.Config(
            kubeconfig_path=cluster["kubeconfig"], kube_context=cluster["context"], namespace=cluster["namespace"]
        ) as config:
            write = self._abi.upgrade if request["op"] == "dry-run-upgrade" else self._abi.install
            write(config, chart, request["release"], request["values"], None, **request["options"], dry_run="server")
        return {"ok": True}


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
    while True:
        incoming = read_frame(stdin)
        if incoming is None:
            return
        reply = worker.handle(*incoming)
        stdout.write(frame(reply))
        stdout.flush()


if __name__ == "__main__":
    main()
