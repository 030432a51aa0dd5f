"""Extensions on the sandbox: installed with parameters and healthy, multi-installs, refusals,
requirement resolution, uninstall guards, a failing extension rolled back, a platform rollback that
brings an uninstalled extension back. The Kubernetes API is never mocked here."""

from __future__ import annotations

import pytest
from lightkube.resources.core_v1 import ConfigMap

from helmdeck.app.extensions import check_uninstall
from helmdeck.core.status import platform_status
from helmdeck.deploy.report import Outcome
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.errors import ConfigError
from helmdeck.extensions.preinstall import preinstall_extensions
from helmdeck.labels import COMPONENT_LABEL, EXTENSION_LABEL, PLATFORM_LABEL
from helmdeck.revisions.environment import deployed_environment
from helmdeck.revisions.rollback import rollback_platform
from helmdeck.revisions.store import RevisionStore

pytestmark = pytest.mark.cluster

from tests.cluster.ext_support import Platform  # noqa: E402


def test_install_with_parameters_resolves_requirements_and_is_healthy(plat: Platform) -> None:
    events: list[tuple[str, str]] = []
    manager = plat.manager(progress=lambda name, state, detail: events.append((name, state)))
    report = manager.install("tiny-app", {"profile": "minimal", "modalities": "CT,MR", "replicas": "2"})
    assert report.ok, report.as_dict()
    assert [(c.name, c.outcome) for c in report.components] == [
        ("tiny-base", Outcome.installed),
        ("tiny-app", Outcome.installed),
    ]
    assert ("tiny-app", "waiting") in events and ("tiny-app", "installed") in events

    s = plat.session()
    ns = s.platform.logical_namespace("extensions")
    live = s.live_releases()
    app = live["tiny-app"]
    assert app.namespace == ns and app.status is ReleaseStatus.DEPLOYED
    assert app.labels[PLATFORM_LABEL] == s.platform_id
    assert app.labels[COMPONENT_LABEL] == "tiny-app" and app.labels[EXTENSION_LABEL] == "tiny-app"
    values = s.engine.get_values("tiny-app", namespace=ns)
    assert values["parameters"]["profile"] == "minimal" and values["parameters"]["modalities"] == ["CT", "MR"]
    assert values["global"]["domain"] == "demo.sandbox.test"
    assert values["global"]["instance"] == s.platform.instance

    status = {c.name: c for c in platform_status(s).components}
    assert status["tiny-app"].health == "healthy" and status["tiny-app"].extension == "tiny-app"
    assert status["tiny-base"].health == "healthy"

    revision = RevisionStore(s.client, s.admin_namespace, s.platform_id).latest()
    assert revision is not None and revision.operation == "ext install tiny-app"
    assert revision.environment == "demo" and revision.result == "succeeded"
    assert revision.components["tiny-app"].extension == "tiny-app"
    assert "base-config" in revision.components
    assert deployed_environment(plat.session(env=None)) == "demo"

    with pytest.raises(ConfigError, match="tiny-app is already installed") as err:
        plat.manager().install("tiny-app")
    assert "uninstall it first" in (err.value.fix or "")


