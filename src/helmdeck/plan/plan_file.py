"""The saved plan (``plan --out FILE``): what a reviewed plan was made against, so ``deploy --plan
FILE`` can refuse when anything moved since.

The file is JSON (camelCase, one object). It never holds a value, secret or not: values, secrets and
drift are kept as HMAC-SHA256 digests keyed with a random salt of the file, so equal inputs still
compare equal while a file shared for review cannot be matched against guessed passwords from
precomputed tables or other plans. A checksum over the content catches a file edited after it was
written (a mistake, not an attacker: whoever can edit the file can recompute it).

Components are pinned by chart digest and merged values, not by rendered manifests: charts that draw
random names or passwords at every render would otherwise never match their own plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from helmdeck.errors import ConfigError

API_VERSION = "helmdeck.dev/v1"
KIND = "Plan"
_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "helmdeckVersion": str,
    "createdAt": str,
    "platform": str,
    "instance": str,
    "environment": (str, type(None)),
    "platformFile": dict,
    "cluster": dict,
    "salt": str,
    "secrets": dict,
    "releases": dict,
    "components": list,
    "checksum": str,
}
_FIX = "run `helmdeck plan --out FILE` again, review it, and deploy that plan"


def new_salt() -> str:
    return secrets.token_hex(16)


def keyed_digest(salt: str, value: Any) -> str:
    """A digest of ``value`` (any JSON data) that reveals nothing of it without the salt's help."""
    blob = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return "hmac-sha256:" + hmac.new(bytes.fromhex(salt), blob.encode(), hashlib.sha256).hexdigest()


