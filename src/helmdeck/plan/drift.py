"""Drift: live objects that no longer match what their release installed (``kubectl edit``,
``kubectl scale``, a deleted ConfigMap). A release whose config digest matches is otherwise
"unchanged", and would never be repaired.

The verdict is the API server's: each object of the release's stored manifest is applied as a
server-side dry run over the live object (:mod:`helmdeck.cluster.dry_run`), which answers what
the object would be once the manifest is applied again, in the form the server stores it
(defaults filled in, empty fields dropped, ``stringData`` folded into ``data``, quantities
canonical). Drift is whatever differs between that answer and the live object: only fields the
manifest sets can differ, so defaults, status and what other tools add are never drift.

Live objects are read with one list per (kind, namespace). A field-by-field look at the manifest
against the live object picks the objects that may have drifted; only those are asked about, so a
platform without drift costs its lists alone. The look errs towards asking: any field the manifest
sets that the live object holds differently, or lacks unless the manifest's value is the zero value
the API leaves out (``false``, ``0``, ``""``, ``{}``, ``[]``: Kubernetes' ``omitempty``, where
absent and zero mean the same). An object the server cannot answer for keeps that look's
findings. Secret values are never shown, only which keys differ.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from helmdeck.cluster import ListQuery, ObjRef, dry_run_objects, kind_info, list_each
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import latest_releases, manifest_objects
from helmdeck.errors import HelmdeckError
from helmdeck.secrets.redact import known_redactor
from helmdeck.wording import counted

_SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip
MAX_SHOWN = 10  # differences listed per object
_ZERO: tuple[Any, ...] = (False, 0, "", {}, [])


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
        parts = [f"{counted(edited, 'object')} edited"] if edited else []
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


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _value_changed(path: str, live: Any, release: Any, *, secret: bool) -> str:
    """The drift line for one value; a Secret's values are never shown."""
    return f"{path}: changed" if secret else f"{path}: {_show(live)} (the release has {_show(release)})"


def _list_drift(
    release: list[Any], live: list[Any], path: str, out: list[str], each: Callable[[Any, Any, str], None]
) -> None:
    """Two lists: another length is one line, else ``each(release's entry, live entry, path)`` in turn."""
    if len(live) != len(release):
        out.append(f"{path}: {counted(live, 'entry')} (the release has {len(release)})")
        return
    for i, (ours, theirs) in enumerate(zip(release, live, strict=True)):
        each(ours, theirs, f"{path}[{i}]")


def compare(want: Any, have: Any, path: str, out: list[str], *, secret: bool = False) -> None:
    """Differences on the fields ``want`` sets, as ``path: live (the release has X)`` lines: the
    look that picks which objects to ask the API server about (it cannot know the defaults)."""
    if len(out) > MAX_SHOWN:
        return
    if isinstance(want, Mapping):
        have_map = have if isinstance(have, Mapping) else {}
        if not isinstance(have, Mapping) and have is not None and want:
            out.append(f"{path or '.'}: not a mapping any more")
            return
        for key, value in want.items():
            sub = f"{path}.{key}" if path else str(key)
            if value is None:
                continue  # a null in a chart sets nothing
            if key not in have_map:
                if not isinstance(value, bool | int | float | str | dict | list) or value in _ZERO:
                    continue  # the API's omitempty: a zero value is not stored, and absent means the same
                out.append(f"{sub}: removed")
                continue
            compare(value, have_map[key], sub, out, secret=secret)
        return
    if isinstance(want, list):
        have_list = have if isinstance(have, list) else []
        _list_drift(want, have_list, path, out, lambda a, b, at: compare(a, b, at, out, secret=secret))
        return
    if not _same_scalar(want, have):
        out.append(_value_changed(path, have, want, secret=secret))


