"""The REST API's request and response bodies (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from helmdeck.cluster import events
from helmdeck.core import status as core_status
from helmdeck.extensions import catalog, installed
from helmdeck.health import Health
from helmdeck.revisions import store as revisions
from helmdeck.revisions import timeline
from helmdeck.server.json_model import Out as _Out
from helmdeck.server.json_model import response_model


class ErrorBody(_Out):
    error: str = Field(description="What went wrong.")
    where: str | None = Field(default=None, description="The file, key, object or parameter at fault.")
    fix: str | None = Field(default=None, description="What to do about it.")
    details: dict[str, Any] = Field(default_factory=dict)


class WhoAmI(_Out):
    name: str
    role: Literal["viewer", "operator", "admin"]


class PlatformInfo(_Out):
    platform: str = Field(description="The platform's id (name with instance prefix).")
    name: str
    instance: str
    environment: str | None
    namespaces: dict[str, str]
    components: list[str]


class OpenLink(_Out):
    url: str = Field(description="Where a browser opens the application.")
    kind: Literal["Ingress", "HTTPRoute", "Service"] = Field(description="The kind of object it comes from.")
    object: str = Field(description="That object, as namespace/name.")


_LINKS = (
    "Where the application opens: from the release's Ingress hosts and paths (https for a TLS host), Gateway "
    "HTTPRoutes and NodePort Services (a node's address and the port)."
)


_COMPONENT_STATUS = response_model(
    core_status.ComponentStatus,
    docs={
        "status": "Helm release status, or 'not installed'.",
        "health": "healthy, progressing, failed, unknown or absent.",
        "extension": "The extension chart, for components that are extensions.",
        "objects": "Objects not ready, with why.",
        "failing_pods": "Pods not ready, with why.",
        "checked": (
            "Every object of the release with its health: state, reason and the rule that judged it "
            "('kstatus: Deployment', 'no status by design (CRD has no status subresource)', "
            "'platform rule: traefik.io/Middleware')."
        ),
    },
)


class ComponentStatus(_COMPONENT_STATUS):  # type: ignore[misc,valid-type]
    """A component's release and health (``helmdeck status``), with what the service adds."""

    needs: list[str] = Field(default_factory=list, description="The components it needs (the platform file's needs).")
    links: list[OpenLink] = Field(default_factory=list, description=_LINKS)
    drift: str | None = Field(
        default=None,
        description=(
            "Live objects edited or deleted outside helmdeck since the release (as `helmdeck plan` shows it), "
            "looked for every few status readings; null when none was found."
        ),
    )


class PlatformStatus(response_model(core_status.PlatformStatus)):  # type: ignore[misc]
    """Every component's release and health (``helmdeck status``)."""

    observed_at: str | None = Field(default=None, description="When the cluster was read (UTC).")


class ComponentRevision(response_model(revisions.ComponentRevision)):  # type: ignore[misc]
    """A component in a platform revision, as the revision store records it."""


_PLATFORM_REVISION = response_model(
    revisions.PlatformRevision,
    docs={
        "timeline": "One revision (GET /history/{revision}): a deploy's timeline in the record's compact form "
        "(null for other operations); GET /history/{revision}/timeline gives it readable.",
    },
    order=(
        *("revision", "platform", "environment", "spec_digest", "operation", "user", "created", "result"),
        *("message", "components", "timeline"),
    ),
)


class PlatformRevision(_PLATFORM_REVISION):  # type: ignore[misc,valid-type]
    """A platform revision, as the revision store records it."""

    timeline_summary: TimelineSummary | None = Field(
        default=None, description="In the list of revisions: a deploy's time, floor and critical chain."
    )


class TimelineSummary(_Out):
    seconds: float
    floor: float
    chain_seconds: float
    critical_chain: list[str]


TimelinePhase = response_model(
    timeline.PhaseView,
    name="TimelinePhase",
    docs={
        "phase": "render, install, first-ready, last-ready, undo; the platform's preflight, prepare, final-check",
        "start": "Seconds from the deploy's start.",
    },
)
TimelineComponent = response_model(
    timeline.ComponentView,
    name="TimelineComponent",
    docs={"start": "When its work began (null: it never ran).", "critical": "On the critical chain."},
)
_TIMELINE = response_model(
    timeline.TimelineView,
    docs={
        "critical_chain": "The components the deploy's end waited on, first to last: each waited for the last need "
        "to end.",
        "floor": "The readiness waits along the critical chain: the lower bound with these pods.",
        "chain_seconds": "When the critical chain ended.",
        "overhead": "The chain's time beyond its readiness waits.",
    },
)


class Timeline(_TIMELINE):  # type: ignore[misc,valid-type]
    """A deploy's timeline, readable: phases, the critical chain and its floor."""


class RevisionTimeline(_Out):
    platform: str
    revision: int
    operation: str
    created: str
    timeline: Timeline


class Requirement(_Out):
    name: str
    constraint: str


class Parameter(_Out):
    name: str
    type: Literal["string", "boolean", "integer", "number", "choice", "multichoice"]
    title: str
    description: str
    required: bool
    secret: bool
    default: Any = None
    choices: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    minLength: int | None = None
    maxLength: int | None = None
    minItems: int | None = None
    maxItems: int | None = None
    requiredWhen: list[dict[str, list[Any] | None]] | None = Field(
        default=None,
        description=(
            "Required when any of these conditions holds (from the schema's dependentRequired and "
            'if/then): each maps parameter names to the values that make it hold, e.g. {"storage": ["s3"]}, '
            "or to null for 'has any value'; every name of one condition must match."
        ),
    )


