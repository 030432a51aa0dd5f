"""Representative instances of every result class helmdeck prints or serves as JSON, for the golden
test (``test_json_golden.py``): each case fills optional parts both ways (None and set, empty and not)
and gives seconds more digits than the output keeps, so a change of shape shows in the golden file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from helmdeck.bundle.create import BundleResult
from helmdeck.bundle.errors import BundleError, BundleProblem
from helmdeck.bundle.manifest import BundleManifest, ChartEntry, FileEntry, ImageEntry, RequiredFile
from helmdeck.bundle.tarball import Member
from helmdeck.bundle.verify import Verification
from helmdeck.cluster.client import ServerVersion
from helmdeck.cluster.events import EventSummary
from helmdeck.cluster.failures import FailureReport
from helmdeck.cluster.lease import LeaseInfo
from helmdeck.cluster.namespaces import NamespaceRemoval, NamespaceState
from helmdeck.cluster.pods import ContainerSummary, LogTail, PodSummary
from helmdeck.cluster.readiness import Health
from helmdeck.cluster.watch import GateResult, ObjectStatus
from helmdeck.core.component_detail import ComponentDetail
from helmdeck.core.inventory import LeftObject
from helmdeck.core.release_history import ReleaseRecord
from helmdeck.core.resource_tree import TreeNode
from helmdeck.core.status import ComponentHealth, ComponentStatus, PlatformStatus
from helmdeck.deploy.report import ComponentResult, DeployReport, Outcome
from helmdeck.deploy.undeploy import RemovedRelease, UndeployReport
from helmdeck.deploy.undeploy_decisions import NamespaceFate
from helmdeck.deploy.undeploy_preview import PlannedUninstall, UndeployPreview
from helmdeck.doctor.findings import DoctorReport
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.extensions.catalog import CatalogProblem, Extension
from helmdeck.extensions.installed import InstalledExtension
from helmdeck.extensions.parameters import Condition, Parameter
from helmdeck.extensions.report import ExtensionReport
from helmdeck.extensions.requirements import Clause, Requirement
from helmdeck.extensions.upload import UploadResult
from helmdeck.findings import Finding
from helmdeck.gitops.export import ExportResult, GitopsTool
from helmdeck.manifests.objects import ObjRef
from helmdeck.plan.destructive import DestructiveChange
from helmdeck.plan.planner import ComponentPlan, Plan
from helmdeck.plan.state import Action, ReleaseState
from helmdeck.revisions.rollback import RollbackReport, RollbackStep
from helmdeck.revisions.rollback_preview import PlannedRollback, RollbackPreview
from helmdeck.revisions.rotated_secrets import RestoredSecret
from helmdeck.revisions.timeline import ComponentTimeline, Span, Timeline
from helmdeck.sandbox.cluster import ComponentState, SandboxStatus
from helmdeck.secrets.store import SecretInfo
from helmdeck.server.operations import Operation
from helmdeck.validation import ValidationReport
from helmdeck.values.layers import Provenance

T0 = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
T1 = datetime(2026, 3, 4, 5, 9, 1, 250000, tzinfo=UTC)

DEPLOY = ObjRef("apps/v1", "Deployment", "api", "services")
CRD = ObjRef("apiextensions.k8s.io/v1", "CustomResourceDefinition", "things.example.org")
READY = Health("ready", "available", rule="kstatus: Deployment")
FAILED = Health("failed", "CrashLoopBackOff", terminal=True, blocking=True, rule="kstatus: Pod")

CONTAINER = ContainerSummary(
    "api", False, False, "waiting", "CrashLoopBackOff", "back-off 10s", None, 1, "Error", 3, "reg/api:1.0"
)
INIT = ContainerSummary("init", True, True, "terminated", "Completed", None, 0, None, None, 0, None)
POD = PodSummary("services", "api-7d9", "uid-1", "Running", "node-1", FAILED, (INIT, CONTAINER), ("data-api",))
EVENT = EventSummary("Pod", "api-7d9", "services", "Warning", "BackOff", "restarting", 4, T0, T1, "kubelet", 17)
EVENT_BARE = EventSummary("Node", "node-1", None, "Normal", "Ready", "ok", 1, None, None, "", 0)
LOG = LogTail("api-7d9", "api", ("line one", "line two"))
LOG_GONE = LogTail("api-7d9", "init", (), "the container never ran")
REPORT = FailureReport(DEPLOY, FAILED, (POD,), (EVENT,), (LOG, LOG_GONE))

FILES = (FileEntry("platform.yaml", "ab" * 32, 120, "platform"),)
CHARTS = (ChartEntry("api", "1.2.0", "sha256:" + "cd" * 32, "charts/api-1.2.0.tgz", "charts/api", ("api", "worker")),)
IMAGES = (
    ImageEntry("reg/api:1.0", "reg/api", "1.0", None, ("api",), ("demo", "prod")),
    ImageEntry("reg/db@sha256:ef", "reg/db", None, "sha256:ef", ("db",), ()),
)
REQUIRED = (RequiredFile("env/prod.yaml", "env/prod.yaml", "values", "not carried", ("prod",)),)
MANIFEST = BundleManifest("1.0.0", "dash", "lab2", "2026-03-04T05:06:07Z", ("demo",), FILES, CHARTS, IMAGES)
MANIFEST_FULL = BundleManifest(
    "1.0.0", "dash", "", "2026-03-04T05:06:07Z", ("demo", "prod"), FILES, CHARTS, IMAGES, REQUIRED, ("careful",)
)

FINDING = Finding("error", "storage-class", "db", "PersistentVolumeClaim s/data", "no class", "add one")
FINDING_FULL = Finding(
    "warning", "template", None, None, "odd", "look", {"lines": ["a", "b"]}, template="api/templates/x.yaml"
)
FINDING_INFO = Finding("info", "gpu", None, None, "no GPU", "none needed")

REQUIRES = (Requirement("postgres", (Clause(">=", "1.2.0"), Clause("<", "2.0.0"))),)
CONDITION = Condition((("storage", ("s3", "minio")), ("bucket", None)))
PARAMS = (
    Parameter("size", "integer", "Size", "how big", 3, True, False, (), False, {"minimum": 1, "maximum": 9}),
    Parameter("mode", "choice", "Mode", default="a", choices=("a", "b"), required_when=(CONDITION,)),
    Parameter("password", "string", "Password", default="hunter2", has_default=True, secret=True),
)
EXTENSION = Extension(
    "notebook",
    "1.0.0",
    None,
    "application",
    "Notebook",
    "A notebook",
    "https://docs",
    True,
    False,
    REQUIRES,
    PARAMS,
    "extensions/",
    cast(Any, None),
    ("beta",),
)

COMPONENT_RESULT = ComponentResult(
    "api",
    "api",
    "services",
    Outcome.failed,
    "upgrade",
    4,
    "api-1.2.0",
    1.23456,
    "failed",
    "recovered pending-upgrade",
    "rolled back to 3",
    [{"object": "Deployment services/api", "at": "x"}],
    ["text"],
    [],
    "failed",
)
SKIPPED = ComponentResult("web", "web", "services", Outcome.skipped, skipped_because=["api"])

TIMELINE = Timeline(
    seconds=12.34567,
    platform={"render": Span(0.0, 1.23456), "plan": Span(1.23456, 2.5)},
    components={
        "db": ComponentTimeline("db", (), "installed", Span(2.5, 6.0), {"ready": Span(3.0, 6.0)}),
        "api": ComponentTimeline("api", ("db",), "installed", Span(6.0, 11.987654), {"ready": Span(7.0, 11.0)}),
        "web": ComponentTimeline("web", (), "unchanged"),
    },
)

RECORD = ReleaseRecord(
    "api", "services", 4, "deployed", "api-1.2.0", "2.0", "2026-03-04", "Upgrade complete", "notebook", {}, {}, None, ""
)
TREE = TreeNode(
    "Deployment",
    "api",
    "services",
    "failed",
    "pods failing",
    [
        TreeNode(
            "ReplicaSet",
            "api-7d9",
            "services",
            "failed",
            "",
            [TreeNode("Pod", "api-7d9-x", "services", "failed", "crash", pod=POD)],
            current=False,
        )
    ],
    hook="",
)
HOOK = TreeNode("Job", "migrate", "services", "healthy", "", hook="pre-upgrade")

PLAN_COMPONENT = ComponentPlan(
    "api",
    "api",
    "services",
    Action.upgrade,
    "values changed",
    "api-1.2.0",
    ReleaseState.out_of_sync,
    3,
    "deployed",
    "api-1.1.0",
    "--- a\n+++ b\n",
    ["Deployment services/api edited"],
    [DestructiveChange("api", "PersistentVolumeClaim services/data", "deletes-data", "removed")],
)
PLAN_NEW = ComponentPlan("db", "db", "services", Action.install, "not installed")

LEFT = LeftObject("PersistentVolumeClaim services/data-db", "data is kept (--purge-data deletes it)")
FATE = NamespaceFate("services", False, "holds foreign objects", True, ("ConfigMap other",), True)
FATE_GONE = NamespaceFate("old", False, "absent", exists=False)
REMOVED = RemovedRelease("api", "api", "services", "deployed", True)
REMOVED_FAILED = RemovedRelease("db", "db", "services", "failed", False, "uninstall timed out")
RESTORED = RestoredSecret("db-password", "2026-03-04T05:06:07Z", ("db", "api"), 3)
RESTORED_UNKNOWN = RestoredSecret("token", None, ("api",), 3)

ERROR = HelmdeckError("it broke", where="platform.yaml:3:4", fix="fix it", details={"key": "x"})

OPERATION = Operation(
    "op-1",
    "install",
    "notebook",
    "alice",
    started="2026-03-04T05:06:07.123+00:00",
    finished="2026-03-04T05:07:08.456+00:00",
    state="stopped",
    events=[{"time": "2026-03-04T05:06:08.000+00:00", "component": "api", "state": "installed", "detail": ""}],
    result={"platform": "dash", "components": [{"name": "api", "seconds": 1.23456}], "ok": True},
    error="stopped by carol",
    stopped_by="carol",
)


def _cases() -> dict[str, Callable[[], Any]]:
    return {
        "BundleResult": lambda: BundleResult(Path("/tmp/b.tgz"), 1024, "ef" * 32, 1.23456, MANIFEST),
        "BundleProblem": lambda: BundleProblem("charts/x.tgz", "digest differs"),
        "FileEntry": lambda: FILES[0],
        "ChartEntry": lambda: CHARTS[0],
        "ImageEntry": lambda: IMAGES[0],
        "ImageEntry/digest": lambda: IMAGES[1],
        "RequiredFile": lambda: REQUIRED[0],
        "BundleManifest": lambda: MANIFEST,
        "BundleManifest/full": lambda: MANIFEST_FULL,
        "Verification": lambda: Verification(
            "b.tgz",
            "dash",
            {"a": Member("a", "x", 1)},
            [BundleProblem("a", "bad")],
            MANIFEST,
        ),
        "Verification/empty": lambda: Verification("b.tgz", None),
        "BundleError": lambda: BundleError("b.tgz", [BundleProblem("a", "bad")], fix="rebuild"),
        "ServerVersion": lambda: ServerVersion(1, 33, "v1.33.1+k3s1", "linux/amd64"),
        "EventSummary": lambda: EVENT,
        "EventSummary/bare": lambda: EVENT_BARE,
        "FailureReport": lambda: REPORT,
        "FailureReport/error": lambda: FailureReport(CRD, Health("unknown", "?"), error="forbidden"),
        "LeaseInfo": lambda: LeaseInfo("admin", "dash", "ana@host", T0, T1, 30, 2, False),
        "LeaseInfo/free": lambda: LeaseInfo("admin", "dash", None, None, None, 30, 0, True),
        "NamespaceState": lambda: NamespaceState("services", True, False),
        "NamespaceRemoval": lambda: NamespaceRemoval("services", False, "not empty"),
        "ContainerSummary": lambda: CONTAINER,
        "PodSummary": lambda: POD,
        "LogTail": lambda: LOG,
        "LogTail/unavailable": lambda: LOG_GONE,
        "Health": lambda: FAILED,
        "ObjectStatus": lambda: ObjectStatus(DEPLOY, READY, (POD,)),
        "GateResult": lambda: GateResult(
            "failed", (ObjectStatus(DEPLOY, FAILED),), 3.14159, ObjectStatus(DEPLOY, FAILED), (REPORT,), 1.5
        ),
        "GateResult/ready": lambda: GateResult("ready", (ObjectStatus(DEPLOY, READY),), 0.1234567),
        "ComponentDetail": lambda: ComponentDetail(
            "api",
            True,
            RECORD,
            3,
            [{"revision": 4}],
            [TREE, HOOK],
            [{"reason": "x"}],
            "a: 1\n",
            "a: 1\n",
            "kind: X\n",
            "-a\n+b\n",
            "",
        ),
        "ComponentDetail/absent": lambda: ComponentDetail("web", False),
        "TreeNode": lambda: TREE,
        "ComponentStatus": lambda: ComponentStatus(
            "api",
            "api",
            "services",
            "deployed",
            4,
            "api-1.2.0",
            ComponentHealth.failed,
            "pods failing",
            "notebook",
            [{"object": "x"}],
            [{"pod": "y"}],
            [{"object": "x", "health": "failed"}],
        ),
        "PlatformStatus": lambda: PlatformStatus(
            "dash",
            [ComponentStatus("db", "db", "services", "deployed", 1, "db-1.0", ComponentHealth.healthy)],
        ),
        "ComponentResult": lambda: COMPONENT_RESULT,
        "ComponentResult/skipped": lambda: SKIPPED,
        "DeployReport": lambda: DeployReport(
            "dash",
            "demo",
            [COMPONENT_RESULT, SKIPPED, ComponentResult("w", "w", "s", Outcome.skipped, skipped_because=["cancelled"])],
            7,
            9.87654,
            "bob@host",
            True,
            {"api": {"health": "failed", "reason": "crash"}},
            TIMELINE,
        ),
        "DeployReport/bare": lambda: DeployReport("dash", None),
        "DoctorReport": lambda: DoctorReport(
            "dash",
            "demo",
            "live",
            [FINDING_INFO, FINDING_FULL, FINDING],
            ["storage-class", "gpu"],
            "v1.33.1",
            "ana",
            0.98765,
        ),
        "DoctorReport/empty": lambda: DoctorReport("dash", None, "preflight"),
        "HelmdeckError": lambda: ERROR,
        "HelmdeckError/bare": lambda: HelmdeckError("plain"),
        "ConfigError": lambda: ConfigError("bad key", where="platform.yaml:1", exit_code=2),
        "Extension": lambda: EXTENSION,
        "CatalogProblem": lambda: CatalogProblem("extensions/", "unreadable"),
        "CatalogProblem/fix": lambda: CatalogProblem("extensions/", "unreadable", "repair it"),
        "InstalledExtension": lambda: InstalledExtension("nb", "notebook", "nb", "ext", "1.0.0", 2, "deployed"),
        "Condition": lambda: CONDITION,
        "Parameter": lambda: PARAMS[0],
        "Parameter/conditional": lambda: PARAMS[1],
        "Parameter/secret": lambda: PARAMS[2],
        "ExtensionReport": lambda: ExtensionReport("dash", "install", [COMPONENT_RESULT], 8, 2.71828, ["a"], ["b"]),
        "UploadResult": lambda: UploadResult(EXTENSION, Path("/tmp/catalog/notebook-1.0.0.tgz")),
        "Finding": lambda: FINDING,
        "Finding/full": lambda: FINDING_FULL,
        "ExportResult": lambda: ExportResult(
            GitopsTool.flux,
            "dash",
            "demo",
            Path("/tmp/out"),
            "flux-system",
            ["a.yaml"],
            [{"component": "api"}],
            [{"secret": "db"}],
        ),
        "ObjRef": lambda: DEPLOY,
        "ObjRef/cluster": lambda: CRD,
        "DestructiveChange": lambda: PLAN_COMPONENT.destructive[0],
        "ComponentPlan": lambda: PLAN_COMPONENT,
        "ComponentPlan/new": lambda: PLAN_NEW,
        "Plan": lambda: Plan("dash", "demo", [PLAN_COMPONENT, PLAN_NEW], True),
        "Plan/empty": lambda: Plan("dash", None),
        "RollbackStep": lambda: RollbackStep("api", "rollback", "to revision 3"),
        "RollbackReport": lambda: RollbackReport(
            "dash",
            3,
            9,
            [RollbackStep("api", "rollback", "to 3"), RollbackStep("db", "failed", "no")],
            4.56789,
            {"api": {"health": "healthy", "reason": ""}},
            [RESTORED],
        ),
        "RollbackReport/nothing": lambda: RollbackReport("dash", 3, steps=[RollbackStep("api", "unchanged", "")]),
        "RollbackPreview": lambda: RollbackPreview(
            "dash",
            3,
            "2026-03-04T05:06:07Z",
            "deploy",
            [PlannedRollback("api", "rollback", "api", "services", 5, "api-1.2", "deployed", 3, "api-1.1", "n")],
            [RESTORED_UNKNOWN],
        ),
        "RestoredSecret": lambda: RESTORED,
        "RestoredSecret/unknown": lambda: RESTORED_UNKNOWN,
        "Timeline": lambda: TIMELINE,
        "Operation": lambda: OPERATION,
        "Operation/running": lambda: Operation(
            "op-2", "deploy", "dash", "bob", started="2026-03-04T05:06:07.000+00:00"
        ),
        "LeftObject": lambda: LEFT,
        "NamespaceFate": lambda: FATE,
        "NamespaceFate/absent": lambda: FATE_GONE,
        # status and release actions fill notes and the manifest (Secret data): neither is in the JSON
        "Release": lambda: Release(
            "api",
            "services",
            3,
            ReleaseStatus.DEPLOYED,
            "api",
            "1.2.0",
            "2.0",
            T0,
            "Upgrade complete",
            {"helmdeck.dev/platform": "dash"},
            "notes",
            "kind: Secret\ndata: {token: c2VjcmV0}\n",
        ),
        "Release/listed": lambda: Release(
            "db", "services", 1, ReleaseStatus.PENDING_INSTALL, "db", "0.1.0", None, None
        ),
        "RemovedRelease": lambda: REMOVED,
        "RemovedRelease/failed": lambda: REMOVED_FAILED,
        "UndeployReport": lambda: UndeployReport(
            "dash",
            [REMOVED, REMOVED_FAILED],
            ["data-db"],
            ["data-cache"],
            [FATE, FATE_GONE],
            [LEFT],
            3.456789,
            True,
        ),
        "UndeployReport/bare": lambda: UndeployReport("dash"),
        "UndeployPreview": lambda: UndeployPreview(
            "dash",
            True,
            [PlannedUninstall(1, "api", "api", "services", "deployed", 4, "api-1.2.0", "n")],
            [FATE],
            ["data-db"],
            ["data-cache"],
            [LEFT],
        ),
        "UndeployPreview/bare": lambda: UndeployPreview("dash", False),
        "SandboxStatus": lambda: SandboxStatus(
            "sb",
            True,
            True,
            Path("/tmp/kubeconfig"),
            [ComponentState("etcd", 12, True, Path("/tmp/etcd.log")), ComponentState("kwok", None, False, Path("k"))],
            [{"name": "node-1"}],
            "https://127.0.0.1:6443",
            "v1.33.1",
        ),
        "SandboxStatus/absent": lambda: SandboxStatus("sb", False, False, None),
        "SecretInfo": lambda: SecretInfo("db-password", "generate", True, True, T0, T1),
        "SecretInfo/new": lambda: SecretInfo("token", "fromEnv", True, False, None, None),
        "ValidationReport": lambda: ValidationReport(
            "dash",
            "demo",
            [{"severity": "error", "reason": "x"}],
            cast(Any, {"web": None, "api": None}),
        ),
        "Provenance": lambda: Provenance("a.b", "values", "values/a.yaml", "values/a.yaml", 3, {"x": [1, 2]}),
        "Provenance/overrode": lambda: Provenance("a.b", "set", "--set", None, None, None, 0),
    }


CASES = _cases()
