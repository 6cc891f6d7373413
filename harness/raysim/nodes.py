"""What runs inside the pods KubeRay creates: Ray head and worker nodes, and the job submitters.

Each class is a :class:`~harness.kube.containers.ContainerProgram`. They reproduce the observable behaviour of
the real processes: the head's ``ray start`` output and its dashboard coming up a few seconds after the container
starts; the v1.7 K8sJobMode submitter's health wait loop, ``ray job status`` check, ``ray job submit --no-wait``
and ``ray job logs --follow`` (which exits 0 even when the job failed); and the SidecarMode submitter, which
submits without ``--no-wait`` and exits 1 only when the job FAILED (as ``ray job submit`` does).

Timings (``RayTimings``) default to the figures measured with Ray 2.60 on a 2-core machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ..kube.containers import ContainerContext, ContainerProgram, ProgramFactory
from ..model.enums import JobStatus
from ..model.kinds import RAYCLUSTER, RAYJOB
from ..model.labels import (
    LABEL_CLUSTER,
    LABEL_JOB_NAME,
    LABEL_NODE_TYPE,
    LABEL_ORIGIN_CRD,
    LABEL_ORIGIN_NAME,
    SUBMITTER_CONTAINER,
)
from ..model.rayjob import RayJob
from ..sim.clock import PRIORITY_KUBELET, Timer
from ..sim.store import ObjectStore
from .dashboard import DashboardError, RayDashboard, SubmitRequest
from .directory import DashboardDirectory


@dataclass(frozen=True)
class RayTimings:
    """Seconds each Ray process takes for its steps."""

    head_start: float = 3.0  # `ray start --head` until the dashboard answers
    worker_start: float = 2.0  # `ray start --address` until the raylet is healthy
    cli_call: float = 0.8  # one `ray job ...` CLI round trip (interpreter start + HTTP)
    health_retry: float = 2.0  # the wait loop's `sleep 2`
    follow_poll: float = 1.0  # how often `ray job logs --follow` sees new lines
    follow_drain: float = 5.0  # `ray job logs --follow` returns about 5 s after the job ends


def _env(container: Mapping[str, Any], name: str) -> str:
    for item in container.get("env") or []:
        if item.get("name") == name:
            return str(item.get("value", ""))
    return ""


def head_start_lines(ip: str, dashboard_port: int) -> list[str]:
    """The stdout of ``ray start --head --block`` (without colour), as ``kubectl logs <head-pod>`` shows it."""
    return [
        "Usage stats collection is disabled.", "", f"Local node IP: {ip}", "", "--------------------",
        "Ray runtime started.", "--------------------", "", "Next steps",
        "  To add another node to this Ray cluster, run", f"    ray start --address='{ip}:6379'", "",
        "  To connect to this Ray cluster:", "    import ray", "    ray.init()", "",
        "  To submit a Ray job using the Ray Jobs CLI:",
        f"    RAY_API_SERVER_ADDRESS='http://{ip}:{dashboard_port}' ray job submit --working-dir . -- python "
        "my_script.py", "", "  To terminate the Ray runtime, run", "    ray stop", "",
        "  To view the status of the cluster, use", "    ray status", "",
        "  To monitor and debug Ray, view the dashboard at ", f"    {ip}:{dashboard_port}", "", "--block",
        "  This command will now block forever until terminated by a signal.",
        "  Running subprocesses are monitored and a message will be printed if any of them terminate unexpectedly. "
        "Subprocesses exit with SIGTERM will be treated as graceful, thus NOT reported.",
    ]


class RayHeadProgram:
    """``ray start --head --block``: brings up a fresh dashboard for the cluster."""

    def __init__(self, store: ObjectStore, directory: DashboardDirectory, timings: RayTimings) -> None:
        self.store = store
        self.directory = directory
        self.timings = timings
        self.dashboard: RayDashboard | None = None
        self._timer: Timer | None = None

    def start(self, ctx: ContainerContext) -> None:
        pod = ctx.pod
        cluster = self.store.find(RAYCLUSTER, pod["metadata"]["namespace"],
                                  pod["metadata"]["labels"].get(LABEL_CLUSTER, ""))
        if cluster is None:
            ctx.exit(1, "Error")
            return
        self.dashboard = self.directory.start_head(cluster, pod)
        dashboard = self.dashboard
        port = next((int(p["containerPort"]) for p in ctx.container.get("ports") or []
                     if p.get("name") == "dashboard"), 8265)

        def up() -> None:
            if not ctx.running:
                return
            custom = self.directory.executor.head_log_source()
            if custom is not None:
                ctx.stream(custom)  # the real `ray start` output, as complete as it is when someone reads it
            else:
                ctx.log(*head_start_lines((pod.get("status") or {}).get("podIP", "10.244.0.x"), port))
            dashboard.serving = True
            ctx.set_ready(True)

        self._timer = ctx.clock.call_later(self.timings.head_start, up, priority=PRIORITY_KUBELET,
                                           label="ray head up")

    def stop(self, ctx: ContainerContext) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.dashboard is not None:
            self.directory.stop_head(self.dashboard)


class RayWorkerProgram:
    """``ray start --address=<head>:6379 --block``: healthy once its raylet is up."""

    def __init__(self, timings: RayTimings) -> None:
        self.timings = timings

    def start(self, ctx: ContainerContext) -> None:
        def up() -> None:
            if ctx.running:
                ctx.log("Local node IP: " + str((ctx.pod.get("status") or {}).get("podIP", "")), "",
                        "--------------------", "Ray runtime started.", "--------------------", "",
                        "To terminate the Ray runtime, run", "  ray stop", "--block",
                        "  This command will now block forever until terminated by a signal.")
                ctx.set_ready(True)

        ctx.clock.call_later(self.timings.worker_start, up, priority=PRIORITY_KUBELET, label="ray worker up")

    def stop(self, ctx: ContainerContext) -> None:
        return None


def submit_request_for(job: RayJob, submission_id: str, submitted_by: str) -> SubmitRequest:
    """What ``ray job submit`` (or the operator's HTTP client) sends for a RayJob's spec."""
    runtime_env = yaml.safe_load(job.spec.runtime_env_yaml) if job.spec.runtime_env_yaml else None
    resources = json.loads(job.spec.entrypoint_resources) if job.spec.entrypoint_resources else None
    return SubmitRequest(
        submission_id=submission_id, entrypoint=job.spec.entrypoint.strip() if submitted_by != "operator"
        else job.spec.entrypoint, runtime_env=runtime_env if isinstance(runtime_env, dict) else None,
        metadata=dict(job.spec.metadata) or None, entrypoint_num_cpus=job.spec.entrypoint_num_cpus or None,
        entrypoint_num_gpus=job.spec.entrypoint_num_gpus or None,
        entrypoint_resources=resources if isinstance(resources, dict) else None, submitted_by=submitted_by,
        rayjob=job.name)


def _submits_without_following(container: Mapping[str, Any]) -> bool:
    """A user-written submitter command that submits with --no-wait and never follows the job's logs."""
    text = " ".join([*map(str, container.get("command") or []), *map(str, container.get("args") or [])])
    return "--no-wait" in text and "--follow" not in text


def client_side_runtime_env_error(runtime_env: Mapping[str, Any] | None) -> str | None:
    """What ``ray job submit`` refuses before contacting the cluster: a remote working_dir that is not a .zip."""
    working_dir = (runtime_env or {}).get("working_dir")
    if isinstance(working_dir, str) and "://" in working_dir and not working_dir.endswith(".zip"):
        return "ValueError: Only .zip files supported for remote URIs."
    return None


def submitted_banner(address: str, submission_id: str) -> list[str]:
    line = f"Job '{submission_id}' submitted successfully"
    return [f"Job submission server address: {address}", "", "-" * len(line), line, "-" * len(line), "",
            "Next steps", "  Query the logs of the job:", f"    ray job logs {submission_id}",
            "  Query the status of the job:", f"    ray job status {submission_id}",
            "  Request the job to be stopped:", f"    ray job stop {submission_id}", ""]


def final_status_lines(job_status: JobStatus, submission_id: str, message: str) -> list[str]:
    if job_status == JobStatus.SUCCEEDED:
        text = f"Job '{submission_id}' succeeded"
        return ["", "-" * len(text), text, "-" * len(text), ""]
    if job_status == JobStatus.STOPPED:
        return [f"Job '{submission_id}' was stopped"]
    text = f"Job '{submission_id}' failed"
    return ["", "-" * len(text), text, "-" * len(text), "", f"Status message: {message}"]


class SubmitterProgram:
    """The submitter process, K8sJobMode (status check + ``--no-wait`` + ``logs --follow``) or SidecarMode."""

    def __init__(self, store: ObjectStore, directory: DashboardDirectory, timings: RayTimings, *,
                 sidecar: bool) -> None:
        self.store = store
        self.directory = directory
        self.timings = timings
        self.sidecar = sidecar
        self._timer: Timer | None = None
        self._printed = 0

    def _later(self, ctx: ContainerContext, delay: float, step: Callable[[], None], label: str) -> None:
        def run() -> None:
            if ctx.running:
                step()

        self._timer = ctx.clock.call_later(delay, run, priority=PRIORITY_KUBELET, label=label)

    def _dashboard(self, ctx: ContainerContext) -> RayDashboard:
        namespace = ctx.pod["metadata"]["namespace"]
        if self.sidecar:
            cluster = ctx.pod["metadata"]["labels"].get(LABEL_CLUSTER, "")
            dashboard = self.directory.current(namespace, cluster)
            if dashboard is None or not dashboard.serving:
                raise DashboardError("connection refused")
            return dashboard
        return self.directory.resolve(_env(ctx.container, "RAY_DASHBOARD_ADDRESS"), namespace=namespace)

    def _address(self, ctx: ContainerContext) -> str:
        if self.sidecar:
            return "http://127.0.0.1:8265"
        return "http://" + _env(ctx.container, "RAY_DASHBOARD_ADDRESS").removeprefix("http://")

    def start(self, ctx: ContainerContext) -> None:
        self._printed = 0
        self._wait_for_health(ctx)

    def _wait_for_health(self, ctx: ContainerContext) -> None:
        try:
            self._dashboard(ctx)
        except DashboardError:
            ctx.log(f"Waiting for Ray Dashboard GCS to become healthy at {self._address(ctx)} ...")
            self._later(ctx, self.timings.health_retry + self.timings.cli_call, lambda: self._wait_for_health(ctx),
                        "submitter health wait")
            return
        self._later(ctx, self.timings.cli_call, lambda: self._submit(ctx), "submitter submit")

    def _rayjob(self, ctx: ContainerContext) -> RayJob | None:
        namespace = ctx.pod["metadata"]["namespace"]
        labels = ctx.pod["metadata"].get("labels") or {}
        name = labels.get(LABEL_ORIGIN_NAME) or labels.get(LABEL_JOB_NAME, "")
        if self.sidecar:
            cluster = self.store.find(RAYCLUSTER, namespace, labels.get(LABEL_CLUSTER, ""))
            name = ((cluster or {}).get("metadata", {}).get("labels") or {}).get(LABEL_ORIGIN_NAME, "")
        raw = self.store.find(RAYJOB, namespace, name)
        return RayJob.from_raw(raw) if raw is not None else None

    def _submit(self, ctx: ContainerContext) -> None:
        submission_id = _env(ctx.container, "RAY_JOB_SUBMISSION_ID")
        job = self._rayjob(ctx)
        try:
            dashboard = self._dashboard(ctx)
            known = submission_id in dashboard.jobs if submission_id else False
            if self.sidecar or not known:
                if job is None:
                    raise DashboardError("the RayJob this submitter belongs to is gone")
                request = submit_request_for(job, submission_id, "sidecar" if self.sidecar else "submitter")
                problem = client_side_runtime_env_error(request.runtime_env)
                if problem is not None:
                    ctx.log("Traceback (most recent call last):", problem)
                    ctx.exit(1, "Error")
                    return
                submitted = dashboard.submit_job(request)
                ctx.log(*submitted_banner(self._address(ctx), submitted))
                if self.sidecar:
                    ctx.log("Tailing logs until the job exits (disable with --no-wait):")
        except DashboardError as exc:
            ctx.log("Traceback (most recent call last):", f"RuntimeError: {exc}")
            ctx.exit(1, "Error")
            return
        if not self.sidecar and _submits_without_following(ctx.container):
            ctx.exit(0)  # a user command such as `ray job submit --no-wait ...` ends right after submitting
            return
        self._later(ctx, self.timings.cli_call, lambda: self._follow(ctx, submission_id), "submitter follow")

    def _follow(self, ctx: ContainerContext, submission_id: str) -> None:
        try:
            dashboard = self._dashboard(ctx)
            record = dashboard.jobs[submission_id]
        except (DashboardError, KeyError) as exc:
            ctx.log("Traceback (most recent call last):", f"RuntimeError: Failed to follow the job logs: {exc}")
            ctx.exit(1, "Error")
            return
        new_lines = record.driver_log[self._printed:]
        self._printed += len(new_lines)
        if new_lines:
            ctx.log(*new_lines)
        if not record.status.is_terminal:
            self._later(ctx, self.timings.follow_poll, lambda: self._follow(ctx, submission_id), "submitter tail")
            return

        def finish() -> None:
            rest = record.driver_log[self._printed:]
            self._printed += len(rest)
            if rest:
                ctx.log(*rest)
            ctx.log(*final_status_lines(record.status, submission_id, record.message))
            # `ray job submit` exits 1 for FAILED; `ray job logs --follow` exits 0 whatever the outcome.
            ctx.exit(1 if self.sidecar and record.status == JobStatus.FAILED else 0)

        self._later(ctx, self.timings.follow_drain, finish, "submitter drain")

    def stop(self, ctx: ContainerContext) -> None:
        if self._timer is not None:
            self._timer.cancel()


def ray_program_factory(store: ObjectStore, directory: DashboardDirectory,
                        timings: RayTimings) -> ProgramFactory:
    """Choose the program of a container from the labels KubeRay and the Job controller put on its pod."""

    def factory(pod: Mapping[str, Any], container: Mapping[str, Any]) -> ContainerProgram | None:
        labels = pod["metadata"].get("labels") or {}
        node_type = labels.get(LABEL_NODE_TYPE)
        containers = pod["spec"].get("containers") or []
        is_first = bool(containers) and containers[0].get("name") == container.get("name")
        if node_type == "head":
            if container.get("name") == SUBMITTER_CONTAINER:
                return SubmitterProgram(store, directory, timings, sidecar=True)
            return RayHeadProgram(store, directory, timings) if is_first else None
        if node_type == "worker":
            return RayWorkerProgram(timings) if is_first else None
        if labels.get(LABEL_ORIGIN_CRD) == "RayJob" and LABEL_JOB_NAME in labels and is_first:
            return SubmitterProgram(store, directory, timings, sidecar=False)
        return None

    return factory
