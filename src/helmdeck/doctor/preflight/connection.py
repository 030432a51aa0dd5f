"""The first preflight checks: the cluster answers (its version is read), and the credentials are
a real user's, neither rejected nor treated as anonymous."""

from __future__ import annotations

from helmdeck.cluster import server_version
from helmdeck.cluster.access import who_am_i
from helmdeck.cluster.errors import Forbidden, Unauthorized
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.errors import ClusterError, HelmdeckError


def connect(run: PreflightRun) -> bool:
    run.report.checks.append("cluster")
    try:
        run.client = run.session.client
        run.version = server_version(run.client)
    except HelmdeckError as err:
        run.client = None
        run.report.add(
            Finding(
                "error",
                "cluster",
                None,
                err.where,
                err.message,
                err.fix or "check the kubeconfig and that the cluster is up",
            )
        )
        return False
    run.report.cluster = run.version.git_version
    return True


def check_identity(run: PreflightRun) -> None:
    """Reaching /version proves little (anonymous users may read it): ask who we are."""
    assert run.client is not None
    run.report.checks.append("credentials")
    try:
        user = who_am_i(run.client)
    except Unauthorized:
        run.report.add(
            Finding(
                "error",
                "credentials",
                None,
                None,
                "the cluster rejected the credentials (401 Unauthorized)",
                "refresh the credentials in the kubeconfig (expired token or certificate?)",
            )
        )
        return
    except Forbidden as err:
        if "system:anonymous" in err.message:
            run.report.add(_anonymous())
        return
    except ClusterError:
        return  # 404: an older cluster without SelfSubjectReview; the permission checks still run
    run.report.user = user
    if user == "system:anonymous":
        run.report.add(_anonymous())


def _anonymous() -> Finding:
    return Finding(
        "error",
        "credentials",
        None,
        None,
        "the cluster treats these credentials as anonymous (system:anonymous)",
        "use a kubeconfig context with a user token or client certificate",
    )
