"""Why a worker process died, in a user's words, from Go's crash report on its stderr.

Go names functions, not templates, when a template recursion overflows its stack or a loop runs out
of memory; :func:`templates_calling` finds the chart's templates that call the function named.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile

MIB = 1024 * 1024

_FUNCTION_FRAME = re.compile(
    r"helm\.sh/helm/v\d+/pkg/engine\.(?P<helm>\w+?)Fun\b|github\.com/Masterminds/sprig/v\d+\.(?P<sprig>\w+)\("
)

#: Go functions in a crash report -> the template function a chart calls
_TEMPLATE_FUNCTION = {"untilStep": "until"}


def crashed_in(stderr: str) -> str:
    """The template function (tpl, include, until, ...) innermost in Go's crash report, if any."""
    match = _FUNCTION_FRAME.search(stderr)
    if match is None:
        return ""
    name = match.group("helm") or match.group("sprig") or ""
    return _TEMPLATE_FUNCTION.get(name, name)


_MEMORY = re.compile(r"out of memory|cannot allocate|malloc failed|MemoryError")
_ELIDED = re.compile(r"\.\.\.(\d+) frames elided\.\.\.")


def _deep_recursion(stderr: str) -> bool:
    """Whether memory ran out while a goroutine's stack grew, or with a stack of thousands of frames
    (Go prints the first and last hundred): a template calling itself, whichever ran out first."""
    if "runtime.newstack" in stderr or "runtime.morestack" in stderr:
        return True
    return any(int(count) > 10_000 for count in _ELIDED.findall(stderr))


def crash_reason(stderr: str, memory_bytes: int) -> str:
    """Why a worker died (``memory_bytes``: its address-space limit), from its stderr."""
    function = crashed_in(stderr)
    where = f" in {function}" if function else ""
    if "stack overflow" in stderr or (_MEMORY.search(stderr) and _deep_recursion(stderr)):
        return f"crashed: stack overflow{where} (a template calls itself without end)"
    if _MEMORY.search(stderr):
        return f"exceeded {size_text(memory_bytes)}{where}"
    fatal = re.search(r"^(?:fatal error|panic): .*$", stderr, re.MULTILINE)
    if fatal:
        return f"crashed: {fatal.group(0)}{where}"
    # the worker's own Python failing: its exception's last line says what (a helmdeck bug)
    python = re.findall(r"^[A-Za-z_.]*(?:Error|Exception): .*$", stderr, re.MULTILINE)
    return f"crashed: {python[-1]}" if python else "crashed without a message"


def size_text(size: int) -> str:
    mib = size // MIB
    return f"{mib // 1024} GiB" if mib % 1024 == 0 else f"{mib} MiB"


def templates_calling(archive: bytes, function: str, *, at_most: int = 3) -> list[str]:
    """Templates of the chart archive whose actions call ``function``: where a crash in it comes from
    (Go's crash report names functions, not templates)."""
    call = re.compile(r"\{\{(?:(?!\}\}).)*?\b" + re.escape(function) + r"\b", re.DOTALL)
    found: list[str] = []
    with contextlib.suppress(OSError, tarfile.TarError, EOFError), tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if not member.isfile() or not ("/templates/" in member.name or member.name.endswith(".tpl")):
                continue
            handle = tar.extractfile(member)
            if handle is not None and call.search(handle.read(4 * MIB).decode("utf-8", "replace")):
                found.append(member.name)
                if len(found) >= at_most:
                    break
    return found
