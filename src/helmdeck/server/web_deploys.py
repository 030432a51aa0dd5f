"""Plan, deploy, stop and undeploy as the web makes them, for the API and the pages alike.

A plan made here is kept (in memory, for ``PLAN_TTL`` seconds) under a random id; deploying it
deploys exactly it, as ``deploy --plan`` deploys a saved plan: checked now (anything that moved is
refused with the list, 409), and again under the platform's lock right before the first change.
Destructive changes need the caller's explicit ``confirmDestructive``. An undeploy needs the
confirmation token of a preview made shortly before (its dry run read by a person, as the CLI's
prompt asks); with ``purgeData`` it deletes only what that preview listed.

Every request is written to the audit log (refused, started, and how it ended), like the other
changes of :mod:`helmdeck.server.actions`.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from helmdeck.errors import HelmdeckError
from helmdeck.server.actions import Actions, Change
from helmdeck.server.deploy_port import DeployPort
from helmdeck.server.operations import Operation, Running
from helmdeck.server.security import Principal

#: how long a plan may be deployed after it was made, and an undeploy preview confirmed
PLAN_TTL = 3600.0
PREVIEW_TTL = 600.0
KEEP_PLANS = 20


class NoSuchPlan(HelmdeckError):
    """No plan by that id (never made, expired, or made before a restart)."""

    http_status: ClassVar[int] = 404


class AlreadyDeployed(HelmdeckError):
    """A plan whose deploy runs or succeeded: deploying it again (a double click, a resent request)
    would be a second deploy of one review. ``details.operation`` names the deploy."""

    http_status: ClassVar[int] = 409


class NeedsConfirmation(HelmdeckError):
    """A destructive deploy without ``confirmDestructive``, or an undeploy without a valid preview
    token: nothing was changed."""

    http_status: ClassVar[int] = 409


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


@dataclass
class StoredPlan:
    id: str
    actor: str
    created: float
    view: dict[str, Any]
    record: dict[str, Any] = field(repr=False)
    needs: dict[str, list[str]] = field(default_factory=dict)
    #: the operations that deployed it (a plan deployed once may be refused the next time: it moved)
    operations: list[str] = field(default_factory=list)
    #: held from a deploy request's checks until its operation is listed: requests for one plan
    #: take turns, so the second sees the first's operation
    turn: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def source(self) -> str:
        return f"plan {self.id}"

    @property
    def expired(self) -> bool:
        return time.time() - self.created > PLAN_TTL

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "createdAt": _stamp(self.created),
            "expiresAt": _stamp(self.created + PLAN_TTL),
            "actor": self.actor,
            "operations": list(self.operations),
            **self.view,
        }


@dataclass
class _Preview:
    token: str
    purge_data: bool
    deleted: list[str]
    created: float


class WebDeploys:
    def __init__(self, port: DeployPort, actions: Actions, on_deployed: Callable[[], None] | None = None) -> None:
        self.port = port
        self.actions = actions
        #: after a deploy: the service's own view of the platform follows the file it deployed
        self.on_deployed = on_deployed
        self._lock = threading.Lock()
        self._plans: dict[str, StoredPlan] = {}
        self._previews: dict[str, _Preview] = {}
        #: a used confirmation -> the undeploy it started: sent again (a double click), it names it
        self._used: dict[str, str] = {}

    # -- plans -------------------------------------------------------------------------------------
    def plan(self, who: Principal, remote: str | None = None) -> StoredPlan:
        change = Change(who, "plan", "platform", remote)
        made = self.actions.checked(change, self.port.make_plan)
        stored = StoredPlan(secrets.token_hex(8), who.name, time.time(), made.view, made.record, made.needs)
        with self._lock:
            self._plans[stored.id] = stored
            for old in sorted(self._plans.values(), key=lambda p: p.created)[: max(0, len(self._plans) - KEEP_PLANS)]:
                del self._plans[old.id]
        self.actions.log(change, "succeeded", {"plan": stored.id, "summary": made.view["summary"]})
        return stored

    def get(self, plan_id: str) -> StoredPlan:
        with self._lock:
            stored = self._plans.get(plan_id)
        if stored is None or stored.expired:
            raise NoSuchPlan(
                f"no plan {plan_id} (plans are kept {int(PLAN_TTL // 60)} minutes, and not across a restart)",
                fix="make a new plan (POST /api/v1/plan, or Plan on the /plan page) and review it",
            )
        return stored

    def plan_of(self, op_id: str) -> StoredPlan | None:
        with self._lock:
            return next((p for p in self._plans.values() if op_id in p.operations), None)

    def deploy(self, who: Principal, plan_id: str, confirm_destructive: bool, remote: str | None = None) -> Operation:
        stored = self.get(plan_id)
        with stored.turn:
            return self._deploy(who, stored, confirm_destructive, remote)

    def deployed_by(self, stored: StoredPlan) -> AlreadyDeployed | None:
        for op_id in stored.operations:
            op = self.actions.runner.get(op_id)
            if op is not None and (not op.done or op.state == "succeeded"):
                doing = "is deploying it" if not op.done else "deployed it"
                return AlreadyDeployed(
                    f"plan {stored.id}: operation {op.id} {doing}; a plan is deployed once",
                    where=stored.source,
                    fix=f"follow it at /deploys/{op.id}; to deploy again, make a new plan and review it",
                    details={"operation": op.id},
                )
        return None

    def _deploy(self, who: Principal, stored: StoredPlan, confirm_destructive: bool, remote: str | None) -> Operation:
        plan_id = stored.id
        detail: dict[str, Any] = {"plan": plan_id, "summary": stored.view.get("summary")}
        destructive = [f"{d['component']}: {d['object']}: {d['detail']}" for d in stored.view.get("destructive", [])]

        def check() -> None:
            deployed = self.deployed_by(stored)
            if deployed is not None:
                raise deployed
            if destructive and not confirm_destructive:
                raise NeedsConfirmation(
                    f"the plan has {len(destructive)} destructive change(s) and they were not confirmed: "
                    + "; ".join(destructive),
                    where=stored.source,
                    fix="review them, then confirm them (the plan page's checkbox, the API's confirmDestructive)",
                    details={"destructive": stored.view.get("destructive", [])},
                )
            self.port.verify(stored.record, stored.source)

        change = Change(who, "deploy", "platform", remote, detail)
        self.actions.checked(change, check)
        if confirm_destructive and destructive:
            detail["confirmedDestructive"] = destructive

        def work(run: Running) -> dict[str, Any]:
            result = self.port.deploy(stored.record, stored.source, allow_destructive=confirm_destructive, run=run)
            if self.on_deployed is not None:
                with contextlib.suppress(HelmdeckError):  # the file changed again: the next deploy reads it
                    self.on_deployed()
            return result

        op = self.actions.start(change, work)
        with self._lock:
            stored.operations.append(op.id)
        return op

    # -- stop --------------------------------------------------------------------------------------
    def stop(self, who: Principal, op_id: str, remote: str | None = None) -> Operation:
        change = Change(who, "stop", op_id, remote)
        op = self.actions.checked(change, lambda: self.actions.runner.stop(op_id, who.name))
        self.actions.log(change, "succeeded", {"operation": f"{op.kind} {op.target}"})
        return op

    # -- undeploy ----------------------------------------------------------------------------------
    def preview_undeploy(self, who: Principal, purge_data: bool) -> dict[str, Any]:
        preview = self.port.preview_undeploy(purge_data)
        token = secrets.token_urlsafe(18)
        now = time.time()
        with self._lock:
            self._previews = {k: p for k, p in self._previews.items() if now - p.created < PREVIEW_TTL}
            self._previews[token] = _Preview(token, purge_data, list(preview.get("deletedData") or []), now)
        return {**preview, "confirmation": token, "expiresAt": _stamp(now + PREVIEW_TTL)}

    def undeploy(self, who: Principal, confirmation: str, purge_data: bool, remote: str | None = None) -> Operation:
        detail: dict[str, Any] = {"purgeData": purge_data}

        def check() -> _Preview:
            with self._lock:
                started = self._used.get(confirmation)
                if started is not None:
                    raise AlreadyDeployed(
                        f"this confirmation started undeploy {started} already; one undeploy per preview",
                        fix=f"follow it at /operations/{started}",
                        details={"operation": started},
                    )
                preview = self._previews.get(confirmation)
                fresh = preview is not None and time.time() - preview.created < PREVIEW_TTL
                if preview is not None and fresh and preview.purge_data == purge_data:
                    del self._previews[confirmation]  # one undeploy per preview read
                    return preview
            why = "its purgeData differs from the preview's" if preview is not None and fresh else "expired or unknown"
            raise NeedsConfirmation(
                f"the undeploy's confirmation is {why}: nothing was changed",
                fix="preview the undeploy (POST /api/v1/undeploy/preview), read it, and send its confirmation",
            )

        change = Change(who, "undeploy", "platform", remote, detail)
        preview = self.actions.checked(change, check)
        if purge_data:
            detail["deletes"] = preview.deleted
        try:
            op = self.actions.start(change, lambda run: self.port.undeploy(purge_data, preview.deleted, run))
        except HelmdeckError:
            with self._lock:  # not started (another change runs): the preview may be confirmed again
                self._previews[confirmation] = preview
            raise
        with self._lock:
            self._used = {k: v for k, v in list(self._used.items())[-KEEP_PLANS:]}
            self._used[confirmation] = op.id
        return op
