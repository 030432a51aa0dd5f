"""The REST API, under ``/api/v1``; every endpoint names the role it needs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from sse_starlette.sse import EventSourceResponse

from helmdeck.extensions.states import with_operations
from helmdeck.server import models
from helmdeck.server.backend import PlatformBackend
from helmdeck.server.operations import Operation
from helmdeck.server.routes import (
    CHANGE_ERRORS,
    ERRORS,
    Admin,
    Operator,
    Read,
    Viewer,
    add_reads,
    background,
    change,
    error_bodies,
)
from helmdeck.server.state import actions_of, backend_of, remote_of, runner_of

router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.get("/whoami", response_model=models.WhoAmI, summary="The caller's name and role")
def whoami(who: Viewer) -> dict[str, Any]:
    return {"name": who.name, "role": who.role.name}


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
    responses=error_bodies({404: None}),
)
def component(request: Request, name: str, _: Viewer, fresh: Fresh = False) -> dict[str, Any]:
    for c in _status(request, fresh)["components"]:
        if c["component"] == name:
            return dict(c)
    raise HTTPException(404, f"no component named {name!r}")


@router.get(
    "/history/{revision}/timeline",
    response_model=models.RevisionTimeline,
    summary="Where a deploy's time went: each component's phases, the critical chain and the floor",
    responses={
        **error_bodies({404: None, 422: "The revision records no deploy timeline."}),
    },
)
def revision_timeline(request: Request, revision: int, _: Viewer) -> dict[str, Any]:
    from helmdeck.revisions.timeline import revision_timeline

    return revision_timeline(backend_of(request).revision(revision))


@background(router, "POST", "/rollback", errors=error_bodies({404: "No such platform revision."}))
def rollback(request: Request, body: models.RollbackRequest, who: Operator) -> Operation:
    """Roll the platform back to a revision (runs in the background)"""
    return actions_of(request).rollback(who, body.revision, remote_of(request))


add_reads(
    router,
    (
        Read("/platform", "info", models.PlatformInfo, "The platform: id, namespaces, components", name="platform"),
        Read(
            "/components/{name}/detail",
            "component_detail",
            models.ComponentDetail,
            "One component's object tree with health, events, values, manifests and last change (secrets redacted)",
            error_bodies({404: "No such component."}),
        ),
        Read("/history", "history", list[models.PlatformRevision], "Platform revisions, oldest first"),
        Read(
            "/history/{revision}",
            "revision",
            models.PlatformRevision,
            "One platform revision",
            error_bodies({404: None}),
        ),
        Read("/extensions/catalog", "catalog", models.Catalog, "Extensions that can be installed"),
        Read(
            "/extensions/catalog/{name}",
            "extension",
            models.Extension,
            "One extension: metadata, requirements and parameters",
            error_bodies({422: None}),
        ),
    ),
    PlatformBackend,
    backend_of,
    Viewer,
)


@router.get("/extensions/installed", response_model=list[models.InstalledExtension], summary="Installed extensions")
def installed(request: Request, _: Viewer) -> list[dict[str, Any]]:
    running = [op.as_dict() for op in runner_of(request).list() if not op.done]
    return with_operations(backend_of(request).installed(), running)


@background(router, "POST", "/extensions/install")
def install(request: Request, body: models.InstallRequest, who: Operator) -> Operation:
    """Install an extension with parameters (and what it requires); runs in the background"""
    remote = remote_of(request)
    return actions_of(request).install(who, body.name, body.parameters, body.instanceName, body.version, remote)


@background(router, "DELETE", "/extensions/installed/{name}")
def uninstall(
    request: Request,
    name: str,
    who: Operator,
    force: bool = Query(default=False),
    purge_data: bool = Query(default=False, alias="purgeData", description="Also delete its volume claims (data)."),
) -> Operation:
    """Uninstall an installed extension (refused while others require it, unless force); its volume
    claims are kept unless purgeData"""
    return actions_of(request).uninstall(who, name, force, remote_of(request), purge_data=purge_data)


@router.post(
    "/extensions/upload",
    response_model=models.UploadResult,
    status_code=201,
    summary="Upload an extension chart (.tgz) into the catalog, after checking it",
    responses={**CHANGE_ERRORS, **error_bodies({413: None})},
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
    responses=error_bodies({404: None}),
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
    responses={200: {"content": {"text/event-stream": {}}}, **error_bodies({404: None})},
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
    responses=error_bodies({501: "The doctor is not available."}),
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


@change(router, "POST", "/tokens", models.TokenCreated, status=201)
def create_token(request: Request, body: models.TokenRequest, who: Admin) -> dict[str, Any]:
    """Create a token; its secret is returned this once"""
    record, secret = actions_of(request).create_token(who, body.name, body.role, remote_of(request))
    return {"token": record, "secret": secret}


@router.delete(
    "/tokens/{token_id}",
    response_model=models.Token,
    summary="Revoke a token (by id or name)",
    responses={**CHANGE_ERRORS},
)
def revoke_token(request: Request, token_id: str, who: Admin) -> dict[str, Any]:
    return actions_of(request).revoke_token(who, token_id, remote_of(request))


@router.get("/audit", response_model=list[models.AuditEntry], summary="The audit log, newest last")
def audit(request: Request, _: Admin, limit: int = Query(default=200, ge=1, le=5000)) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = request.app.state.audit.tail(limit)
    return entries
