"""A component that ``needs`` others is installed with Helm's view of the cluster's API groups read
after they were ready (``capabilities_after``: :mod:`helmdeck.engine.helm_configs`), so what they
did at run time (an operator creating its CRDs) is in its ``.Capabilities``; one that needs nothing
takes any moment's."""

from __future__ import annotations

import time
from pathlib import Path

from helmdeck.deploy.executor import Deployer
from tests.fakes import fake_session, write_platform_file

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


def test_a_component_reads_the_api_groups_after_what_it_needs_was_ready(tmp_path: Path) -> None:
    path = write_platform_file(
        tmp_path,
        "fk",
        f"""
        components:
          - {{name: operator, chart: {HELLO}, namespace: fk-ops}}
          - {{name: app, chart: {HELLO}, namespace: fk-app, needs: [operator]}}
        """,
    )
    session, _, engine = fake_session(path)
    began = time.monotonic()
    report = Deployer(session, preflight=False).run()
    assert report.ok
    assert engine.write_options["operator"].capabilities_after is None
    after = engine.write_options["app"].capabilities_after
    timeline = report.as_dict()["timeline"]
    operator_end = next(c["end"] for c in timeline["components"] if c["component"] == "operator")
    assert after is not None and began <= after <= time.monotonic()
    # no earlier than the moment the operator's health gate passed (the timeline counts from the run's start)
    assert after - began >= operator_end - 0.05
