"""What the web's plan, deploy and undeploy do to the platform: the CLI's own services behind one
small interface (:class:`DeployPort`), so the HTTP layer's tests can put a fake behind it.

:class:`ClusterDeploys` reads the platform file again for every plan and every deploy, as ``helmdeck
plan`` and ``helmdeck deploy --plan`` do: the operator edits the file (or pulls it) and plans again
from the web; a deploy checks the reviewed plan against the file and the cluster as they are then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.server.operations import Running
from helmdeck.server.settings import ServerSettings

if TYPE_CHECKING:
    from helmdeck.core.session import PlatformSession


class PlanMoved(HelmdeckError):
    """The platform or the cluster changed since the plan was made: nothing was deployed."""

    http_status: ClassVar[int] = 409


class PreviewMoved(HelmdeckError):
    """Data to purge appeared since the undeploy's preview was read: nothing was deleted."""

    http_status: ClassVar[int] = 409


@dataclass
class MadePlan:
    """A plan as the web shows it (``view``: ``helmdeck plan -o json``'s shape, diffs redacted) and
    as the deploy checks it (``record``: the plan file's content, digests only)."""

    view: dict[str, Any]
    record: dict[str, Any]
    #: component -> the components it needs, from the platform file the plan was made from (the
    #: graph draws components the running service's file does not have yet)
    needs: dict[str, list[str]] = field(default_factory=dict)


class DeployPort(Protocol):
    def make_plan(self) -> MadePlan: ...

    def verify(self, record: dict[str, Any], source: str) -> None: ...

    def deploy(self, record: dict[str, Any], source: str, *, allow_destructive: bool, run: Running) -> dict[str, Any]:
        """Deploy the plan ``record`` (from ``source``), checked again under the platform's lock."""

    def preview_undeploy(self, purge_data: bool) -> dict[str, Any]: ...

    def undeploy(self, purge_data: bool, confirmed: list[str], run: Running) -> dict[str, Any]:
        """Undeploy; with ``purge_data`` delete only the ``confirmed`` data (the preview's list)."""


#: the CLI's fix names its own commands; the web's are a new plan and its deploy
MOVED_FIX = "make a new plan (Plan again, or POST /api/v1/plan), review it, and deploy that plan"


def _moved(exc: ConfigError) -> PlanMoved:
    return PlanMoved(exc.message, where=exc.where, fix=MOVED_FIX, details=dict(exc.details or {}))


class ClusterDeploys:
    """The platform of ``settings.platform_file`` on the cluster of ``settings.kubeconfig``."""

    def __init__(self, settings: ServerSettings, parallel: int = 4) -> None:
        self.settings = settings
        self.parallel = parallel

    def _session(self, environment: str | None = None, *, adopt: bool = True) -> PlatformSession:
        """The session the CLI's ``plan``/``deploy`` (``adopt``: the environment last deployed when
        neither the plan nor the service names one) or ``undeploy`` would open."""
        from helmdeck.app.opening import LastDeployed, open_platform

        target = self.settings.target()
        if environment is not None:
            target = target.replace(environment=environment)
        return open_platform(target, last_deployed=LastDeployed.adopt if adopt else LastDeployed.ignore)

    def make_plan(self) -> MadePlan:
        from helmdeck.plan.planner import make_plan
        from helmdeck.plan.reviewed import record_plan
        from helmdeck.secrets.redact import known_redactor

        session = self._session()
        plan = make_plan(session, with_diff=True)
        record = record_plan(session, plan)
        view = known_redactor().redact({**plan.as_dict(), "placeholderSecrets": plan.placeholder_secrets})
        return MadePlan(view, record, session.platform.needs_map())

    def verify(self, record: dict[str, Any], source: str) -> None:
        from helmdeck.plan.reviewed import verify_plan

        try:
            verify_plan(self._session(record.get("environment")), record, source)
        except ConfigError as exc:
            raise _moved(exc) from None

    def deploy(self, record: dict[str, Any], source: str, *, allow_destructive: bool, run: Running) -> dict[str, Any]:
        """``deploy --plan``: the plan is checked again under the platform's lock, right before the
        first change (another operator may have deployed since the request was accepted)."""
        from helmdeck.app.deploy import deploy_platform
        from helmdeck.plan.reviewed import verify_plan

        session = self._session(record.get("environment"))

        def still_holds() -> None:
            try:
                verify_plan(session, record, source)
            except ConfigError as exc:
                raise _moved(exc) from None

        report = deploy_platform(
            session,
            parallel=self.parallel,
            progress=run.progress,
            allow_destructive=allow_destructive,
            interrupt=run.cancel,
            before_changes=still_holds,
        )
        result: dict[str, Any] = report.as_dict()
        return result

    def preview_undeploy(self, purge_data: bool) -> dict[str, Any]:
        from helmdeck.deploy.undeploy_preview import preview_undeploy

        preview: dict[str, Any] = preview_undeploy(self._session(adopt=False), purge_data=purge_data).as_dict()
        return preview

    def undeploy(self, purge_data: bool, confirmed: list[str], run: Running) -> dict[str, Any]:
        """``undeploy`` after its dry run was read: with ``purge_data`` it deletes only what the
        preview listed (data that appeared since refuses it, as the CLI's confirmation does)."""
        from helmdeck.app.undeploy import only_confirmed, undeploy_platform

        check = only_confirmed(
            confirmed,
            lambda new: PreviewMoved(
                f"data to purge appeared since the preview ({'; '.join(new)}): nothing was changed",
                fix="preview the undeploy again and confirm that",
            ),
        )
        session = self._session(adopt=False)
        report = undeploy_platform(session, purge_data=purge_data, confirm=check, progress=run.progress)
        result: dict[str, Any] = report.as_dict()
        return result
