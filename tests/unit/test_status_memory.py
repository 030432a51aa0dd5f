"""What a status remembers between readings (decoded releases, parsed manifests, the lists it took)
must never answer for another cluster or for a release installed anew."""

from __future__ import annotations

import textwrap
from pathlib import Path

from helmdeck.cluster.objects import ObjRef
from helmdeck.core.status import StoredRelease, latest_releases, platform_status, release_objects
from helmdeck.deploy.executor import Deployer
from tests.fakes import FakeEngine, FakeKube, fake_session, session_on

COMPAPP = Path(__file__).resolve().parents[1] / "web" / "charts" / "compapp"


def _manifest(*names: str) -> str:
    return "\n---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: ns\n" for name in names
    )


def test_a_release_installed_again_at_revision_one_is_parsed_anew() -> None:
    def stored(manifest: str) -> StoredRelease:
        return StoredRelease("app", "ns", 1, "deployed", "app-0.1.0", {}, manifest)

    first = release_objects(stored(_manifest("old")), "app")
    # uninstalled, then installed again with other objects: revision 1 once more
    again = release_objects(stored(_manifest("new", "newer")), "app")
    assert [r.name for r in first.refs()] == ["old"]
    assert sorted(r.name for r in again.refs()) == ["new", "newer"]
    assert ObjRef("v1", "ConfigMap", "old", "ns") not in again.refs()


def _platform(tmp_path: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: mem}}
            spec:
              components:
                - {{name: app, chart: {COMPAPP}, namespace: mem-app}}
            """
        )
    )
    return path


def _deploy(path: Path, kube: FakeKube, engine: FakeEngine, *sets: str) -> None:
    assert Deployer(session_on(path, kube, engine, *sets), preflight=False).run().ok


def test_two_clusters_with_the_same_platform_never_share_what_a_status_remembers(tmp_path: Path) -> None:
    path = _platform(tmp_path)
    # the in-memory clusters number their objects alike: the same uids and resourceVersions
    a, kube_a, engine_a = fake_session(path)
    b, kube_b, engine_b = fake_session(path)
    _deploy(path, kube_a, engine_a, "app.message=from-cluster-a")
    _deploy(path, kube_b, engine_b, "app.message=from-cluster-b")

    for _ in range(2):
        assert [c.revision for c in platform_status(a).components] == [1]
    assert [c.revision for c in platform_status(b).components] == [1]
    namespaces = b.platform.all_namespaces()
    assert "from-cluster-b" in latest_releases(b, namespaces)["app"].manifest
    assert "from-cluster-a" in latest_releases(a, namespaces)["app"].manifest
