"""Changes, as both the API and the pages make them: checked first (so a bad request fails at once),
then run in the background, and written to the audit log when asked for and when finished."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from helmdeck.errors import HelmdeckError
from helmdeck.server.audit import AuditLog
from helmdeck.server.auth import Role, TokenStore
from helmdeck.server.backend import PlatformBackend
from helmdeck.server.operations import Operation, OperationRunner, Progress
from helmdeck.server.security import Principal

T = TypeVar("T")


@dataclass
class Actions:
    backend: PlatformBackend
    runner: OperationRunner
    audit: AuditLog
    tokens: TokenStore
    on_change: Callable[[], None] | None = None

    def _log(
        self, who: Principal, action: str, target: str, result: str, detail: dict[str, Any], remote: str | None
    ) -> None:
        self.audit.record(
            actor=who.name,
            role=who.role.name,
            action=action,
            target=target,
            result=result,
            detail=detail,
            remote=remote,
        )

    @contextmanager
    def _refusals_logged(
        self, who: Principal, action: str, target: str, detail: dict[str, Any], remote: str | None
    ) -> Iterator[None]:
        """A change refused (a HelmdeckError) is written to the audit log, then raised on."""
        try:
            yield
        except HelmdeckError as exc:
            self._log(who, action, target, "refused", {**detail, "error": exc.message}, remote)
            raise

    def _checked(
        self,
        who: Principal,
        action: str,
        target: str,
        detail: dict[str, Any],
        remote: str | None,
        check: Callable[[], T],
    ) -> T:
        with self._refusals_logged(who, action, target, detail, remote):
            self.runner.refuse_if_closing()  # before the checks, which may take seconds
            return check()

    def _start(
        self,
        who: Principal,
        action: str,
        target: str,
        detail: dict[str, Any],
        remote: str | None,
        work: Any,
        cancel: threading.Event,
    ) -> Operation:
        def done(op: Operation) -> None:
            if self.on_change is not None:
                self.on_change()
            self._log(who, action, target, op.state, {**detail, "operation": op.id, "error": op.error}, remote)

        def started(op: Operation) -> None:
            self._log(who, action, target, "started", {**detail, "operation": op.id}, remote)

        with self._refusals_logged(who, action, target, detail, remote):
            return self.runner.start(action, target, who.name, work, done, on_start=started, cancel=cancel)

    def install(
        self,
        who: Principal,
        name: str,
        parameters: dict[str, Any],
        instance_name: str | None,
        version: str | None,
        remote: str | None = None,
    ) -> Operation:
        detail: dict[str, Any] = {"parameters": sorted(parameters), "instanceName": instance_name, "version": version}
        steps = self._checked(
            who,
            "ext install",
            name,
            detail,
            remote,
            lambda: self.backend.check_install(name, parameters, instance_name, version),
        )
        detail["steps"] = [s["component"] for s in steps]
        cancel = threading.Event()

        def work(progress: Progress) -> dict[str, Any]:
            return self.backend.install(name, parameters, instance_name, version, progress, cancel=cancel)

        return self._start(who, "ext install", name, detail, remote, work, cancel)

    def uninstall(
        self, who: Principal, name: str, force: bool, remote: str | None = None, *, purge_data: bool = False
    ) -> Operation:
        detail = {"force": force, "purgeData": purge_data} if purge_data else {"force": force}
        self._checked(who, "ext uninstall", name, detail, remote, lambda: self.backend.check_uninstall(name, force))
        cancel = threading.Event()

        def work(progress: Progress) -> dict[str, Any]:
            if purge_data:
                return self.backend.uninstall(name, force, progress, cancel=cancel, purge_data=True)
            return self.backend.uninstall(name, force, progress, cancel=cancel)

        return self._start(who, "ext uninstall", name, detail, remote, work, cancel)

    def rollback(self, who: Principal, revision: int | None, remote: str | None = None) -> Operation:
        target = str(revision) if revision is not None else "previous"
        self._checked(who, "rollback", target, {}, remote, lambda: self.backend.check_rollback(revision))
        cancel = threading.Event()

        def work(progress: Progress) -> dict[str, Any]:
            return self.backend.rollback(revision, progress, cancel=cancel)

        return self._start(who, "rollback", target, {}, remote, work, cancel)

    def upload(self, who: Principal, data: bytes, filename: str, remote: str | None = None) -> dict[str, Any]:
        detail: dict[str, Any] = {"filename": filename, "bytes": len(data)}
        result: dict[str, Any] = self._checked(
            who, "ext upload", filename, detail, remote, lambda: self.backend.upload(data, filename)
        )
        ext = result["extension"]
        self._log(
            who, "ext upload", filename, "succeeded", {**detail, "extension": f"{ext['name']}-{ext['version']}"}, remote
        )
        return result

    def create_token(
        self, who: Principal, name: str, role: str, remote: str | None = None
    ) -> tuple[dict[str, Any], str]:
        record, secret = self._checked(
            who, "token create", name, {"role": role}, remote, lambda: self.tokens.create(name, Role.parse(role))
        )
        self._log(who, "token create", name, "succeeded", {"role": role, "id": record.id}, remote)
        return record.public(), secret

    def revoke_token(self, who: Principal, token_id: str, remote: str | None = None) -> dict[str, Any]:
        record = self._checked(who, "token revoke", token_id, {}, remote, lambda: self.tokens.revoke(token_id))
        self._log(who, "token revoke", token_id, "succeeded", {"name": record.name}, remote)
        return record.public()
