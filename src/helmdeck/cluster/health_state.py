"""The vocabulary of health, shared by every readiness rule: :class:`Health` and its constructors,
and the reading of an object's ``status`` (conditions, lenient accessors for fields that may be
absent or of the wrong type). Pure, no client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from helmdeck.serialize import JsonObject, json_field

State = Literal["ready", "progressing", "failed", "unknown"]

# Waiting reasons a container does not leave by waiting (kubelet keeps retrying, nothing changes).
FAILING_WAIT_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


@dataclass(frozen=True)
class Health(JsonObject):
    state: State
    reason: str = ""
    # A failure that waiting cannot heal (Job failed, deadline exceeded): no grace period applies.
    terminal: bool = field(default=False, metadata=json_field(exclude=True))
    # An "unknown" that waiting cannot resolve (a custom resource nobody reports status for): the
    # gate does not wait on it, but it is never counted as healthy either.
    blocking: bool = field(default=True, metadata=json_field(exclude=True))
    # which rule judged the object ("kstatus: Deployment", "platform rule: traefik.io/Middleware"):
    # status names it, so an operator can tell a verdict from the rule that reached it
    rule: str = ""

    @property
    def settled(self) -> bool:
        """Nothing more to wait for: ready, or unknown for good."""
        return self.ready or (self.state == "unknown" and not self.blocking)

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @property
    def missing(self) -> bool:
        """The object of a release is gone from the cluster (kstatus: NotFound)."""
        return self.rule == MISSING_RULE


def with_rule(state: Health, rule: str) -> Health:
    """``state`` naming ``rule``, unless a more particular rule named itself already."""
    return state if state.rule else replace(state, rule=rule)


def derived(base: Health, state: Health) -> Health:
    """``state`` (worked out from ``base``: its pods, its grace period) under ``base``'s rule."""
    return with_rule(state, base.rule)


MISSING_RULE = "kstatus: NotFound"
MISSING_REASON = "missing: deleted outside helmdeck (a deploy creates it again)"
NO_STATUS_BY_DESIGN = "no status by design (CRD has no status subresource)"


def missing() -> Health:
    """An object of a deployed release that is not in the cluster: someone deleted it."""
    return Health("failed", MISSING_REASON, rule=MISSING_RULE)


def not_created_yet() -> Health:
    """An object of a release whose install or upgrade is still under way."""
    return Health("progressing", "does not exist yet", rule=MISSING_RULE)


def ready(reason: str = "") -> Health:
    return Health("ready", reason)


def progressing(reason: str) -> Health:
    return Health("progressing", reason)


def failed(reason: str, *, terminal: bool = False) -> Health:
    return Health("failed", reason, terminal)


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def dig(value: Any, *keys: str) -> Mapping[str, Any]:
    """``value[key]...[key]`` as a mapping: empty where a level is absent or not a mapping."""
    for key in keys:
        value = as_map(value).get(key)
    return as_map(value)


def as_list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def as_int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def condition(obj: Mapping[str, Any], cond_type: str) -> Mapping[str, Any] | None:
    for cond in as_list(as_map(obj.get("status")).get("conditions")):
        if isinstance(cond, Mapping) and cond.get("type") == cond_type:
            return cond
    return None


def is_true(cond: Mapping[str, Any] | None) -> bool:
    return cond is not None and cond.get("status") == "True"


def condition_true(obj: Mapping[str, Any], cond_type: str) -> bool:
    """Whether ``obj`` reports the condition (``Ready`` of a Node, say) as True."""
    return is_true(condition(obj, cond_type))


def true_condition(obj: Mapping[str, Any], cond_type: str) -> Mapping[str, Any] | None:
    """The condition when ``obj`` reports it True (its reason and message then explain), else None."""
    cond = condition(obj, cond_type)
    return cond if is_true(cond) else None


def is_false(cond: Mapping[str, Any] | None) -> bool:
    return cond is not None and cond.get("status") == "False"


def condition_text(cond: Mapping[str, Any]) -> str:
    reason, message = cond.get("reason") or "", cond.get("message") or ""
    if reason and message:
        return f"{reason}: {message}"
    return str(reason or message or cond.get("type", ""))
