"""Which environment and instance an operation runs in, when the command line does not say.

In order: the flag (``-e``/``--instance``, or the server's settings); a saved plan's own (``deploy
--plan``); a bundle's only environment (a bundle made for some environments refuses the others); the
environment the platform was last deployed with (commands that act on the running platform), which
must still be declared. :func:`helmdeck.app.opening.open_platform` applies them; nothing else does.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from helmdeck.errors import ConfigError, HelmdeckError

if TYPE_CHECKING:
    from pathlib import Path

    from helmdeck.app.target import Target
    from helmdeck.bundle.manifest import BundleManifest
    from helmdeck.core.session import PlatformSession
    from helmdeck.spec import Platform


class LastDeployed(enum.Enum):
    """Whether an operation without an environment takes the one its platform was last deployed with."""

    #: no: the base values (status, history, rollback and undeploy read what is recorded)
    ignore = "ignore"
    #: yes (plan, deploy, extensions, the server's operations): a plan without it would diff the
    #: running platform back to its base values
    adopt = "adopt"
    #: yes, unless the cluster cannot be reached: then the operation reports that itself (doctor)
    adopt_if_reachable = "adopt-if-reachable"


def target_platform(target: Target) -> Platform:
    """The platform file of ``target`` loaded, as its instance (``--instance``) when one is given
    (``""`` included: the platform without a prefix, whatever its file says, as a session takes it)."""
    from helmdeck.core.session import with_instance
    from helmdeck.spec import load_platform

    platform = load_platform(target.file)
    return with_instance(platform, target.instance) if target.instance is not None else platform


def from_saved_plan(
    planned: dict[str, Any], environment: str | None, instance: str | None
) -> tuple[str | None, str | None]:
    """The environment and instance to deploy a saved plan in: the plan's own unless given (given
    ones that differ make the plan check refuse, naming them)."""
    return (
        environment if environment is not None else planned["environment"],
        instance if instance is not None else planned["instance"],
    )


def bundle_environment(manifest: BundleManifest, environment: str | None, bundle: Path) -> str | None:
    """A bundle made for one environment deploys it when none is given; one made for some refuses others.

    Raises:
        ConfigError: ``environment`` is not one the bundle was made for.
    """
    if environment is None and len(manifest.environments) == 1:
        return manifest.environments[0]
    if environment is not None and manifest.environments and environment not in manifest.environments:
        raise ConfigError(
            f"bundle {bundle} was made for {', '.join(manifest.environments)}, not {environment}",
            where=str(bundle),
            fix=f"deploy one of its environments, or rebuild it with `helmdeck bundle -e {environment}`",
        )
    return environment


def adopt_deployed_environment(session: PlatformSession) -> None:
    """Give a session without an environment the one its platform was last deployed with.

    Raises:
        ConfigError: that environment is no longer in the platform file (falling back to base
            values would silently undo it: the operator chooses with -e).
    """
    from helmdeck.revisions.environment import deployed_environment

    if session.environment is not None:
        return
    deployed = deployed_environment(session)
    if deployed is None:
        return
    known = session.platform.spec.environments
    if deployed not in known:
        raise ConfigError(
            f"platform {session.platform_id} was last deployed with environment {deployed!r}, which the "
            "platform file no longer declares",
            where=str(session.platform.source_path) if session.platform.source_path else None,
            fix=f"pass -e with the environment to use ({', '.join(known) or 'none declared: base values only'})",
        )
    session.use_last_deployed(deployed)


def apply_last_deployed(session: PlatformSession, rule: LastDeployed) -> None:
    """:func:`adopt_deployed_environment` as ``rule`` says."""
    if rule is LastDeployed.ignore or session.environment is not None:
        return
    if rule is LastDeployed.adopt_if_reachable:
        try:
            session.client  # noqa: B018 (loads the kubeconfig)
        except HelmdeckError:
            return
    adopt_deployed_environment(session)
