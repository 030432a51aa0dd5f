"""The REST API's plan, deploy, stop and undeploy (under ``/api/v1``): a reviewed plan deployed
exactly, as ``helmdeck plan --out`` and ``deploy --plan`` do, and undeploy after its dry run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from helmdeck.server import models, models_deploy
from helmdeck.server.operations import Operation
from helmdeck.server.routes import CHANGE_ERRORS, ERRORS, Admin, Operator, Viewer, background, change, error_bodies
from helmdeck.server.state import remote_of
from helmdeck.server.web_deploys import WebDeploys

router = APIRouter(prefix="/api/v1", responses=ERRORS)

_NOT_FOUND = error_bodies({404: "No such plan (or it expired)."})
_UNCONFIRMED = error_bodies({409: "No valid confirmation of a preview, or another change is running."})


def deploys_of(request: Request) -> WebDeploys:
    deploys: WebDeploys = request.app.state.deploys
    return deploys


@change(router, "POST", "/plan", models_deploy.StoredPlan, status=201)
def plan(request: Request, who: Operator) -> dict[str, Any]:
    """Plan a deploy as `helmdeck plan` does (actions, redacted diffs, drift, destructive changes) and keep it"""
    return deploys_of(request).plan(who, remote_of(request)).public()


@router.get(
    "/plans/{plan_id}",
    response_model=models_deploy.StoredPlan,
    summary="A plan made before, with the operations that deployed it",
    responses=_NOT_FOUND,
)
def get_plan(request: Request, plan_id: str, _: Viewer) -> dict[str, Any]:
    return deploys_of(request).get(plan_id).public()


@background(
    router,
    "POST",
    "/plans/{plan_id}/deploy",
    errors={
        **_NOT_FOUND,
        **error_bodies(
            {
                409: "The plan moved, destructive changes were not confirmed, the plan was deployed, "
                "or another change is running."
            }
        ),
    },
)
def deploy_plan(
    request: Request, plan_id: str, who: Operator, body: models_deploy.DeployPlanRequest | None = None
) -> Operation:
    """Deploy exactly this plan (as `deploy --plan`); runs in the background

    Refused (409, nothing changed) when anything moved since the plan was made, listing what
    (`details.differences`), or when the plan has destructive changes and `confirmDestructive` is not true
    (`details.destructive`), or when a deploy of this plan runs or succeeded (`details.operation`: a plan is
    deployed once). The plan is checked again under the platform's lock before the first change.
    Follow the operation at /api/v1/operations/{id}/events; stop it with /api/v1/operations/{id}/cancel.
    """
    confirm = body.confirm_destructive if body is not None else False
    return deploys_of(request).deploy(who, plan_id, confirm, remote_of(request))


@router.post(
    "/operations/{op_id}/cancel",
    response_model=models.Operation,
    summary="Stop an operation as Ctrl-C stops the CLI: the components being changed finish, nothing new starts",
    description="The operation then ends `stopped`, its result listing what was done and what never started.",
    responses={
        **CHANGE_ERRORS,
        **error_bodies({404: "No such operation.", 409: "The operation is not running."}),
    },
)
def cancel_operation(request: Request, op_id: str, who: Operator) -> dict[str, Any]:
    return deploys_of(request).stop(who, op_id, remote_of(request)).as_dict()


@router.post(
    "/undeploy/preview",
    response_model=models_deploy.UndeployPreview,
    summary="What an undeploy would do (as `undeploy --dry-run`), with the confirmation the undeploy needs",
)
def undeploy_preview(
    request: Request, who: Admin, body: models_deploy.UndeployPreviewRequest | None = None
) -> dict[str, Any]:
    return deploys_of(request).preview_undeploy(who, body.purge_data if body is not None else False)


@background(router, "POST", "/undeploy", errors=_UNCONFIRMED)
def undeploy(request: Request, body: models_deploy.UndeployRequest, who: Admin) -> Operation:
    """Remove every release (reverse dependency order), after a preview; data is kept unless purgeData"""
    return deploys_of(request).undeploy(who, body.confirmation, body.purge_data, remote_of(request))
