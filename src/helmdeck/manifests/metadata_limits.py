"""Labels and annotations as the API server will judge them, checked at ``validate``.

The API server refuses an object whose annotations together exceed 256 KiB, whose label or
annotation keys are not qualified names, or whose label values are longer than 63 characters or not
made of the allowed characters. Without this check such a chart passes validate and plan and fails
in the middle of a deploy, after the components before it changed. Pod templates (a Deployment's,
a CronJob's job template's) are judged the same, when their owner is created.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from helmdeck.findings import Finding
from helmdeck.manifests.index import ObjectIndex, PlacedObject

#: kube-apiserver's ``TotalAnnotationSizeLimitB``: keys and values of one object together
MAX_ANNOTATION_BYTES = 256 * 1024
MAX_NAME = 63
MAX_PREFIX = 253
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a qualified name (``[prefix/]name``), or None when it is."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "its prefix before '/' is empty"
    if prefix and (len(prefix) > MAX_PREFIX or not _PREFIX.match(prefix)):
        return f"its prefix {prefix!r} is not a DNS subdomain (lower-case, digits, '-' and '.', at most {MAX_PREFIX})"
    if not name:
        return "its name is empty"
    if len(name) > MAX_NAME:
        return f"its name is {len(name)} characters, over the limit of {MAX_NAME}"
    if not _NAME.match(name):
        return "its name must start and end with a letter or digit and hold only letters, digits, '-', '_' and '.'"
    return None


def label_value_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a label value, or None when it can."""
    if not isinstance(value, str):
        return f"its value is {type(value).__name__} {value!r}, not a string (quote it in the template)"
    if len(value) > MAX_NAME:
        return f"its value is {len(value)} characters, over the limit of {MAX_NAME}"
    if not _LABEL_VALUE.match(value):
        return "its value must be empty or start and end with a letter or digit, with only '-', '_' and '.' between"
    return None


def _metadata_blocks(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, metadata) of the object and the pod templates it carries."""
    paths = (
        ("metadata",),
        ("spec", "template", "metadata"),
        ("spec", "jobTemplate", "metadata"),
        ("spec", "jobTemplate", "spec", "template", "metadata"),
    )
    for path in paths:
        node: Any = body
        for step in path:
            node = node.get(step) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            yield ".".join(path), node


def _error(placed: PlacedObject, message: str, fix: str) -> Finding:
    return Finding(
        "error", "metadata-limits", placed.component, str(placed.ref), message, fix, template=placed.obj.source
    )


def check_metadata_limits(index: ObjectIndex) -> list[Finding]:
    """Labels and annotations the API server would refuse, naming component, object and key."""
    findings: list[Finding] = []
    for placed in index:
        for path, meta in _metadata_blocks(placed.obj.body):
            where = f"component {placed.component}: {placed.ref} {path}"
            labels = meta.get("labels")
            for key, value in labels.items() if isinstance(labels, Mapping) else ():
                problem = key_problem(str(key))
                if problem is not None:
                    findings.append(_error(placed, f"{where}.labels key {key!r}: {problem}", "rename the label"))
                problem = label_value_problem(value)
                if problem is not None:
                    findings.append(
                        _error(
                            placed,
                            f"{where}.labels[{key!r}]: {problem}",
                            "shorten the value (a label is for selecting; keep long text in an annotation)",
                        )
                    )
            annotations = meta.get("annotations")
            if not isinstance(annotations, Mapping):
                continue
            for key in annotations:
                problem = key_problem(str(key))
                if problem is not None:
                    findings.append(
                        _error(placed, f"{where}.annotations key {key!r}: {problem}", "rename the annotation")
                    )
            sizes = {str(k): len(str(k).encode()) + len(str(v or "").encode()) for k, v in annotations.items()}
            total = sum(sizes.values())
            if total > MAX_ANNOTATION_BYTES:
                largest = max(sizes, key=lambda k: sizes[k])
                findings.append(
                    _error(
                        placed,
                        f"{where}.annotations are {total:,} bytes together, over the API server's limit of "
                        f"{MAX_ANNOTATION_BYTES:,} (256 KiB); the largest is {largest!r} ({sizes[largest]:,} bytes)",
                        "keep large data in a ConfigMap or Secret and refer to it from the annotation",
                    )
                )
    return findings