def test_multi_install_twice_and_uninstall_guard(plat: Platform) -> None:
    first = plat.manager().install("tiny-multi", {"task": "lung"}, instance_name="lung")
    assert first.ok and [c.name for c in first.components] == ["tiny-base", "tiny-multi-lung"]
    second = plat.manager().install("tiny-multi", {"task": "brain"})
    assert second.ok and len(second.components) == 1
    auto = second.components[0].name
    assert auto.startswith("tiny-multi-") and auto != "tiny-multi-lung"
    s = plat.session()
    ns = s.platform.logical_namespace("extensions")
    configmaps = s.client.list(ConfigMap, namespace=ns)
    tasks = {cm.metadata.name: cm.data["task"] for cm in configmaps if cm.metadata and cm.data and "task" in cm.data}
    assert tasks["tiny-multi-lung"] == "lung" and tasks[auto] == "brain"
    installed = {i.component: i.extension for i in plat.manager().installed()}
    assert installed == {"tiny-base": "tiny-base", "tiny-multi-lung": "tiny-multi", auto: "tiny-multi"}

    with pytest.raises(ConfigError, match="tiny-base is required by") as err:
        plat.manager().uninstall("tiny-base")
    assert sorted(err.value.details["requiredBy"]) == sorted(["tiny-multi-lung", auto])
    assert err.value.fix is not None and "or force it (--force) and leave them broken" in err.value.fix
    # the web's check before its confirm page: the same rule, its fix naming no command-line flag
    with pytest.raises(ConfigError, match="tiny-base is required by") as web_err:
        check_uninstall(plat.manager(), "tiny-base", force=False)
    assert web_err.value.fix is not None and "or force it and leave them broken" in web_err.value.fix
    assert check_uninstall(plat.manager(), "tiny-base", force=True).component == "tiny-base"
    with pytest.raises(ConfigError, match="installed 2 times"):
        plat.manager().uninstall("tiny-multi")

    gone = plat.manager().uninstall("tiny-multi-lung")
    assert gone.ok and gone.components[0].outcome is Outcome.removed
    forced = plat.manager().uninstall("tiny-base", force=True)
    assert forced.ok and "forced although" in forced.components[0].message
    assert set(i.component for i in plat.manager().installed()) == {auto}
    rev = RevisionStore(s.client, s.admin_namespace, s.platform_id).latest()
    assert rev is not None and rev.operation == "ext uninstall tiny-base"
    assert set(rev.components) == {"base-config", auto}


def test_failing_extension_is_rolled_back(plat: Platform) -> None:
    report = plat.manager(timeout=60).install("tiny-broken")
    assert not report.ok
    (result,) = report.components
    assert result.outcome is Outcome.failed
    assert result.rollback == "uninstalled (it was a first install)"
    assert "CrashLoopBackOff" in result.message or "crash" in result.message.lower()
    assert "tiny-broken" not in plat.session().live_releases()
    s = plat.session()
    rev = RevisionStore(s.client, s.admin_namespace, s.platform_id).latest()
    assert rev is not None and rev.result == "failed" and rev.operation == "ext install tiny-broken"


def test_reinstall_after_uninstall_and_platform_rollback_brings_it_back(plat: Platform) -> None:
    assert plat.manager().install("tiny-base").ok
    s = plat.session()
    store = RevisionStore(s.client, s.admin_namespace, s.platform_id)
    with_base = store.latest()
    assert with_base is not None
    assert plat.manager().uninstall("tiny-base").ok
    assert "tiny-base" not in {i.component for i in plat.manager().installed()}
    # the platform rollback restores the extension from the history uninstall kept
    report = rollback_platform(plat.session(), with_base.revision)
    assert report.ok, report.as_dict()
    assert plat.session().live_releases()["tiny-base"].status is ReleaseStatus.DEPLOYED
    assert plat.manager().uninstall("tiny-base").ok
    # a fresh install of the same name works although Helm kept the uninstalled history
    again = plat.manager().install("tiny-base", {"retries": 5})
    assert again.ok, again.as_dict()
    assert plat.session().engine.get_values("tiny-base", namespace=s.platform.logical_namespace("extensions"))[
        "parameters"
    ] == {"retries": 5}


def test_requirement_missing_from_catalog_changes_nothing(plat: Platform) -> None:
    before = RevisionStore(*(lambda s: (s.client, s.admin_namespace, s.platform_id))(plat.session())).latest()
    with pytest.raises(ConfigError, match="which the catalog cannot provide"):
        plat.manager().install("tiny-needs-missing")
    s = plat.session()
    after = RevisionStore(s.client, s.admin_namespace, s.platform_id).latest()
    assert before is not None and after is not None and after.revision == before.revision
    assert plat.manager().installed() == []


def test_deploy_preinstalls_the_listed_extensions_once(plat: Platform) -> None:
    text = plat.path.read_text().replace("    catalog: [", "    preinstall: [tiny-app]\n    catalog: [")
    plat.path.write_text(text)
    first = preinstall_extensions(plat.session())
    assert [c.name for report in first for c in report.components] == ["tiny-base", "tiny-app"]
    assert all(report.ok for report in first)
    assert {ext.extension for ext in plat.manager().installed()} == {"tiny-base", "tiny-app"}
    assert preinstall_extensions(plat.session()) == []  # already there: nothing to do
