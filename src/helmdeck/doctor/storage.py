"""Volume claims against the cluster's StorageClasses: the named class exists, a default exists
for claims that name none, and ReadWriteMany is not asked of a class that can only attach a volume
to one node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helmdeck.doctor.findings import Finding
from helmdeck.manifests import Inventory, VolumeClaimUse

DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)

#: Provisioners whose volumes attach to one node at a time (block devices, node-local paths).
SINGLE_NODE_PROVISIONERS: Mapping[str, str] = {
    "kubernetes.io/aws-ebs": "AWS EBS volumes attach to one node",
    "ebs.csi.aws.com": "AWS EBS volumes attach to one node",
    "kubernetes.io/gce-pd": "GCE persistent disks attach read-write to one node",
    "pd.csi.storage.gke.io": "GCE persistent disks attach read-write to one node",
    "kubernetes.io/azure-disk": "Azure disks attach to one node",
    "disk.csi.azure.com": "Azure disks attach to one node",
    "kubernetes.io/cinder": "Cinder volumes attach to one node",
    "cinder.csi.openstack.org": "Cinder volumes attach to one node",
    "dobs.csi.digitalocean.com": "DigitalOcean volumes attach to one node",
    "csi.hetzner.cloud": "Hetzner volumes attach to one node",
    "rancher.io/local-path": "local-path volumes live on one node's disk",
    "openebs.io/local": "OpenEBS local volumes live on one node's disk",
    "topolvm.io": "TopoLVM volumes live on one node's disk",
    "kubernetes.io/no-provisioner": "local PersistentVolumes live on one node's disk",
    "sandbox.helmdeck.dev/volume": "the sandbox's volumes are node-local directories",
}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def is_default_class(storage_class: Mapping[str, Any]) -> bool:
    annotations = _map(_map(storage_class.get("metadata")).get("annotations"))
    return any(str(annotations.get(a, "")).lower() == "true" for a in DEFAULT_CLASS_ANNOTATIONS)


def default_class(classes: Mapping[str, Mapping[str, Any]]) -> str | None:
    defaults = sorted(name for name, sc in classes.items() if is_default_class(sc))
    return defaults[0] if defaults else None


def claim_label(claim: VolumeClaimUse) -> str:
    if claim.owner is not None:
        return f"{claim.owner} (volumeClaimTemplate {claim.name})"
    return f"PersistentVolumeClaim {claim.namespace}/{claim.name}"


def check_storage(
    inventory: Inventory,
    classes: Mapping[str, Mapping[str, Any]],
    *,
    platform_default: str | None = None,
) -> list[Finding]:
    """``classes`` are the cluster's StorageClasses and those the platform itself creates, by name.
    ``platform_default`` is the platform file's ``spec.storage.storageClass.default``, named in fixes."""
    findings: list[Finding] = []
    default = default_class(classes)
    names = ", ".join(sorted(classes)) or "none"
    for claim in inventory.volume_claims:
        label = claim_label(claim)
        wanted = claim.storage_class
        if wanted == "":
            continue  # binds to a pre-created PersistentVolume; no class involved
        if wanted is None:
            if default is None:
                findings.append(
                    Finding(
                        "error",
                        "default-storage-class",
                        claim.component,
                        label,
                        "the claim names no StorageClass and the cluster has no default one, so it would stay "
                        "Pending (unless a PersistentVolume without a class is created for it)",
                        f"set the claim's storageClassName in values (classes here: {names}), or mark one class "
                        "default: kubectl patch storageclass NAME -p "
                        '\'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}\'',
                    )
                )
                continue
            wanted = default
        elif wanted not in classes:
            hint = f" (the platform file's default is {platform_default})" if platform_default else ""
            findings.append(
                Finding(
                    "error",
                    "storage-class",
                    claim.component,
                    label,
                    f"the claim names StorageClass {wanted}, which does not exist in the cluster",
                    f"set the claim's storageClassName in values to one of: {names}{hint}; or create "
                    f"StorageClass {wanted} (with a provisioner that runs in this cluster)",
                    {"storageClass": wanted},
                )
            )
            continue
        if "ReadWriteMany" in claim.access_modes:
            provisioner = str(classes[wanted].get("provisioner", ""))
            why = SINGLE_NODE_PROVISIONERS.get(provisioner)
            if why is not None:
                findings.append(
                    Finding(
                        "warning",
                        "read-write-many",
                        claim.component,
                        label,
                        f"the claim asks for ReadWriteMany from StorageClass {wanted} (provisioner {provisioner}), "
                        f"which likely cannot provide it: {why}",
                        "use a class backed by shared storage (NFS, CephFS, EFS, Azure Files...), or ReadWriteOnce "
                        "if only one pod (or pods on one node) mounts it",
                    )
                )
    return findings
