from __future__ import annotations

from helmdeck.manifests import ManifestObject, list_images, parse_documents
from helmdeck.manifests.inventory import inventory

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      initContainers:
        - {name: wait, image: "busybox:1.36"}
      containers:
        - {name: api, image: "registry.example.org/api:1.0"}
        - {name: sidecar, image: "registry.example.org/proxy:2.0"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - {name: backup, image: "registry.example.org/api:1.0"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads, namespace: data}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: slow
  resources: {requests: {storage: 10Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: monitoring.example.org/v1
kind: ServiceMonitor
metadata: {name: api}
"""

STORE = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: minio}
spec:
  template:
    spec:
      containers:
        - {name: minio, image: "minio/minio:RELEASE.2024-01-01"}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        storageClassName: fast
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 5Gi}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.org/fast
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: buckets.s3.example.org}
spec:
  group: s3.example.org
  scope: Namespaced
  names: {kind: Bucket, plural: buckets}
---
apiVersion: s3.example.org/v1
kind: Bucket
metadata: {name: uploads}
"""


def platform() -> dict[str, tuple[str, list[ManifestObject]]]:
    return {
        "backend": ("services", parse_documents(APP, source="backend/templates/all.yaml")),
        "minio": ("services", parse_documents(STORE, source="minio/templates/all.yaml")),
    }


def test_images_are_listed_once_each_sorted() -> None:
    assert list_images(platform()) == [
        "busybox:1.36",
        "minio/minio:RELEASE.2024-01-01",
        "registry.example.org/api:1.0",
        "registry.example.org/proxy:2.0",
    ]


def test_image_uses_say_where_each_image_runs() -> None:
    uses = inventory(platform()).images
    wait = next(u for u in uses if u.container == "wait")
    assert wait.init
    assert wait.component == "backend"
    assert str(wait.object) == "Deployment services/api"
    assert sum(1 for u in uses if u.image == "registry.example.org/api:1.0") == 2


def test_volume_claims_include_statefulset_templates() -> None:
    claims = {c.name: c for c in inventory(platform()).volume_claims}
    assert set(claims) == {"uploads", "scratch", "data"}
    assert claims["uploads"].namespace == "data"
    assert claims["uploads"].storage_class == "slow"
    assert claims["uploads"].access_modes == ("ReadWriteMany",)
    assert claims["uploads"].size == "10Gi"
    assert claims["scratch"].storage_class is None  # the cluster's default class
    assert claims["scratch"].namespace == "services"
    assert claims["data"].owner is not None and str(claims["data"].owner) == "StatefulSet services/minio"
    assert claims["data"].storage_class == "fast"


def test_storage_classes_wanted_and_defined() -> None:
    classes = {c.name: c for c in inventory(platform()).storage_classes}
    assert set(classes) == {None, "slow", "fast"}
    assert classes[None].claims == ("services/scratch",)
    assert classes["fast"].defined_by == ("minio",)
    assert classes["slow"].defined_by == ()


def test_custom_kinds_used_and_where_their_crds_come_from() -> None:
    kinds = {(k.group, k.kind): k for k in inventory(platform()).custom_kinds}
    assert set(kinds) == {("monitoring.example.org", "ServiceMonitor"), ("s3.example.org", "Bucket")}
    monitor = kinds[("monitoring.example.org", "ServiceMonitor")]
    assert monitor.used_by == ("backend",)
    assert monitor.defined_by == ()  # the cluster must already serve it
    assert monitor.api_versions == ("monitoring.example.org/v1",)
    assert kinds[("s3.example.org", "Bucket")].defined_by == ("minio",)
