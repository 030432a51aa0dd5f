"""Container image references: the tag or digest they pin."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRef:
    """An image reference split the way container runtimes read it.

    ``registry.example.org:5000/team/app:1.2@sha256:...`` has repository
    ``registry.example.org:5000/team/app``, tag ``1.2`` and a digest.
    """

    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, image: str) -> ImageRef:
        name, _, digest = image.strip().partition("@")
        # A colon before the last "/" belongs to a registry port, not to a tag.
        slash = name.rfind("/")
        colon = name.rfind(":")
        if colon > slash:
            return cls(name[:colon], name[colon + 1 :], digest or None)
        return cls(name, None, digest or None)

    @property
    def pinned_by_digest(self) -> bool:
        return self.digest is not None

    @property
    def floating(self) -> bool:
        """True when the reference resolves to whatever ``latest`` is at pull time."""
        return not self.pinned_by_digest and self.tag in (None, "", "latest")