class Extension(_Out):
    name: str
    version: str
    appVersion: str | None
    kind: Literal["application", "workflow"]
    displayName: str
    description: str
    docs: str
    multiInstall: bool
    requiresGpu: bool
    requires: list[Requirement]
    parameters: list[Parameter]
    parameterStyle: Literal["helmdeck", "kaapana"]
    flags: list[str]
    source: str


class CatalogProblem(response_model(catalog.CatalogProblem)):  # type: ignore[misc]
    """A chart of the catalog that could not be read, and what to do about it."""


class Catalog(_Out):
    extensions: list[Extension]
    problems: list[CatalogProblem]


class InstalledExtension(response_model(installed.InstalledExtension)):  # type: ignore[misc]
    health: Health
    reason: str
    links: list[OpenLink] = Field(default_factory=list, description=_LINKS)
    state: Literal["installed", "pending", "failed", "uninstalling", "completed"] = Field(
        default="installed",
        description="As Kaapana's extension page names it: installed; pending (installing, upgrading or not yet "
        "ready); failed; uninstalling; completed (a chart of Jobs only whose Jobs all finished).",
    )


class InstallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # a JSON boolean or string never passes for a number

    name: str = Field(
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63, description="The extension (chart name) to install."
    )
    parameters: dict[str, Any] = Field(default_factory=dict, description="Parameter values by name.")
    instanceName: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        max_length=40,
        description="For multi-install extensions: names this install.",
    )
    version: str | None = Field(default=None, max_length=64, description="A catalog version; default the newest.")


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # a JSON boolean or string never passes for a number

    revision: int | None = Field(default=None, ge=1, description="Platform revision; default the previous good one.")


class Event(_Out):
    time: str
    component: str
    state: str
    detail: str


class Operation(_Out):
    id: str
    kind: str
    target: str
    actor: str
    started: str
    finished: str | None
    state: Literal["running", "succeeded", "failed", "interrupted", "stopped"]
    events: list[Event]
    result: dict[str, Any] | None
    error: str | None


class UploadResult(_Out):
    path: str
    extension: Extension


class Token(_Out):
    id: str
    name: str
    role: Literal["viewer", "operator", "admin"]
    created: str


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # a JSON boolean or string never passes for a number

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,62}$", description="Who or what the token is for.")
    role: Literal["viewer", "operator", "admin"]


class TokenCreated(_Out):
    token: Token
    secret: str = Field(description="The token; shown this once, stored only as a hash.")


class AuditEntry(_Out):
    time: str
    actor: str
    role: str
    action: str
    target: str
    result: str
    remote: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class DoctorFinding(_Out):
    severity: Literal["error", "warning", "info"]
    check: str
    component: str | None = None
    object: str | None = None
    reason: str
    fix: str
    details: dict[str, Any] = Field(default_factory=dict)


class DoctorReport(_Out):
    platform: str
    environment: str | None = None
    mode: Literal["preflight", "live"]
    ok: bool
    cluster: str | None = None
    user: str | None = None
    summary: str
    checks: list[str]
    findings: list[DoctorFinding]
    seconds: float


class ContainerState(_Out):
    name: str
    init: bool
    ready: bool
    state: str = Field(description="running, waiting, terminated or unknown.")
    reason: str | None = Field(description="Why it waits or ended (CrashLoopBackOff, ImagePullBackOff, Completed...).")
    message: str | None
    restarts: int
    exitCode: int | None
    lastReason: str | None = Field(description="Why its previous run ended.")
    image: str | None


class PodDetail(_Out):
    phase: str
    node: str | None
    containers: list[ContainerState]


class ResourceNode(_Out):
    kind: str
    name: str
    namespace: str | None
    health: Health = Field(description="healthy, progressing, failed or unknown.")
    reason: str
    current: bool = Field(description="False for a ReplicaSet of an older revision of its Deployment.")
    hook: str = Field(description="For a Helm hook of the release: the events that run it; empty otherwise.")
    pod: PodDetail | None = Field(description="For pods: phase, node and containers.")
    children: list[ResourceNode] = Field(
        description="What the object owns: a Deployment its ReplicaSets, a CronJob its Jobs, a workload its Pods."
    )


_OBJECT_EVENT = response_model(events.EventSummary, docs={"object_name": "Kind/name of the object the event is about."})


class ObjectEvent(_OBJECT_EVENT):  # type: ignore[misc,valid-type]
    """An event of an object of the release (``kubectl get events``, summarised)."""


class ReleaseRevisionSummary(_Out):
    revision: int
    status: str
    chart: str
    updated: str
    description: str


class ComponentDetail(_Out):
    component: str
    installed: bool
    release: str | None
    namespace: str | None
    revision: int | None
    previousRevision: int | None
    status: str = Field(description="Helm release status, or 'not installed'.")
    chart: str
    appVersion: str
    updated: str | None
    description: str
    extension: str | None
    revisions: list[ReleaseRevisionSummary] = Field(description="The release's stored revisions, newest first.")
    tree: list[ResourceNode] = Field(description="The release's objects, workloads over what they own.")
    events: list[ObjectEvent] = Field(description="Recent events of those objects, newest first.")
    values: str = Field(description="The values Helm renders with (chart defaults merged), YAML, secrets redacted.")
    suppliedValues: str = Field(description="The values helmdeck supplied, YAML, secrets redacted.")
    manifest: str = Field(description="The rendered manifests, YAML, Secret data and secrets redacted.")
    valuesDiff: str = Field(description="Unified diff of the values from the previous revision.")
    manifestDiff: str = Field(description="Unified diff of the manifests from the previous revision.")
