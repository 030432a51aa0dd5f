"""References to Kubernetes objects: the one :class:`ObjRef` of the pure manifest layer, which the
cluster port takes and returns."""

from helmdeck.manifests.objects import ObjRef

__all__ = ["ObjRef"]
