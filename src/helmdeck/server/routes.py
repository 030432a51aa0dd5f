"""How the REST API declares its endpoints, said once: the error bodies an endpoint answers with, the
changes that run as background operations (202 with the operation to follow), and the reads that
hand a backend's answer on as it is (a row of a table each, not a function each)."""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request

from helmdeck.server import models
from helmdeck.server.operations import Operation
from helmdeck.server.security import Principal, admin, operator, viewer

F = TypeVar("F", bound=Callable[..., Any])

#: the roles an endpoint admits, as dependencies (``who: Operator``)
Viewer = Annotated[Principal, Depends(viewer)]
Operator = Annotated[Principal, Depends(operator)]
Admin = Annotated[Principal, Depends(admin)]

ErrorBodies = dict[int | str, dict[str, Any]]


def error_bodies(meaning: Mapping[int, str | None]) -> ErrorBodies:
    """Error responses by HTTP status, each an :class:`models.ErrorBody`, with what the status means
    here (None: the status says it)."""
    return {
        code: {"model": models.ErrorBody, **({"description": text} if text else {})} for code, text in meaning.items()
    }


#: what any endpoint may answer
ERRORS = error_bodies(
    {
        400: "The request body could not be read.",
        401: "No valid token.",
        403: "The token's role is not enough, or the CSRF token is missing.",
        422: "The request is invalid (names what and the fix).",
        503: "The cluster could not be reached or refused, or the service is shutting down.",
    }
)
#: what a change may answer besides
CHANGE_ERRORS = {**ERRORS, **error_bodies({409: "Another change is running."})}


def background(
    router: APIRouter, method: str, path: str, *, errors: ErrorBodies | None = None
) -> Callable[[Callable[..., Operation]], Callable[..., dict[str, Any]]]:
    """A change that runs as an operation: the endpoint returns the operation it started, answered
    (202) as its JSON, which the caller follows at ``/operations/{id}/events``; refused like any change
    (``errors``: what else it may answer). The endpoint's docstring is its summary (the first
    paragraph) and its description (the rest)."""

    def declare(endpoint: Callable[..., Operation]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(endpoint)
        def answer(*args: Any, **kwargs: Any) -> dict[str, Any]:
            return endpoint(*args, **kwargs).as_dict()

        return change(router, method, path, models.Operation, status=202, errors=errors)(answer)

    return declare


def change(
    router: APIRouter, method: str, path: str, model: Any, *, status: int = 200, errors: ErrorBodies | None = None
) -> Callable[[F], F]:
    """An endpoint that changes something, refused like any change (``errors``: what else it may
    answer); its docstring is its summary (the first paragraph) and its description (the rest)."""

    def declare(endpoint: F) -> F:
        summary, _, description = inspect.cleandoc(endpoint.__doc__ or "").partition("\n\n")
        endpoint.__doc__ = None  # said here; FastAPI would take the whole of it as the description
        router.api_route(
            path,
            methods=[method],
            response_model=model,
            status_code=status,
            summary=" ".join(summary.split()),
            description=" ".join(description.split()) or None,
            responses={**CHANGE_ERRORS, **(errors or {})},
        )(endpoint)
        return endpoint

    return declare


@dataclass(frozen=True)
class Read:
    """A GET whose answer is a backend's answer as it is: the path's parameters are the arguments of
    the backend's method ``call``, in order (typed as the method types them)."""

    path: str
    call: str
    model: Any
    summary: str
    errors: ErrorBodies = field(default_factory=dict)
    #: the endpoint's name (its OpenAPI operation id), when not the method's
    name: str = ""


def add_reads(
    router: APIRouter, reads: Sequence[Read], interface: type, backend: Callable[[Request], Any], role: Any
) -> None:
    """Add each read to ``router``: ``interface`` types the calls, ``backend`` finds the object that
    answers them for a request, ``role`` is the dependency that admits the caller."""
    for read in reads:
        router.add_api_route(
            read.path,
            _endpoint(read, interface, backend, role),
            methods=["GET"],
            response_model=read.model,
            summary=read.summary,
            responses=read.errors or None,
        )


def _endpoint(read: Read, interface: type, backend: Callable[[Request], Any], role: Any) -> Callable[..., Any]:
    method = getattr(interface, read.call)
    hints = typing.get_type_hints(method)
    arguments = [p for p in inspect.signature(method).parameters if p != "self"]
    names = re.findall(r"{(\w+)}", read.path)
    if len(names) != len(arguments):
        raise TypeError(f"{read.path}: {interface.__name__}.{read.call} takes {arguments}, the path gives {names}")

    def endpoint(request: Request, **given: Any) -> Any:
        return getattr(backend(request), read.call)(*(given[n] for n in names))

    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            *(inspect.Parameter(n, keyword, annotation=hints[a]) for n, a in zip(names, arguments, strict=True)),
            inspect.Parameter("_", keyword, annotation=role),
        ]
    )
    endpoint.__name__ = endpoint.__qualname__ = read.name or read.call
    return endpoint
