"""The ``ray`` executor: a simulated dashboard's jobs run for real on a local Ray runtime.

It implements the :class:`~harness.raysim.dashboard.Executor` protocol (start, stop, cluster_deleted, close) and
the clock's :class:`~harness.sim.clock.RealWork` protocol: while a job it started is not terminal, ``busy()``
holds, so virtual time follows the wall clock, and ``poll()`` copies Ray's job status and new driver-log lines
into the dashboard model (the :class:`~harness.raysim.dashboard.JobSink`).

Ids: one runtime is shared by every simulated RayCluster, and a job id may legally come back on a new cluster
(or a restarted head), so each job gets a Ray submission id of its own (``<jobId>-<cluster uid[:8]>``, with a
counter if that is taken). Everything is reported under the simulated id; Ray's id and the local paths are
rewritten back (to the simulated id, the container paths, ``/tmp/ray``) in messages and log lines.

Every request carries the runtime's token (the runtime refuses any without it). A job whose simulated cluster
went away is stopped for real and followed until Ray reports it ended; it holds virtual time back only for
``orphan_grace`` seconds. Warnings (Ray version differences, capped resources) are collected in ``warnings`` for
the caller to show once.

Before submitting, a job is made local (:mod:`.paths`); what cannot work here fails at once with a clear
message instead of after Ray's retries. Not here: starting Ray (:mod:`.ray_runtime`), the job table itself.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import json
import logging
import re
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..errors import ExecutorError, MissingDependencyError
from ..model.enums import JobStatus
from ..raysim.dashboard import ClusterHandle, ConfigMapLookup, JobRecord, JobSink
from ..sim.clock import PRIORITY_KUBELET, Clock
from . import paths
from .ray_runtime import INSTALL_HINT, RayRuntime, get_shared_runtime

log = logging.getLogger(__name__)

RUNNING_MESSAGE: Final = "Job is currently running."
UNREACHABLE_AFTER: Final = 10.0  # seconds without an answer from the dashboard before the executor gives up
RESTOP_AFTER: Final = 2.0  # an orphaned job still RUNNING this long after stop_job is sent another one


@dataclass
class _Tracked:
    """A real Ray job behind one simulated job record."""

    record: JobRecord
    sink: JobSink
    real_id: str
    log_path: Path
    mapper: paths.PathMapper
    reported: JobStatus = JobStatus.PENDING
    offset: int = 0
    partial: bytes = b""
    done: bool = False
    orphaned_at: float | None = None  # wall time the simulated cluster went away
    last_stop: float | None = None  # wall time of the last stop_job sent

    @property
    def sim_id(self) -> str:
        return self.record.submission_id


@dataclass
class _ClusterSetup:
    mapper: paths.PathMapper
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)


class _DashboardHttp:
    """Keep-alive GETs to the dashboard for the hot polling path (the Ray SDK opens a connection per call)."""

    def __init__(self, port: int, headers: Mapping[str, str]) -> None:
        self.port = port
        self.headers = dict(headers)
        self._conn: http.client.HTTPConnection | None = None

    def get_json(self, path: str) -> tuple[int, Any]:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5.0)
            try:
                self._conn.request("GET", path, headers=self.headers)
                response = self._conn.getresponse()
                body = response.read()
                return response.status, json.loads(body) if response.status == 200 else body.decode(errors="replace")
            except (OSError, http.client.HTTPException, ValueError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class RayExecutor:
    """Runs simulated Ray jobs on a local Ray runtime (see the module docstring)."""

    name = "ray"

    def __init__(self, runtime: RayRuntime | None = None, *, configmap_lookup: paths.ConfigMapLookup | None = None,
                 path_map: Mapping[str, str | Path] | None = None, base_dir: Path | None = None,
                 orphan_grace: float = 10.0, packages: paths.PackageChecker | None = None) -> None:
        """``runtime``: defaults to :func:`get_shared_runtime` (started on first use). ``configmap_lookup``:
        ``(namespace, name) -> ConfigMap object or None``, for the head pod's ConfigMap volumes and env refs.
        ``path_map``: container path or URI -> local path (relative to ``base_dir``, default the cwd).
        """
        self.base_dir = (base_dir or Path.cwd()).resolve()
        self._user_mappings = paths.user_mappings(path_map or {}, self.base_dir)
        self._runtime = runtime
        self.configmap_lookup = configmap_lookup
        self.orphan_grace = orphan_grace
        self.packages = packages or paths.PackageChecker()
        self.warnings: list[str] = []
        self._client: Any = None
        self._http: _DashboardHttp | None = None
        self._work_dir: Path | None = None
        self._clusters: dict[tuple[str, str], _ClusterSetup] = {}
        self._by_record: dict[int, _Tracked] = {}
        self._active: list[_Tracked] = []
        self._unreachable_since: float | None = None
        self._versions_warned: set[str] = set()

    # -- the runtime and its clients -------------------------------------------------------------------------------

    @property
    def runtime(self) -> RayRuntime:
        """The runtime jobs run on; starting it if needed."""
        if self._runtime is None:
            self._runtime = get_shared_runtime()
        return self._runtime.start()

    def _sdk(self) -> Any:
        if self._client is None:
            try:
                from ray.job_submission import JobSubmissionClient
            except ImportError as error:
                raise MissingDependencyError("the ray executor needs Ray's job SDK, which cannot be imported "
                                             f"error={error}", hint=INSTALL_HINT) from None
            self._client = JobSubmissionClient(self.runtime.dashboard_url, headers=self.runtime.auth_headers)
        return self._client

    def _dashboard(self) -> _DashboardHttp:
        if self._http is None:
            self._http = _DashboardHttp(self.runtime.dashboard_port, self.runtime.auth_headers)
        return self._http

    def _workspace(self) -> Path:
        if self._work_dir is None:
            self._work_dir = self.runtime.temp_dir.parent / f"x{secrets.token_hex(2)}"
            self._work_dir.mkdir()
        return self._work_dir

    def head_log(self) -> list[str]:
        """The ``ray start`` output, i.e. the head container's log."""
        return self.runtime.head_log()

    def head_log_source(self) -> Callable[[], list[str]] | None:
        return self.head_log

    def attach(self, clock: Clock, configmaps: ConfigMapLookup) -> None:
        """Virtual time follows the wall clock while jobs run here; ConfigMap volumes come from that world."""
        clock.add_real_work(self)
        if self.configmap_lookup is None:
            self.configmap_lookup = configmaps

    def real_submission_id(self, job: JobRecord) -> str | None:
        """The Ray submission id behind a simulated job (for diagnostics)."""
        tracked = self._by_record.get(id(job))
        return tracked.real_id if tracked else None

    def _warn(self, message: str) -> None:
        # Collected, not printed: whoever runs the executor shows its warnings once (the simulator does).
        if message not in self.warnings:
            self.warnings.append(message)
            log.info("%s", message)

    def check_versions(self, *, ray_version: str | None = None, image: str | None = None) -> str | None:
        """Warn when the RayCluster's ``rayVersion`` or image tag differs from the local Ray: once per cluster Ray
        version, so a manifest whose rayVersion and image say the same thing is warned about once."""
        try:  # the runtime runs this interpreter's ray; no need to start it to know the version
            local = importlib.metadata.version("ray")
        except importlib.metadata.PackageNotFoundError:
            return None
        warning = paths.version_warning(local, ray_version=ray_version, image=image)
        if warning is None:
            return None
        tag = image.rsplit("/", 1)[-1].partition(":")[2] if image else ""
        theirs = _major_minor(ray_version or "") or _major_minor(tag)
        if theirs in self._versions_warned:
            return None
        self._versions_warned.add(theirs)
        self._warn(warning)
        return warning

    # -- Executor protocol -----------------------------------------------------------------------------------------

    def start(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        setup = self._cluster_setup(job.cluster)
        notes: list[str] = []
        request = job.request
        try:
            entrypoint = setup.mapper.to_local_text(request.entrypoint)
            runtime_env = paths.localize_runtime_env(request.runtime_env, setup.mapper, self.base_dir, setup.env,
                                                     self.packages, notes)
            self._check_script(request.entrypoint, setup, runtime_env)
            real_id = self._claim_id(job)
            self._sdk().submit_job(entrypoint=entrypoint, submission_id=real_id, runtime_env=runtime_env,
                                   metadata=dict(request.metadata or {}) or None,
                                   **self._entrypoint_resources(job))
        except paths.JobSetupError as error:
            self._fail_soon(job, sink, clock, error.job_message, error.error_type)
            return
        except (RuntimeError, ValueError, OSError) as error:  # the SDK reports HTTP errors as RuntimeError
            message = f"{paths.PREFIX}Ray refused the submission: {error}"
            self._fail_soon(job, sink, clock, message, "JOB_SUBMISSION_ERROR")
            return
        for note in notes:
            log.info("job %s: %s", job.submission_id, note)
        tracked = _Tracked(job, sink, real_id, self.runtime.driver_log_path(real_id), setup.mapper)
        self._by_record[id(job)] = tracked
        self._active.append(tracked)

    def stop(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        if job.status != JobStatus.RUNNING:
            return  # as in Ray: a PENDING job is not stopped (it stays PENDING until its start timeout)
        tracked = self._by_record.get(id(job))
        if tracked is not None and not tracked.done:
            self._stop_real(tracked)

    def cluster_deleted(self, cluster: ClusterHandle, jobs: list[JobRecord]) -> None:
        """The head is gone, so its jobs must really end: stop them, and again once a PENDING one starts."""
        for job in jobs:
            tracked = self._by_record.get(id(job))
            if tracked is not None and not tracked.done and tracked.orphaned_at is None:
                tracked.orphaned_at = time.monotonic()
                self._stop_real(tracked)

    def close(self) -> None:
        """Stop every real job still running (waiting a few seconds for them), and drop local files."""
        if self._runtime is None or not self._runtime.running:
            self._active.clear()
            return
        for tracked in self._active:
            tracked.orphaned_at = tracked.orphaned_at or time.monotonic()
            self._stop_real(tracked)
        deadline = time.monotonic() + 5.0  # Ray SIGKILLs a driver that ignores SIGTERM after 3 s
        try:
            while self._active and time.monotonic() < deadline:
                self._poll_all()
                time.sleep(0.05)
        except ExecutorError as error:  # the runtime is gone, and its jobs with it
            log.warning("closing the ray executor: %s", error)
        self._active.clear()
        if self._http is not None:
            self._http.close()
        if self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._work_dir = None
        self._clusters.clear()

    # -- RealWork protocol -----------------------------------------------------------------------------------------

    def busy(self) -> bool:
        now = time.monotonic()
        return any(t.orphaned_at is None or now - t.orphaned_at < self.orphan_grace for t in self._active)

    def poll(self) -> None:
        self._poll_all()

    # -- internals -------------------------------------------------------------------------------------------------

    def _poll_all(self) -> None:
        for tracked in list(self._active):
            info = self._job_info(tracked)
            if info is None:
                continue
            status = JobStatus(info.get("status") or "PENDING")
            if tracked.orphaned_at is not None:
                self._poll_orphan(tracked, status)
                continue
            self._pull_log(tracked, final=status.is_terminal)
            if status != tracked.reported:
                self._report(tracked, status, info)
            if status.is_terminal:
                tracked.done = True
                self._active.remove(tracked)

    def _job_info(self, tracked: _Tracked) -> dict[str, Any] | None:
        try:
            code, body = self._dashboard().get_json(f"/api/jobs/{tracked.real_id}")
        except (OSError, http.client.HTTPException, ValueError) as error:
            self._unreachable(error)
            return None
        self._unreachable_since = None
        if code != 200 or not isinstance(body, dict):
            log.warning("GET /api/jobs/%s answered %s: %s", tracked.real_id, code, body)
            return None
        return body

    def _unreachable(self, error: Exception) -> None:
        now = time.monotonic()
        self._unreachable_since = self._unreachable_since or now
        runtime = self._runtime
        if runtime is None or not runtime.running or now - self._unreachable_since > UNREACHABLE_AFTER:
            raise ExecutorError(f"the local Ray runtime stopped answering url={runtime and runtime.dashboard_url} "
                                f"error={error}", hint="read the head log; the machine may be out of memory")

    def _poll_orphan(self, tracked: _Tracked, status: JobStatus) -> None:
        """An orphan is followed until Ray reports it ended (past ``orphan_grace`` it only stops holding
        virtual time back): a stop sent while it was PENDING may not have taken, so it is sent again."""
        if status.is_terminal:
            tracked.done = True
            self._active.remove(tracked)
        elif time.monotonic() - (tracked.last_stop or 0.0) > RESTOP_AFTER:
            self._stop_real(tracked)

    def _report(self, tracked: _Tracked, status: JobStatus, info: Mapping[str, Any]) -> None:
        sink, sid = tracked.sink, tracked.sim_id
        ran = status == JobStatus.SUCCEEDED or info.get("driver_exit_code") is not None
        if status.is_terminal and tracked.reported == JobStatus.PENDING and ran:
            # Ray went through RUNNING between two polls; the job table shows it, so does the model.
            sink.set_status(sid, JobStatus.RUNNING, message=RUNNING_MESSAGE)
        message = info.get("message")
        exit_code = info.get("driver_exit_code")
        sink.set_status(sid, status, message=self._to_sim(tracked, str(message)) if message else None,
                        driver_exit_code=int(exit_code) if exit_code is not None else None,
                        error_type=info.get("error_type") or None)
        tracked.reported = status

    def _pull_log(self, tracked: _Tracked, *, final: bool) -> None:
        try:
            with tracked.log_path.open("rb") as handle:
                handle.seek(tracked.offset)
                data = handle.read()
        except FileNotFoundError:
            return
        tracked.offset += len(data)
        chunks = (tracked.partial + data).split(b"\n")
        tracked.partial = chunks.pop()
        if final and tracked.partial:
            chunks.append(tracked.partial)
            tracked.partial = b""
        if chunks:
            lines = [self._to_sim(tracked, c.decode("utf-8", "replace").rstrip("\r")) for c in chunks]
            tracked.sink.append_log(tracked.sim_id, lines)

    def _to_sim(self, tracked: _Tracked, text: str) -> str:
        return tracked.mapper.to_container_text(text).replace(tracked.real_id, tracked.sim_id)

    def _stop_real(self, tracked: _Tracked) -> None:
        tracked.last_stop = time.monotonic()
        if self._runtime is None or not self._runtime.running:
            return  # stopping the runtime ended every job on it (after Ctrl-C, there is nothing to ask)
        try:
            self._sdk().stop_job(tracked.real_id)
        except (RuntimeError, OSError) as error:
            log.warning("stop_job %s failed: %s", tracked.real_id, error)

    def _fail_soon(self, job: JobRecord, sink: JobSink, clock: Clock, message: str, error_type: str) -> None:
        sid = job.submission_id
        log.warning("job %s fails before submission: %s", sid, message)

        def fail() -> None:
            sink.append_log(sid, message.splitlines())
            sink.set_status(sid, JobStatus.FAILED, message=message, error_type=error_type)

        clock.call_later(0.0, fail, priority=PRIORITY_KUBELET, label=f"ray setup failure {sid}")

    def _claim_id(self, job: JobRecord) -> str:
        base = f"{job.submission_id}-{job.cluster.uid.replace('-', '')[:8]}"
        candidate, counter = base, 1
        while not self.runtime.claim_submission_id(candidate):
            counter += 1
            candidate = f"{base}-{counter}"
        return candidate

    def _entrypoint_resources(self, job: JobRecord) -> dict[str, Any]:
        """Entrypoint resources the local runtime can grant; more would leave the job PENDING for ever."""
        request, extra = job.request, {}
        cpus = request.entrypoint_num_cpus
        if cpus:
            if cpus > self.runtime.num_cpus:
                self._warn(f"job {job.submission_id}: entrypointNumCpus={cpus} exceeds the local runtime's "
                           f"{self.runtime.num_cpus} CPUs; submitted with {self.runtime.num_cpus}")
            extra["entrypoint_num_cpus"] = min(cpus, self.runtime.num_cpus)
        if request.entrypoint_num_gpus:
            self._warn(f"job {job.submission_id}: entrypointNumGpus={request.entrypoint_num_gpus} dropped: "
                       "the local runtime has no GPUs")
        if request.entrypoint_resources:
            self._warn(f"job {job.submission_id}: entrypointResources={dict(request.entrypoint_resources)} "
                       "dropped: the local runtime declares no custom resources")
        return extra

    def _cluster_setup(self, cluster: ClusterHandle) -> _ClusterSetup:
        pod_name = str(((cluster.head_pod or {}).get("metadata") or {}).get("name", ""))
        key = (cluster.uid, pod_name)
        if key not in self._clusters:
            dest = self._workspace() / f"c{len(self._clusters)}"
            head = paths.head_pod_setup(cluster.head_pod, self.configmap_lookup, dest)
            if head.image:
                self.check_versions(image=head.image)
            for note in head.notes:
                self._warn(f"RayCluster {cluster.namespace}/{cluster.name}: {note}")
            links = self._workspace() / "links"
            mappings = [paths.PathMapping(m.container, paths.shell_safe(m.local, links), m.source)
                        for m in [*self._user_mappings, *head.mappings]]
            mapper = paths.PathMapper(mappings, reverse_extra={str(self.runtime.temp_dir): "/tmp/ray"})
            self._clusters[key] = _ClusterSetup(mapper, head.env, head.notes)
        return self._clusters[key]

    def _check_script(self, entrypoint: str, setup: _ClusterSetup, runtime_env: Mapping[str, Any] | None) -> None:
        """A script the entrypoint runs must exist locally; say where it was looked for, and how to fix it."""
        script = paths.entrypoint_script(entrypoint)
        if script is None:
            return
        found = setup.mapper.lookup(script)
        if found is not None:
            local = found[0]
        elif script.startswith("/"):
            local = Path(script)
        else:
            local = Path((runtime_env or {}).get("working_dir") or self.runtime.cwd) / script
        if local.exists():
            return
        where = f"mapped through {found[1].source} to {local}" if found else f"looked for {local}"
        hint = (f'mount it from a ConfigMap volume of the head pod, or map its directory with path_map='
                f'{{"{str(Path(script).parent) if script.startswith("/") else "/container/dir"}": "./local-dir"}}')
        raise paths.JobSetupError(f"the entrypoint script {script} does not exist locally ({where})", hint=hint,
                                  error_type=paths.ENTRYPOINT_ERROR)


def _major_minor(version: str) -> str:
    found = re.match(r"(\d+)\.(\d+)", version)
    return f"{found[1]}.{found[2]}" if found else ""


def create_ray_executor(*, path_map: Mapping[str, str | Path] | None = None, base_dir: Path | None = None,
                        configmap_lookup: paths.ConfigMapLookup | None = None,
                        runtime: RayRuntime | None = None) -> RayExecutor:
    """The ``ray`` executor as the CLI and the simulator backend build it: on the process's shared runtime
    (started at the first job, stopped at exit), with a user path map validated now (InputError if wrong).

    A simulator that owns the ConfigMaps sets ``executor.configmap_lookup`` once its store exists.
    """
    return RayExecutor(runtime, configmap_lookup=configmap_lookup, path_map=path_map, base_dir=base_dir)
