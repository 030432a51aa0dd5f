"""Redaction of what a Helm release stores: its values and its manifests.

Value redaction does not rely on knowing every secret value: a value is hidden when it sits at a
path the platform injects a secret into, at a path the chart's schema marks as secret (``writeOnly``
or ``format: password``, as extension parameters are), or under a key named like a credential. What
it hides is also returned, so the same values can be found again in manifests and diffs. A Secret's
``data`` and ``stringData`` never leave unredacted, whatever they hold.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from helmdeck.manifests import parse_manifest_stream
from helmdeck.secrets.redact import Redactor, placeholder

REDACTED = "<redacted>"
CHANGED = "<redacted, changed>"
# a credential spelled out by its key: a chart's rootPassword, apiToken, clientSecret, privateKey...
_CREDENTIAL_KEY = re.compile(
    r"(password|passwd|secret|secretkey|token|apikey|api_key|privatekey|private_key)$", re.IGNORECASE
)
# ...but not the name of a Secret to read one from (existingSecret)
_REFERENCE_KEY = re.compile(r"^existing|(name|ref)$", re.IGNORECASE)

Path = tuple[str, ...]


def schema_secret_paths(schema: Mapping[str, Any] | None, prefix: Path = ()) -> list[Path]:
    """Value paths a JSON schema marks as secret (``writeOnly: true`` or ``format: password``)."""
    out: list[Path] = []
    props = (schema or {}).get("properties")
    if not isinstance(props, Mapping):
        return out
    for key, sub in props.items():
        if not isinstance(sub, Mapping):
            continue
        path = (*prefix, str(key))
        if sub.get("writeOnly") is True or sub.get("format") == "password":
            out.append(path)
        else:
            out.extend(schema_secret_paths(sub, path))
    return out


def _credential_key(key: str) -> bool:
    return bool(_CREDENTIAL_KEY.search(key)) and not _REFERENCE_KEY.search(key)


def redact_values(
    values: Mapping[str, Any], secret_paths: Iterable[tuple[str, Path]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``values`` with every secret replaced, and the replaced values by name.

    ``secret_paths``: ``(name, path)`` of each known secret (the platform's declarations, the chart's
    schema); scalars under credential-named keys are hidden besides.
    """
    out = copy.deepcopy(dict(values))
    found: dict[str, str] = {}
    for name, path in secret_paths:
        node: Any = out
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or not path or path[-1] not in node or node[path[-1]] in (None, ""):
            continue
        value = node[path[-1]]
        if isinstance(value, str | int | float):
            found[name] = str(value)
        node[path[-1]] = placeholder(name)
    _hide_credentials(out, (), found)
    return out, found


def _hide_credentials(node: Any, path: Path, found: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, str(key))
            if _credential_key(str(key)) and isinstance(value, str | int | float) and not isinstance(value, bool):
                text = str(value)
                if text and not text.startswith("<redacted"):
                    found[".".join(here)] = text
                    node[key] = placeholder(".".join(here))
            else:
                _hide_credentials(value, here, found)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _hide_credentials(item, (*path, str(i)), found)


def _digest(value: Any) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()[:12]


def redact_secret_data(body: Mapping[str, Any], other: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A Secret with its payload hidden; with ``other`` (the same Secret in another revision), a key
    whose value differs there reads ``<redacted, changed>``, so a diff shows the change but not the value."""
    out = dict(body)
    if body.get("kind") != "Secret":
        return out
    for section in ("data", "stringData"):
        values = body.get(section)
        if not isinstance(values, Mapping):
            continue
        theirs = (other or {}).get(section)
        theirs = theirs if isinstance(theirs, Mapping) else {}
        out[section] = {
            k: REDACTED if other is None or (k in theirs and _digest(theirs[k]) == _digest(v)) else CHANGED
            for k, v in values.items()
        }
    return out


def manifest_objects(text: str, namespace: str, component: str) -> dict[str, dict[str, Any]]:
    """The objects of a release manifest by ``Kind/namespace/name``."""
    out: dict[str, dict[str, Any]] = {}
    for obj in parse_manifest_stream(text, component=component):
        meta = obj.body.get("metadata") or {}
        out[f"{obj.body.get('kind')}/{meta.get('namespace') or namespace}/{meta.get('name')}"] = dict(obj.body)
    return out


def redacted_manifest(text: str, namespace: str, component: str, redactor: Redactor) -> str:
    """The manifest as YAML documents, Secret payloads and every value ``redactor`` knows hidden."""
    docs = [
        f"# {key}\n" + yaml.safe_dump(redact_secret_data(body), sort_keys=False)
        for key, body in manifest_objects(text, namespace, component).items()
    ]
    return redactor.text("---\n".join(docs))
