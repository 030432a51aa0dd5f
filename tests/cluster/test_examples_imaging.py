"""The imaging reference platform on the sandbox: two instances side by side (undeploying one leaves
the other healthy), and an upgrade across the 0.4.0 boundary that runs the migration Job before
anything else changes."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python
import lightkube
import pytest
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Namespace

from helmdeck.cluster.client import get_json, raw_http
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import platform_status
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import Outcome
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.spec import parse_platform
from tests.cluster.conftest import SandboxHandle, examples_dir

pytestmark = pytest.mark.cluster

IMAGING = examples_dir() / "imaging"
MIGRATION_JOB = "platform-migrate-0-4-0"
VERSION_RECORD = "platform-version"


def instance_sets(instance: str) -> tuple[str, ...]:
    """What a second instance sets for itself (as env/lab2.yaml does for lab2): host and data directories."""
    return (
        f"global.domain={instance}.imaging.localtest.me",
        f"global.fastDataDir=/data/imaging/fast/{instance}",
        f"global.slowDataDir=/data/imaging/slow/{instance}",
    )


@dataclass
class Imaging:
    """Sessions for one imaging instance; every session made is undeployed (data purged) at the end."""

    sandbox: SandboxHandle
    instance: str
    made: list[PlatformSession] = field(default_factory=list)

    def session(self, *, platform_text: str | None = None, sets: Sequence[str] = ()) -> PlatformSession:
        path = IMAGING / "platform.yaml"
        platform = parse_platform(platform_text or path.read_text(), source=str(path), path=path)
        s = PlatformSession(
            platform=platform,
            environment="demo",
            kubeconfig=self.sandbox.kubeconfig,
            instance=self.instance,
            cli_sets=(*instance_sets(self.instance), *sets),
        )
        self.made.append(s)
        return s

    @property
    def namespaces(self) -> set[str]:
        return {f"{self.instance}-{n}" for n in ("admin", "services", "jobs", "extensions")}


@pytest.fixture
def imaging(sandbox: SandboxHandle) -> Iterator[Any]:
    created: list[Imaging] = []

    def make() -> Imaging:
        inst = Imaging(sandbox, f"i{secrets.token_hex(3)}")
        created.append(inst)
        return inst

    yield make
    for inst in created:
        Undeployer(inst.session(), purge_data=True, timeout=90).run()


def test_two_instances_side_by_side_and_undeploying_one_leaves_the_other(imaging: Any) -> None:
    first, second = imaging(), imaging()
    for inst in (first, second):
        report = Deployer(inst.session()).run()
        assert report.ok, report.as_dict()
        assert {c.outcome for c in report.components} == {Outcome.installed}
    for inst in (first, second):
        status = platform_status(inst.session())
        assert status.healthy, status.as_dict()
        releases = inst.session().live_releases()
        assert {r.namespace for r in releases.values()} == {f"{inst.instance}-admin", f"{inst.instance}-services"}

    client = first.session().client
    live_namespaces = {ns.metadata.name for ns in client.list(Namespace)}
    assert first.namespaces | second.namespaces <= live_namespaces

    removed = Undeployer(first.session(), purge_data=True, timeout=90).run()
    assert removed.ok, removed.as_dict()
    assert first.session().live_releases() == {}

    status = platform_status(second.session())
    assert status.healthy, status.as_dict()
    assert {c.revision for c in status.components if not c.extension} == {1}  # untouched
    live_namespaces = {ns.metadata.name for ns in client.list(Namespace) if ns.status.phase != "Terminating"}
    assert second.namespaces <= live_namespaces
    assert second.session().live_releases().keys() == {"admin", "platform"}


# --- the version-gated migration ----------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    at: float
    kind: str
    type: str
    name: str
    obj: Any


class EventLog:
    """Every event of some kinds in one namespace while the block runs, in the API server's order.

    Nothing races: entering notes each collection's resourceVersion; leaving asks the API server to
    replay every event since then (a watch from that version, which the server ends itself after
    ``timeoutSeconds``). ``at`` is the event's resourceVersion, so events of different kinds compare.
    """

    def __init__(self, client: lightkube.Client, namespace: str, kinds: Sequence[Any]) -> None:
        self.client = client
        self.namespace = namespace
        self.kinds = kinds
        self.seen: list[Seen] = []
        self._start: dict[Any, str] = {}

    def _path(self, kind: Any) -> str:
        info = kind._api_info
        group, version = info.resource.group, info.resource.version
        base = f"/apis/{group}/{version}" if group else f"/api/{version}"
        return f"{base}/namespaces/{self.namespace}/{info.plural}"

    def __enter__(self) -> EventLog:
        for kind in self.kinds:
            listing = get_json(self.client, f"{self._path(kind)}?limit=1")
            self._start[kind] = listing["metadata"]["resourceVersion"]
        return self

    def __exit__(self, *exc: object) -> None:
        http = raw_http(self.client)
        for kind in self.kinds:
            query = f"watch=1&resourceVersion={self._start[kind]}&timeoutSeconds=2&allowWatchBookmarks=false"
            with http.stream("GET", f"{self._path(kind)}?{query}", timeout=30) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    obj = kind.from_dict(event["object"])
                    rv = int(obj.metadata.resourceVersion)
                    self.seen.append(Seen(rv, kind.__name__, event["type"], obj.metadata.name, obj))
        self.seen.sort(key=lambda s: s.at)

    def first(self, predicate: Any) -> Seen:
        found = [s for s in self.seen if predicate(s)]
        assert found, [(s.kind, s.type, s.name) for s in self.seen]
        return found[0]


def _complete(obj: Any) -> bool:
    conditions = (obj.status.conditions if obj.status else None) or []
    return any(c.type == "Complete" and c.status == "True" for c in conditions)


def old_platform_text(tmp_path: Path) -> str:
    """platform.yaml with the platform component on the same chart packaged as 0.3.0, from before
    the storage layout changed (as the imaging README rehearses it)."""
    archive = helm_python.package(IMAGING / "charts" / "platform", destination=tmp_path, version="0.3.0")
    text = (IMAGING / "platform.yaml").read_text()
    assert "chart: charts/platform\n" in text
    return text.replace("chart: charts/platform\n", f"chart: {archive}\n")


def test_upgrade_across_the_boundary_runs_the_migration_job_first(imaging: Any, tmp_path: Path) -> None:
    inst = imaging()
    slow_job = ("platform.migration.podAnnotations.sandbox\\.helmdeck\\.dev/complete-after=3s",)
    old = inst.session(platform_text=old_platform_text(tmp_path), sets=slow_job)
    report = Deployer(old).run()
    assert report.ok, report.as_dict()
    services = f"{inst.instance}-services"
    client = old.client
    assert client.get(ConfigMap, VERSION_RECORD, namespace=services).data["chartVersion"] == "0.3.0"
    assert old.live_releases()["platform"].chart_version == "0.3.0"

    with EventLog(client, services, [Job, ConfigMap]) as log:
        upgrade = Deployer(inst.session(sets=slow_job)).run()
    assert upgrade.ok, upgrade.as_dict()
    outcomes = {c.name: c.outcome for c in upgrade.components}
    assert outcomes == {"admin": Outcome.unchanged, "platform": Outcome.upgraded}

    created = log.first(lambda s: s.kind == "Job" and s.name == MIGRATION_JOB and s.type == "ADDED")
    annotations = created.obj.metadata.annotations
    assert annotations["imaging.helmdeck.dev/migration-from"] == "0.3.0"
    assert annotations["imaging.helmdeck.dev/migration-to"] == "0.4.0"
    assert annotations["helm.sh/hook"] == "pre-upgrade"
    done = log.first(lambda s: s.kind == "Job" and s.name == MIGRATION_JOB and _complete(s.obj))
    recorded = log.first(
        lambda s: (
            s.kind == "ConfigMap"
            and s.name == VERSION_RECORD
            and s.type == "MODIFIED"
            and (s.obj.data or {}).get("chartVersion") == "0.4.0"
        )
    )
    assert created.at < done.at < recorded.at, "the release's objects changed before the migration finished"
    log.first(lambda s: s.kind == "Job" and s.name == MIGRATION_JOB and s.type == "DELETED")  # hook-succeeded
    assert inst.session().live_releases()["platform"].chart_version == "0.4.0"
    status = platform_status(inst.session())
    assert status.healthy, status.as_dict()

    # within 0.4.x nothing migrates: another upgrade renders no Job
    with EventLog(client, services, [Job]) as quiet:
        again = Deployer(inst.session(sets=(*slow_job, "platform.migration.backoffLimit=2"))).run()
    assert again.ok, again.as_dict()
    assert {c.name: c.outcome for c in again.components}["platform"] is Outcome.upgraded
    assert not [s for s in quiet.seen if s.name == MIGRATION_JOB]
