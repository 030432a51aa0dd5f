"""Doctor findings and reports: formatting, ordering, JSON shape, and the error that stops a deploy."""

from __future__ import annotations

import pytest

from helmdeck.doctor.findings import DoctorReport, Finding, PreflightFailed


def finding(severity: str = "error", **kw: object) -> Finding:
    base: dict[str, object] = {
        "check": "storage-class",
        "component": "db",
        "object": "PersistentVolumeClaim svc/data",
        "reason": "the claim names StorageClass fast, which does not exist in the cluster",
        "fix": "set storageClassName to one of: standard",
    }
    base.update(kw)
    return Finding(severity, **base)  # type: ignore[arg-type]


def test_a_finding_reads_as_one_line_and_serialises_every_field() -> None:
    f = finding(details={"storageClass": "fast"})
    assert f.line() == (
        "error [storage-class] component db, PersistentVolumeClaim svc/data: the claim names StorageClass fast, "
        "which does not exist in the cluster (fix: set storageClassName to one of: standard)"
    )
    assert f.as_dict() == {
        "severity": "error",
        "check": "storage-class",
        "component": "db",
        "object": "PersistentVolumeClaim svc/data",
        "reason": f.reason,
        "fix": f.fix,
        "details": {"storageClass": "fast"},
    }
    platform_wide = finding("warning", component=None, object=None, check="gpu", reason="no GPU", fix="add one")
    assert platform_wide.line() == "warning [gpu] no GPU (fix: add one)"
    assert "details" not in platform_wide.as_dict()


def test_report_orders_by_severity_counts_and_drops_duplicates() -> None:
    report = DoctorReport("dash", "demo", "preflight")
    info = finding("info", check="skipped", reason="could not list nodes")
    warning = finding("warning", check="read-write-many")
    error = finding()
    report.extend([info, warning, error, finding()])  # the last repeats the error
    assert report.sorted() == [error, warning, info]
    assert not report.ok and report.errors == [error] and report.warnings == [warning]
    assert report.summary() == "1 error, 1 warning, 1 info"
    data = report.as_dict()
    assert data["ok"] is False and data["mode"] == "preflight" and data["environment"] == "demo"
    assert [f["severity"] for f in data["findings"]] == ["error", "warning", "info"]
    assert DoctorReport("dash", None, "live").summary() == "no problems found"


def test_errors_raise_preflight_failed_naming_each_error() -> None:
    report = DoctorReport("dash", None, "preflight")
    report.add(finding("warning", check="read-write-many"))
    report.raise_for_errors()  # warnings do not stop a deploy
    report.add(finding())
    report.add(
        finding(
            check="custom-kind",
            component="mongo",
            object="MongoDBCommunity svc/mongo",
            reason="the cluster does not serve MongoDBCommunity",
            fix="install the operator",
        )
    )
    with pytest.raises(PreflightFailed) as caught:
        report.raise_for_errors()
    err = caught.value
    assert err.report is report
    assert err.message.startswith("preflight found 2 errors; nothing was installed:")
    assert "  - [custom-kind] component mongo, MongoDBCommunity svc/mongo: the cluster does not serve" in err.message
    assert err.where == "platform dash" and err.fix and "--no-preflight" in err.fix
    assert len(err.as_dict()["details"]["preflight"]["findings"]) == 3


def test_a_clean_report_says_no_problems_found_once() -> None:
    from helmdeck.cli import output
    from helmdeck.cli.doctor_cmds import print_doctor_report

    report = DoctorReport("dash", None, "live")
    report.checks.append("workloads")
    with output.console.capture() as captured:
        print_doctor_report(report)
    text = captured.get()
    assert text.count("no problems found") == 1, text
    assert "no problems found (workloads) in" in text
    report.add(finding("warning"))
    with output.console.capture() as captured:
        print_doctor_report(report)
    assert "no errors: 1 warning (workloads)" in captured.get()
