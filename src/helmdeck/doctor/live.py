"""``helmdeck doctor --live``: every unhealthy object of the deployed platform, explained.

Health comes from :func:`helmdeck.cluster.observe` (one list per kind and namespace) and the
evidence (pods, container states, events, log lines) from :func:`helmdeck.cluster.diagnose`; this
module turns that evidence into findings that say what is wrong and what to do: why a pod is not
scheduled, which image cannot be pulled from where, how a container crashes, which init container
fails, why a Job or a Helm hook failed, what a quota rejected, why a claim is not bound, and which
Ingress already routes a host.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from helmdeck.cluster import (
    EventSummary,
    FailureReport,
    KubeClient,
    ObjectStatus,
    ObjRef,
    diagnose,
    get_object,
    list_objects,
    observe,
    recent_events,
    tail_logs,
)
from helmdeck.cluster.kinds import normalize
from helmdeck.cluster.pods import ContainerSummary, LogTail, PodSummary
from helmdeck.cluster.readiness import is_workload
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import StoredRelease, latest_releases
from helmdeck.doctor.capacity import GPU_RESOURCES
from helmdeck.doctor.findings import DoctorReport, Finding, Severity
from helmdeck.doctor.ingress import default_ingress_class, is_ingress, route_conflicts, routes_of
from helmdeck.doctor.registry import registry_host
from helmdeck.doctor.scheduling import allocatable, parse_scheduling_message
from helmdeck.doctor.storage import default_class
from helmdeck.errors import HelmdeckError
from helmdeck.manifests import parse_manifest_stream

IMAGE_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
CONFIG_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError", "RunContainerError"})
NO_PROVISIONER = "kubernetes.io/no-provisioner"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _log_text(log: LogTail | None) -> tuple[str, dict[str, Any]]:
    """A sentence about a container's last log lines, and the lines for the details."""
    if log is None:
        return "", {}
    if log.unavailable:
        why = log.unavailable.removeprefix("logs unavailable: ")
        return f"; its logs are unavailable ({why})", {"logs": [], "logsUnavailable": log.unavailable}
    if not log.lines:
        return "; it logged nothing", {"logs": []}
    return f"; last log line: {log.lines[-1]}", {"logs": list(log.lines)}


@dataclass(frozen=True)
class ReleaseRecord:
    """What Helm recorded about a release revision beyond its manifest: status text and hooks."""

    description: str
    hooks: tuple[Mapping[str, Any], ...] = ()

    @property
    def failed_hooks(self) -> list[Mapping[str, Any]]:
        return [h for h in self.hooks if _map(h.get("last_run")).get("phase") == "Failed"]


def decode_release_record(encoded: str) -> ReleaseRecord | None:
    """Helm's release Secret payload (base64 of gzip of JSON, inside the Secret's base64)."""
    try:
        blob = base64.b64decode(base64.b64decode(encoded))
        if blob[:2] == b"\x1f\x8b":
            blob = gzip.decompress(blob)
        data = json.loads(blob)
    except (ValueError, OSError, binascii.Error):
        return None
    hooks = tuple(h for h in _list(data.get("hooks")) if isinstance(h, Mapping))
    return ReleaseRecord(str(_map(data.get("info")).get("description", "")), hooks)


@dataclass(frozen=True)
class ClaimProblem:
    reason: str
    fix: str
    details: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "error"


