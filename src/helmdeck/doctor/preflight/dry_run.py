"""Preflight by the API server itself: every object a deploy would write goes through a server-side
dry run first (:mod:`helmdeck.cluster.dry_run`), so what the install would be refused for
(a NodePort outside the cluster's range, a schema error, an immutable field changed, a quota
exceeded, an admission webhook's no) stops the deploy before anything is written, naming the
component, the object, the template and, when one value explains it, the values key and the file
and line that set it.

Components whose release carries the config digest of what would be installed have exactly these
objects live already and are not asked about again, so a deploy that changes little asks little.
Objects in namespaces the deploy has yet to create are checked as a dry-run creation in ``default``
for what does not depend on their namespace (field validation); they, and objects of kinds whose CRD
the deploy itself installs, are otherwise checked only at the install: that is said, once, as
information.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from helmdeck.cluster import DryRun, dry_run_objects
from helmdeck.core.session import DesiredComponent
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.labels import DIGEST_LABEL
from helmdeck.manifests import ManifestObject
from helmdeck.secrets.redact import known_redactor
from helmdeck.spec.value_paths import join_key
from helmdeck.wording import counted

CHECK = "dry-run"
_INVALID_VALUE = re.compile(r"Invalid value: (.+?): ")
_SHOWN = 5  # objects named per "cannot be checked" line
#: a namespace every cluster has, for what can be checked of objects whose namespace is not there yet
STAND_IN = "default"


def check_dry_run(run: PreflightRun, view: PlatformView) -> None:
    """Every object of every component that would change, dry-run by the API server."""
    assert run.client is not None
    client = run.client
    run.report.checks.append(CHECK)
    nothing: dict[str, Release] = {}
    live = run.fact("list the platform's releases", run.session.live_releases, nothing, "skipping unchanged components")
    applied: list[tuple[str, ManifestObject]] = []
    created: list[tuple[str, ManifestObject]] = []
    for name, component in view.components.items():
        desired = component.desired
        if desired is None or _unchanged(desired, live.get(name)):
            continue
        applied += [(name, obj) for obj in desired.rendered.manifests]
        created += [(name, obj) for obj in desired.rendered.hooks]
    namespace_of = {name: c.namespace for name, c in view.components.items()}
    # objects in namespaces the deploy creates are checked in `default` as far as their namespace
    # does not matter: a fresh platform is where a NodePort out of range is met first
    answers = [
        *dry_run_objects(client, [(obj.body, namespace_of[name]) for name, obj in applied], stand_in=STAND_IN),
        *dry_run_objects(
            client, [(obj.body, namespace_of[name]) for name, obj in created], create=True, stand_in=STAND_IN
        ),
    ]
    unchecked: dict[str, list[str]] = {}
    for (name, obj), answer in zip([*applied, *created], answers, strict=True):
        if answer.unchecked is not None:
            unchecked.setdefault(answer.unchecked, []).append(str(answer.ref))
        elif answer.error is not None:
            run.report.add(_refusal(name, obj, answer, view.components[name].desired))
    for why, refs in unchecked.items():
        listed = ", ".join(refs[:_SHOWN]) + (f" (+{len(refs) - _SHOWN} more)" if len(refs) > _SHOWN else "")
        run.report.add(
            Finding(
                "info",
                CHECK,
                None,
                None,
                f"{counted(refs, 'object')} cannot be fully checked by the API server "
                f"before the install ({why}): {listed}",
                "nothing to do: the API server checks them when the deploy creates them",
            )
        )


def _unchanged(desired: DesiredComponent, live: Release | None) -> bool:
    return (
        live is not None and live.status is ReleaseStatus.DEPLOYED and live.labels.get(DIGEST_LABEL) == desired.digest
    )


def _refusal(component: str, obj: ManifestObject, answer: DryRun, desired: DesiredComponent | None) -> Finding:
    assert answer.error is not None
    redact = known_redactor()
    message = answer.error.message.removeprefix(f"could not check {answer.ref} with the API server ")
    message = message.removeprefix("(server-side apply dry run): ")
    origin = value_origin(answer.causes, desired) if desired is not None else None
    fix = "fix the chart's template or the values that feed it"
    if origin is not None:
        key, location = origin
        message += f" (values key {key}, set in {location})"
        fix = f"change {key} in {location}"
    elif answer.error.fix:
        fix = answer.error.fix
    return Finding(
        "error",
        CHECK,
        component,
        str(answer.ref),
        "the API server refuses it: " + redact.text(message),
        fix,
        template=obj.source or None,
    )


def value_origin(causes: Iterable[tuple[str, str]], desired: DesiredComponent) -> tuple[str, str] | None:
    """The values key (and where it was set) whose value the API server names as invalid: the one
    whose name matches the refused field's best, among those holding that value."""
    layered = desired.layered
    if layered is None:
        return None
    for field_path, message in causes:
        found = _INVALID_VALUE.search(message)
        if found is None:
            continue
        value = found.group(1).strip('"')
        field_name = re.sub(r"\[\d+\]", "", field_path).rpartition(".")[2].lower()
        keys = [k for k, v in _leaves(layered.merged, ()) if str(v) == value]
        if not keys:
            continue
        keys.sort(key=lambda k: (k.rpartition(".")[2].lower() != field_name, len(k)))
        for key in keys:
            # the layer that set it last (maybe as part of a whole map it set)
            located = [p for p in layered.explain(key) if p.key == key or key.startswith(p.key + ".")]
            if located:
                return key, located[-1].location
    return None


def _leaves(node: Any, path: tuple[str, ...]) -> Iterable[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for k, v in node.items():
            yield from _leaves(v, (*path, str(k)))
    elif path and not isinstance(node, list):
        yield join_key(path), node
