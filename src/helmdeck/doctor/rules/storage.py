"""Volume claims against the cluster's StorageClasses: the named class exists, a default exists
for claims that name none, and ReadWriteMany is not asked of a class that can only attach a volume
to one node. A claim naming a PersistentVolume the platform ships (``volumeName``) binds to it
statically and needs no class at all. Fixes name only classes whose provisioner shows signs of
running here, since a class alone provisions nothing."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
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


NO_PROVISIONER = "kubernetes.io/no-provisioner"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"


def provisioner_evidence(
    csi_drivers: Iterable[Mapping[str, Any]], leases: Iterable[Mapping[str, Any]], volumes: Iterable[Mapping[str, Any]]
) -> set[str]:
    """Names that show a provisioner runs: CSI drivers registered in the cluster, leader Leases
    (external provisioners and CSI's external-provisioner elect a leader under their own name), and
    the provisioners that made existing PersistentVolumes."""
    out = {str(_map(d.get("metadata")).get("name", "")) for d in csi_drivers}
    out |= {str(_map(lease.get("metadata")).get("name", "")) for lease in leases}
    out |= {str(_map(_map(v.get("metadata")).get("annotations")).get(PROVISIONED_BY, "")) for v in volumes}
    return out - {""}


def provisioner_runs(provisioner: str, evidence: Collection[str]) -> bool:
    if not provisioner or provisioner == NO_PROVISIONER:
        return False
    names = (provisioner, provisioner.replace("/", "-"), re.sub(r"[./]", "-", provisioner))
    return any(name in evidence for name in names)


def _usable(classes: Mapping[str, Mapping[str, Any]], evidence: Collection[str] | None) -> list[str]:
    """The classes a fix may name: those whose provisioner runs (every one when that is unknown)."""
    if evidence is None:
        return sorted(classes)
    return sorted(n for n, sc in classes.items() if provisioner_runs(str(sc.get("provisioner", "")), evidence))


def _no_provisioner(classes: Mapping[str, Mapping[str, Any]], make: str) -> str:
    present = ", ".join(f"{n} ({sc.get('provisioner') or 'no provisioner'})" for n, sc in sorted(classes.items()))
    return (
        "no StorageClass here has a provisioner running in this cluster"
        + (f" (classes: {present})" if present else "")
        + f": install one (a CSI driver, or rancher's local-path-provisioner) and {make}, or create a "
        "PersistentVolume for the claim and name it in the claim's volumeName"
    )


def _static_binding(
    claim: VolumeClaimUse, volumes: Mapping[str, Mapping[str, Any]], default: str | None
) -> tuple[bool, Finding | None]:
    """(whether the claim binds to a PersistentVolume of the platform, a finding if it never can)."""
    volume = volumes.get(claim.volume_name or "")
    if volume is None:
        return False, None
    volume_class = str(_map(volume.get("spec")).get("storageClassName") or "")
    # a claim naming no class gets the default one on admission, and binds only to a volume of it
    claim_class = claim.storage_class if claim.storage_class is not None else (default or "")
    if volume_class == claim_class:
        return True, None
    return True, Finding(
        "error",
        "volume-binding",
        claim.component,
        claim_label(claim),
        f"the claim names PersistentVolume {claim.volume_name}, whose storageClassName is "
        f"{volume_class or 'empty'}, not the claim's {claim_class or 'empty'}: it would stay Pending",
        f"give the claim and PersistentVolume {claim.volume_name} the same storageClassName",
    )


def claim_label(claim: VolumeClaimUse) -> str:
    if claim.owner is not None:
        return f"{claim.owner} (volumeClaimTemplate {claim.name})"
    return f"PersistentVolumeClaim {claim.namespace}/{claim.name}"


def check_storage(
    inventory: Inventory,
    classes: Mapping[str, Mapping[str, Any]],
    *,
    platform_default: str | None = None,
    volumes: Mapping[str, Mapping[str, Any]] | None = None,
    provisioners: Collection[str] | None = None,
) -> list[Finding]:
    """``classes`` are the cluster's StorageClasses and those the platform itself creates, by name.
    ``platform_default`` is the platform file's ``spec.storage.storageClass.default``, named in fixes.
    ``volumes`` are the PersistentVolumes the platform creates, by name; ``provisioners`` the
    :func:`provisioner_evidence` of the cluster (None: unknown, and fixes name every class)."""
    findings: list[Finding] = []
    default = default_class(classes)
    usable = _usable(classes, provisioners)
    for claim in inventory.volume_claims:
        wanted = claim.storage_class
        if wanted == "":
            continue  # binds to a pre-created PersistentVolume; no class involved
        static, mismatch = _static_binding(claim, volumes or {}, default)
        if static:
            findings += [mismatch] if mismatch else []
            continue
        if wanted is None:
            if default is None:
                findings.append(_no_default_class(claim, classes, usable))
                continue
            wanted = default
        elif wanted not in classes:
            findings.append(_missing_class(claim, wanted, classes, usable, platform_default))
            continue
        if "ReadWriteMany" in claim.access_modes:
            findings += _read_write_many(claim, wanted, classes)
    return findings


def _no_default_class(claim: VolumeClaimUse, classes: Mapping[str, Mapping[str, Any]], usable: list[str]) -> Finding:
    patch = (
        "mark one class default: kubectl patch storageclass "
        + (usable[0] if len(usable) == 1 else "NAME")
        + ' -p \'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}\''
    )
    return Finding(
        "error",
        "default-storage-class",
        claim.component,
        claim_label(claim),
        "the claim names no StorageClass and the cluster has no default one, so it would stay "
        "Pending (unless a PersistentVolume without a class is created for it)",
        f"set the claim's storageClassName in values (classes here: {', '.join(usable)}), or {patch}"
        if usable
        else _no_provisioner(classes, "mark its class default"),
    )


def _missing_class(
    claim: VolumeClaimUse,
    wanted: str,
    classes: Mapping[str, Mapping[str, Any]],
    usable: list[str],
    platform_default: str | None,
) -> Finding:
    hint = f" (the platform file's default is {platform_default})" if platform_default else ""
    return Finding(
        "error",
        "storage-class",
        claim.component,
        claim_label(claim),
        f"the claim names StorageClass {wanted}, which does not exist in the cluster",
        f"set the claim's storageClassName in values to one of: {', '.join(usable)}{hint}; or create "
        f"StorageClass {wanted} (with a provisioner that runs in this cluster)"
        if usable
        else _no_provisioner(classes, f"a StorageClass {wanted} for it"),
        {"storageClass": wanted},
    )


def _read_write_many(claim: VolumeClaimUse, wanted: str, classes: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    provisioner = str(classes[wanted].get("provisioner", ""))
    why = SINGLE_NODE_PROVISIONERS.get(provisioner)
    if why is None:
        return []
    return [
        Finding(
            "warning",
            "read-write-many",
            claim.component,
            claim_label(claim),
            f"the claim asks for ReadWriteMany from StorageClass {wanted} (provisioner {provisioner}), "
            f"which likely cannot provide it: {why}",
            "use a class backed by shared storage (NFS, CephFS, EFS, Azure Files...), or ReadWriteOnce "
            "if only one pod (or pods on one node) mounts it",
        )
    ]
