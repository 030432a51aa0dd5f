"""The conformance test: every chart of the corpus (``tests/cluster/conformance/charts``, one chart per
pattern real upstream charts use, see its README) goes through an operator's whole life cycle on the
sandbox, through the CLI as a user runs it:

deploy -> ``plan`` exits 0 (no change, no drift) -> a deploy with nothing changed writes no Helm
revision -> ``status`` healthy (exit 0) -> an operator adds objects of their own to the platform's
namespaces -> ``undeploy --yes`` keeps every claim wherever it is -> deploy again gets the same
claims back (same uid, same volume) -> ``undeploy --purge-data --yes`` deletes exactly what the
releases made and says what it left and why (the operator's objects, CRDs, namespaces not its own).

Undeploy and purge are each run with ``--dry-run`` first: the dry run must say what the run does
(the claims it keeps or deletes, the namespaces it keeps or deletes).

Each chart is one case with its own platform and namespaces. A case goes on after a failed step
(only a failed first deploy ends it), so one run shows every step a chart breaks; the failure
message names the chart and each failed step. The cases run several at once
(``HELMDECK_CONFORMANCE_PARALLEL``, default 4) before the first test reports. With
``HELMDECK_CONFORMANCE_REPORT=FILE`` every case appends its step results to FILE as one JSON line
(the matrix of chart x step).

Some charts need the world around them, declared in their ``Chart.yaml`` annotations:
``conformance.helmdeck.dev/pre-existing-namespaces`` (logical namespaces an operator made before
the platform, ``pre-existing-secret`` a Secret they put there), ``operated`` (``apiVersion Kind``
of custom resources whose operator reports them ready: this test plays it) and ``finalizer`` (a
finalizer whose controller lets go of a deleted object a second later: this test plays it).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Namespace, PersistentVolumeClaim, Secret
from lightkube.types import PatchType

from helmdeck.cluster import ObjRef, delete_object, get_object
from tests.cluster.conftest import SandboxHandle

pytestmark = pytest.mark.cluster

CORPUS = Path(__file__).resolve().parent / "conformance"
CHARTS = sorted(p for p in (CORPUS / "charts").iterdir() if (p / "Chart.yaml").is_file())
ANNOTATION = "conformance.helmdeck.dev/"
OPERATOR_OBJECT = "operator-notes"
STEPS = ("deploy", "plan", "deploy-unchanged", "status", "undeploy", "redeploy", "purge")


class _Stop(Exception):
    """A step whose failure leaves nothing for the later steps to check."""


@dataclass(frozen=True)
class Obj:
    api_version: str
    kind: str
    name: str
    namespace: str | None
    kept_by_chart: bool = False  # helm.sh/resource-policy: keep, which helm uninstall leaves

    def ref(self) -> ObjRef:
        return ObjRef(self.api_version, self.kind, self.name, self.namespace)

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


@dataclass
class Case:
    """One chart as the one component (``apps``) of a platform of its own."""

    sandbox: SandboxHandle
    chart: Path
    tmp: Path
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    results: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = yaml.safe_load((self.chart / "Chart.yaml").read_text())
        self.annotations: dict[str, str] = {
            k.removeprefix(ANNOTATION): str(v)
            for k, v in (meta.get("annotations") or {}).items()
            if k.startswith(ANNOTATION)
        }
        self.name = self.chart.name
        self.namespaces = {key: f"cf{self.tag}-{key}" for key in ("admin", "apps", "services")}
        self.client = self.sandbox.client()

    @property
    def release_namespace(self) -> str:
        return self.namespaces["apps"]

    @property
    def pre_existing(self) -> list[str]:
        keys = [k.strip() for k in self.annotations.get("pre-existing-namespaces", "").split(",") if k.strip()]
        return [self.namespaces[k] for k in keys]

    def write_platform(self) -> Path:
        # the chart is copied next to the platform file: files a platform names lie in its directory
        shutil.copytree(self.chart, self.tmp / "chart")
        namespaces = self.namespaces | {"jobs": self.namespaces["services"], "extensions": self.namespaces["services"]}
        doc = {
            "apiVersion": "helmdeck.dev/v1",
            "kind": "Platform",
            "metadata": {"name": f"cf-{self.tag}"},
            "spec": {
                "namespaces": namespaces,
                "components": [
                    {"name": self.name, "chart": "chart", "namespace": "apps", "health": {"timeout": "45s"}}
                ],
            },
        }
        path = self.tmp / "platform.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    def cli(self, *args: str) -> tuple[int, dict[str, Any], str]:
        """Runs ``helmdeck ARGS -f platform.yaml -o json``: exit code, the JSON it printed, and
        everything it printed (for failure messages)."""
        env = {**os.environ, "KUBECONFIG": self.sandbox.kubeconfig}
        env.pop("HELMDECK_INSTANCE", None)
        env.pop("HELMDECK_ENV", None)
        run = subprocess.run(
            [sys.executable, "-m", "helmdeck.cli.main", *args, "-f", str(self.tmp / "platform.yaml"), "-o", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        try:
            data = json.loads(run.stdout)
        except json.JSONDecodeError:
            data = {}
        shown = (run.stdout + run.stderr).strip()
        return run.returncode, data if isinstance(data, dict) else {}, shown

    # -- what the API server holds --------------------------------------------------------------

    def release_objects(self) -> list[Obj]:
        """Every object of the release's manifest as Helm stored it (hooks are not part of it)."""
        env = {**os.environ, "KUBECONFIG": self.sandbox.kubeconfig}
        run = subprocess.run(
            [str(self.sandbox.binaries["helm"]), "get", "manifest", self.name, "-n", self.release_namespace],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert run.returncode == 0, f"helm get manifest {self.name}: {run.stderr.strip()}"
        out = []
        for doc in yaml.safe_load_all(run.stdout):
            if isinstance(doc, dict) and doc.get("kind"):
                meta = doc.get("metadata") or {}
                keep = (meta.get("annotations") or {}).get("helm.sh/resource-policy") == "keep"
                namespace = meta.get("namespace") or self.release_namespace
                out.append(self._scoped(Obj(doc["apiVersion"], doc["kind"], meta["name"], namespace, keep)))
        return out

    def _scoped(self, obj: Obj) -> Obj:
        from helmdeck.cluster.kinds import kind_info

        info = kind_info(self.client, obj.api_version, obj.kind)
        if info is None or info.namespaced:
            return obj
        return Obj(obj.api_version, obj.kind, obj.name, None, obj.kept_by_chart)

    def claims(self) -> dict[str, tuple[str, str]]:
        """``namespace/name`` -> (uid, volume) of every claim in the platform's namespaces (only the
        platform makes claims there in this test); waits a little for them to be bound."""
        deadline = time.monotonic() + 30
        while True:
            found: dict[str, tuple[str, str]] = {}
            for ns in self.platform_namespaces():
                with contextlib.suppress(ApiError):
                    for pvc in self.client.list(PersistentVolumeClaim, namespace=ns):
                        meta, spec = pvc.metadata, pvc.spec
                        assert meta is not None and spec is not None
                        found[f"{ns}/{meta.name}"] = (str(meta.uid), str(spec.volumeName or ""))
            if all(volume for _, volume in found.values()) or time.monotonic() > deadline:
                return found
            time.sleep(0.5)

    def platform_namespaces(self) -> list[str]:
        return list(dict.fromkeys(self.namespaces.values()))

    def namespace_exists(self, ns: str) -> bool:
        try:
            self.client.get(Namespace, ns)
        except ApiError as err:
            if err.status.code == 404:
                return False
            raise
        return True

    def exists(self, obj: Obj) -> bool:
        return get_object(self.client, obj.ref()) is not None

    def release_revision(self) -> int:
        records = self.client.list(
            Secret, namespace=self.release_namespace, labels={"owner": "helm", "name": self.name}
        )
        return max((int((s.metadata.labels or {}).get("version", "0")) for s in records if s.metadata), default=0)

    # -- the world around the platform ------------------------------------------------------------

    def prepare(self) -> None:
        """Namespaces (and a Secret in them) that an operator made before the platform existed."""
        secret = self.annotations.get("pre-existing-secret")
        for ns in self.pre_existing:
            self.client.create(Namespace(metadata=ObjectMeta(name=ns)))
            if secret:
                self.client.create(
                    Secret(metadata=ObjectMeta(name=secret, namespace=ns), stringData={"id_ed25519": "not-a-key"})
                )

    def operator_objects(self) -> list[Obj]:
        """What an operator of the platform made by hand: a ConfigMap in every namespace the
        release uses, and the Secrets in namespaces that existed before it."""
        made = [
            Obj("v1", "ConfigMap", OPERATOR_OBJECT, ns) for ns in (self.namespaces["apps"], self.namespaces["services"])
        ]
        secret = self.annotations.get("pre-existing-secret")
        return made + [Obj("v1", "Secret", secret, ns) for ns in self.pre_existing if secret]

    def add_operator_objects(self) -> None:
        """Made again where missing (and the namespace with it): purge is judged on its own, not
        on what an undeploy before it lost."""
        for ns in (self.namespaces["apps"], self.namespaces["services"]):
            if not self.namespace_exists(ns):
                self.client.create(Namespace(metadata=ObjectMeta(name=ns)))
            if not self.exists(Obj("v1", "ConfigMap", OPERATOR_OBJECT, ns)):
                note = ConfigMap(metadata=ObjectMeta(name=OPERATOR_OBJECT, namespace=ns), data={"note": "made by hand"})
                self.client.create(note)

    def cleanup(self, cluster_scoped: list[Obj]) -> None:
        for obj in cluster_scoped:
            with contextlib.suppress(Exception):
                delete_object(self.client, obj.ref())
        for ns in self.platform_namespaces():
            # no controller is left to release a finalizer: the namespace would never go
            with contextlib.suppress(Exception):
                for cm in self.client.list(ConfigMap, namespace=ns):
                    if cm.metadata and cm.metadata.finalizers:
                        patch: dict[str, Any] = {"metadata": {"finalizers": []}}
                        self.client.patch(ConfigMap, cm.metadata.name, patch, namespace=ns, patch_type=PatchType.MERGE)
            with contextlib.suppress(Exception):
                self.client.delete(Namespace, ns)


class Controllers:
    """What operators do in a real cluster and the sandbox lacks: report a custom resource ready
    once its controller has seen it, and let go of a finalizer once cleanup is done."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.client = case.sandbox.client()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"controllers-{case.name}")
        self.deleting_since: dict[tuple[str, str], float] = {}

    def __enter__(self) -> Controllers:
        if self.case.annotations.get("operated") or self.case.annotations.get("finalizer"):
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop.wait(0.3):
            for ns in self.case.platform_namespaces():
                for work in (self._report_ready, self._release_finalizers):
                    try:
                        work(ns)
                    except ApiError:
                        pass  # the CRD or the namespace is not there (yet, or any more)
                    except Exception as exc:  # a fault of this test, not of helmdeck: said by the case
                        if getattr(getattr(exc, "response", None), "status_code", None) == 404:
                            continue  # a list of a kind not served (yet, or any more) fails this way
                        self.case.results.setdefault("controllers", f"error: {type(exc).__name__}: {exc}")

    def _report_ready(self, ns: str) -> None:
        operated = self.case.annotations.get("operated")
        if not operated:
            return
        api_version, kind = operated.split()
        group, version = api_version.split("/")
        res = create_namespaced_resource(group, version, kind, kind.lower() + "s")
        for obj in self.client.list(res, namespace=ns):
            meta = obj.metadata
            generation = meta.generation if meta else None
            status = getattr(obj, "status", None) or {}
            if status.get("observedGeneration") == generation:
                continue
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            ready = {"type": "Ready", "status": "True", "reason": "Provisioned", "lastTransitionTime": now}
            patch = {"status": {"observedGeneration": generation, "conditions": [ready]}}
            self.client.patch(res.Status, meta.name, patch, namespace=ns, patch_type=PatchType.MERGE)

    def _release_finalizers(self, ns: str) -> None:
        finalizer = self.case.annotations.get("finalizer")
        if not finalizer:
            return
        for cm in self.client.list(ConfigMap, namespace=ns):
            meta = cm.metadata
            if meta is None or meta.deletionTimestamp is None or finalizer not in (meta.finalizers or []):
                continue
            since = self.deleting_since.setdefault((ns, str(meta.name)), time.monotonic())
            if time.monotonic() - since >= 1.0:
                rest = [f for f in meta.finalizers or [] if f != finalizer]
                self.client.patch(
                    ConfigMap, meta.name, {"metadata": {"finalizers": rest}}, namespace=ns, patch_type=PatchType.MERGE
                )


def _cut(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def _namespace_entry(report: dict[str, Any], ns: str) -> dict[str, Any] | None:
    for entry in report.get("namespaces") or []:
        if isinstance(entry, dict) and entry.get("name") == ns:
            return entry
    return None


def _mentions(entries: Any, text: str) -> bool:
    return any(text in json.dumps(entry) for entry in entries or [])


def _dry_run_differs(preview: dict[str, Any], report: dict[str, Any], data: str, claims: Any) -> list[str]:
    """Where ``--dry-run`` said something else than the run did: a claim the run lists under
    ``data`` (keptData / deletedData) that the dry run did not, a namespace kept by one and deleted
    by the other."""
    problems = [
        f"--dry-run does not list claim {claim} in {data}"
        for claim in claims
        if _mentions(report.get(data), claim) and not _mentions(preview.get(data), claim)
    ]
    said = {e.get("name"): e.get("deleted") for e in preview.get("namespaces") or [] if isinstance(e, dict)}
    for entry in report.get("namespaces") or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name in said and said[name] != entry.get("deleted"):
            done = "deleted" if entry.get("deleted") else "kept"
            problems.append(f"namespace {name} {done}, but --dry-run said {'deleted' if said[name] else 'kept'}")
    return problems


def _crds(chart: Path) -> list[str]:
    names = []
    for path in sorted((chart / "crds").glob("*.yaml")) if (chart / "crds").is_dir() else []:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                names.append(doc["metadata"]["name"])
    return names


def _require(ok: bool, message: str) -> None:
    """An assertion whose failure reads as its message alone (no expression dump)."""
    if not ok:
        raise AssertionError(message)


def _run_steps(case: Case, steps: list[tuple[str, Callable[[], None], bool]]) -> None:
    stopped = False
    for name, step, fatal in steps:
        if stopped:
            case.results[name] = "skipped"
            continue
        start = time.monotonic()
        try:
            step()
            case.results[name] = "pass"
        except AssertionError as exc:
            case.results[name] = f"fail: {exc}"
            stopped = fatal
        except _Stop as exc:
            case.results[name] = f"fail: {exc}"
            stopped = True
        except Exception as exc:  # an error of the cluster or the test: this step's failure too
            case.results[name] = f"error: {type(exc).__name__}: {exc}"
            stopped = fatal
        case.seconds[name] = round(time.monotonic() - start, 1)


def test_the_corpus_is_documented() -> None:
    """A new pattern is one new chart, with one line in the corpus README saying what it mimics."""
    readme = (CORPUS / "README.md").read_text()
    assert CHARTS, "no charts in the corpus"
    missing = [chart.name for chart in CHARTS if f"`{chart.name}`" not in readme]
    assert not missing, f"charts without a line in {CORPUS / 'README.md'}: {missing}"


def _life_cycle(case: Case) -> None:
    """Runs the case's steps, recording each step's result in ``case.results`` (never raises: an
    unexpected error is the result of the step it happened in)."""
    case.write_platform()
    inventory: list[Obj] = []
    claims: dict[str, tuple[str, str]] = {}
    operator = case.operator_objects()

    def deploy() -> None:
        nonlocal inventory, claims
        code, report, shown = case.cli("deploy")
        if code != 0:
            raise _Stop(f"deploy exited {code}: {_cut(shown)}")
        inventory = case.release_objects()
        claims = case.claims()
        unbound = [name for name, (_, volume) in claims.items() if not volume]
        _require(not unbound, f"claims not bound after the deploy: {unbound}")
        _require(report.get("ok") is True, f"deploy exited 0 but its report is not ok: {_cut(shown)}")

    def plan() -> None:
        code, report, shown = case.cli("plan")
        said = [
            {k: c.get(k) for k in ("action", "reason", "drift", "diff") if c.get(k)}
            for c in report.get("components") or []
        ]
        message = f"plan right after the deploy exited {code} (0 = no change, no drift): {_cut(str(said or shown))}"
        _require(code == 0, message)

    def deploy_unchanged() -> None:
        before = case.release_revision()
        code, _, shown = case.cli("deploy")
        _require(code == 0, f"a deploy with nothing changed exited {code}: {_cut(shown)}")
        after = case.release_revision()
        _require(after == before, f"a deploy with nothing changed wrote Helm revision {after} (was {before})")

    def status() -> None:
        code, report, shown = case.cli("status")
        unhealthy = {
            c.get("component"): f"{c.get('health')}: {c.get('reason')}"
            for c in report.get("components") or []
            if c.get("health") != "healthy"
        }
        _require(code == 0 and not unhealthy, f"status exited {code}, not healthy: {unhealthy or _cut(shown)}")

    def undeploy() -> None:
        case.add_operator_objects()
        _, preview, _ = case.cli("undeploy", "--dry-run")
        code, report, shown = case.cli("undeploy", "--yes")
        problems = _dry_run_differs(preview, report, "keptData", claims)
        if code != 0:
            problems.append(f"exited {code}: {_cut(shown)}")
        now = case.claims()
        for claim, (uid, _) in claims.items():
            if claim not in now:
                problems.append(f"claim {claim} deleted (plain undeploy keeps every claim)")
            elif now[claim][0] != uid:
                problems.append(f"claim {claim} replaced (uid {uid} -> {now[claim][0]})")
            if not _mentions(report.get("keptData"), claim):
                problems.append(f"claim {claim} not listed as kept in keptData")
        problems += [f"the operator's {obj} is gone" for obj in operator if not case.exists(obj)]
        for ns in {str(obj.namespace) for obj in operator}:
            entry = _namespace_entry(report, ns)
            if not case.namespace_exists(ns):
                problems.append(f"namespace {ns} deleted with the operator's objects in it")
            elif entry is None or entry.get("deleted") is not False:
                problems.append(f"namespace {ns} (operator's objects in it) not reported as kept: {entry}")
        # claims and the volumes bound to them hold the data; the chart asks to keep some objects itself
        data = ("PersistentVolumeClaim", "PersistentVolume")
        leftover = [str(o) for o in inventory if o.kind not in data and not o.kept_by_chart and case.exists(o)]
        if leftover:
            problems.append(f"objects of the release still there after undeploy: {leftover}")
        for volume in (o for o in inventory if o.kind == "PersistentVolume"):
            live = get_object(case.client, volume.ref())
            if live is None or (live.get("metadata") or {}).get("deletionTimestamp"):
                # a release's own volume bound to a kept claim: deleting it leaves the claim on a
                # volume stuck terminating, and the next install cannot create it again
                problems.append(f"{volume} (the data of a kept claim) {'deleted' if live is None else 'terminating'}")
        _require(not problems, "; ".join(problems))

    def redeploy() -> None:
        nonlocal inventory
        code, _, shown = case.cli("deploy")
        if code != 0:
            raise AssertionError(f"deploy after undeploy exited {code}: {_cut(shown)}")
        inventory = case.release_objects()
        now = case.claims()
        problems = []
        for claim, (uid, volume) in claims.items():
            if claim not in now:
                problems.append(f"claim {claim} missing after the deploy")
            elif now[claim] != (uid, volume):
                problems.append(f"claim {claim} not reused: (uid, volume) {(uid, volume)} -> {now[claim]}")
        extra = sorted(set(now) - set(claims))
        if extra:
            problems.append(f"new claims instead of the kept ones: {extra}")
        _require(not problems, "; ".join(problems))

    def purge() -> None:
        case.add_operator_objects()
        current = case.claims()
        _, preview, _ = case.cli("undeploy", "--purge-data", "--dry-run")
        code, report, shown = case.cli("undeploy", "--purge-data", "--yes")
        problems = _dry_run_differs(preview, report, "deletedData", current)
        if code != 0:
            problems.append(f"exited {code}: {_cut(shown)}")
        if report.get("purged") is not True:
            problems.append(f"report not marked purged: {_cut(shown)}")
        deadline = time.monotonic() + 20  # claims and finalized objects may take a moment to go
        left = [obj for obj in inventory if case.exists(obj)]
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = [obj for obj in left if case.exists(obj)]
        if left:
            problems.append(f"objects of the release left: {[str(o) for o in left]}")
        left_claims = sorted(set(case.claims()) & set(current))
        if left_claims:
            problems.append(f"claims left: {left_claims}")
        unlisted = [claim for claim in current if not _mentions(report.get("deletedData"), claim)]
        if unlisted:
            problems.append(f"claims not listed in deletedData: {unlisted}")
        problems += [f"the operator's {obj} was deleted" for obj in operator if not case.exists(obj)]
        for ns in {str(obj.namespace) for obj in operator}:
            entry = _namespace_entry(report, ns)
            if not case.namespace_exists(ns):
                problems.append(f"namespace {ns} deleted with the operator's objects in it")
            elif entry is None or entry.get("deleted") is not False:
                problems.append(f"namespace {ns} not reported as kept: {entry}")
            elif OPERATOR_OBJECT not in str(entry.get("reason")) and ns not in case.pre_existing:
                problems.append(f"namespace {ns} kept, but the reason does not name {OPERATOR_OBJECT}: {entry}")
        for ns in case.pre_existing:
            entry = _namespace_entry(report, ns)
            if entry is None or entry.get("deleted") is not False or not entry.get("reason"):
                problems.append(f"namespace {ns} (there before the platform) not reported as kept with why: {entry}")
        admin = case.namespaces["admin"]
        if admin not in case.pre_existing and case.namespace_exists(admin):
            entry = _namespace_entry(report, admin)
            problems.append(f"admin namespace {admin} (helmdeck's, nothing foreign in it) left: {entry}")
        for crd in _crds(case.chart):
            if not _mentions(report.get("left"), crd):
                problems.append(f"the CRD {crd} is left (purge keeps CRDs) but not listed in `left`")
        _require(not problems, "; ".join(problems))

    cluster_scoped: list[Obj] = []
    try:
        case.prepare()
        with Controllers(case):
            steps: list[tuple[str, Callable[[], None], bool]] = [
                ("deploy", deploy, True),
                ("plan", plan, False),
                ("deploy-unchanged", deploy_unchanged, False),
                ("status", status, False),
                ("undeploy", undeploy, False),
                ("redeploy", redeploy, False),
                ("purge", purge, False),
            ]
            _run_steps(case, steps)
            cluster_scoped = [obj for obj in inventory if obj.namespace is None]
    except Exception as exc:  # the test reports it as the case's failure, the other cases go on
        case.results["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        case.cleanup(cluster_scoped)


PARALLEL = int(os.environ.get("HELMDECK_CONFORMANCE_PARALLEL", "4"))


@pytest.fixture(scope="module")
def life_cycles(
    sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Case]:
    """Every chart this session selected, run through its life cycle, several at once: a case
    spends most of its time waiting on the API server and health gates, not on the machine."""
    selected = [
        item.callspec.params["chart"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_chart_life_cycle" and hasattr(item, "callspec")
    ]
    cases = {chart.name: Case(sandbox, chart, tmp_path_factory.mktemp(chart.name)) for chart in selected}
    with ThreadPoolExecutor(max_workers=max(1, PARALLEL), thread_name_prefix="conformance") as pool:
        list(pool.map(_life_cycle, cases.values()))
    report = os.environ.get("HELMDECK_CONFORMANCE_REPORT")
    if report:
        with open(report, "a") as out:
            for made in cases.values():
                out.write(json.dumps({"chart": made.name, "steps": made.results, "seconds": made.seconds}) + "\n")
    return cases


# the first of these tests waits for the whole corpus (the module fixture runs every case):
# 14 charts take 8 minutes on 2 cores that 8 sandboxes share, 3 to 4 on a quiet machine
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("chart", CHARTS, ids=[c.name for c in CHARTS])
def test_chart_life_cycle(chart: Path, life_cycles: dict[str, Case]) -> None:
    case = life_cycles[chart.name]
    failed = {step: result for step, result in case.results.items() if result != "pass"}
    assert not failed, f"chart {case.name}:\n" + "\n".join(f"  step {s}: {r}" for s, r in failed.items())
