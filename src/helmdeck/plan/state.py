"""Each release's state, decided once: plan shows it and deploy acts on it, so the two cannot
disagree (as Flux's helm-controller decides a release's state before picking its action).

- ``absent``: no release, or one uninstalled with its history kept: install.
- ``locked``: ``pending-*``, left by an operator that stopped (a live one holds the platform's
  Lease): recover, then upgrade.
- ``failed``: the last change failed: upgrade (from scratch if nothing was ever deployed).
- ``out-of-sync``: the chart or values differ from the release's (its config digest): upgrade.
- ``drifted``: the release is current but live objects were edited or deleted outside helmdeck:
  upgrade, taking the edited fields back.
- ``in-sync``: nothing to do but check health; no Helm revision is written.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.labels import DIGEST_LABEL
from helmdeck.plan.drift import ComponentDrift, platform_drift


class Action(enum.StrEnum):
    install = "install"
    upgrade = "upgrade"
    unchanged = "unchanged"
    remove = "remove"
    #: an install or upgrade Helm would refuse (the chart's kubeVersion excludes the cluster)
    blocked = "blocked"


class ReleaseState(enum.StrEnum):
    absent = "absent"
    locked = "locked"
    failed = "failed"
    out_of_sync = "out-of-sync"
    drifted = "drifted"
    in_sync = "in-sync"


@dataclass(frozen=True)
class ReleaseDecision:
    state: ReleaseState
    reason: str
    #: live objects edited or deleted outside helmdeck (any upgrade takes their fields back)
    drift: ComponentDrift | None = None

    @property
    def action(self) -> Action:
        if self.state is ReleaseState.absent:
            return Action.install
        if self.state is ReleaseState.in_sync:
            return Action.unchanged
        return Action.upgrade


def classify(desired: DesiredComponent, live: Release | None, drift: ComponentDrift | None = None) -> ReleaseDecision:
    """The state of one release against what helmdeck would install now."""
    if live is None:
        return ReleaseDecision(ReleaseState.absent, "not installed")
    if live.status is ReleaseStatus.UNINSTALLED:
        return ReleaseDecision(ReleaseState.absent, "uninstalled (history kept)")
    if live.status.pending:
        reason = f"release is {live.status.value}: it will be recovered, then upgraded"
        return ReleaseDecision(ReleaseState.locked, reason, drift)
    if live.status is not ReleaseStatus.DEPLOYED:
        return ReleaseDecision(ReleaseState.failed, f"release is {live.status.value}", drift)
    if live.labels.get(DIGEST_LABEL) != desired.digest:
        if DIGEST_LABEL not in live.labels:
            reason = "release was changed outside helmdeck"
        elif live.chart != desired.chart.name + "-" + desired.chart.version:
            reason = f"chart {live.chart} -> {desired.chart.name}-{desired.chart.version}"
        else:
            reason = "values or chart content changed"
        return ReleaseDecision(ReleaseState.out_of_sync, reason, drift)
    if drift is not None:
        return ReleaseDecision(ReleaseState.drifted, drift.summary(), drift)
    return ReleaseDecision(ReleaseState.in_sync, "up to date")


def release_states(
    session: PlatformSession,
    desired: Mapping[str, DesiredComponent],
    live: Mapping[str, Release],
    names: Sequence[str],
) -> dict[str, ReleaseDecision]:
    """The state of each named component's release; drift is looked for in deployed ones only
    (a failed or pending release is upgraded anyway)."""
    deployed = [n for n in names if (rel := live.get(n)) is not None and rel.status is ReleaseStatus.DEPLOYED]
    drift = platform_drift(session, deployed) if deployed else {}
    return {name: classify(desired[name], live.get(name), drift.get(name)) for name in names}
