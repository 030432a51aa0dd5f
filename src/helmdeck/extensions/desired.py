"""An extension install as a desired component: the extension chart rendered with the platform's
shared values and the install's parameters, into the extensions namespace; its release carries
the extension label."""

from __future__ import annotations

from dataclasses import dataclass

from helmdeck.core.session import DesiredComponent, PlatformSession, config_digest
from helmdeck.engine.render import render
from helmdeck.extensions.install_values import extension_values
from helmdeck.extensions.planning import InstallStep
from helmdeck.extensions.shared_values import shared_values
from helmdeck.labels import EXTENSION_LABEL


@dataclass
class DesiredExtension(DesiredComponent):
    """A component desired from an extension chart; its release also carries the extension label."""

    extension: str = ""

    def labels(self, platform_id: str, environment: str | None) -> dict[str, str]:
        return {**super().labels(platform_id, environment), EXTENSION_LABEL: self.extension}


def desired_extension(session: PlatformSession, step: InstallStep, namespace: str, timeout: float) -> DesiredExtension:
    """The desired component of one install step, rendered (template errors surface here)."""
    ext = step.extension
    s = session
    shared = shared_values(s.platform, s.environment, ext.chart.values_schema)
    values = extension_values(ext, shared, step.parameters)
    rendered = render(ext.chart, values, step.component, namespace, component=step.component)
    return DesiredExtension(
        name=step.component,
        release=step.component,
        namespace=namespace,
        chart=ext.chart,
        values=values,
        rendered=rendered,
        digest=config_digest(ext.chart, values),
        timeout=timeout,
        extension=ext.name,
    )
