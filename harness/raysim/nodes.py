"""What runs inside the pods KubeRay creates: Ray head and worker nodes, and the job submitters.

Each class is a :class:`~harness.kube.containers.ContainerProgram`. They reproduce the observable behaviour of
the real processes: the head's ``ray start`` output and its dashboard coming up a few seconds after the container
starts, the workers' raylets, and the submitters, which run whatever their container's command says (KubeRay's
script in K8sJobMode or SidecarMode, a user's command, the light-weight ``/submitter``) through
:mod:`harness.kube.shell` and the Ray programs of :mod:`.cli`.

Timings (:class:`~.timings.RayTimings`) default to the figures measured with Ray 2.60 on a 2-core machine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from ..kube.containers import ContainerContext, ContainerProgram, ProgramFactory
from ..kube.shell import Process, Shell, Step
from ..model.kinds import RAYCLUSTER
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
from .cli import PodSide, commands
from .command import plan_command
from .dashboard import RayDashboard, SubmitRequest
from .directory import DashboardDirectory
from .timings import RayTimings

__all__ = ["RayHeadProgram", "RayTimings", "RayWorkerProgram", "SubmitterProgram", "head_start_lines",
           "ray_program_factory", "submit_request_for"]


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
        if ctx.env.get("RAY_AUTH_MODE") == "token":  # Ray 2.52+ token authentication of the dashboard
            dashboard.auth_token = ctx.env.get("RAY_AUTH_TOKEN", "")
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
    """What the operator's HTTP client sends for a RayJob's spec (HTTPMode)."""
    runtime_env = yaml.safe_load(job.spec.runtime_env_yaml) if job.spec.runtime_env_yaml else None
    resources = json.loads(job.spec.entrypoint_resources) if job.spec.entrypoint_resources else None
    return SubmitRequest(
        submission_id=submission_id, entrypoint=job.spec.entrypoint.strip() if submitted_by != "operator"
        else job.spec.entrypoint, runtime_env=runtime_env if isinstance(runtime_env, dict) else None,
        metadata=dict(job.spec.metadata) or None, entrypoint_num_cpus=job.spec.entrypoint_num_cpus or None,
        entrypoint_num_gpus=job.spec.entrypoint_num_gpus or None,
        entrypoint_resources=resources if isinstance(resources, dict) else None, submitted_by=submitted_by,
        rayjob=job.name)


class SubmitterProgram:
    """A submitter container running its own command: KubeRay's script, the user's, or ``/submitter``.

    The command is what the container spec says (``command`` + ``args``, with Kubernetes' ``$(VAR)`` expansion):
    a ``bash``/``sh -c`` script runs in :mod:`harness.kube.shell`, anything else runs as one program; the
    programs known are those of :mod:`.cli` plus the shell builtins. A command the simulator does not model is
    refused when the RayJob is applied (:func:`.command.submitter_problem`), so it never gets here.
    """

    def __init__(self, side: PodSide) -> None:
        self.side = side
        self._timer: Timer | None = None
        self._steps: Step | None = None

    def start(self, ctx: ContainerContext) -> None:
        env = dict(ctx.env)
        plan = plan_command(ctx.container, env)
        shell = Shell(commands(self.side), errexit=plan.errexit)
        process = Process(env, lambda line: ctx.log(line), lambda line: ctx.log(line))
        if plan.script is not None:
            self._steps = shell.run_script(plan.script, process)
        else:
            self._steps = _exec(shell, plan.argv, process)
        self._advance(ctx)

    def _advance(self, ctx: ContainerContext) -> None:
        assert self._steps is not None
        try:
            delay = next(self._steps)
        except StopIteration as done:
            ctx.exit(int(done.value or 0))
            return

        def resume() -> None:
            if ctx.running:
                self._advance(ctx)

        self._timer = ctx.clock.call_later(delay, resume, priority=PRIORITY_KUBELET, label="submitter step")

    def stop(self, ctx: ContainerContext) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._steps is not None:
            self._steps.close()


def _exec(shell: Shell, argv: list[str], process: Process) -> Step:
    """An exec-form command: one program, no shell expansion (Kubernetes already expanded ``$(VAR)``)."""
    command = shell.lookup(argv[0]) if argv else None
    if command is None:
        process.err(f'exec: "{argv[0] if argv else ""}": executable file not found in $PATH')
        return 127
    return (yield from command(argv, process))


def ray_program_factory(store: ObjectStore, directory: DashboardDirectory,
                        timings: RayTimings) -> ProgramFactory:
    """Choose the program of a container from the labels KubeRay and the Job controller put on its pod."""

    def factory(pod: Mapping[str, Any], container: Mapping[str, Any]) -> ContainerProgram | None:
        labels = pod["metadata"].get("labels") or {}
        node_type = labels.get(LABEL_NODE_TYPE)
        containers = pod["spec"].get("containers") or []
        is_first = bool(containers) and containers[0].get("name") == container.get("name")
        namespace = pod["metadata"].get("namespace", "")
        if node_type == "head":
            if container.get("name") == SUBMITTER_CONTAINER:
                cluster = labels.get(LABEL_CLUSTER, "")
                raw = store.find(RAYCLUSTER, namespace, cluster)
                rayjob = ((raw or {}).get("metadata", {}).get("labels") or {}).get(LABEL_ORIGIN_NAME, "")
                return SubmitterProgram(PodSide(directory, timings, namespace, cluster, rayjob, "sidecar"))
            return RayHeadProgram(store, directory, timings) if is_first else None
        if node_type == "worker":
            return RayWorkerProgram(timings) if is_first else None
        if labels.get(LABEL_ORIGIN_CRD) == "RayJob" and LABEL_JOB_NAME in labels and is_first:
            rayjob = labels.get(LABEL_ORIGIN_NAME) or labels.get(LABEL_JOB_NAME, "")
            return SubmitterProgram(PodSide(directory, timings, namespace, None, rayjob, "submitter"))
        return None

    return factory
