"""What Helm's uninstall leaves (an object kept by ``helm.sh/resource-policy: keep``, a hook Job
its delete policy keeps) is marked and listed the same way by extension uninstall and by a rollback
that removes an extension as by undeploy (issue 21), so a later purge still finds it."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Namespace

from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.labels import COMPONENT_LABEL, LEFT_BY_HELM_LABEL
from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import EXT_CHARTS, Platform, platform_file
from tests.cluster.platform_files import CHARTS

pytestmark = pytest.mark.cluster


@pytest.fixture
def keeper_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[Platform]:
    path = platform_file(tmp_path, f"k{secrets.token_hex(3)}", [EXT_CHARTS, CHARTS / "inventory" / "extensions"])
    handle = Platform(sandbox, path)
    assert Deployer(handle.session()).run().ok
    yield handle
    with contextlib.suppress(Exception):
        Undeployer(handle.session(), purge_data=True, timeout=60).run()
    client = sandbox.client()
    for ns in handle.session().platform.all_namespaces():
        with contextlib.suppress(Exception):
            client.delete(Namespace, ns)


def _left_there(s: PlatformSession) -> tuple[str, set[str]]:
    ns = s.platform.logical_namespace("extensions")
    return ns, {f"ConfigMap {ns}/tiny-keeper-bootstrap", f"Job {ns}/tiny-keeper-setup"}


def _assert_marked(s: PlatformSession, ns: str) -> None:
    cm = s.client.get(ConfigMap, "tiny-keeper-bootstrap", namespace=ns)
    job = s.client.get(Job, "tiny-keeper-setup", namespace=ns)
    for obj in (cm, job):
        labels = obj.metadata.labels or {}  # type: ignore[union-attr]
        assert labels.get(LEFT_BY_HELM_LABEL) == s.platform_id, obj.metadata
        assert labels.get(COMPONENT_LABEL) == "tiny-keeper"


def _assert_purged(s: PlatformSession, left_there: set[str]) -> None:
    report = Undeployer(s, purge_data=True, timeout=60).run()
    assert report.ok
    assert left_there <= set(report.deleted), report.deleted


def test_ext_uninstall_marks_and_lists_what_helm_leaves(keeper_platform: Platform) -> None:
    plat = keeper_platform
    assert plat.manager().install("tiny-keeper").ok
    s = plat.session()
    ns, left_there = _left_there(s)

    report = plat.manager().uninstall("tiny-keeper")
    assert report.ok
    left = {item.partition(": ")[0]: item for item in report.left}
    assert set(left) == left_there, report.left  # the plain ConfigMap went with the release
    assert all(f"{LEFT_BY_HELM_LABEL}={s.platform_id}: a purge deletes it" in why for why in left.values())
    assert "Helm left 2 objects" in report.components[0].message
    assert report.as_dict()["left"] == report.left
    _assert_marked(s, ns)
    _assert_purged(plat.session(), left_there)


def test_a_rollback_that_removes_an_extension_marks_and_lists_what_helm_leaves(keeper_platform: Platform) -> None:
    from helmdeck.revisions.rollback import rollback_platform

    plat = keeper_platform
    assert plat.manager().install("tiny-keeper").ok
    s = plat.session()
    ns, left_there = _left_there(s)

    report = rollback_platform(plat.session(), 1)
    step = next(st for st in report.steps if st.component == "tiny-keeper")
    assert step.action == "uninstall", step
    assert "left by Helm (marked, a purge lists them): " in step.detail and all(
        item in step.detail for item in left_there
    ), step.detail
    _assert_marked(s, ns)
    _assert_purged(plat.session(), left_there)


def test_ext_uninstall_of_what_is_not_installed_changes_nothing(sandbox: SandboxHandle, tmp_path: Path) -> None:
    from helmdeck.cluster.namespaces import get_namespace
    from helmdeck.errors import ConfigError

    # a platform never deployed: the refusal must not create its admin namespace for the lock
    path = platform_file(tmp_path, f"u{secrets.token_hex(3)}", [EXT_CHARTS, CHARTS / "inventory" / "extensions"])
    plat = Platform(sandbox, path)
    s = plat.session()
    with pytest.raises(ConfigError, match="no installed extension named 'tiny-keeper': nothing was changed") as err:
        plat.manager().uninstall("tiny-keeper")
    assert "no extension installed" in (err.value.fix or "")
    assert get_namespace(s.client, s.admin_namespace) is None


def test_ext_uninstall_twice_names_the_extension_uninstalled_already(keeper_platform: Platform) -> None:
    from helmdeck.errors import ConfigError

    plat = keeper_platform
    assert plat.manager().install("tiny-keeper").ok
    assert plat.manager().uninstall("tiny-keeper").ok
    with pytest.raises(ConfigError, match=r"tiny-keeper is uninstalled already .*nothing was changed") as err:
        plat.manager().uninstall("tiny-keeper")
    assert "helmdeck ext install tiny-keeper" in (err.value.fix or "")


def test_undeploy_twice_says_the_second_had_no_releases_to_uninstall(keeper_platform: Platform) -> None:
    import os
    import subprocess
    import sys

    plat = keeper_platform

    def undeploy() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "helmdeck.cli.main", "undeploy", "--yes", "-f", str(plat.path)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "KUBECONFIG": plat.sandbox.kubeconfig, "HELMDECK_ENV": "demo"},
        )

    first = undeploy()
    assert first.returncode == 0, first.stdout + first.stderr
    assert "base-config: removed" in first.stdout and "no releases to uninstall" not in first.stdout
    second = undeploy()
    assert second.returncode == 0, second.stdout + second.stderr
    platform_id = plat.session().platform_id
    assert f"no releases to uninstall: platform {platform_id} has none in the cluster" in second.stdout
    assert "removed" not in second.stdout


def test_a_charts_crd_is_still_reported_by_a_purge_after_a_plain_undeploy(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

    from helmdeck.labels import CRDS_OF_LABEL
    from tests.cluster.platform_files import platform, values_file

    crd = "gadgets.inventory.helmdeck.dev"
    admin, services = f"{namespace}-adm", f"{namespace}-svc"
    component = {
        "name": "admin-chart",
        "chart": str(CHARTS / "inventory" / "spread"),
        "namespace": "admin",
        "values": [values_file(tmp_path, "spread", {"dataNamespace": services})],
    }
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, [component])
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        first = Undeployer(session(), timeout=60).run()
        reason = {o.what: o.reason for o in first.left}
        assert "Helm never deletes those" in reason[f"CustomResourceDefinition {crd}"]
        labels = sandbox.client().get(CustomResourceDefinition, crd).metadata.labels or {}
        assert labels.get(CRDS_OF_LABEL) == session().platform_id

        # the release and its record are gone: the mark is what still says whose the CRD is
        purged = Undeployer(session(), purge_data=True, timeout=60).run()
        assert purged.ok
        left = {o.what: o.reason for o in purged.left}
        assert "admin-chart's chart: Helm never deletes those" in left[f"CustomResourceDefinition {crd}"]
        assert sandbox.client().get(CustomResourceDefinition, crd) is not None  # reported, never deleted
    finally:
        with contextlib.suppress(Exception):
            Undeployer(session(), purge_data=True, timeout=60).run()
        for ns in (admin, services):
            with contextlib.suppress(Exception):
                sandbox.client().delete(Namespace, ns)
        with contextlib.suppress(Exception):
            sandbox.client().delete(CustomResourceDefinition, crd)


def test_ext_uninstall_purge_deletes_what_helm_leaves_after_listing_it(keeper_platform: Platform) -> None:
    plat = keeper_platform
    assert plat.manager().install("tiny-keeper").ok
    s = plat.session()
    ns, left_there = _left_there(s)
    assert left_there <= set(plat.manager().data_of("tiny-keeper"))  # what the confirmation lists

    asked: list[list[str]] = []

    def confirm(items: list[str]) -> bool:
        asked.append(items)
        return True

    report = plat.manager().uninstall("tiny-keeper", purge_data=True, confirm=confirm)
    assert report.ok
    assert left_there <= set(asked[0]) and left_there <= set(report.deleted_data), report.deleted_data
    assert report.left == [] and "deleted 2 objects Helm leaves" in report.components[0].message
    names = {c.metadata.name for c in s.client.list(ConfigMap, namespace=ns) if c.metadata is not None}
    assert "tiny-keeper-bootstrap" not in names
