"""One operation's view of a platform: the loaded file, the cluster, and each component's desired
release (chart, values, rendered manifests), shared by plan, deploy, status, rollback and undeploy.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helmdeck.cluster import KubeClient, make_client
from helmdeck.cluster.client import resolve_kubeconfig
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.labels import COMPONENT_LABEL, DIGEST_LABEL, ENV_LABEL, PLATFORM_LABEL
from helmdeck.spec import Platform, load_platform
from helmdeck.spec.names import INSTANCE

#: components rendered at once (a render worker each): more would hold more workers' memory for
#: little, the work left on helmdeck's side being Python's, one thread at a time
RENDER_THREADS = 2

if TYPE_CHECKING:
    # the Helm engine, the health gate, the secret store and the values layers load when first
    # used: `status` and `history` need none of them, and they cost a third of such a command's run
    from helmdeck.cluster.health_rules import HealthRules
    from helmdeck.cluster.watch import HealthGate
    from helmdeck.engine import LoadedChart, RenderedRelease
    from helmdeck.engine.port import HelmEngine
    from helmdeck.engine.releases import Release
    from helmdeck.values.layers import LayeredValues
    from helmdeck.values.set_expressions import SetFlag


@dataclass
class DesiredComponent:
    """What a component should be: the release helmdeck would install or upgrade to."""

    name: str
    release: str
    namespace: str
    chart: LoadedChart
    values: dict[str, Any] = field(repr=False)
    rendered: RenderedRelease = field(repr=False)
    digest: str
    values_files: tuple[str, ...] = ()
    timeout: float = 300.0
    #: how the values came about (which file and line set each key), for errors that name a value
    layered: LayeredValues | None = field(default=None, repr=False, compare=False)

    def labels(self, platform_id: str, environment: str | None) -> dict[str, str]:
        labels = {PLATFORM_LABEL: platform_id, COMPONENT_LABEL: self.name, DIGEST_LABEL: self.digest}
        if environment:
            labels[ENV_LABEL] = environment
        return labels


def config_digest(chart: LoadedChart, values: dict[str, Any]) -> str:
    """Changes exactly when the chart's content or the values given to it change."""
    blob = json.dumps({"chart": chart.digest, "values": values}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


def render_component(
    platform: Platform,
    name: str,
    environment: str | None,
    secrets: dict[str, str],
    cli_files: Sequence[Path] = (),
    cli_sets: Sequence[str | SetFlag] = (),
) -> DesiredComponent:
    """Component ``name`` rendered as it would be installed, asking no cluster: what a session
    renders, and what listing a bundle's images renders for each environment."""
    from helmdeck.engine import load_chart
    from helmdeck.engine.render import render
    from helmdeck.values import compute_values

    component = platform.component(name)
    source = component.chart if isinstance(component.chart, str) else component.chart.model_dump()
    chart = load_chart(source, base_dir=platform.base_dir)
    layered = compute_values(
        platform,
        name,
        environment,
        chart_defaults=chart.default_values,
        cli_files=cli_files,
        cli_sets=cli_sets,
        secret_values=secrets,
        umbrella=True,
    )
    release = platform.release_name(component)
    namespace = platform.namespace_of(component)
    files = tuple(layer.file for layer in layered.layers if layer.file)
    rendered = render(chart, layered.user_values, release, namespace, component=name, values_files=files)
    return DesiredComponent(
        name=name,
        release=release,
        namespace=namespace,
        chart=chart,
        values=layered.user_values,
        rendered=rendered,
        digest=config_digest(chart, layered.user_values),
        values_files=files,
        timeout=component.health.timeout_seconds,
        layered=layered,
    )


def with_instance(platform: Platform, instance: str) -> Platform:
    """The platform as another instance (``--instance``): its namespaces, data directories, locks and
    records all carry the new prefix."""
    if instance and not INSTANCE.matches(instance):
        raise ConfigError(
            f"invalid instance name {instance!r}",
            fix=f"use {INSTANCE.description}, at most {INSTANCE.max_length} characters",
        )
    platform.spec.instance = instance
    return platform


class PlatformSession:
    """The platform file plus a cluster connection; everything is computed on first use."""

    def __init__(
        self,
        platform_file: str | Path = "platform.yaml",
        *,
        environment: str | None = None,
        kubeconfig: str | None = None,
        context: str | None = None,
        cli_files: Sequence[Path] = (),
        cli_sets: Sequence[str | SetFlag] = (),
        platform: Platform | None = None,
        instance: str | None = None,
        client: KubeClient | None = None,
        engine: HelmEngine | None = None,
        health_gate: HealthGate | None = None,
    ) -> None:
        """``client``, ``engine`` and ``health_gate`` replace the ones made from the kubeconfig
        (tests pass in-memory fakes)."""
        self.platform = platform or load_platform(platform_file)
        if instance is not None:
            self.platform = with_instance(self.platform, instance)
        if environment is not None:
            self.platform.environment(environment)  # unknown names fail here, listing the known ones
        self.environment = environment
        #: the environment was not given but taken from the platform's last deploy
        self.environment_from_last_deploy = False
        self._kubeconfig = kubeconfig
        self.context = context
        self.cli_files = tuple(cli_files)
        self.cli_sets = tuple(cli_sets)
        # before anything touches the cluster: a typo in a --set is no reason to connect
        if self.cli_sets or self.cli_files:
            from helmdeck.values.layers import check_umbrella_input

            check_umbrella_input(self.platform, self.cli_sets, self.cli_files)
        self._secrets: dict[str, str] | None = None
        #: renders kept while :meth:`renders_remembered` is in effect, by component
        self._renders: dict[str, tuple[str | None, dict[str, str], DesiredComponent]] | None = None
        #: when each component was last rendered (monotonic start, end), for the deploy timeline
        self.render_times: dict[str, tuple[float, float]] = {}
        if client is not None:
            self.client = client
        if engine is not None:
            self.engine = engine
        self._health_gate = health_gate

    def use_last_deployed(self, environment: str) -> None:
        """Take the environment the platform was last deployed with, no -e having been given: a plan
        without one would otherwise diff the running platform back to its base values."""
        self.platform.environment(environment)
        self.environment = environment
        self.environment_from_last_deploy = True

    # -- identity -------------------------------------------------------------------------------
    @property
    def platform_id(self) -> str:
        """Names this platform instance in release labels, locks and records."""
        return self.platform.prefixed(self.platform.name)

    @property
    def admin_namespace(self) -> str:
        return self.platform.admin_namespace

    # -- cluster ----------------------------------------------------------------------------------
    @cached_property
    def kubeconfig(self) -> str | None:
        """The kubeconfig file in use; None with in-cluster credentials."""
        path = resolve_kubeconfig(self._kubeconfig)
        return str(path) if path is not None else None

    @cached_property
    def client(self) -> KubeClient:
        return make_client(self.kubeconfig, self.context)

    @property
    def wait_healthy(self) -> HealthGate:
        """Blocks until a component's objects are healthy or failed: the cluster's watch-based gate."""
        if self._health_gate is None:
            from helmdeck.cluster.watch import wait_healthy

            self._health_gate = wait_healthy
        return self._health_gate

    @property
    def health_rules(self) -> HealthRules | None:
        """The platform file's health rules per kind (``healthCheckExprs``), compiled; None without."""
        from helmdeck.cluster.health_rules import platform_rules

        return platform_rules(self.platform.spec.health_check_exprs)

    @cached_property
    def engine(self) -> HelmEngine:
        from helmdeck.engine import engine_for

        return engine_for(self.kubeconfig, self.admin_namespace, kube_context=self.context)

    # -- secrets ----------------------------------------------------------------------------------
    def secrets(self, *, create: bool) -> dict[str, str]:
        """Secret values: generated and stored on first use when ``create``, else what is stored
        (placeholders standing in for any not generated yet)."""
        if self._secrets is None or (create and self._secrets_are_placeholders):
            from helmdeck.secrets.kube_store import KubeSecretStore
            from helmdeck.secrets.store import placeholder_secrets

            store = KubeSecretStore(self.platform, self.client)
            if create:
                self._secrets = store.ensure()
                self._secrets_are_placeholders = False
            else:
                stored = store.stored()
                missing = {k: v for k, v in placeholder_secrets(self.platform).items() if k not in stored}
                self._secrets = {**missing, **stored}
                self._secrets_are_placeholders = bool(missing)
        return self._secrets

    _secrets_are_placeholders = False

    def stored_secret_names(self) -> frozenset[str] | None:
        """Names of the secrets earlier deploys stored, or None when the store cannot be read."""
        from helmdeck.secrets.kube_store import KubeSecretStore

        try:
            return frozenset(KubeSecretStore(self.platform, self.client).stored())
        except HelmdeckError:
            return None

    def refuse_unavailable_secrets(self) -> None:
        """Stop before anything is written when an external secret has no value (its file missing,
        its variable unset, nothing stored): the deploy would fail only after making namespaces.

        Raises:
            ConfigError: naming every such secret, its file (or variable) and its key.
        """
        from helmdeck.secrets.sources import unavailable_external

        if not any(d.generate is None for d in self.platform.spec.secrets.values()):
            return
        problems = unavailable_external(self.platform, self.stored_secret_names())
        if problems:
            first = problems[0][1]
            raise ConfigError(
                "; ".join(p.message for _, p in problems),
                where=first.where,
                fix=first.fix if len(problems) == 1 else "; ".join(p.fix or "" for _, p in problems),
            )

    # -- desired state ----------------------------------------------------------------------------
    def desired(
        self,
        names: Iterable[str] | None = None,
        *,
        create_secrets: bool = False,
        secrets: dict[str, str] | None = None,
    ) -> dict[str, DesiredComponent]:
        """Each component rendered as it would be installed. ``secrets`` given: no cluster is asked."""
        if secrets is None:
            secrets = self.secrets(create=create_secrets) if self.platform.spec.secrets else {}
        wanted = list(names) if names is not None else self.platform.component_names
        out: dict[str, DesiredComponent] = {}
        for name, desired in self.desired_each(wanted, secrets).items():
            if isinstance(desired, HelmdeckError):
                raise desired
            out[name] = desired
        return out

    def desired_each(
        self, names: Sequence[str], secrets: dict[str, str]
    ) -> dict[str, DesiredComponent | HelmdeckError]:
        """Each component rendered, or the error that stopped it, in the order of ``names``. Two
        at a time: while one thread waits for its render worker or loads a chart in Go, the other
        runs (one at a time, 1000 components took 16 s before a deploy could write anything)."""

        def one(name: str) -> DesiredComponent | HelmdeckError:
            try:
                return self.desired_one(name, secrets)
            except HelmdeckError as err:
                return err

        if len(names) < 2:
            return {name: one(name) for name in names}
        with ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix="helmdeck-render") as pool:
            return dict(zip(names, pool.map(one, names), strict=True))

    @contextmanager
    def renders_remembered(self) -> Iterator[None]:
        """Within the block, a component rendered again with the same environment and secrets is
        taken from the first rendering: a deploy's preflight and the deploy itself then render
        each chart once (rendering twice cost about 1-2 s of a 200-component deploy). Only for one
        operation: a long-lived session must see values files changed on disk."""
        self._renders = {}
        try:
            yield
        finally:
            self._renders = None

    def desired_one(self, name: str, secrets: dict[str, str]) -> DesiredComponent:
        renders = self._renders
        if renders is None:
            return self._render_one(name, secrets)
        # only the secrets injected into this component change its rendering (a first deploy's
        # preflight has placeholders for secrets not generated yet)
        own = {secret: secrets.get(secret, "") for secret, _ in self.platform.secret_targets(name)}
        kept = renders.get(name)
        if kept is not None and kept[0] == self.environment and kept[1] == own:
            return kept[2]
        desired = self._render_one(name, secrets)
        renders[name] = (self.environment, own, desired)
        return desired

    def _render_one(self, name: str, secrets: dict[str, str]) -> DesiredComponent:
        start = time.monotonic()
        desired = self._render_uncounted(name, secrets)
        self.render_times[name] = (start, time.monotonic())
        return desired

    def _render_uncounted(self, name: str, secrets: dict[str, str]) -> DesiredComponent:
        return render_component(self.platform, name, self.environment, secrets, self.cli_files, self.cli_sets)

    # -- live state -------------------------------------------------------------------------------
    def live_releases(self) -> dict[str, Release]:
        """This platform's releases in the cluster, by component name (any status): each one's newest
        revision, read from Helm's release Secrets (:mod:`helmdeck.core.release_listing`)."""
        from helmdeck.core.release_listing import platform_releases

        releases = platform_releases(self.client, self.platform_id)
        out: dict[str, Release] = {}
        for rel in releases:
            name = rel.labels.get(COMPONENT_LABEL, rel.name)
            out[name] = rel
        return out
