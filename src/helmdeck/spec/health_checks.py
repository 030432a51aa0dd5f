"""Health rules the platform file gives per kind, as CEL expressions (``spec.healthCheckExprs``).

The shape is Flux's ``healthCheckExprs``: ``apiVersion`` and ``kind`` pick the objects, ``current``
says when one is healthy, ``inProgress`` and ``failed`` (both optional) when it is still working
or broken. Each expression sees the object's top-level fields as variables (``metadata``, ``spec``,
``status``, ...; ``metadata``, ``spec`` and ``status`` are ``{}`` when the object has none, so
``has(status.phase)`` works on an object nobody reported on yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    import cel

#: what an expression may read: the object's own top-level fields
OBJECT_VARIABLES = frozenset({"apiVersion", "kind", "metadata", "spec", "status", "data", "stringData", "type"})

#: the expressions of a rule, in the order they are tried: the first that is true decides
EXPRESSION_ORDER = ("in_progress", "failed", "current")


def compile_expression(source: str) -> cel.Program:
    """The compiled expression; ValueError with CEL's own account of what is wrong."""
    import cel  # loaded only by platforms that have rules: a Rust extension, not needed otherwise

    if not source.strip():
        raise ValueError("the expression is empty")
    program = cel.compile(source)
    unknown = sorted(set(program.variables()) - OBJECT_VARIABLES)
    if unknown:
        known = ", ".join(sorted(OBJECT_VARIABLES))
        raise ValueError(f"it reads {', '.join(unknown)}, which an object does not have (it has {known})")
    return program


def checked_expression(source: str | None, rule: str) -> str | None:
    """``source`` when it compiles, else the platform file's kind of error (file:line, fix);
    ``rule`` names the rule ("the health rule for Middleware (traefik.io/v1alpha1)")."""
    if source is None:
        return None
    try:
        compile_expression(source)
    except ValueError as exc:
        raise PydanticCustomError(
            "helmdeck",
            "{message}",
            {
                "message": f"{rule}: not a valid CEL expression: {exc}",
                "fix": (
                    "write a CEL expression over the object's fields that is true or false, e.g. "
                    "\"has(status.phase) && status.phase == 'Ready'\" (https://cel.dev)"
                ),
            },
        ) from None
    return source
