"""Pods no node could ever run (more GPUs, cpu or memory than any usable node has), and
components that want a GPU on a cluster without one, judged by the platform's ``gpu`` policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from helmdeck.doctor.findings import Finding, Severity
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.doctor.rules.resources import format_quantity, pod_template, pod_totals
from helmdeck.doctor.rules.scheduling import Unplaceable, allocatable, unplaceable

GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915")
GpuPolicy = Literal["auto", "required", "off"]


def is_gpu(resource: str) -> bool:
    return resource in GPU_RESOURCES


def gpu_nodes(nodes: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        str(n.get("metadata", {}).get("name"))
        for n in nodes
        if any(allocatable(n).get(r, Decimal(0)) > 0 for r in GPU_RESOURCES)
    ]


def check_capacity(
    view: PlatformView,
    nodes: Sequence[Mapping[str, Any]],
    *,
    gpu_policy: GpuPolicy = "auto",
) -> list[Finding]:
    findings: list[Finding] = []
    reported = {r for n in nodes for r in allocatable(n)}
    has_gpu = bool(gpu_nodes(nodes))
    for placed in view:
        if placed.key.kind == "DaemonSet":
            continue  # runs only where it fits by design
        template = pod_template(placed.obj.body)
        if template is None or template.count == 0:
            continue
        requests, _ = pod_totals(template.containers)
        checked = {r: q for r, q in requests.items() if q > 0 and (is_gpu(r) or r in reported)}
        gpu_asked = [r for r in checked if is_gpu(r)]
        if gpu_asked and gpu_policy == "off":
            findings.append(
                Finding(
                    "warning",
                    "gpu",
                    placed.component,
                    str(placed.ref),
                    f"the platform says gpu: off, but the pods request {', '.join(gpu_asked)}",
                    "remove the GPU request from the component's values, or set spec.gpu to auto",
                )
            )
        problem = unplaceable(template.spec, checked, nodes) if checked and nodes else None
        if problem is None:
            continue
        findings.append(_unplaceable_finding(placed.component, str(placed.ref), problem))
    findings += _gpu_policy_findings(view, has_gpu, gpu_policy)
    return findings


def _unplaceable_finding(component: str, obj: str, problem: Unplaceable) -> Finding:
    gpu = is_gpu(problem.resource)
    if gpu and problem.largest_anywhere <= 0:
        fix = (
            f"add a node with {problem.resource} (and its device plugin), or remove the GPU request from "
            "the component's values"
        )
    elif problem.largest_anywhere < problem.requested:
        fix = (
            f"lower the component's {problem.resource} request to at most "
            f"{format_quantity(problem.resource, problem.largest_anywhere)} (the largest node's), "
            "or add a bigger node"
        )
    else:
        fix = "relax the pod's nodeSelector, affinity or tolerations in values so it may use those nodes"
    return Finding(
        "error",
        "gpu" if gpu else "node-capacity",
        component,
        obj,
        f"no node can run its pods: {problem.reason()}",
        fix,
        {"resource": problem.resource, "requested": str(problem.requested), "excluded": list(problem.excluded)},
    )


def _gpu_policy_findings(view: PlatformView, has_gpu: bool, gpu_policy: GpuPolicy) -> list[Finding]:
    """Components that want a GPU on a cluster without one, and a platform that requires GPUs."""
    out: list[Finding] = []
    for component in view.components.values():
        if not component.gpu or has_gpu:
            continue
        severities: dict[str, Severity] = {"required": "error", "auto": "warning", "off": "info"}
        severity = severities[gpu_policy]
        consequence = {
            "required": "and the platform requires GPUs (gpu: required)",
            "auto": "so it runs without one (gpu: auto)",
            "off": "which is fine since the platform has gpu: off",
        }[gpu_policy]
        out.append(
            Finding(
                severity,
                "gpu",
                component.name,
                None,
                f"component {component.name} wants a GPU but no node offers nvidia.com/gpu, {consequence}",
                "add a GPU node with the NVIDIA device plugin (or GPU Operator)"
                + ("" if gpu_policy == "off" else ", or set spec.gpu to auto/off to run without"),
            )
        )
    if gpu_policy == "required" and not has_gpu and not any(c.gpu for c in view.components.values()):
        out.append(
            Finding(
                "error",
                "gpu",
                None,
                None,
                "the platform requires GPUs (gpu: required) but no node offers nvidia.com/gpu",
                "add a GPU node with the NVIDIA device plugin (or GPU Operator), or set spec.gpu to auto",
            )
        )
    return out
