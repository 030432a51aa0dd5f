"""Extensions that need a GPU: refused on a platform with GPUs turned off, and on a cluster where
no node offers one."""

from __future__ import annotations

from helmdeck.cluster import Forbidden, KubeClient, list_objects
from helmdeck.errors import ConfigError
from helmdeck.extensions.catalog import Extension
from helmdeck.spec import Platform

GPU_RESOURCE = "nvidia.com/gpu"


def check_gpu_policy(platform: Platform, ext: Extension) -> None:
    """ConfigError when ``ext`` needs a GPU and the platform turned GPUs off."""
    if not ext.requires_gpu:
        return
    mode = platform.spec.gpu
    if mode == "off":
        raise ConfigError(
            f"extension {ext.name} needs a GPU, and the platform has GPUs turned off (spec.gpu: off)",
            where=platform.where(("spec", "gpu")),
            fix="set spec.gpu to auto or required on a cluster with GPU nodes",
        )


def cluster_has_gpu(client: KubeClient) -> bool:
    """Whether a node offers a GPU (True when not allowed to look: the scheduler decides)."""
    try:
        for node in list_objects(client, "v1", "Node"):
            alloc = (node.get("status") or {}).get("allocatable") or {}
            if str(alloc.get(GPU_RESOURCE, "0")) not in ("0", ""):
                return True
    except Forbidden:
        return True  # not allowed to look: let the scheduler decide
    return False
