"""How the REST API declares endpoints (server/routes.py): a background change is answered 202 with its
operation's JSON and documented from its docstring; a read hands the backend's answer on, its path
parameters typed as the backend's method types them."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient

from helmdeck.server import models
from helmdeck.server.operations import Operation
from helmdeck.server.routes import Read, add_reads, background, error_bodies

_OP = Operation("op-1", "make", "thing", "alice", started="2026-03-04T05:06:07.000+00:00")


def _anyone() -> str:
    return "anyone"


# the role dependency: anyone
_Anyone = Annotated[str, Depends(_anyone)]


class _Backend:
    def revision(self, number: int) -> dict[str, Any]:
        return {"number": number}


def _app() -> FastAPI:
    router = APIRouter()

    @background(router, "POST", "/things", errors=error_bodies({404: "No such thing."}))
    def make_thing(request: Request) -> Operation:
        """Make a thing (runs in the background)

        Follow it at its
        events."""
        return _OP

    backend = _Backend()
    reads = [Read("/revisions/{revision}", "revision", dict[str, Any], "One")]
    add_reads(router, reads, _Backend, lambda _: backend, _Anyone)
    app = FastAPI()
    app.include_router(router)
    return app


def test_a_background_change_answers_202_with_its_operation() -> None:
    with TestClient(_app()) as client:
        answer = client.post("/things")
    assert answer.status_code == 202
    assert (
        answer.json() == Operation("op-1", "make", "thing", "alice", started="2026-03-04T05:06:07.000+00:00").as_dict()
    )


def test_a_background_change_is_documented_from_its_docstring() -> None:
    operation = _app().openapi()["paths"]["/things"]["post"]
    assert operation["summary"] == "Make a thing (runs in the background)"
    assert operation["description"] == "Follow it at its events."
    assert operation["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/Operation")
    assert {"404", "409", "503"} <= set(operation["responses"])


def test_a_read_types_its_path_as_the_backend_does() -> None:
    with TestClient(_app()) as client:
        assert client.get("/revisions/3").json() == {"number": 3}
        assert client.get("/revisions/three").status_code == 422


def test_a_read_whose_path_does_not_fit_the_call_is_refused() -> None:
    with pytest.raises(TypeError, match="takes"):
        add_reads(
            APIRouter(), [Read("/revisions", "revision", models.PlatformRevision, "One")], _Backend, print, _Anyone
        )
