"""Why a PersistentVolumeClaim is not bound: a missing or default-less StorageClass, no
provisioner, provisioning errors, or a volume still on its way."""

from __future__ import annotations

from helmdeck.cluster import ObjRef, get_object
from helmdeck.doctor.diagnosis import ClaimProblem, Diagnosis, mapping_of
from helmdeck.doctor.events import events_of
from helmdeck.doctor.storage import default_class

NO_PROVISIONER = "kubernetes.io/no-provisioner"


class ClaimChecks(Diagnosis):
    def _claim_problem(self, namespace: str, name: str, *, has_pod: bool) -> ClaimProblem | None:
        """Why a claim is not bound: missing class, no default, no provisioner, provisioning errors."""
        key = (namespace, name)
        if key not in self._claims:
            self._claims[key] = self._find_claim_problem(namespace, name, has_pod=has_pod)
        return self._claims[key]

    def _find_claim_problem(self, namespace: str, name: str, *, has_pod: bool) -> ClaimProblem | None:
        claim = get_object(self.client, ObjRef("v1", "PersistentVolumeClaim", name, namespace))
        who = f"claim {name}"
        if claim is None:
            return ClaimProblem(f"{who} does not exist", "create the claim, or fix the claimName the pod references")
        if mapping_of(claim.get("status")).get("phase") == "Bound":
            return None
        wanted = mapping_of(claim.get("spec")).get("storageClassName")
        classes = self.storage_classes()
        names = ", ".join(sorted(classes)) or "none"
        if wanted is None:
            wanted = default_class(classes)
            if wanted is None:
                return ClaimProblem(
                    f"{who} names no StorageClass and the cluster has no default one, so nothing provisions it",
                    f"set storageClassName in values (classes here: {names}) or mark a class default",
                )
        if wanted == "":
            return ClaimProblem(
                f'{who} asks for no class (storageClassName "") and no matching PersistentVolume exists',
                "create a PersistentVolume for it, or set a StorageClass in values",
            )
        if wanted not in classes:
            return ClaimProblem(
                f"{who} names StorageClass {wanted}, which does not exist, so it stays Pending",
                f"set the claim's storageClassName in values to one of: {names}; or create StorageClass {wanted}",
                {"storageClass": wanted},
            )
        provisioner = str(classes[wanted].get("provisioner", ""))
        if provisioner == NO_PROVISIONER:
            return ClaimProblem(
                f"{who} uses StorageClass {wanted}, which has no provisioner: it binds only to a matching "
                "pre-created PersistentVolume, and none exists",
                "create a PersistentVolume for it, or use a class with a dynamic provisioner",
            )
        events = [e for e in events_of(self.client, namespace, "PersistentVolumeClaim", name) if e.warning]
        if events:
            return ClaimProblem(
                f"{who}: provisioning with StorageClass {wanted} fails: {events[-1].message}",
                f"fix the provisioner {provisioner} or the class's parameters",
            )
        mode = str(classes[wanted].get("volumeBindingMode") or "Immediate")
        if mode == "WaitForFirstConsumer" and not has_pod:
            return None  # binds once a pod using it is scheduled
        return ClaimProblem(
            f"{who} waits for provisioner {provisioner} (StorageClass {wanted}) to create a volume",
            f"check that the provisioner {provisioner} is installed and running",
            severity="warning",
        )