@dataclass
class _Diagnosis:
    session: PlatformSession
    client: KubeClient
    report: DoctorReport
    log_lines: int = 20
    _nodes: list[dict[str, Any]] | None = None
    _classes: dict[str, Mapping[str, Any]] | None = None
    _claims: dict[tuple[str, str], ClaimProblem | None] = field(default_factory=dict)
    release_objects: set[ObjRef] = field(default_factory=set)
    failed_releases: set[str] = field(default_factory=set)  # components whose release failed

    # -- cluster facts, read when first needed ------------------------------------------------
    def nodes(self) -> list[dict[str, Any]]:
        if self._nodes is None:
            try:
                self._nodes = list(list_objects(self.client, "v1", "Node"))
            except HelmdeckError:
                self._nodes = []
        return self._nodes

    def storage_classes(self) -> dict[str, Mapping[str, Any]]:
        if self._classes is None:
            try:
                objs = list_objects(self.client, "storage.k8s.io/v1", "StorageClass")
                self._classes = {str(o["metadata"]["name"]): o for o in objs}
            except HelmdeckError:
                self._classes = {}
        return self._classes

    def most_on_one_node(self, resource: str) -> Decimal:
        return max((allocatable(n).get(resource, Decimal(0)) for n in self.nodes()), default=Decimal(0))

    def add(
        self,
        severity: Severity,
        check: str,
        component: str | None,
        obj: str | None,
        reason: str,
        fix: str,
        **details: Any,
    ) -> None:
        self.report.add(Finding(severity, check, component, obj, reason, fix, details))

    # -- the platform -------------------------------------------------------------------------
    def run(self) -> None:
        platform = self.session.platform
        releases = latest_releases(self.session, platform.all_namespaces())
        owner: dict[ObjRef, str] = {}
        refs: list[ObjRef] = []
        ingresses: list[tuple[str, ObjRef, Mapping[str, Any]]] = []
        for name, stored in releases.items():
            if stored.status == "uninstalled":
                continue
            self._check_release(name, stored)
            for obj in parse_manifest_stream(stored.manifest, component=name):
                ref, _ = normalize(self.client, ObjRef.from_manifest(obj.body, stored.namespace))
                owner.setdefault(ref, name)
                refs.append(ref)
                self.release_objects.add(ref)
                if is_ingress(obj.group, obj.kind):
                    ingresses.append((name, ref, obj.body))
        if not releases:
            self.add(
                "info",
                "not-deployed",
                None,
                None,
                f"platform {self.session.platform_id} has no releases in the cluster",
                "deploy it first: helmdeck deploy",
            )
            return
        self.report.checks.append("workloads")
        for status in observe(self.client, refs) if refs else []:
            component = owner.get(status.ref, "?")
            if component in self.failed_releases and status.health.reason == "does not exist yet":
                continue  # never created: the release's own finding says why
            if not status.health.ready:
                self._explain(component, status)
        if ingresses:
            self.report.checks.append("ingress-conflicts")
            self._ingress_conflicts(ingresses)

    def _check_release(self, component: str, stored: StoredRelease) -> None:
        if stored.status == "deployed":
            return
        record = self._release_record(stored)
        description = record.description if record else ""
        if stored.status.startswith("pending"):
            self.add(
                "warning",
                "release-pending",
                component,
                f"release {stored.namespace}/{stored.name}",
                f"revision {stored.revision} is {stored.status}: {description or 'an operation is running or died'}",
                "wait for the running operation; if its process is gone, the next deploy recovers the release",
            )
            return
        self.failed_releases.add(component)
        failed = record.failed_hooks if record else []
        for hook in failed:
            self._failed_hook(component, stored, hook)
        if not failed:
            self.add(
                "error",
                "release-failed",
                component,
                f"release {stored.namespace}/{stored.name}",
                f"revision {stored.revision} is {stored.status}" + (f": {description}" if description else ""),
                "fix the cause shown and deploy again (helmdeck deploy), or roll back (helmdeck rollback)",
            )

    def _release_record(self, stored: StoredRelease) -> ReleaseRecord | None:
        ref = ObjRef("v1", "Secret", f"sh.helm.release.v1.{stored.name}.v{stored.revision}", stored.namespace)
        try:
            secret = get_object(self.client, ref)
        except HelmdeckError:
            return None
        encoded = _map(secret.get("data") if secret else None).get("release")
        return decode_release_record(str(encoded)) if encoded else None

    def _failed_hook(self, component: str, stored: StoredRelease, hook: Mapping[str, Any]) -> None:
        kind, name = str(hook.get("kind", "")), str(hook.get("name", ""))
        events = ", ".join(str(e) for e in _list(hook.get("events"))) or "hook"
        obj = f"{kind} {stored.namespace}/{name}"
        why = ""
        details: dict[str, Any] = {"events": list(_list(hook.get("events")))}
        if kind == "Job":
            try:
                report = diagnose(
                    self.client, ObjRef("batch/v1", "Job", name, stored.namespace), log_lines=self.log_lines
                )
            except HelmdeckError:
                report = None
            if report is not None and report.health.state != "progressing":
                job_why, job_details = self._job_failure(report)
                why, details = f": {job_why}", {**details, **job_details}
            elif report is not None:
                why = " (the Job has since been deleted by its hook-delete-policy)"
        self.add(
            "error",
            "hook-failed",
            component,
            obj,
            f"the {events} hook {obj} of release {stored.name} failed{why}, so Helm marked revision "
            f"{stored.revision} failed",
            "fix the hook's cause (its image, command or the values it reads) and deploy again",
            **details,
        )

    # -- one unhealthy object -----------------------------------------------------------------
    def _explain(self, component: str, status: ObjectStatus) -> None:
        ref, state = status.ref, status.health
        if ref.kind == "PersistentVolumeClaim" and ref.group == "":
            problem = self._claim_problem(ref.namespace or "", ref.name, has_pod=False)
            if problem is not None:
                self.add(
                    problem.severity,
                    "claim-unbound",
                    component,
                    str(ref),
                    problem.reason,
                    problem.fix,
                    **problem.details,
                )
            return
        if not (is_workload(ref.api_version, ref.kind) or (ref.kind == "Pod" and ref.group == "")):
            severity: Severity = "error" if state.failed or state.state == "unknown" else "info"
            self.add(
                severity,
                "unhealthy",
                component,
                str(ref),
                f"{state.state}: {state.reason}",
                "see the object's status and events: kubectl describe "
                + f"{ref.kind.lower()} {ref.name}"
                + (f" -n {ref.namespace}" if ref.namespace else ""),
            )
            return
        try:
            report = diagnose(self.client, ref, observed=state, log_lines=self.log_lines)
        except HelmdeckError as err:
            self.add(
                "error" if state.failed else "info",
                "unhealthy",
                component,
                str(ref),
                f"{state.state}: {state.reason} (details unavailable: {err.message})",
                err.fix or "retry",
            )
            return
        before = len(self.report.findings)
        if ref.kind == "Job" and state.failed:
            why, details = self._job_failure(report)
            self.add(
                "error",
                "job-failed",
                component,
                str(ref),
                why,
                "fix what makes the pod fail (see its exit code and logs), then deploy again to re-run the Job",
                **details,
            )
        else:
            self._creation_failures(component, ref, report)
            self._pods(component, ref, report)
        if len(self.report.findings) == before:
            verdict: Severity = "error" if state.failed else "info"
            self.add(
                verdict,
                "unhealthy",
                component,
                str(ref),
                f"{state.state}: {state.reason}",
                "wait if it is still starting; otherwise see kubectl describe "
                + f"{ref.kind.lower()} {ref.name}"
                + (f" -n {ref.namespace}" if ref.namespace else ""),
            )

    def _job_failure(self, report: FailureReport) -> tuple[str, dict[str, Any]]:
        """Why a Job failed: its condition, its backoff limit and the exit code of a failed pod."""
        job = get_object(self.client, report.ref) or {}
        spec, status = _map(job.get("spec")), _map(job.get("status"))
        limit = spec.get("backoffLimit", 6)
        failures = status.get("failed", 0)
        text = f"{report.health.reason}; {failures} failed pod(s) with backoffLimit {limit}"
        details: dict[str, Any] = {"backoffLimit": limit, "failed": failures}
        for pod in report.pods:
            for c in pod.containers:
                code = c.exit_code if c.exit_code is not None else c.last_exit_code
                if code:
                    text += f"; pod {pod.name} container {c.name} exited with code {code}"
                    log = tail_logs(self.client, pod.namespace, pod.name, c.name, self.log_lines)
                    sentence, log_details = _log_text(log)
                    details.update(log_details)
                    return text + sentence, details
        return text, details

    def _creation_failures(self, component: str, ref: ObjRef, report: FailureReport) -> None:
        """Pods the controller could not create: quota and LimitRange rejections (FailedCreate)."""
        messages = [e.message for e in report.events if e.reason == "FailedCreate" and e.warning]
        if not messages and "cannot create pods" in report.health.reason:
            messages = [report.health.reason]
        if not messages:
            return
        message = messages[-1]
        if "exceeded quota" in message:
            quota = message.split("exceeded quota:", 1)[1].split(",", 1)[0].strip()
            self.add(
                "error",
                "quota-rejected",
                component,
                str(ref),
                f"ResourceQuota {ref.namespace}/{quota} rejects its pods: {message}",
                f"raise the quota (kubectl -n {ref.namespace} edit resourcequota {quota}) or lower the replicas or "
                f"resource requests of component {component} in values",
                quota=quota,
            )
        elif "LimitRange" in message or "per Container" in message or "per Pod" in message:
            self.add(
                "error",
                "limit-range-rejected",
                component,
                str(ref),
                f"a LimitRange in namespace {ref.namespace} rejects its pods: {message}",
                "change the component's resource requests/limits in values to fit the namespace's LimitRange",
            )
        else:
            self.add(
                "error",
                "create-failed",
                component,
                str(ref),
                f"its pods cannot be created: {message}",
                "fix what the message names (admission webhook, missing ServiceAccount, pod security...)",
            )

    def _pods(self, component: str, ref: ObjRef, report: FailureReport) -> None:
        logs = {(log.pod, log.container): log for log in report.logs}
        seen: set[tuple[str, str]] = set()
        for pod in report.pods:
            if pod.health.reason.startswith("not scheduled:"):
                key = ("unschedulable", parse_scheduling_message(pod.health.reason.split(":", 1)[1]).summary)
                if key not in seen:
                    seen.add(key)
                    self._unschedulable(component, ref, pod)
                continue
            container = pod.failing_container  # a failing one, else one that keeps restarting
            if container is None:
                continue
            key = ("CrashLoopBackOff" if _restarting(container) else container.reason or "failed", container.name)
            if key in seen:
                continue
            seen.add(key)
            self._container(component, ref, pod, container, logs.get((pod.name, container.name)))

    def _container(
        self, component: str, ref: ObjRef, pod: PodSummary, c: ContainerSummary, log: LogTail | None
    ) -> None:
        label = f"{'init container' if c.init else 'container'} {c.name} of pod {pod.name}"
        if c.reason in IMAGE_PULL_REASONS:
            self._image_pull(component, ref, pod, c, label)
        elif _restarting(c):
            code = c.last_exit_code
            sentence, details = _log_text(log)
            self.add(
                "error",
                "init-container" if c.init else "crash-loop",
                component,
                str(ref),
                f"{label} keeps crashing (CrashLoopBackOff): last exit code {code}, {c.restart_count} restarts"
                + sentence,
                _exit_fix(code),
                exitCode=code,
                restarts=c.restart_count,
                **details,
            )
        elif c.init:
            sentence, details = _log_text(log)
            self.add(
                "error",
                "init-container",
                component,
                str(ref),
                f"{label} failed with exit code {c.exit_code} ({c.reason or 'Error'}), so the pod never starts"
                + sentence,
                f"fix what init container {c.name} does (its command, or the service it waits for); "
                + _exit_fix(c.exit_code),
                exitCode=c.exit_code,
                container=c.name,
                **details,
            )
        elif c.reason in CONFIG_REASONS:
            self.add(
                "error",
                "container-config",
                component,
                str(ref),
                f"{label} cannot be created ({c.reason}): {c.message or 'no message'}",
                "create the Secret/ConfigMap (or key) it references, or fix the reference in values",
            )

    def _image_pull(self, component: str, ref: ObjRef, pod: PodSummary, c: ContainerSummary, label: str) -> None:
        image = c.image or "?"
        host = registry_host(image)
        spec = _map((get_object(self.client, ObjRef("v1", "Pod", pod.name, pod.namespace)) or {}).get("spec"))
        secrets = [str(_map(s).get("name")) for s in _list(spec.get("imagePullSecrets"))]
        account = str(spec.get("serviceAccountName") or "default")
        sa = get_object(self.client, ObjRef("v1", "ServiceAccount", account, pod.namespace)) or {}
        secrets += [str(_map(s).get("name")) for s in _list(sa.get("imagePullSecrets"))]
        missing = [s for s in secrets if get_object(self.client, ObjRef("v1", "Secret", s, pod.namespace)) is None]
        if not secrets:
            pull_text = "no pull secret is referenced"
        elif missing:
            pull_text = f"pull secret {', '.join(missing)} is referenced but does not exist"
        else:
            pull_text = f"pull secret {', '.join(secrets)} is referenced and exists"
        registry = self.session.platform.spec.registry
        if missing:
            fix = f"create pull secret {missing[0]} in namespace {pod.namespace} (or fix the reference in values)"
        elif registry is not None and not image.startswith(registry.url.rstrip("/") + "/"):
            fix = (
                f"check the image name and tag exist; the platform's registry is {registry.url}, "
                "so pointing the component's image values there may be what was meant"
            )
        elif not secrets and host != "docker.io":
            fix = f"check the image exists at {host}; if {host} needs credentials, set spec.registry.credentials"
        else:
            fix = f"check that {image} exists (name and tag) and that the nodes can reach {host}"
        self.add(
            "error",
            "image-pull",
            component,
            str(ref),
            f"{label} cannot pull image {image} from {host} ({c.reason}"
            + (f": {c.message}" if c.message else "")
            + f"); {pull_text}",
            fix,
            image=image,
            registry=host,
            pullSecrets=secrets,
        )

    def _unschedulable(self, component: str, ref: ObjRef, pod: PodSummary) -> None:
        message = pod.health.reason.removeprefix("not scheduled:").strip()
        failure = parse_scheduling_message(message)
        obj, details = str(ref), {"scheduler": message, "pod": pod.name}
        short = failure.summary
        before = len(self.report.findings)
        for resource in failure.insufficient:
            most = self.most_on_one_node(resource)
            if resource in GPU_RESOURCES and most <= 0:
                fix = f"add a node offering {resource} (with its device plugin), or remove the GPU request"
            else:
                fix = (
                    f"lower the component's {resource} requests (the most one node has is {most.normalize():f}), "
                    "free capacity, or add nodes"
                )
            self.add(
                "error",
                "unschedulable",
                component,
                obj,
                f"pod {pod.name} is Pending: not enough {resource} on any node ({short})",
                fix,
                **details,
            )
        if failure.mentions("unbound immediate PersistentVolumeClaims") or failure.mentions("persistentvolumeclaim"):
            for claim in pod.claims:
                problem = self._claim_problem(pod.namespace, claim, has_pod=True)
                if problem is None:
                    continue
                if ObjRef("v1", "PersistentVolumeClaim", claim, pod.namespace) in self.release_objects:
                    # the claim has a finding of its own; the pod's says what it waits for
                    reason = f"pod {pod.name} is Pending until claim {claim} binds: {problem.reason}"
                    self.add("error", "unschedulable", component, obj, reason, problem.fix, **details)
                else:  # a StatefulSet's volumeClaimTemplate, or a claim from elsewhere
                    reason = f"pod {pod.name} is Pending: {problem.reason}"
                    self.add(
                        problem.severity,
                        "claim-unbound",
                        component,
                        obj,
                        reason,
                        problem.fix,
                        **problem.details,
                        **details,
                    )
        if failure.mentions("node affinity/selector"):
            self.add(
                "error",
                "unschedulable",
                component,
                obj,
                f"pod {pod.name} is Pending: its nodeSelector or node affinity matches no node ({short})",
                "compare the nodeSelector/affinity in values with the nodes' labels (kubectl get nodes --show-labels)",
                **details,
            )
        if failure.mentions("untolerated taint"):
            self.add(
                "error",
                "unschedulable",
                component,
                obj,
                f"pod {pod.name} is Pending: the nodes carry taints it does not tolerate ({short})",
                "add the matching tolerations in values, or remove the taint from the nodes",
                **details,
            )
        if failure.mentions("volume node affinity conflict") or failure.mentions("didn't find available persistent"):
            self.add(
                "error",
                "unschedulable",
                component,
                obj,
                f"pod {pod.name} is Pending: its volumes are on nodes it cannot use ({short})",
                "check the PersistentVolumes' node affinity against the pod's node selection",
                **details,
            )
        if len(self.report.findings) == before:
            self.add(
                "error",
                "unschedulable",
                component,
                obj,
                f"pod {pod.name} is Pending: {short}",
                "see kubectl describe pod " + f"{pod.name} -n {pod.namespace}",
                **details,
            )

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
        if _map(claim.get("status")).get("phase") == "Bound":
            return None
        wanted = _map(claim.get("spec")).get("storageClassName")
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
        events = [e for e in _events_of(self.client, namespace, "PersistentVolumeClaim", name) if e.warning]
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

    def _ingress_conflicts(self, ours: list[tuple[str, ObjRef, Mapping[str, Any]]]) -> None:
        try:
            live = list(list_objects(self.client, "networking.k8s.io/v1", "Ingress"))
            classes = {
                str(c["metadata"]["name"]): c for c in list_objects(self.client, "networking.k8s.io/v1", "IngressClass")
            }
        except HelmdeckError:
            return
        default = default_ingress_class(classes)
        mine = {(r.namespace, r.name) for _, r, _ in ours}
        theirs = [
            route
            for obj in live
            if (obj["metadata"].get("namespace"), obj["metadata"]["name"]) not in mine
            for route in routes_of(obj, None, default)
        ]
        routes = [(name, str(ref), r) for name, ref, body in ours for r in routes_of(body, ref.namespace, default)]
        self.report.extend(route_conflicts(routes, theirs))


