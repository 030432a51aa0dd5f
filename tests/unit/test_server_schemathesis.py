"""schemathesis against the OpenAPI document, in process (ASGI): no server errors, and responses as
documented (status codes, content types, bodies, Allow headers).

Left out: the check that every schema-valid request succeeds, since a well-formed request may still
name an extension the catalog lacks or a token that does not exist (a documented 422/404). The fake
platform here has a doctor, so that endpoint is exercised too (its 501 without one is tested in
test_server_api).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from .server_support import bearer, make_app  # noqa: E402

_app, _backend, _tokens = make_app(Path(tempfile.mkdtemp(prefix="helmdeck-schemathesis-")))
_backend.has_doctor = True
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _app)


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms(case: Any) -> None:
    case.call_and_validate(headers=bearer(_tokens["admin"]), excluded_checks=[positive_data_acceptance])
