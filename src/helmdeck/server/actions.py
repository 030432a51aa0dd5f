"""Changes, as both the API and the pages make them: checked first (so a bad request fails at once),
then run in the background, and written to the audit log when asked for and when finished."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from helmdeck.errors import HelmdeckError
from helmdeck.server.audit import AuditLog
from helmdeck.server.auth import Role, TokenStore
from helmdeck.server.backend import ExtensionAsk, PlatformBackend
from helmdeck.server.operations import Operation, OperationRunner, Progress, Running
from helmdeck.server.security import Principal

T = TypeVar("T")


@dataclass
class Change:
    """One change someone asked for, as the audit log records it: who, what, on what, with which
    details (filled in as the checks learn more), from where."""

    who: Principal
    action: str
    target: str
    remote: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Actions:
    backend: PlatformBackend
    runner: OperationRunner
    audit: AuditLog
    tokens: TokenStore
    on_change: Callable[[], None] | None = None

    def log(self, change: Change, result: str, detail: dict[str, Any] | None = None) -> None:
        """Write ``change`` to the audit log with its ``result`` (``detail``: in place of the change's own)."""
        self.audit.record(
            actor=change.who.name,
            role=change.who.role.name,
            action=change.action,
            target=change.target,
            result=result,
            detail=change.detail if detail is None else detail,
            remote=change.remote,
        )

    @contextmanager
    def _refusals_logged(self, change: Change) -> Iterator[None]:
        """A change refused (a HelmdeckError) is written to the audit log, then raised on."""
        try:
            yield
        except HelmdeckError as exc:
            self.log(change, "refused", {**change.detail, "error": exc.message})
            raise

    def checked(self, change: Change, check: Callable[[], T]) -> T:
        """``check``'s answer; a refusal is written to the audit log."""
        with self._refusals_logged(change):
            self.runner.refuse_if_closing()  # before the checks, which may take seconds
            return check()

    def start(self, change: Change, work: Callable[[Running], dict[str, Any]]) -> Operation:
        """Run ``work`` as a background operation, written to the audit log when it starts and ends."""
        detail = change.detail

        def done(op: Operation) -> None:
            if self.on_change is not None:
                self.on_change()
            self.log(change, op.state, {**detail, "operation": op.id, "error": op.error})

        def started(op: Operation) -> None:
            self.log(change, "started", {**detail, "operation": op.id})

        cancel = threading.Event()

        def run(progress: Progress) -> dict[str, Any]:
            return work(Running(progress, cancel))

        with self._refusals_logged(change):
            return self.runner.start(
                change.action, change.target, change.who.name, run, done, on_start=started, cancel=cancel
            )

    def install(
        self,
        who: Principal,
        name: str,
        parameters: dict[str, Any],
        instance_name: str | None,
        version: str | None,
        remote: str | None = None,
    ) -> Operation:
        ask = ExtensionAsk(name, parameters, instance_name, version)
        detail: dict[str, Any] = {"parameters": sorted(parameters), "instanceName": instance_name, "version": version}
        change = Change(who, "ext install", name, remote, detail)
        steps = self.checked(change, lambda: self.backend.check_install(ask))
        detail["steps"] = [s["component"] for s in steps]
        return self.start(change, lambda run: self.backend.install(ask, run))

    def uninstall(
        self, who: Principal, name: str, force: bool, remote: str | None = None, *, purge_data: bool = False
    ) -> Operation:
        detail = {"force": force, "purgeData": purge_data} if purge_data else {"force": force}
        change = Change(who, "ext uninstall", name, remote, detail)
        self.checked(change, lambda: self.backend.check_uninstall(name, force))

        def work(run: Running) -> dict[str, Any]:
            if purge_data:
                return self.backend.uninstall(name, force, run, purge_data=True)
            return self.backend.uninstall(name, force, run)

        return self.start(change, work)

    def rollback(self, who: Principal, revision: int | None, remote: str | None = None) -> Operation:
        change = Change(who, "rollback", str(revision) if revision is not None else "previous", remote)
        self.checked(change, lambda: self.backend.check_rollback(revision))
        return self.start(change, lambda run: self.backend.rollback(revision, run))

    def upload(self, who: Principal, data: bytes, filename: str, remote: str | None = None) -> dict[str, Any]:
        change = Change(who, "ext upload", filename, remote, {"filename": filename, "bytes": len(data)})
        result: dict[str, Any] = self.checked(change, lambda: self.backend.upload(data, filename))
        ext = result["extension"]
        self.log(change, "succeeded", {**change.detail, "extension": f"{ext['name']}-{ext['version']}"})
        return result

    def create_token(
        self, who: Principal, name: str, role: str, remote: str | None = None
    ) -> tuple[dict[str, Any], str]:
        change = Change(who, "token create", name, remote, {"role": role})
        record, secret = self.checked(change, lambda: self.tokens.create(name, Role.parse(role)))
        self.log(change, "succeeded", {"role": role, "id": record.id})
        return record.public(), secret

    def revoke_token(self, who: Principal, token_id: str, remote: str | None = None) -> dict[str, Any]:
        change = Change(who, "token revoke", token_id, remote)
        record = self.checked(change, lambda: self.tokens.revoke(token_id))
        self.log(change, "succeeded", {"name": record.name})
        return record.public()
