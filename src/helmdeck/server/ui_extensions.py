"""The extension pages: the catalog with its install forms, the installed list with its states and
"open" links, the uninstall review, and chart uploads (admins)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from helmdeck.errors import HelmdeckError
from helmdeck.extensions.states import with_operations
from helmdeck.server.auth import Role
from helmdeck.server.security import Principal
from helmdeck.server.state import actions_of, backend_of, remote_of, runner_of
from helmdeck.server.ui import error_text, page, user

router = APIRouter(include_in_schema=False)


async def _extensions_page(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
    backend = backend_of(request)
    catalog = await run_in_threadpool(backend.catalog)
    installed = await run_in_threadpool(backend.installed)
    with_operations(installed, [op.as_dict() for op in runner_of(request).list() if not op.done])
    gpu = any(e.get("requiresGpu") for e in catalog["extensions"]) and await run_in_threadpool(backend.gpu_available)
    counts: dict[str, int] = {}
    for row in installed:
        counts[row["extension"]] = counts.get(row["extension"], 0) + 1
    extra.setdefault("form_values", {})
    return page(
        request,
        "extensions.html",
        who,
        status_code,
        catalog=catalog,
        installed=installed,
        installed_count=counts,
        gpu_available=gpu,
        **extra,
    )


@router.get("/extensions")
async def extensions(request: Request) -> HTMLResponse:
    return await _extensions_page(request, await user(request))


def _form_parameters(form: Any, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """Parameter values from an install form: empty fields keep the default, checkboxes are booleans."""
    out: dict[str, Any] = {}
    for p in parameters:
        key = f"param.{p['name']}"
        if p["type"] == "boolean":
            out[p["name"]] = form.get(key) == "true"
        elif p["type"] == "multichoice":
            picked = [str(v) for v in form.getlist(key)]
            if picked:
                out[p["name"]] = picked
        else:
            value = form.get(key)
            if isinstance(value, str) and value != "":
                out[p["name"]] = value
    return out


@router.post("/extensions/{name}/install")
async def install(request: Request, name: str) -> Response:
    who = await user(request, Role.operator)
    form = await request.form()
    backend = backend_of(request)
    try:
        ext = await run_in_threadpool(backend.extension, name)
        params = _form_parameters(form, ext["parameters"])
        instance = str(form.get("instance_name") or "") or None
        op = await run_in_threadpool(actions_of(request).install, who, name, params, instance, None, remote_of(request))
    except HelmdeckError as exc:
        # the form opens again with what was typed (never a secret parameter's value)
        kept = {key: form.getlist(key) for key in form if key.startswith("param.") or key == "instance_name"}
        return await _extensions_page(
            request, who, 422, error=error_text(exc), open_form=name, form_values=_without_secrets(kept, name, request)
        )
    return RedirectResponse(f"/operations/{op.id}", status_code=303)


def _without_secrets(values: dict[str, list[Any]], name: str, request: Request) -> dict[str, list[str]]:
    try:
        parameters = backend_of(request).extension(name)["parameters"]
    except HelmdeckError:
        return {}
    secret = {f"param.{p['name']}" for p in parameters if p.get("secret")}
    return {key: [str(v) for v in vs] for key, vs in values.items() if key not in secret}


@router.get("/extensions/installed/{name}/uninstall")
async def review_uninstall(request: Request, name: str) -> HTMLResponse:
    """What the uninstall would delete (data included) and keep, before the operator confirms it."""
    who = await user(request, Role.operator)
    try:
        preview = await run_in_threadpool(backend_of(request).preview_uninstall, name)
    except HelmdeckError as exc:
        return await _extensions_page(request, who, 422, error=error_text(exc))
    return page(request, "uninstall_confirm.html", who, preview=preview)


@router.post("/extensions/installed/{name}/uninstall")
async def uninstall(request: Request, name: str) -> Response:
    who = await user(request, Role.operator)
    form = await request.form()
    try:
        op = await run_in_threadpool(
            partial(actions_of(request).uninstall, purge_data=form.get("purge_data") == "true"),
            who,
            name,
            form.get("force") == "true",
            remote_of(request),
        )
    except HelmdeckError as exc:
        return await _extensions_page(request, who, 422, error=error_text(exc))
    return RedirectResponse(f"/operations/{op.id}", status_code=303)


@router.post("/extensions/upload")
async def upload(request: Request) -> Response:
    who = await user(request, Role.admin)
    form = await request.form()
    file = form.get("file")
    limit: int = request.app.state.settings.max_upload_bytes
    if file is None or isinstance(file, str):
        return await _extensions_page(request, who, 422, error="Choose a .tgz chart to upload.")
    data = await file.read(limit + 1)
    try:
        result = await run_in_threadpool(actions_of(request).upload, who, data, file.filename or "", remote_of(request))
    except HelmdeckError as exc:
        return await _extensions_page(request, who, 422, error="Upload rejected: " + error_text(exc))
    ext = result["extension"]
    return await _extensions_page(request, who, message=f"Uploaded {ext['name']} {ext['version']}.")
