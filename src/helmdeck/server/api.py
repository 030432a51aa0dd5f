"""The REST API, under ``/api/v1``; every endpoint names the role it needs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from sse_starlette.sse import EventSourceResponse

from helmdeck.extensions.states import with_operations
from helmdeck.server import models
from helmdeck.server.security import Principal, admin, operator, viewer
from helmdeck.server.state import actions_of, backend_of, remote_of, runner_of

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.ErrorBody, "description": "The request body could not be read."},
    401: {"model": models.ErrorBody, "description": "No valid token."},
    403: {"model": models.ErrorBody, "description": "The token's role is not enough, or the CSRF token is missing."},
    422: {"model": models.ErrorBody, "description": "The request is invalid (names what and the fix)."},
    503: {
        "model": models.ErrorBody,
        "description": "The cluster could not be reached or refused, or the service is shutting down.",
    },
}
_CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.ErrorBody, "description": "The request body could not be read."},
    **_ERRORS,
    409: {"model": models.ErrorBody, "description": "Another change is running."},
}

router = APIRouter(prefix="/api/v1", responses=_ERRORS)

Viewer = Annotated[Principal, Depends(viewer)]
Operator = Annotated[Principal, Depends(operator)]
Admin = Annotated[Principal, Depends(admin)]


@router.get("/whoami", response_model=models.WhoAmI, summary="The caller's name and role")
def whoami(who: Viewer) -> dict[str, Any]:
    return {"name": who.name, "role": who.role.name}


@router.get("/platform", response_model=models.PlatformInfo, summary="The platform: id, namespaces, components")
def platform(request: Request, _: Viewer) -> dict[str, Any]:
    return backend_of(request).info()


Fresh = Annotated[
    bool,
    Query(
        description="Read the cluster now instead of the reading shared by every client (at most a few seconds old)."
    ),
]


def _status(request: Request, fresh: bool) -> dict[str, Any]:
    status: dict[str, Any] = request.app.state.status_cache.get(fresh=fresh)
    return status


@router.get("/status", response_model=models.PlatformStatus, summary="Every component's release and health")
def status(request: Request, _: Viewer, fresh: Fresh = False) -> dict[str, Any]:
    return _status(request, fresh)


@router.get("/components", response_model=list[models.ComponentStatus], summary="Components with health")
def components(request: Request, _: Viewer, fresh: Fresh = False) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _status(request, fresh)["components"]
    return result


@router.get(
    "/components/{name}",
    response_model=models.ComponentStatus,
    summary="One component's release, health and failing pods",
    responses={404: {"model": models.ErrorBody}},
)
def component(request: Request, name: str, _: Viewer, fresh: Fresh = False) -> dict[str, Any]:
    for c in _status(request, fresh)["components"]:
        if c["component"] == name:
            return dict(c)
    raise HTTPException(404, f"no component named {name!r}")


@router.get(
    "/components/{name}/detail",
    response_model=models.ComponentDetail,
    summary="One component's object tree with health, events, values, manifests and last change (secrets redacted)",
    responses={404: {"model": models.ErrorBody, "description": "No such component."}},
)
def component_detail(request: Request, name: str, _: Viewer) -> dict[str, Any]:
    return backend_of(request).component_detail(name)


@router.get("/history", response_model=list[models.PlatformRevision], summary="Platform revisions, oldest first")
def history(request: Request, _: Viewer) -> list[dict[str, Any]]:
    return backend_of(request).history()


@router.get(
    "/history/{revision}",
    response_model=models.PlatformRevision,
    summary="One platform revision",
    responses={404: {"model": models.ErrorBody}},
)
def revision(request: Request, revision: int, _: Viewer) -> dict[str, Any]:
    return backend_of(request).revision(revision)


@router.get(
    "/history/{revision}/timeline",
    response_model=models.RevisionTimeline,
    summary="Where a deploy's time went: each component's phases, the critical chain and the floor",
    responses={
        404: {"model": models.ErrorBody},
        422: {"model": models.ErrorBody, "description": "The revision records no deploy timeline."},
    },
)
def revision_timeline(request: Request, revision: int, _: Viewer) -> dict[str, Any]:
    from helmdeck.revisions.timeline import revision_timeline

    return revision_timeline(backend_of(request).revision(revision))


@router.post(
    "/rollback",
    response_model=models.Operation,
    status_code=202,
    summary="Roll the platform back to a revision (runs in the background)",
    responses={**_CHANGE_ERRORS, 404: {"model": models.ErrorBody, "description": "No such platform revision."}},
)
def rollback(request: Request, body: models.RollbackRequest, who: Operator) -> dict[str, Any]:
    return actions_of(request).rollback(who, body.revision, remote_of(request)).as_dict()


@router.get("/extensions/catalog", response_model=models.Catalog, summary="Extensions that can be installed")
def catalog(request: Request, _: Viewer) -> dict[str, Any]:
    return backend_of(request).catalog()


@router.get(
    "/extensions/catalog/{name}",
    response_model=models.Extension,
    summary="One extension: metadata, requirements and parameters",
    responses={422: {"model": models.ErrorBody}},
)
def extension(request: Request, name: str, _: Viewer) -> dict[str, Any]:
    return backend_of(request).extension(name)


@router.get("/extensions/installed", response_model=list[models.InstalledExtension], summary="Installed extensions")
def installed(request: Request, _: Viewer) -> list[dict[str, Any]]:
    running = [op.as_dict() for op in runner_of(request).list() if not op.done]
    return with_operations(backend_of(request).installed(), running)


@router.post(
    "/extensions/install",
    response_model=models.Operation,
    status_code=202,
    summary="Install an extension with parameters (and what it requires); runs in the background",
    responses=_CHANGE_ERRORS,
)
def install(request: Request, body: models.InstallRequest, who: Operator) -> dict[str, Any]:
    remote = remote_of(request)
    op = actions_of(request).install(who, body.name, body.parameters, body.instanceName, body.version, remote)
    return op.as_dict()


@router.delete(
    "/extensions/installed/{name}",
    response_model=models.Operation,
    status_code=202,
    summary="Uninstall an installed extension (refused while others require it, unless force); its volume "
    "claims are kept unless purgeData",
    responses=_CHANGE_ERRORS,
)
def uninstall(
    request: Request,
    name: str,
    who: Operator,
    force: bool = Query(default=False),
    purge_data: bool = Query(default=False, alias="purgeData", description="Also delete its volume claims (data)."),
) -> dict[str, Any]:
    return actions_of(request).uninstall(who, name, force, remote_of(request), purge_data=purge_data).as_dict()


@router.post(
    "/extensions/upload",
    response_model=models.UploadResult,
    status_code=201,
    summary="Upload an extension chart (.tgz) into the catalog, after checking it",
    responses={**_CHANGE_ERRORS, 413: {"model": models.ErrorBody}},
)
async def upload(request: Request, who: Admin, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    limit: int = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the upload is larger than the limit of {limit} bytes")
    from starlette.concurrency import run_in_threadpool

    result: dict[str, Any] = await run_in_threadpool(
        actions_of(request).upload, who, data, file.filename or "", remote_of(request)
    )
    return result


@router.get("/operations", response_model=list[models.Operation], summary="Recent operations, newest first")
def operations(request: Request, _: Viewer) -> list[dict[str, Any]]:
    return [op.as_dict() for op in runner_of(request).list()]


@router.get(
    "/operations/{op_id}",
    response_model=models.Operation,
    summary="One operation with its progress",
    responses={404: {"model": models.ErrorBody}},
)
def operation(request: Request, op_id: str, _: Viewer) -> dict[str, Any]:
    op = runner_of(request).get(op_id)
    if op is None:
        raise HTTPException(404, f"no operation {op_id}")
    return op.as_dict()


@router.get(
    "/operations/{op_id}/events",
    summary="Server-sent events: the operation's progress, then its end",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 404: {"model": models.ErrorBody}},
)
async def operation_events(request: Request, op_id: str, _: Viewer) -> EventSourceResponse:
    runner = runner_of(request)
    if runner.get(op_id) is None:
        raise HTTPException(404, f"no operation {op_id}")

    async def stream() -> Any:
        import json

        async for event, last in runner.follow(op_id):
            yield {"event": "done" if last else "progress", "data": json.dumps(event)}

    return EventSourceResponse(stream())


@router.get(
    "/doctor",
    response_model=models.DoctorReport,
    summary="The doctor's findings: live diagnosis of the running platform, or the preflight checks",
    responses={501: {"model": models.ErrorBody, "description": "The doctor is not available."}},
)
def doctor(
    request: Request,
    _: Viewer,
    mode: Literal["live", "preflight"] = Query(default="live", description="live or preflight"),
) -> dict[str, Any]:
    return backend_of(request).doctor(mode)


@router.get("/tokens", response_model=list[models.Token], summary="API tokens (never their secrets)")
def tokens(request: Request, _: Admin) -> list[dict[str, Any]]:
    return [r.public() for r in request.app.state.tokens.records()]


@router.post(
    "/tokens",
    response_model=models.TokenCreated,
    status_code=201,
    summary="Create a token; its secret is returned this once",
    responses=_CHANGE_ERRORS,
)
def create_token(request: Request, body: models.TokenRequest, who: Admin) -> dict[str, Any]:
    record, secret = actions_of(request).create_token(who, body.name, body.role, remote_of(request))
    return {"token": record, "secret": secret}


@router.delete(
    "/tokens/{token_id}",
    response_model=models.Token,
    summary="Revoke a token (by id or name)",
    responses={**_CHANGE_ERRORS},
)
def revoke_token(request: Request, token_id: str, who: Admin) -> dict[str, Any]:
    return actions_of(request).revoke_token(who, token_id, remote_of(request))


@router.get("/audit", response_model=list[models.AuditEntry], summary="The audit log, newest last")
def audit(request: Request, _: Admin, limit: int = Query(default=200, ge=1, le=5000)) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = request.app.state.audit.tail(limit)
    return entries
