"""The component page's resource tree on the sandbox: a CronJob over the Jobs it started (one made
from it as ``kubectl create job --from=cronjob/...`` does: the real Job controller runs it) and their
pods; the release's own Job and its hook Job over their pods; a Job its TTL removed stays a leaf and
breaks nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lightkube.models.meta_v1 import ObjectMeta, OwnerReference
from lightkube.resources.batch_v1 import CronJob, Job

from helmdeck.core.component_detail import component_detail, component_live
from helmdeck.deploy.executor import Deployer
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file
from tests.cluster.wait_support import wait_for

pytestmark = pytest.mark.cluster

QUIRKS = str(CHARTS / "health" / "quirks")


def _node(tree: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    return next((n for n in tree if (n["kind"], n["name"]) == (kind, name)), None)


def test_cronjob_over_its_jobs_over_their_pods(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    components = [
        {
            "name": "cron",
            "chart": QUIRKS,
            "namespace": "services",
            # suspended: only the Job made below runs, none the schedule would add while the test runs
            "values": [
                values_file(
                    tmp_path,
                    "cron",
                    {
                        "cronJob": {"enabled": True, "suspend": True},
                        "job": {"enabled": True, "ttlSecondsAfterFinished": 600},
                        "hookJob": {"enabled": True},
                    },
                )
            ],
        },
        {
            "name": "ttl",
            "chart": QUIRKS,
            "namespace": "services",
            "values": [values_file(tmp_path, "ttl", {"job": {"enabled": True, "ttlSecondsAfterFinished": 0}})],
        },
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    deployed = Deployer(session()).run()
    assert deployed.ok, deployed.as_dict()

    client = sandbox.client()
    cron = client.get(CronJob, "cron-report", namespace=namespace)
    assert cron.metadata is not None and cron.spec is not None
    owner = OwnerReference(
        apiVersion="batch/v1",
        kind="CronJob",
        name="cron-report",
        uid=str(cron.metadata.uid),
        controller=True,
        blockOwnerDeletion=True,
    )
    meta = ObjectMeta(
        name="cron-report-manual",
        namespace=namespace,
        annotations={"cronjob.kubernetes.io/instantiate": "manual"},
        ownerReferences=[owner],
    )
    client.create(Job(metadata=meta, spec=cron.spec.jobTemplate.spec))

    def finished_under_the_cronjob() -> dict[str, Any] | None:
        tree = component_detail(session(), "cron")["tree"]
        node = _node(tree, "CronJob", "cron-report")
        job = _node(node["children"], "Job", "cron-report-manual") if node else None
        if job and job["health"] == "healthy" and job["children"]:
            return {"tree": tree, "cron": node, "job": job}
        return None

    found = wait_for("the manual Job complete under its CronJob, with its pod", finished_under_the_cronjob, 60)
    assert [c["name"] for c in found["cron"]["children"]] == ["cron-report-manual"]
    (pod,) = found["job"]["children"]
    assert pod["kind"] == "Pod" and pod["name"].startswith("cron-report-manual-")
    assert pod["pod"]["phase"] == "Succeeded"
    assert "1 succeeded" in found["job"]["reason"]

    # the release's own Job, kept by its TTL for now, over the pod it ran
    migrate = _node(found["tree"], "Job", "cron-migrate")
    assert migrate is not None and migrate["health"] == "healthy"
    assert [p["kind"] for p in migrate["children"]] == ["Pod"]
    assert migrate["children"][0]["name"].startswith("cron-migrate-")

    # the chart's pre-install hook, kept by its delete policy, over the pod it ran
    hook = _node(found["tree"], "Job", "cron-init")
    assert hook is not None and hook["hook"] == "pre-install, pre-upgrade" and hook["health"] == "healthy"
    assert [p["kind"] for p in hook["children"]] == ["Pod"]

    # the page's live part shows the same chain, without the values and manifests
    live = component_live(session(), "cron")
    live_cron = _node(live["tree"], "CronJob", "cron-report")
    assert live_cron is not None and [c["name"] for c in live_cron["children"]] == ["cron-report-manual"]
    assert [p["name"] for p in live_cron["children"][0]["children"]] == [pod["name"]]
    assert live["revision"] == 1 and live["status"] == "deployed" and "values" not in live

    # a Job its TTL removed as soon as it finished: healthy, nothing under it, nothing broken
    ttl = component_detail(session(), "ttl")["tree"]
    gone = _node(ttl, "Job", "ttl-migrate")
    assert gone is not None and gone["health"] == "healthy" and gone["children"] == []
    assert "removed" in gone["reason"]
