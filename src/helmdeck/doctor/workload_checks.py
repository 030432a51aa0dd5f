"""One unhealthy workload explained: creation failures (quotas, admission), unscheduled pods (with
the scheduler's reasons, node capacity, GPUs, claims), images that cannot be pulled from where,
crashing and failing containers (exit codes, last log lines), failed Jobs."""

from __future__ import annotations

from typing import Any

from helmdeck.cluster import FailureReport, ObjectStatus, ObjRef, diagnose, get_object, tail_logs
from helmdeck.cluster.pods import ContainerSummary, LogTail, PodSummary
from helmdeck.cluster.readiness import is_workload
from helmdeck.doctor.capacity import GPU_RESOURCES
from helmdeck.doctor.claim_checks import ClaimChecks
from helmdeck.doctor.diagnosis import list_of, log_text, mapping_of
from helmdeck.doctor.findings import Severity
from helmdeck.doctor.registry import registry_host
from helmdeck.doctor.scheduling import parse_scheduling_message
from helmdeck.errors import HelmdeckError

IMAGE_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})

CONFIG_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError", "RunContainerError"})


class WorkloadChecks(ClaimChecks):
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
        spec, status = mapping_of(job.get("spec")), mapping_of(job.get("status"))
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
                    sentence, log_details = log_text(log)
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
            sentence, details = log_text(log)
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
            sentence, details = log_text(log)
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
        spec = mapping_of((get_object(self.client, ObjRef("v1", "Pod", pod.name, pod.namespace)) or {}).get("spec"))
        secrets = [str(mapping_of(s).get("name")) for s in list_of(spec.get("imagePullSecrets"))]
        account = str(spec.get("serviceAccountName") or "default")
        sa = get_object(self.client, ObjRef("v1", "ServiceAccount", account, pod.namespace)) or {}
        secrets += [str(mapping_of(s).get("name")) for s in list_of(sa.get("imagePullSecrets"))]
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
