"""The REST API's bodies for plan, deploy, stop and undeploy (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from helmdeck.plan import destructive, planner
from helmdeck.server.json_model import Out as _Out
from helmdeck.server.json_model import response_model


class _In(BaseModel):
    # an unknown key is refused (a typo such as "confirmDestructiv" must not deploy without it), and a
    # string never passes for a boolean
    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel, populate_by_name=True)


_DESTRUCTIVE_CHANGE = response_model(
    destructive.DestructiveChange,
    docs={
        "object": 'The object, as "Kind namespace/name".',
        "change": "deletes-data, immutable or secret-regenerated.",
    },
)


class DestructiveChange(_DESTRUCTIVE_CHANGE):  # type: ignore[misc,valid-type]
    """A change of the plan that deletes data or replaces an object."""


_PLANNED_COMPONENT = response_model(
    planner.ComponentPlan,
    docs={
        "action": "install, upgrade, unchanged, remove or blocked.",
        "state": "The release's state: absent, out-of-sync, drifted, in-sync, failed, locked.",
        "diff": "Unified diff of the manifests, secret values redacted.",
        "drift": "Live objects edited or deleted outside helmdeck.",
    },
)


class PlannedComponent(_PLANNED_COMPONENT):  # type: ignore[misc,valid-type]
    """What the plan does to one component."""


class StoredPlan(_Out):
    id: str = Field(description="Deploy exactly this plan with POST /api/v1/plans/{id}/deploy.")
    created_at: str
    expires_at: str = Field(description="After this, deploying it is refused: plan again.")
    actor: str
    operations: list[str] = Field(description="Operations that deployed this plan.")
    platform: str
    environment: str | None
    changes: bool
    summary: str = Field(description='"2 to install, 1 to change, 0 to remove", as `helmdeck plan` prints it.')
    destructive: list[DestructiveChange]
    components: list[PlannedComponent]
    placeholder_secrets: bool = Field(description="Some secrets are not generated yet: placeholders were used.")


class DeployPlanRequest(_In):
    confirm_destructive: bool = Field(
        default=False, description="Deploy even though the plan deletes data or replaces objects (it lists them)."
    )


class UndeployPreviewRequest(_In):
    purge_data: bool = Field(default=False, description="Preview an undeploy that also deletes data and history.")


class UndeployPreview(_Out):
    dry_run: bool
    operation: str
    platform: str
    purge_data: bool
    releases: list[dict[str, Any]] = Field(description="What is uninstalled, step by step.")
    namespaces: list[dict[str, Any]] = Field(description="Which namespaces go, and why the others stay.")
    kept_data: list[str]
    deleted_data: list[str]
    left: list[dict[str, Any]] = Field(description="What the undeploy leaves, and why.")
    confirmation: str = Field(description="Send it to POST /api/v1/undeploy to confirm this preview (once).")
    expires_at: str


class UndeployRequest(_In):
    confirmation: str = Field(description="The confirmation of a preview made just before, with the same purgeData.")
    purge_data: bool = False