def _object_drift(ref: ObjRef, want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    secret = ref.kind == "Secret" and ref.group == ""
    body = dict(want)
    if secret and isinstance(body.get("stringData"), Mapping):
        # stringData is write-only: the server folds it into data
        data = dict(body.get("data") or {})
        for key, value in body.pop("stringData").items():
            data[key] = base64.b64encode(("" if value is None else str(value)).encode()).decode()
        body["data"] = data
    for top in ("apiVersion", "kind", "status"):
        body.pop(top, None)
    meta = dict(body.pop("metadata", {}) or {})
    compare({k: meta.get(k) for k in ("labels", "annotations")}, have.get("metadata") or {}, "metadata", out)
    compare(body, have, "", out, secret=secret)
    return out


#: what the API server changes on every write, or keeps for itself: never drift
_NOISE_METADATA = frozenset({"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"})


def _stored_form(obj: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in obj.items() if k not in ("status", "apiVersion", "kind")}
    meta = body.get("metadata")
    if isinstance(meta, Mapping):
        body["metadata"] = {k: v for k, v in meta.items() if k not in _NOISE_METADATA}
    return body


def differences(live: Any, stored: Any, path: str, out: list[str], *, secret: bool = False) -> None:
    """Every field where the live object differs from the API server's dry run of the manifest,
    as ``path: live (the release has X)`` lines (``changed`` for a Secret's values)."""
    if len(out) > MAX_SHOWN:
        return
    if isinstance(live, Mapping) and isinstance(stored, Mapping):
        for key in [*stored, *(k for k in live if k not in stored)]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in live:
                out.append(f"{sub}: removed")
            elif key not in stored:
                out.append(f"{sub}: {'set' if secret else _show(live[key])} (the release has none)")
            else:
                differences(live[key], stored[key], sub, out, secret=secret)
        return
    if isinstance(live, list) and isinstance(stored, list):
        _list_drift(stored, live, path, out, lambda a, b, at: differences(b, a, at, out, secret=secret))
        return
    if live != stored:
        out.append(_value_changed(path, live, stored, secret=secret))


def _verdict(ref: ObjRef, live: Mapping[str, Any], stored: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    differences(_stored_form(live), _stored_form(stored), "", out, secret=ref.kind == "Secret" and ref.group == "")
    return out


def _removed_by_design(ref: ObjRef, body: Mapping[str, Any]) -> bool:
    """A Job with ttlSecondsAfterFinished is deleted by Kubernetes itself once it finished."""
    spec = body.get("spec")
    return ref.kind == "Job" and isinstance(spec, Mapping) and spec.get("ttlSecondsAfterFinished") is not None


@dataclass
class _Suspect:
    component: str
    ref: ObjRef
    body: Mapping[str, Any]
    live: Mapping[str, Any]
    look: list[str]  # what the look at the manifest found, kept if the server cannot answer


def platform_drift(session: PlatformSession, components: Sequence[str]) -> dict[str, ComponentDrift]:
    """Drift of the named components' deployed releases, by component (drift-free ones left out)."""
    client = session.client
    releases = latest_releases(session, session.platform.all_namespaces())
    wanted: dict[tuple[str, str, str | None], list[tuple[str, ObjRef, Mapping[str, Any]]]] = {}
    for name in components:
        stored = releases.get(name)
        if stored is None or stored.status != "deployed":
            continue
        for obj in manifest_objects(stored, name):
            ref = ObjRef.from_manifest(obj.body, stored.namespace)
            try:
                info = kind_info(client, ref.api_version, ref.kind)
            except HelmdeckError:
                continue  # the kind cannot be asked about: not drift to judge here
            if info is None:
                continue  # a kind the cluster does not serve: not drift to judge here
            if not info.namespaced:
                ref = ref.cluster_scoped()  # a PriorityClass is nobody's namespace's
            wanted.setdefault((ref.api_version, ref.kind, ref.namespace), []).append((name, ref, obj.body))
    found: dict[str, list[ObjectDrift]] = {}
    suspects: list[_Suspect] = []
    kinds = sorted(wanted.items(), key=lambda kv: str(kv[0]))
    # listed together (in parallel where the client allows): one list per kind and namespace
    listed = list_each(client, [ListQuery(api_version, kind, namespace) for (api_version, kind, namespace), _ in kinds])
    for (_, items), objects in zip(kinds, listed, strict=True):
        if isinstance(objects, HelmdeckError):
            continue  # may not be listed: not drift to judge here
        live = {str(o["metadata"]["name"]): o for o in objects}
        for name, ref, body in items:
            have = live.get(ref.name)
            if have is None:
                if not _removed_by_design(ref, body):
                    found.setdefault(name, []).append(ObjectDrift(ref, missing=True))
                continue
            look = _object_drift(ref, body, have)
            if look:
                suspects.append(_Suspect(name, ref, body, have, look))
    answers = dry_run_objects(client, [(s.body, s.ref.namespace) for s in suspects])
    for suspect, answer in zip(suspects, answers, strict=True):
        fields = suspect.look if answer.stored is None else _verdict(suspect.ref, suspect.live, answer.stored)
        if fields:
            found.setdefault(suspect.component, []).append(ObjectDrift(suspect.ref, fields=fields[:MAX_SHOWN]))
    out: dict[str, ComponentDrift] = {}
    for name in components:
        if name in found:
            out[name] = ComponentDrift(name, sorted(found[name], key=lambda o: (o.ref.kind, str(o.ref))))
    return out
