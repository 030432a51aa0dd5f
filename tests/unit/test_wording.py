"""Count sentences read right (issue 21, "the sentences read right"): every one goes through
:func:`helmdeck.wording.counted`, so none says "1 objects", "2 item(s)" or a count other than the
one it counts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helmdeck.cluster import ObjRef
from helmdeck.doctor.findings import DoctorReport, Finding
from helmdeck.plan.drift import ComponentDrift, ObjectDrift
from helmdeck.wording import counted, plural
from tests.fakes import fake_session


@pytest.mark.parametrize(
    ("count", "noun", "said"),
    [
        (0, "error", "0 errors"),
        (1, "volume claim", "1 volume claim"),
        (8, "volume claim", "8 volume claims"),
        (["a", "b"], "policy", "2 policies"),
        (2, "StorageClass", "2 StorageClasses"),
        (3, "entry", "3 entries"),
        (2, "day", "2 days"),
        (1, "info", "1 info"),
    ],
)
def test_counted_puts_the_noun_in_the_number_it_takes(count: int | list[str], noun: str, said: str) -> None:
    assert counted(count, noun) == said


def test_plural_of_the_last_word_only() -> None:
    assert plural("deleted volume claim") == "deleted volume claims"
    assert counted(2, "child", "kids") == "2 kids"


def test_doctor_counts_each_severity_in_its_number() -> None:
    report = DoctorReport("p", "dev", "preflight")
    report.add(Finding("error", "c", None, None, "broken", "fix it"))
    report.add(Finding("warning", "c", None, None, "odd", "look"))
    report.add(Finding("warning", "c", None, None, "odd too", "look"))
    assert report.summary() == "1 error, 2 warnings"
    assert DoctorReport("p", "dev", "preflight").summary() == "no problems found"


def test_drift_says_one_object_edited() -> None:
    ref = ObjRef("v1", "ConfigMap", "c", "ns")
    drift = ComponentDrift("web", [ObjectDrift(ref, fields=["data.a: changed"])])
    assert "1 object edited" in drift.summary()


def test_purge_waiting_counts_what_is_left_of_what_was_deleted(tmp_path: Path) -> None:
    from helmdeck.deploy.undeploy import Undeployer

    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            """
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {name: words}
            spec:
              components: []
            """
        )
    )
    session, kube, _ = fake_session(path)
    refs = [ObjRef("v1", "PersistentVolumeClaim", f"data-{n}", "ns") for n in range(8)]
    for ref in refs[1:]:  # one went at once, seven linger
        kube.put(
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": ref.name, "namespace": "ns"}}
        )
    said: list[str] = []
    undeployer = Undeployer(session, timeout=0.2, progress=lambda _c, _s, text: said.append(text))
    undeployer._wait_gone(refs, "deleted volume claim")
    assert said[0] == "7 of 8 deleted volume claims still terminating"
    said.clear()
    undeployer._wait_gone(refs[1:2], "deleted volume claim")
    assert said[0] == "1 of 1 deleted volume claim still terminating"
