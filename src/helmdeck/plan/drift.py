"""Drift: live objects that no longer match what their release installed (``kubectl edit``,
``kubectl scale``, a deleted ConfigMap). A release whose config digest matches is otherwise
"unchanged", and would never be repaired.

Each object of a release's stored manifest is compared with the live object on the fields the
manifest sets, and only those: defaults the API server fills in, status, and annotations other
tools add are not drift. Live objects are read with one list per (kind, namespace), not one
request per object. Secret values are never shown, only which keys differ.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from helmdeck.cluster import ObjRef, list_objects
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import latest_releases
from helmdeck.errors import HelmdeckError
from helmdeck.manifests import parse_manifest_stream
from helmdeck.secrets.redact import known_redactor

_SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip
MAX_SHOWN = 10  # differences listed per object


@dataclass
class ObjectDrift:
    ref: ObjRef
    missing: bool = False
    fields: list[str] = field(default_factory=list)  # "spec.replicas: 5 (the release has 2)"

    def lines(self) -> list[str]:
        if self.missing:
            return [f"{self.ref}: deleted outside helmdeck"]
        return [f"{self.ref}: {f}" for f in self.fields]


@dataclass
class ComponentDrift:
    component: str
    objects: list[ObjectDrift] = field(default_factory=list)

    def summary(self) -> str:
        edited = sum(1 for o in self.objects if not o.missing)
        deleted = sum(1 for o in self.objects if o.missing)
        parts = [f"{edited} object{'s' if edited != 1 else ''} edited"] if edited else []
        parts += [f"{deleted} deleted"] if deleted else []
        return "live objects drifted from the release: " + ", ".join(parts) + " outside helmdeck"

    def lines(self) -> list[str]:
        redact = known_redactor()
        return [redact.text(line) for o in self.objects for line in o.lines()]


def _quantity(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            number, scale = text[: -len(suffix)], _SUFFIXES[suffix]
            break
    else:
        number, scale = text, Decimal(1)
    try:
        return Decimal(number) * scale
    except InvalidOperation:
        return None


def _same_scalar(want: Any, have: Any) -> bool:
    if want == have:
        return True
    if isinstance(want, bool) or isinstance(have, bool):
        return str(want).lower() == str(have).lower()
    a, b = _quantity(want), _quantity(have)
    return a is not None and a == b


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == [] or value == ""


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def compare(want: Any, have: Any, path: str, out: list[str], *, secret: bool = False) -> None:
    """Differences on the fields ``want`` sets, as ``path: live (the release has X)`` lines."""
    if len(out) > MAX_SHOWN:
        return
    if isinstance(want, Mapping):
        have_map = have if isinstance(have, Mapping) else {}
        if not isinstance(have, Mapping) and not _empty(have) and want:
            out.append(f"{path or '.'}: not a mapping any more")
            return
        for key, value in want.items():
            sub = f"{path}.{key}" if path else str(key)
            if _empty(value):
                continue  # an empty field in a chart means "nothing", whatever the defaults fill in
            if key not in have_map:
                out.append(f"{sub}: removed")
                continue
            compare(value, have_map[key], sub, out, secret=secret)
        return
    if isinstance(want, list):
        have_list = have if isinstance(have, list) else []
        if len(have_list) != len(want):
            out.append(f"{path}: {len(have_list)} entries (the release has {len(want)})")
            return
        for i, (a, b) in enumerate(zip(want, have_list, strict=True)):
            compare(a, b, f"{path}[{i}]", out, secret=secret)
        return
    if not _same_scalar(want, have):
        if secret:
            out.append(f"{path}: changed")
        else:
            out.append(f"{path}: {_show(have)} (the release has {_show(want)})")


def _object_drift(ref: ObjRef, want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    secret = ref.kind == "Secret" and ref.group == ""
    body = dict(want)
    if secret and isinstance(body.get("stringData"), Mapping):
        # stringData is write-only: the server folds it into data
        data = dict(body.get("data") or {})
        for key, value in body.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        body["data"] = data
    for top in ("apiVersion", "kind", "status"):
        body.pop(top, None)
    meta = dict(body.pop("metadata", {}) or {})
    compare({k: meta.get(k) for k in ("labels", "annotations")}, have.get("metadata") or {}, "metadata", out)
    compare(body, have, "", out, secret=secret)
    return out


def _removed_by_design(ref: ObjRef, body: Mapping[str, Any]) -> bool:
    """A Job with ttlSecondsAfterFinished is deleted by Kubernetes itself once it finished."""
    spec = body.get("spec")
    return ref.kind == "Job" and isinstance(spec, Mapping) and spec.get("ttlSecondsAfterFinished") is not None


def platform_drift(session: PlatformSession, components: Sequence[str]) -> dict[str, ComponentDrift]:
    """Drift of the named components' deployed releases, by component (drift-free ones left out)."""
    releases = latest_releases(session, session.platform.all_namespaces())
    wanted: dict[tuple[str, str, str | None], list[tuple[str, ObjRef, Mapping[str, Any]]]] = {}
    for name in components:
        stored = releases.get(name)
        if stored is None or stored.status != "deployed":
            continue
        for obj in parse_manifest_stream(stored.manifest, component=name):
            ref = ObjRef.from_manifest(obj.body, stored.namespace)
            wanted.setdefault((ref.api_version, ref.kind, ref.namespace), []).append((name, ref, obj.body))
    out: dict[str, ComponentDrift] = {}
    for (api_version, kind, namespace), items in sorted(wanted.items(), key=lambda kv: str(kv[0])):
        live = _live(session, api_version, kind, namespace, items)
        if live is None:
            continue  # a kind the cluster does not serve (or may not be listed): not drift to judge here
        for name, ref, body in items:
            have = live.get(ref.name)
            entry: ObjectDrift | None = None
            if have is None and _removed_by_design(ref, body):
                continue
            if have is None:
                entry = ObjectDrift(ref, missing=True)
            else:
                fields = _object_drift(ref, body, have)
                if fields:
                    entry = ObjectDrift(ref, fields=fields[:MAX_SHOWN])
            if entry is not None:
                out.setdefault(name, ComponentDrift(name)).objects.append(entry)
    return out


def _live(
    session: PlatformSession,
    api_version: str,
    kind: str,
    namespace: str | None,
    items: Iterable[tuple[str, ObjRef, Mapping[str, Any]]],
) -> dict[str, Mapping[str, Any]] | None:
    try:
        objects = list_objects(session.client, api_version, kind, namespace=namespace)
    except HelmdeckError:
        return None
    by_name: dict[str, Mapping[str, Any]] = {str(o["metadata"]["name"]): o for o in objects}
    if not by_name and namespace is not None:
        # a cluster-scoped kind listed with a namespace finds nothing: list it cluster-wide
        try:
            by_name = {str(o["metadata"]["name"]): o for o in list_objects(session.client, api_version, kind)}
        except HelmdeckError:
            return None
    return by_name
