"""Secrets changed since a platform revision (``secrets rotate``, or a new file or variable): a
rollback to it hands the components the value their release revisions were made with, the old
password, while the secrets store keeps the new one. Rollback and its dry run say so, naming the
secret and the components."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from helmdeck.core.session import PlatformSession
from helmdeck.errors import HelmdeckError
from helmdeck.revisions.store import PlatformRevision
from helmdeck.secrets.kube_store import KubeSecretStore
from helmdeck.serialize import JsonObject, json_field
from helmdeck.values.paths import lookup, split_key


@dataclass(frozen=True)
class RestoredSecret(JsonObject):
    secret: str
    rotated: str | None
    components: tuple[str, ...]
    target: int = field(metadata=json_field(exclude=True))

    __json_computed__ = ("message",)

    def message(self) -> str:
        when = f"was rotated at {self.rotated}" if self.rotated else "has changed"
        return (
            f"secret {self.secret} {when}, after platform revision {self.target}: the rollback gives "
            f"{', '.join(self.components)} its old value again, while the secrets store keeps the new one "
            "(a deploy afterwards hands them the new value; `helmdeck secrets rotate` makes another)"
        )


def secrets_restored(
    session: PlatformSession, target: PlatformRevision, rolled_back: Iterable[str]
) -> list[RestoredSecret]:
    """Each secret whose value in a ``rolled_back`` component's target release revision differs from
    the value stored now: the values Helm kept are compared, not clocks, so a rotation in the same
    second as a deploy is told apart. Values are compared only, never shown."""
    platform = session.platform
    wanted = [c for c in rolled_back if c in platform.component_names and c in target.components]
    if not wanted or not platform.spec.secrets:
        return []
    store = KubeSecretStore(platform, session.client)
    try:
        current = store.stored()
        rotated = {info.name: info.rotated for info in store.list()}
    except HelmdeckError:
        return []
    changed: dict[str, list[str]] = {}
    for component in wanted:
        targets = [(s, p) for s, p in platform.secret_targets(component) if s in current]
        if not targets:
            continue
        want = target.components[component]
        try:
            old = session.engine.get_values(want.release, namespace=want.namespace, revision=want.revision)
        except HelmdeckError:
            continue
        for secret, path in targets:
            found, value = lookup(old, split_key(path))
            if found and value != current[secret] and component not in changed.setdefault(secret, []):
                changed[secret].append(component)
    out = []
    for secret, components in changed.items():
        when = rotated.get(secret)
        out.append(RestoredSecret(secret, when.isoformat() if when else None, tuple(components), target.revision))
    return out