def _checksum(doc: Mapping[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def seal(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its checksum set; the apiVersion and kind come first so the file says what it is."""
    out = {"apiVersion": API_VERSION, "kind": KIND, **{k: v for k, v in doc.items() if k != "checksum"}}
    out["checksum"] = _checksum(out)
    return out


def write_plan_file(path: Path, doc: dict[str, Any]) -> None:
    """Written whole or not at all (a reviewer never sees half a plan), readable by the owner only:
    digests of secrets are still no business of other users of the machine."""
    path = Path(path)
    text = json.dumps(seal(doc), indent=2) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:
        raise ConfigError(
            f"cannot write the plan file {path}: {err.strerror}", where=str(path), fix="pick a writable directory"
        ) from err
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_plan_file(path: Path) -> dict[str, Any]:
    """The saved plan, checked to be one helmdeck wrote and nobody edited since."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError(f"plan file {path} does not exist", where=str(path), fix=_FIX) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"plan file {path} cannot be read: {err}", where=str(path), fix=_FIX) from err
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path} is not a helmdeck plan file (not JSON: {err})", where=str(path), fix=_FIX) from err
    if not isinstance(doc, dict) or doc.get("kind") != KIND or doc.get("apiVersion") != API_VERSION:
        raise ConfigError(
            f"{path} is not a helmdeck plan file (expected apiVersion {API_VERSION}, kind {KIND})",
            where=str(path),
            fix=_FIX,
        )
    wrong = [k for k, t in _REQUIRED.items() if not isinstance(doc.get(k, ...), t)]
    wrong += _malformed(doc) if not wrong else []
    if wrong:
        raise ConfigError(
            f"plan file {path} is incomplete or damaged: {', '.join(wrong)} missing or of the wrong type",
            where=str(path),
            fix=_FIX,
        )
    if not hmac.compare_digest(str(doc["checksum"]), _checksum(doc)):
        raise ConfigError(
            f"plan file {path} was changed after helmdeck wrote it (its checksum does not match)",
            where=str(path),
            fix=_FIX,
        )
    return doc


def _malformed(doc: Mapping[str, Any]) -> list[str]:
    """Fields whose inner shape is wrong (a hand-edited file whose checksum was recomputed)."""
    out = []
    try:
        bytes.fromhex(doc["salt"])
    except ValueError:
        out.append("salt")
    for key in ("secrets", "releases"):
        if not all(isinstance(v, dict) for v in doc[key].values()):
            out.append(key)
    if not all(isinstance(c, dict) and isinstance(c.get("component"), str) for c in doc["components"]):
        out.append("components")
    return out


def _release(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return "absent"
    return f"revision {entry.get('revision')} ({entry.get('status')})"


def _chart(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return "none"
    return f"{entry.get('name')}-{entry.get('version')} ({str(entry.get('digest'))[:19]})"


def _same_cluster(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """By the kube-system namespace's uid, which no two clusters share; by address only when the
    uid could not be read (no permission): one cluster may be reached at several addresses."""
    if a.get("uid") and b.get("uid"):
        return bool(a["uid"] == b["uid"])
    return bool(a.get("server") == b.get("server"))


def differences(planned: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Why ``current`` (the same plan made now, with the planned salt) is not the planned one, one
    line each; empty when they agree on everything a deploy depends on."""
    out: list[str] = []

    def changed(key: str, what: str, show: Any = str) -> None:
        before, after = planned.get(key), current.get(key)
        if before != after:
            out.append(f"{what}: {show(before)} when planned, {show(after)} now")

    changed("platform", "platform")
    changed("environment", "environment", lambda e: e or "no environment")
    if not _same_cluster(planned["cluster"], current["cluster"]):
        out.append(
            f"cluster: planned against {planned['cluster'].get('server')} (kube-system uid "
            f"{planned['cluster'].get('uid')}), this is {current['cluster'].get('server')} "
            f"(uid {current['cluster'].get('uid')})"
        )
    changed("helmdeckVersion", "helmdeck version")
    if planned["platformFile"].get("digest") != current["platformFile"].get("digest"):
        out.append("platform file: edited since the plan")
    for name in sorted(set(planned["secrets"]) | set(current["secrets"])):
        before, after = planned["secrets"].get(name), current["secrets"].get(name)
        if before == after:
            continue
        if before and after and before.get("generated") != after.get("generated"):
            out.append(f"secret {name}: generated since the plan")
        else:
            out.append(
                f"secret {name}: {'changed' if before and after else 'added' if after else 'removed'} since the plan"
            )
    for name in sorted(set(planned["releases"]) | set(current["releases"])):
        before, after = planned["releases"].get(name), current["releases"].get(name)
        if before != after:
            out.append(f"release of {name}: {_release(before)} when planned, {_release(after)} now")
    planned_components = {c.get("component"): c for c in planned["components"]}
    current_components = {c.get("component"): c for c in current["components"]}
    for name in sorted(set(planned_components) | set(current_components), key=str):
        before, after = planned_components.get(name), current_components.get(name)
        if before is None or after is None:
            out.append(f"component {name}: {'added to' if after else 'gone from'} the plan")
            continue
        if before.get("chart") != after.get("chart"):
            out.append(
                f"component {name}: chart {_chart(before.get('chart'))} when planned, {_chart(after.get('chart'))} now"
            )
        if before.get("valuesDigest") != after.get("valuesDigest"):
            out.append(f"component {name}: values changed since the plan (or other -e, --values, --set)")
        if before.get("driftDigest") != after.get("driftDigest"):
            out.append(f"component {name}: live objects changed outside helmdeck since the plan")
        if before.get("action") != after.get("action"):
            out.append(f"component {name}: planned to {before.get('action')}, now it would {after.get('action')}")
    return out


def ensure_same(planned: Mapping[str, Any], current: Mapping[str, Any], source: str) -> None:
    """Refuse (before anything changes) when the plan is stale."""
    found = differences(planned, current)
    if found:
        listing = "; ".join(found[:10]) + (f" (+{len(found) - 10} more)" if len(found) > 10 else "")
        raise ConfigError(
            f"the platform or the cluster changed since the plan was made, so nothing was deployed: {listing}",
            where=source,
            fix=_FIX,
            details={"differences": found, "planCreatedAt": planned.get("createdAt")},
        )
