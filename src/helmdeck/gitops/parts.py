"""A component's values for a GitOps tool: the layers above the chart's defaults, in order, split
into plain values (safe to commit) and references to where secret values live.

Order matters: Flux merges ``valuesFrom`` entries in the order given, so keeping every layer in
helmdeck's order keeps its precedence (a secret file above the environment, ``--set`` above all).
Secret values are never read here: helmdeck's secrets are named, and a values file that holds
secrets (marked with ``--secret``, named like one, or ignored by git, as for bundles) is named
by its path only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helmdeck.bundle.secret_files import secret_reason
from helmdeck.secrets.store import placeholder_secrets
from helmdeck.spec.platform import Platform
from helmdeck.spec.yaml_document import display_path
from helmdeck.values.layers import compute_values
from helmdeck.values.merge import merge_maps

if TYPE_CHECKING:
    from helmdeck.values.set_expressions import SetFlag


@dataclass
class PlainValues:
    """Non-secret values of consecutive layers, merged as Helm merges user values."""

    data: dict[str, Any]
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SecretValue:
    """One of the platform's declared secrets, injected at ``path`` of the component's values."""

    secret: str
    path: str


@dataclass
class SecretFile:
    """A values file holding secrets. ``sections`` is empty for a plain chart values file, else the
    sections of an umbrella file (``global``, the component) that apply."""

    path: Path
    shown: str
    reason: str
    sections: list[str] = field(default_factory=list)


Part = PlainValues | SecretValue | SecretFile


def _stub_secret_files(
    platform: Platform,
    component: str,
    env: str | None,
    cli_files: Sequence[Path],
    secret_files: Sequence[Path],
    workdir: Path,
) -> tuple[Platform, list[Path], dict[str, tuple[Path, str]]]:
    """A copy of the platform (and ``cli_files``) with every secret values file replaced by an empty
    stand-in, so the export never reads one (it need not even exist where the export runs); and
    the stand-ins' display names -> (the real file, why it is secret)."""
    platform = platform.model_copy(deep=True)
    stubs: dict[str, tuple[Path, str]] = {}

    def swap(paths: list[Path], umbrella: bool) -> list[Path]:
        out = []
        for path in paths:
            reason = secret_reason(path, secret_files)
            if reason is None:
                out.append(path)
                continue
            stub = workdir / f"{len(stubs)}-{path.name}"
            # an umbrella file's sections must exist for their layers to keep their place
            stub.write_text(f"global: {{}}\n{component}: {{}}\n" if umbrella else "{}\n")
            stubs[display_path(stub)] = (path, reason)
            out.append(stub)
        return out

    comp = platform.component(component)
    comp.values = swap(comp.values, False)
    if env is not None:
        environment = platform.environment(env)
        environment.values = swap(environment.values, True)
        comp_env = comp.environments.get(env)
        if comp_env is not None:
            comp_env.values = swap(comp_env.values, False)
    return platform, swap([Path(p) for p in cli_files], True), stubs


def value_parts(
    platform: Platform,
    component: str,
    env: str | None,
    *,
    cli_files: Sequence[Path] = (),
    cli_sets: Sequence[str | SetFlag] = (),
    secret_files: Sequence[Path] = (),
) -> list[Part]:
    """The component's values above the chart defaults as ordered parts; empty plain parts dropped."""
    with tempfile.TemporaryDirectory(prefix="helmdeck-export-") as tmp:
        stubbed, files, stubs = _stub_secret_files(platform, component, env, cli_files, secret_files, Path(tmp))
        # placeholders only fill the secret layers, which become references: no value is read
        layered = compute_values(
            stubbed,
            component,
            env,
            cli_files=files,
            cli_sets=cli_sets,
            secret_values=placeholder_secrets(platform),
            umbrella=True,
        )
    targets = iter(platform.secret_targets(component))
    parts: list[Part] = []
    for layer in layered.layers[1:]:  # the chart's own defaults stay in the chart
        if layer.kind == "secret":
            secret, path = next(targets)
            parts.append(SecretValue(secret, path))
            continue
        found = stubs.get(layer.file) if layer.file else None
        if found is not None:
            real, reason = found
            section = _section(layer.kind, layer.data, component)
            last = parts[-1] if parts else None
            if isinstance(last, SecretFile) and last.path == real:
                last.sections += [s for s in section if s not in last.sections]
            else:
                parts.append(SecretFile(real, display_path(real), reason, section))
            continue
        if not layer.data:
            continue
        last = parts[-1] if parts else None
        if isinstance(last, PlainValues):
            last.data = merge_maps(last.data, layer.data)
            last.sources.append(layer.source)
        else:
            parts.append(PlainValues(dict(layer.data), [layer.source]))
    return parts


def _section(kind: str, data: dict[str, Any], component: str) -> list[str]:
    if kind == "file":  # --values files are umbrella files filtered to global and the component
        return ["global", component]
    if kind != "environment":
        return []
    return ["global"] if set(data) == {"global"} else [component]