def _events_of(client: KubeClient, namespace: str, kind: str, name: str) -> list[EventSummary]:
    try:
        return list(recent_events(client, namespace, {(kind, name)}, limit=5))
    except HelmdeckError:
        return []


def _restarting(c: ContainerSummary) -> bool:
    """Crash-looping, caught in back-off or in one of its short runs between back-offs."""
    return c.reason == "CrashLoopBackOff" or (not c.failing and c.restart_count > 0 and bool(c.last_exit_code))


def _exit_fix(code: int | None) -> str:
    if code == 137:
        return "exit code 137 means it was killed (often out of memory): raise its memory limit in values"
    if code == 127:
        return "exit code 127 means the command was not found: check the image and command in values"
    if code == 126:
        return "exit code 126 means the command is not executable: check the image and command in values"
    return "read its logs (kubectl logs --previous) and fix the configuration or values it fails on"


def explain_statuses(
    session: PlatformSession, component: str, statuses: Sequence[ObjectStatus], *, log_lines: int = 20
) -> list[Finding]:
    """Findings for one component's unhealthy objects, e.g. those a failed health gate reports, so
    the deploy report can say what ``doctor --live`` would."""
    report = DoctorReport(session.platform_id, session.environment, "live")
    diagnosis = _Diagnosis(session, session.client, report, log_lines)
    for status in statuses:
        if not status.health.ready:
            diagnosis._explain(component, status)
    return report.sorted()


def diagnose_platform(session: PlatformSession, *, log_lines: int = 20) -> DoctorReport:
    """Every unhealthy object of the deployed platform, explained (``helmdeck doctor --live``)."""
    start = time.monotonic()
    report = DoctorReport(session.platform_id, session.environment, "live")
    report.checks.append("cluster")
    try:
        client = session.client
    except HelmdeckError as err:
        report.add(Finding("error", "cluster", None, err.where, err.message, err.fix or "check the kubeconfig"))
        report.seconds = time.monotonic() - start
        return report
    report.checks.append("releases")
    _Diagnosis(session, client, report, log_lines).run()
    report.seconds = time.monotonic() - start
    return report
