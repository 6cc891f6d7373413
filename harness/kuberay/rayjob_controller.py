"""The RayJob reconciler, KubeRay v1.7.0 (``ray-operator/controllers/ray/rayjob_controller.go``).

It reads like upstream on purpose: one ``reconcile`` = deletion handling, validation, one dispatch on
``status.jobDeploymentStatus`` with the same guards in the same order, then the backoff check and a single status
write under upstream's rule (``_update_status``: written only when jobStatus, jobDeploymentStatus,
rayClusterStatus or jobStatusCheckFailureStartTime changed). Each method names the upstream function it
mirrors. Decisions about deletion policies are pure functions in :mod:`.deletion`; object shapes come from
:mod:`.resources`; validation from :mod:`.validation`.

Requeue semantics are controller-runtime's: ``Result.requeue_after`` schedules the next reconcile; an error
ignores it and uses the per-item exponential back-off. Every watch event on the RayJob (status writes included;
upstream sets no predicates) or on an owned RayCluster, Service or Job reconciles at once. Deadlines are compared
with ``clock.reached``, so that the clock knows until when a requeue that finds nothing to do stays that way (and
can pass over the ones in between).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._util.gofmt import date_time as go_date_time
from .._util.gofmt import metav1_time_v
from .._util.jsoncopy import deep_copy
from .._util.names import NameGenerator
from ..model.enums import (
    DeletionPolicyType,
    JobDeploymentStatus,
    JobFailedReason,
    JobStatus,
    SubmissionMode,
    WatchEventType,
)
from ..model.kinds import JOB, POD, RAYCLUSTER, RAYJOB, SERVICE
from ..model.labels import LABEL_CLUSTER, LABEL_NODE_TYPE, SUBMITTER_CONTAINER
from ..model.meta import ObjectMeta
from ..model.rayjob import KUBERAY_MANAGER, RayJob, RayJobInfo, RayJobSpec, RayJobStatus
from ..raysim.dashboard import DashboardError, JobNotFound, RayDashboard
from ..raysim.directory import DashboardDirectory
from ..raysim.nodes import submit_request_for
from ..sim.clock import Clock
from ..sim.events import NORMAL, WARNING, EventRecorder
from ..sim.store import ApiError, NotFound, ObjectStore, WatchEvent
from ..sim.transcript import Transcript, padded_line
from ..sim.workqueue import WorkQueue
from .auth import AuthSecretError, operator_token
from .deletion import RuleDecision, decide_deletion_rules, legacy_policy
from .gates import FeatureGates
from .profile import (
    CONTROLLER_NAME,
    DEFAULT_REQUEUE,
    DEFAULT_SUBMITTER_BACKOFF_LIMIT,
    RAYJOB_FINALIZER,
    SUBMITTER_FINISHED_TIMEOUT,
    KubeRayProfile,
    OperatorConfig,
)
from .resources import (
    DASHBOARD_PORT_NAME,
    SubmitCommandError,
    build_head_service,
    build_rayjob_head_service,
    build_submitter_job,
    construct_ray_cluster,
    head_service_name,
)
from .validation import validate_rayjob_metadata, validate_rayjob_spec, validate_rayjob_status

D = JobDeploymentStatus
Key = tuple[str, str]


@dataclass(frozen=True)
class Result:
    """``ctrl.Result`` plus the returned error."""

    requeue_after: float | None = None
    error: str | None = None


class ReconcileError(Exception):
    """An error a reconcile step returns to controller-runtime (exponential back-off)."""


def date_time(clock: Clock, t: float) -> str:
    """``time.DateTime`` layout (``2006-01-02 15:04:05``) of a virtual instant, as the operator's clock shows it."""
    return go_date_time(clock.origin + t)


class RayJobController:
    def __init__(self, store: ObjectStore, clock: Clock, events: EventRecorder, directory: DashboardDirectory,
                 profile: KubeRayProfile, config: OperatorConfig, names: NameGenerator) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.directory = directory
        self.profile = profile
        self.config = config
        self.names = names
        self.gates: FeatureGates = config.gates(profile)
        self.queue: WorkQueue[Key] = WorkQueue(clock, self._process, name="rayjob")
        self.log = Transcript(padded_line, ordered=False)
        self.reconciles = 0
        self._spec_errors: dict[tuple[str, int, tuple[tuple[str, str], ...]], str | None] = {}
        # uid -> (resourceVersion, generation, metadata view, spec view) of the last RayJob version read
        self._views: dict[str, tuple[str, int, ObjectMeta, RayJobSpec]] = {}
        self._metadata_errors: dict[str, tuple[str, str | None]] = {}  # uid -> (resourceVersion, error)
        self._unwatch = store.watch(self._on_event)

    def stop(self) -> None:
        """The operator process stops: no more watch events, no pending reconciles."""
        self._unwatch()
        self.queue.shut_down()

    # -- plumbing --------------------------------------------------------------------------------------------------

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype == RAYJOB:
            self.queue.add((event.namespace, event.name))  # after a DELETED, the next Get says NotFound and stops
            if event.type == WatchEventType.DELETED:
                self._views.pop(event.obj["metadata"].get("uid", ""), None)
                self._metadata_errors.pop(event.obj["metadata"].get("uid", ""), None)
        elif event.rtype in (RAYCLUSTER, SERVICE, JOB):
            for ref in event.obj["metadata"].get("ownerReferences") or []:
                if ref.get("controller") and ref.get("kind") == "RayJob":
                    self.queue.add((event.namespace, ref["name"]))

    def _log(self, key: Key, message: str) -> None:
        self.clock.output(self.log, f"RayJob {key[0]}/{key[1]}  {message}")

    def _process(self, key: Key) -> None:
        self.reconciles += 1
        try:
            result = self.reconcile(key)
        except ReconcileError as exc:
            result = Result(DEFAULT_REQUEUE, str(exc))
        if result.error is not None:
            self._log(key, f"Reconciler error: {result.error}")
            self.queue.add_rate_limited(key)
            return
        self.queue.forget(key)
        if result.requeue_after is not None:
            self.queue.add_after(key, result.requeue_after)

    def _event(self, job_raw: dict[str, Any], type_: str, reason: str, message: str, action: str) -> None:
        self.events.record(job_raw, type_, reason, message, component=CONTROLLER_NAME,
                           action=action if self.profile.events_with_action else "")

    # -- Reconcile -------------------------------------------------------------------------------------------------

    def reconcile(self, key: Key) -> Result:
        """``RayJobReconciler.Reconcile``."""
        raw = self.store.find(RAYJOB, *key)
        if raw is None:
            self.queue.drop(key)
            return Result()
        job = self._view(raw)
        if job.spec.managed_by is not None and job.spec.managed_by != KUBERAY_MANAGER:
            return Result()
        if job.meta.deletion_timestamp:
            return self._handle_deletion(raw, job)

        original = job.status
        status = original.copy()
        error_type, error = self._validate(job)
        if error is not None:
            self._event(raw, WARNING, error_type, f"{job.namespace}/{job.name}: {error}", "Validate")
            status.job_deployment_status = D.VALIDATION_FAILED
            status.reason = JobFailedReason.VALIDATION_FAILED
            status.message = error
            self._update_status(raw, original, status)
            return Result()

        state = status.job_deployment_status
        if state == D.NEW:
            raw = self._ensure_finalizer(raw)
            self._init_status(job, status)
        elif state == D.INITIALIZING:
            early = self._initializing(raw, job, status)
            if early is not None:
                return early
        elif state == D.WAITING:
            if not self._check_pre_running_deadline(job, status):
                if not job.spec.job_id:
                    return Result(DEFAULT_REQUEUE)
                status.job_id = job.spec.job_id
                status.job_deployment_status = D.RUNNING
        elif state == D.RUNNING:
            early = self._running(raw, job, status)
            if early is not None:
                return early
        elif state in (D.SUSPENDING, D.RETRYING):
            early = self._release_resources(raw, job, status)
            if early is not None:
                return early
        elif state == D.SUSPENDED:
            if job.spec.suspend:
                # v1.6+: a Suspended RayJob is not requeued; up to v1.5 it was, every 3 s (issue #4416).
                return Result(DEFAULT_REQUEUE if self.profile.requeue_suspended else None)
            status.job_status = JobStatus.NEW
            status.job_deployment_status = D.NEW
        elif state in (D.COMPLETE, D.FAILED):
            return self._terminal(raw, job)
        else:
            self._log(key, f"Unknown JobDeploymentStatus {state.value!r}")
            return Result(DEFAULT_REQUEUE)

        self._check_backoff_limit(job, status)
        self._update_status(raw, original, status)
        return Result(DEFAULT_REQUEUE)

    def _view(self, raw: dict[str, Any]) -> RayJob:
        """``RayJob.from_raw(raw)``, with the spec parsed once per generation and the metadata once per
        resourceVersion (both views are immutable; most reconciles read an object that has not changed)."""
        meta = raw["metadata"]
        uid, rv, generation = str(meta.get("uid", "")), str(meta.get("resourceVersion", "")), meta.get("generation")
        cached = self._views.get(uid)
        if cached is not None and cached[1] == generation:
            spec = cached[3]
            meta_view = cached[2] if cached[0] == rv else ObjectMeta.from_raw(meta)
        else:
            spec, meta_view = RayJobSpec.from_raw(raw.get("spec")), ObjectMeta.from_raw(meta)
        self._views[uid] = (rv, generation, meta_view, spec)
        status = RayJobStatus.from_raw(raw.get("status"))
        return RayJob(str(raw.get("apiVersion", "ray.io/v1")), meta_view, spec, status)

    def _validate(self, job: RayJob) -> tuple[str, str | None]:
        """``validateRayJob``: metadata, then spec, then status; the first error wins."""
        checks: tuple[tuple[str, Callable[[], str | None]], ...] = (
            ("InvalidRayJobMetadata", lambda: self._validate_metadata(job)),
            ("InvalidRayJobSpec", lambda: self._validate_spec(job)),
            ("InvalidRayJobStatus", lambda: validate_rayjob_status(job)))
        for event_type, check in checks:
            error = check()
            if error is not None:
                return event_type, error
        return "", None

    def _validate_metadata(self, job: RayJob) -> str | None:
        """``ValidateRayJobMetadata``, remembered per (uid, resourceVersion): the object it reads is then the same."""
        key = (job.meta.uid, job.meta.resource_version)
        cached = self._metadata_errors.get(key[0])
        if cached is not None and cached[0] == key[1]:
            return cached[1]
        error = validate_rayjob_metadata(job)
        self._metadata_errors[key[0]] = (key[1], error)
        return error

    def _validate_spec(self, job: RayJob) -> str | None:
        """``ValidateRayJobSpec``, remembered per (uid, generation, annotations): what it reads changes only then."""
        key = (job.meta.uid, job.meta.generation, tuple(sorted(job.meta.annotations.items())))
        if key not in self._spec_errors:
            if len(self._spec_errors) > 10_000:
                self._spec_errors.clear()
            self._spec_errors[key] = validate_rayjob_spec(job, self.gates)
        return self._spec_errors[key]

    def _ensure_finalizer(self, raw: dict[str, Any]) -> dict[str, Any]:
        finalizers = list(raw["metadata"].get("finalizers") or [])
        if RAYJOB_FINALIZER in finalizers:
            return raw
        updated = deep_copy(raw)
        updated["metadata"]["finalizers"] = [*finalizers, RAYJOB_FINALIZER]
        try:
            return self.store.update(updated, owned=True)
        except ApiError as exc:
            raise ReconcileError(str(exc)) from exc

    def _init_status(self, job: RayJob, status: RayJobStatus) -> None:
        """``initRayJobStatusIfNeed``: the one place a jobId and a RayCluster name are chosen."""
        if not (status.job_id == "" or status.ray_cluster_name == "" or status.job_status == JobStatus.NEW):
            return
        if job.spec.submission_mode != SubmissionMode.INTERACTIVE.value and status.job_id == "":
            status.job_id = job.spec.job_id or f"{job.name}-{self.names.suffix()}"
        if status.ray_cluster_name == "":
            status.ray_cluster_name = job.spec.selector_cluster_name or \
                f"{job.name}{self.profile.cluster_name_infix}-{self.names.suffix()}"
        status.job_deployment_status = D.INITIALIZING
        status.start_time = self.clock.timestamp()

    # -- status write ----------------------------------------------------------------------------------------------

    def _update_status(self, raw: dict[str, Any], old: RayJobStatus, new: RayJobStatus) -> None:
        """``updateRayJobStatus``: write only when a state-machine field changed; stamp endTime on terminal."""
        changed = (old.job_status != new.job_status or old.job_deployment_status != new.job_deployment_status
                   or inconsistent_cluster_status(old.ray_cluster_status, new.ray_cluster_status)
                   or old.job_status_check_failure_start_time != new.job_status_check_failure_start_time)
        if not changed:
            return
        if new.job_deployment_status.is_terminal:
            new.end_time = self.clock.timestamp()
        body = new.to_raw()
        # The CRD defaults status.succeeded and status.failed to 0 (v1.2+): the API server fills them in.
        body.setdefault("succeeded", 0)
        body.setdefault("failed", 0)
        current = self.store.find(RAYJOB, raw["metadata"]["namespace"], raw["metadata"]["name"])
        if current is None:
            raise ReconcileError(f'rayjobs.ray.io "{raw["metadata"]["name"]}" not found')
        try:
            self.store.update_status({**current, "status": body}, owned=True)
        except ApiError as exc:
            raise ReconcileError(str(exc)) from exc

    # -- deletion --------------------------------------------------------------------------------------------------

    def _handle_deletion(self, raw: dict[str, Any], job: RayJob) -> Result:
        """The finalizer: best-effort ``StopJob`` when the Ray job may still run, then remove the finalizer."""
        if not job.status.job_status.is_terminal:
            cluster = self.store.find(RAYCLUSTER, job.namespace, job.status.ray_cluster_name)
            try:
                token = operator_token(self.store, cluster)
            except AuthSecretError as exc:
                return Result(DEFAULT_REQUEUE, str(exc))  # the dashboard client cannot be built: the finalizer stays
            try:
                self._dashboard(job, token=token).stop_job(job.status.job_id)
            except DashboardError as exc:
                self._log((job.namespace, job.name), f"Failed to stop job for RayJob: {exc}")
        updated = deep_copy(raw)
        updated["metadata"]["finalizers"] = [f for f in raw["metadata"].get("finalizers") or []
                                             if f != RAYJOB_FINALIZER]
        try:
            self.store.update(updated, owned=True)
        except ApiError as exc:
            return Result(DEFAULT_REQUEUE, str(exc))
        return Result(DEFAULT_REQUEUE)

    # -- Initializing ----------------------------------------------------------------------------------------------

    def _initializing(self, raw: dict[str, Any], job: RayJob, status: RayJobStatus) -> Result | None:
        """The ``JobDeploymentStatusInitializing`` case. Returns a Result for early returns, None to break."""
        if self._to_suspending_if_needed(job, status) or self._check_active_deadline(job, status) \
                or self._check_pre_running_deadline(job, status):
            return None
        try:
            cluster = self._get_or_create_cluster(raw, job, status)
        except ReconcileError as exc:
            return Result(DEFAULT_REQUEUE, str(exc))
        if not status.dashboard_url:
            cluster_status = cluster.get("status") or {}
            if cluster_status.get("state") != "ready":
                if self.profile.mirror_cluster_status_while_initializing:
                    status.ray_cluster_status = cluster_status  # a stored snapshot: shared, never mutated
                    return None
                return Result(DEFAULT_REQUEUE)
            try:
                status.dashboard_url = self._fetch_head_service_url(cluster)
            except ReconcileError as exc:
                return Result(DEFAULT_REQUEUE, str(exc))
        if job.spec.submission_mode == SubmissionMode.INTERACTIVE.value:
            status.job_deployment_status = D.WAITING
            return None
        if job.spec.submission_mode == SubmissionMode.K8S_JOB.value:
            try:
                self._create_k8s_job_if_needed(raw, job, status, cluster)
            except ReconcileError as exc:
                return Result(DEFAULT_REQUEUE, str(exc))
        status.job_deployment_status = D.RUNNING
        return None

    def _fetch_head_service_url(self, cluster: dict[str, Any]) -> str:
        """``FetchHeadServiceURL``: only a port named exactly ``dashboard`` counts."""
        ns = cluster["metadata"]["namespace"]
        name = head_service_name(cluster)
        svc = self.store.find(SERVICE, ns, name)
        if svc is None:
            raise ReconcileError(f'services "{name}" not found')
        port = next((p["port"] for p in svc["spec"].get("ports") or [] if p.get("name") == DASHBOARD_PORT_NAME), None)
        if port is None:
            raise ReconcileError(f"{DASHBOARD_PORT_NAME} port is not found")
        return f"{name}.{ns}.svc.{self.config.effective_cluster_domain}:{port}"

    def _get_or_create_cluster(self, raw: dict[str, Any], job: RayJob, status: RayJobStatus) -> dict[str, Any]:
        """``getOrCreateRayClusterInstance``. Re-creates a deleted cluster under the same name (Running too)."""
        name = status.ray_cluster_name
        found = self.store.find(RAYCLUSTER, job.namespace, name)
        if found is not None:
            return found
        if job.spec.uses_cluster_selector:
            self._event(raw, WARNING, "RayClusterNotFound",
                        f"RayCluster {job.namespace}/{name} set in the clusterSelector is not found. It must be "
                        "created manually", "Validate")
            raise ReconcileError(f"clusterSelector mode is enabled, but RayCluster {job.namespace}/{name} is not "
                                 f'found: rayclusters.ray.io "{name}" not found')
        job_with_status = RayJob(job.api_version, job.meta, job.spec, status)
        try:
            cluster = construct_ray_cluster(raw, job_with_status, name, self.config, self.gates)
        except SubmitCommandError as exc:
            raise ReconcileError(str(exc)) from exc
        try:
            created = self.store.create(cluster, owned=True)
        except ApiError as exc:
            self._event(raw, WARNING, "FailedToCreateRayCluster",
                        f"Failed to create RayCluster {job.namespace}/{name}: {exc}", "Create")
            raise ReconcileError(str(exc)) from exc
        self._event(raw, NORMAL, "CreatedRayCluster", f"Created RayCluster {job.namespace}/{name}", "Create")
        return created

    def _create_k8s_job_if_needed(self, raw: dict[str, Any], job: RayJob, status: RayJobStatus,
                                  cluster: dict[str, Any]) -> None:
        """``createK8sJobIfNeed``: any Job with the RayJob's name is adopted as the submitter (no owner check)."""
        if self.store.find(JOB, job.namespace, job.name) is not None:
            return
        job_with_status = RayJob(job.api_version, job.meta, job.spec, status)
        try:
            submitter = build_submitter_job(raw, job_with_status, cluster, self.config)
        except SubmitCommandError as exc:
            raise ReconcileError(str(exc)) from exc
        try:
            self.store.create(submitter, owned=True)
        except ApiError as exc:
            self._event(raw, WARNING, "FailedToCreateRayJobSubmitter",
                        f"Failed to create new Kubernetes Job {job.namespace}/{job.name}: {exc}", "Create")
            raise ReconcileError(str(exc)) from exc
        self._event(raw, NORMAL, "CreatedRayJobSubmitter", f"Created Kubernetes Job {job.namespace}/{job.name}",
                    "Create")

    # -- guards shared by Initializing and Running -----------------------------------------------------------------

    def _to_suspending_if_needed(self, job: RayJob, status: RayJobStatus) -> bool:
        """``updateStatusToSuspendingIfNeeded``: only Initializing and Running may go to Suspending."""
        if not job.spec.suspend or status.job_deployment_status not in (D.RUNNING, D.INITIALIZING):
            return False
        status.job_deployment_status = D.SUSPENDING
        return True

    def _check_active_deadline(self, job: RayJob, status: RayJobStatus) -> bool:
        """``checkActiveDeadlineAndUpdateStatusIfNeeded``: measured from status.startTime."""
        ads = job.spec.active_deadline_seconds
        if ads is None or status.start_time is None or \
                not self.clock.reached(self.clock.parse_timestamp(status.start_time) + ads):
            return False
        status.job_deployment_status = D.FAILED
        status.reason = JobFailedReason.DEADLINE_EXCEEDED
        status.message = (f"The RayJob has passed the activeDeadlineSeconds. StartTime: "
                          f"{metav1_time_v(status.start_time)}. ActiveDeadlineSeconds: {ads}")
        return True

    def _check_pre_running_deadline(self, job: RayJob, status: RayJobStatus) -> bool:
        """``checkPreRunningDeadlineAndUpdateStatusIfNeeded`` (v1.6+)."""
        prds = job.spec.pre_running_deadline_seconds
        if not self.profile.pre_running_deadline or prds is None or status.start_time is None or \
                not self.clock.reached(self.clock.parse_timestamp(status.start_time) + prds):
            return False
        status.job_deployment_status = D.FAILED
        status.reason = JobFailedReason.PRE_RUNNING_DEADLINE_EXCEEDED
        status.message = (f"The RayJob has passed the preRunningDeadlineSeconds. StartTime: "
                          f"{metav1_time_v(status.start_time)}. PreRunningDeadlineSeconds: {prds}")
        return True

    # -- Running ---------------------------------------------------------------------------------------------------

    def _running(self, raw: dict[str, Any], job: RayJob, status: RayJobStatus) -> Result | None:
        """The ``JobDeploymentStatusRunning`` case."""
        if self._to_suspending_if_needed(job, status) or self._check_active_deadline(job, status) \
                or self._check_grace_period(status) or self._check_status_check_timeout(status):
            return None
        try:
            cluster = self._get_or_create_cluster(raw, job, status)
            self._reconcile_services(raw, job, cluster)
        except ReconcileError as exc:
            return Result(DEFAULT_REQUEUE, str(exc))
        finished_at: float | None = None
        mode = job.spec.submission_mode
        if mode in (SubmissionMode.K8S_JOB.value, SubmissionMode.SIDECAR.value):
            try:
                should_update, finished_at = self._check_submitter(raw, job, status, cluster)
            except ReconcileError as exc:
                return Result(DEFAULT_REQUEUE, str(exc))
            if self._check_submitter_finished_timeout(status, finished_at) or should_update:
                return None
        try:
            token = operator_token(self.store, cluster)
        except AuthSecretError as exc:
            return Result(DEFAULT_REQUEUE, str(exc))
        try:
            info = self.directory.job_info(status.dashboard_url, status.job_id, namespace=job.namespace,
                                           token=token)
        except JobNotFound:
            if mode == SubmissionMode.HTTP.value:
                if self._submit_http_job(job, status, token):
                    return None
                return Result(DEFAULT_REQUEUE)
            if finished_at is not None:
                status.job_deployment_status = D.FAILED
                status.reason = JobFailedReason.APP_FAILED
                status.message = "Submitter completed but Ray job not found in RayCluster."
                return None
            return Result(DEFAULT_REQUEUE)
        except DashboardError as exc:
            self._log((job.namespace, job.name), f"Failed to get job info: {exc}")
            if self._record_status_check_failure(status):
                return None
            return Result(DEFAULT_REQUEUE)
        status.job_status_check_failure_start_time = None
        job_status = JobStatus(info["status"])
        terminal = job_status.is_terminal
        if job.spec.mode is not None and job.spec.mode.has_submitter:
            terminal = terminal and finished_at is not None
        deployment, reason = D.RUNNING, JobFailedReason.NONE
        if terminal:
            deployment = D.COMPLETE
            if job_status == JobStatus.FAILED:
                deployment, reason = D.FAILED, JobFailedReason.APP_FAILED
        status.ray_cluster_status = cluster.get("status") or {}  # a stored snapshot: shared, never mutated
        status.job_status = job_status
        status.job_deployment_status = deployment
        status.reason = reason
        status.message = str(info.get("message") or "")
        start_ms, end_ms = int(info.get("start_time") or 0), int(info.get("end_time") or 0)
        info_start = status.ray_job_info.start_time if status.ray_job_info else None
        info_end = status.ray_job_info.end_time if status.ray_job_info else None
        if start_ms:
            info_start = self.clock.timestamp(start_ms / 1000 - self.clock.origin)
        if end_ms:
            info_end = self.clock.timestamp(end_ms / 1000 - self.clock.origin)
        status.ray_job_info = RayJobInfo(info_start, info_end) if (info_start or info_end) else None
        return None

    def _dashboard(self, job: RayJob, status: RayJobStatus | None = None, *, token: str | None) -> RayDashboard:
        """The dashboard the client reaches, checked with the client's ``x-ray-authorization`` token."""
        url = (status or job.status).dashboard_url
        dashboard = self.directory.resolve(url, namespace=job.namespace)
        dashboard.authorize(token)
        return dashboard

    def _submit_http_job(self, job: RayJob, status: RayJobStatus, token: str | None) -> bool:
        """``reconcileHTTPModeJobNotFound``: POST the job; a failure starts the status-check timer (v1.7)."""
        try:
            request = submit_request_for(job, status.job_id, "operator")
            self._dashboard(job, status, token=token).submit_job(request)
        except (DashboardError, ValueError) as exc:
            self._log((job.namespace, job.name), f"Failed to submit the Ray job: {exc}")
            return self._record_status_check_failure(status)
        if status.job_status_check_failure_start_time is None:
            return False
        status.job_status_check_failure_start_time = None
        return True

    def _record_status_check_failure(self, status: RayJobStatus) -> bool:
        """``recordJobStatusCheckFailure`` (v1.7): remember when checks began failing; True if newly set."""
        if not self.profile.status_check_timeout or status.job_status_check_failure_start_time is not None:
            return False
        status.job_status_check_failure_start_time = self.clock.timestamp()
        return True

    def _check_status_check_timeout(self, status: RayJobStatus) -> bool:
        """``checkJobStatusCheckTimeoutAndUpdateStatusIfNeeded`` (v1.7)."""
        since = status.job_status_check_failure_start_time
        if not self.profile.status_check_timeout or since is None:
            return False
        timeout = self.config.status_check_timeout_seconds
        started = self.clock.parse_timestamp(since)
        if not self.clock.reached(started + timeout):
            return False
        status.job_deployment_status = D.FAILED
        status.reason = JobFailedReason.STATUS_CHECK_TIMEOUT_EXCEEDED
        status.message = (f"Job status checks have been failing since {date_time(self.clock, started)}; "
                          f"exceeded timeout of {timeout}s")
        return True

    def _check_grace_period(self, status: RayJobStatus) -> bool:
        """``checkTransitionGracePeriodAndUpdateStatusIfNeeded`` (v1.4+), from rayJobInfo.endTime."""
        if not (status.job_status.is_terminal and status.job_deployment_status == D.RUNNING):
            return False
        if status.ray_job_info is None or status.ray_job_info.end_time is None:
            return False
        grace = self.config.grace_period_seconds
        if not self.clock.reached(self.clock.parse_timestamp(status.ray_job_info.end_time) + grace):
            return False
        status.job_deployment_status = D.FAILED if status.job_status == JobStatus.FAILED else D.COMPLETE
        status.reason = JobFailedReason.GRACE_PERIOD_EXCEEDED
        status.message = ("JobDeploymentStatus does not transition to Complete or Failed within the grace period "
                          "after JobStatus reaches a terminal state.")
        return True

    def _check_submitter_finished_timeout(self, status: RayJobStatus, finished_at: float | None) -> bool:
        """``checkSubmitterFinishedTimeoutAndUpdateStatusIfNeeded`` (v1.5+): 30 s after the submitter ended."""
        if not self.profile.submitter_finished_timeout or finished_at is None:
            return False
        if not self.clock.reached(finished_at + SUBMITTER_FINISHED_TIMEOUT):
            return False
        status.job_status = JobStatus.FAILED
        status.job_deployment_status = D.FAILED
        status.reason = JobFailedReason.GRACE_PERIOD_EXCEEDED
        status.message = (f"The RayJob submitter finished at {date_time(self.clock, finished_at)} but the ray job "
                          f"did not reach terminal state within {int(SUBMITTER_FINISHED_TIMEOUT)}s")
        return True

    def _check_submitter(self, raw: dict[str, Any], job: RayJob, status: RayJobStatus,
                         cluster: dict[str, Any]) -> tuple[bool, float | None]:
        """``checkSubmitterAndUpdateStatusIfNeeded``: submitter failure and its finishing time."""
        if job.spec.submission_mode == SubmissionMode.SIDECAR.value:
            head = next((p for p in self.store.list(POD, job.namespace,
                                                    {LABEL_CLUSTER: cluster["metadata"]["name"],
                                                     LABEL_NODE_TYPE: "head"})), None)
            if head is None:
                status.job_deployment_status = D.FAILED
                status.reason = JobFailedReason.APP_FAILED
                status.message = "Ray head pod not found."
                return True, None
            container = next((c for c in (head.get("status") or {}).get("containerStatuses") or []
                              if c["name"] == SUBMITTER_CONTAINER), None) or {}
            # v1.7 SidecarSubmitterRestart: a terminated submitter restarts in place, so only the restart count
            # fails the RayJob; without the gate the first non-zero exit does.
            if self.gates.sidecar_submitter_restart:
                limit = job.spec.submitter_backoff_limit
                failed = check_is_restart_count_exceeded(
                    container, DEFAULT_SUBMITTER_BACKOFF_LIMIT if limit is None else limit)
                if failed:
                    _submitter_failed(status, f"Ray head pod submitter container {SUBMITTER_CONTAINER} terminated "
                                              "after exceeding the maximum restart count")
            else:
                failed = check_sidecar_container_status(container)
                if failed:
                    terminated = container["state"]["terminated"]
                    _submitter_failed(status, f"Ray head pod container {SUBMITTER_CONTAINER} terminated with exit "
                                              f"code {int(terminated.get('exitCode', 0))}: "
                                              f"{terminated.get('reason', '')}")
            terminated = (container.get("state") or {}).get("terminated")
            finished_at = self.clock.parse_timestamp(terminated["finishedAt"]) \
                if terminated and terminated.get("finishedAt") else None
            return failed, finished_at
        submitter = self.store.find(JOB, job.namespace, job.name)
        if submitter is None:
            raise ReconcileError(f'jobs.batch "{job.name}" not found')
        conditions = (submitter.get("status") or {}).get("conditions") or []
        failed_condition = next((c for c in conditions if c["type"] == "Failed" and c["status"] == "True"), None)
        if failed_condition is not None:
            _submitter_failed(status, f"Job submission has failed. Reason: {failed_condition.get('reason', '')}. "
                                      f"Message: {failed_condition.get('message', '')}")
        finished = next((c for c in conditions if c["type"] in ("Complete", "Failed") and c["status"] == "True"),
                        None)
        finished_at = self.clock.parse_timestamp(finished["lastTransitionTime"]) if finished and \
            finished.get("lastTransitionTime") else None
        return failed_condition is not None, finished_at

    def _reconcile_services(self, raw: dict[str, Any], job: RayJob, cluster: dict[str, Any]) -> None:
        """``reconcileServices`` (v1.5+): the RayJob-owned ``<rayjob>-head-svc`` follows the current cluster."""
        if not self.profile.rayjob_head_service or job.spec.uses_cluster_selector:
            return
        name = f"{job.name}-head-svc"
        existing = self.store.find(SERVICE, job.namespace, name)
        if existing is not None and \
                existing["spec"].get("selector", {}).get(LABEL_CLUSTER) == cluster["metadata"]["name"]:
            return  # upstream updates the Service only when the RayCluster behind it changed
        wanted = build_rayjob_head_service(raw, build_head_service(cluster))
        if existing is None:
            try:
                self.store.create(wanted, owned=True)
            except ApiError as exc:
                self._event(raw, WARNING, "FailedToCreateService",
                            f"Failed to create the service {job.namespace}/{name}, {exc}", "Create")
                raise ReconcileError(str(exc)) from exc
            self._event(raw, NORMAL, "CreatedService", f"Created the service {job.namespace}/{name}", "Create")
            return
        updated = deep_copy(existing)
        updated["spec"] = {**wanted["spec"], "clusterIP": existing["spec"].get("clusterIP")}
        try:
            self.store.update(updated, owned=True)
        except ApiError as exc:
            self._event(raw, WARNING, "FailedToUpdateService",
                        f"Failed to update the service {job.namespace}/{name}, {exc}", "Update")
            raise ReconcileError(str(exc)) from exc
        self._event(raw, NORMAL, "UpdatedService", f"Updated the service {job.namespace}/{name}", "Update")

    # -- Suspending / Retrying -------------------------------------------------------------------------------------

    def _release_resources(self, raw: dict[str, Any], job: RayJob, status: RayJobStatus) -> Result | None:
        """The ``Suspending``/``Retrying`` case: delete cluster and submitter, then reset (suspend is atomic)."""
        try:
            cluster_gone = self._delete_cluster(raw, job)
            submitter_gone = self._delete_submitter(raw, job)
        except ReconcileError as exc:
            return Result(DEFAULT_REQUEUE, str(exc))
        if not cluster_gone or not submitter_gone:
            return Result(DEFAULT_REQUEUE)
        status.ray_cluster_status = {}
        status.ray_cluster_name = ""
        status.dashboard_url = ""
        status.job_id = ""
        status.message = ""
        status.reason = JobFailedReason.NONE
        status.ray_job_info = None
        status.job_status_check_failure_start_time = None
        status.job_status = JobStatus.NEW
        status.job_deployment_status = D.SUSPENDED if status.job_deployment_status == D.SUSPENDING else D.NEW
        return None

    def _delete_cluster(self, raw: dict[str, Any], job: RayJob) -> bool:
        """``deleteClusterResources``: True only once the RayCluster is NotFound (selector mode: at once)."""
        if job.spec.uses_cluster_selector:
            return True
        name = job.status.ray_cluster_name
        cluster = self.store.find(RAYCLUSTER, job.namespace, name)
        if cluster is None:
            return True
        if cluster["metadata"].get("deletionTimestamp"):
            return False
        try:
            self.store.delete(RAYCLUSTER, job.namespace, name)
        except NotFound:
            return True
        except ApiError as exc:
            self._event(raw, WARNING, "FailedToDeleteRayCluster",
                        f"Failed to delete cluster {job.namespace}/{name}: {exc}", "Delete")
            raise ReconcileError(str(exc)) from exc
        self._event(raw, NORMAL, "DeletedRayCluster", f"Deleted cluster {job.namespace}/{name}", "Delete")
        return False

    def _delete_submitter(self, raw: dict[str, Any], job: RayJob) -> bool:
        """``deleteSubmitterJob``: K8sJobMode only, background propagation, True once NotFound."""
        if job.spec.submission_mode in (SubmissionMode.HTTP.value, SubmissionMode.SIDECAR.value):
            return True
        submitter = self.store.find(JOB, job.namespace, job.name)
        if submitter is None:
            return True
        if submitter["metadata"].get("deletionTimestamp"):
            return False
        try:
            self.store.delete(JOB, job.namespace, job.name, propagation="Background")
        except NotFound:
            return True
        except ApiError as exc:
            self._event(raw, WARNING, "FailedToDeleteRayJobSubmitter",
                        f"Failed to delete submitter K8s Job {job.namespace}/{job.name}: {exc}", "Delete")
            raise ReconcileError(str(exc)) from exc
        self._event(raw, NORMAL, "DeletedRayJobSubmitter",
                    f"Deleted submitter K8s Job {job.namespace}/{job.name}", "Delete")
        return False

    # -- terminal --------------------------------------------------------------------------------------------------

    def _terminal(self, raw: dict[str, Any], job: RayJob) -> Result:
        """The ``Complete``/``Failed`` case: cleanup by deletionStrategy or shutdownAfterJobFinishes."""
        if job.spec.uses_cluster_selector:
            return Result()
        strategy = job.spec.deletion_strategy
        end = self.clock.parse_timestamp(job.status.end_time) if job.status.end_time else self.clock.now
        if self.gates.rayjob_deletion_policy and strategy is not None:
            if strategy.rules is not None:
                decision = decide_deletion_rules(strategy.rules, job.status, end, self.clock.now,
                                                 lambda p: self._deletion_done(job, p))
                return self._apply_rule_decision(raw, job, decision)
            policy = legacy_policy(strategy, job.status.job_status)
            if policy is None or policy == DeletionPolicyType.DELETE_NONE:
                return Result()
            due = end + job.spec.ttl_seconds_after_finished
            if due > self.clock.now:
                return Result(due - self.clock.now + 2.0)
            return self._execute_policy(raw, job, policy)
        if job.spec.shutdown_after_job_finishes:
            due = end + job.spec.ttl_seconds_after_finished
            if due > self.clock.now:
                return Result(due - self.clock.now + 2.0)
            try:
                if self.config.delete_rayjob_after_finish:
                    self.store.delete(RAYJOB, job.namespace, job.name)
                else:
                    # Only the RayCluster: the submitter Job stays so that its logs can still be read.
                    self._delete_cluster(raw, job)
            except (ReconcileError, ApiError) as exc:
                return Result(DEFAULT_REQUEUE, str(exc))
        return Result()

    def _apply_rule_decision(self, raw: dict[str, Any], job: RayJob, decision: RuleDecision) -> Result:
        if decision.execute is not None:
            result = self._execute_policy(raw, job, decision.execute)
            if result.error is not None:
                return result
        if decision.requeue_at is not None:
            return Result(decision.requeue_at - self.clock.now + 2.0)
        return Result()

    def _deletion_done(self, job: RayJob, policy: DeletionPolicyType) -> bool:
        """``isDeletionActionCompleted``."""
        if policy == DeletionPolicyType.DELETE_NONE:
            return True
        if policy == DeletionPolicyType.DELETE_SELF:
            return False
        cluster = self.store.find(RAYCLUSTER, job.namespace, job.status.ray_cluster_name)
        if cluster is None or cluster["metadata"].get("deletionTimestamp"):
            return True
        if policy == DeletionPolicyType.DELETE_CLUSTER:
            return False
        return all(group.get("suspend") for group in cluster["spec"].get("workerGroupSpecs") or [])

    def _execute_policy(self, raw: dict[str, Any], job: RayJob, policy: DeletionPolicyType) -> Result:
        """``executeDeletionPolicy``."""
        try:
            if policy == DeletionPolicyType.DELETE_CLUSTER:
                self._delete_cluster(raw, job)
            elif policy == DeletionPolicyType.DELETE_WORKERS:
                self._suspend_worker_groups(raw, job)
            elif policy == DeletionPolicyType.DELETE_SELF:
                self.store.delete(RAYJOB, job.namespace, job.name)
        except (ReconcileError, ApiError) as exc:
            return Result(DEFAULT_REQUEUE, str(exc))
        return Result()

    def _suspend_worker_groups(self, raw: dict[str, Any], job: RayJob) -> None:
        """``suspendWorkerGroups``: set ``suspend: true`` on every worker group of the RayCluster."""
        name = job.status.ray_cluster_name
        cluster = self.store.find(RAYCLUSTER, job.namespace, name)
        if cluster is None:
            raise ReconcileError(f'rayclusters.ray.io "{name}" not found')
        updated = deep_copy(cluster)
        for group in updated["spec"].get("workerGroupSpecs") or []:
            group["suspend"] = True
        try:
            self.store.update(updated, owned=True)
        except ApiError as exc:
            self._event(raw, WARNING, "FailedToUpdateRayCluster",
                        f"Failed to suspend worker groups in cluster {job.namespace}/{name}: {exc}", "Update")
            raise ReconcileError(str(exc)) from exc
        self._event(raw, NORMAL, "UpdatedRayCluster",
                    f"Set the `suspend` field to true for all worker groups in cluster {job.namespace}/{name}",
                    "Update")

    # -- backoff ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _check_backoff_limit(job: RayJob, status: RayJobStatus) -> None:
        """``checkBackoffLimitAndUpdateStatusIfNeeded``: counters, then Retrying if attempts remain."""
        failed = (status.failed or 0) + (1 if status.job_deployment_status == D.FAILED else 0)
        succeeded = (status.succeeded or 0) + (
            1 if status.job_status == JobStatus.SUCCEEDED and status.job_deployment_status == D.COMPLETE else 0)
        status.failed, status.succeeded = failed, succeeded
        limit = job.spec.backoff_limit
        if status.job_deployment_status == D.FAILED and limit is not None and failed < limit + 1:
            if status.reason in (JobFailedReason.DEADLINE_EXCEEDED, JobFailedReason.STATUS_CHECK_TIMEOUT_EXCEEDED):
                return
            status.job_deployment_status = D.RETRYING


def _submitter_failed(status: RayJobStatus, message: str) -> None:
    """A failed submitter fails the RayJob: AppFailed if the Ray job already FAILED (its message kept), else
    SubmissionFailed with the submitter's own message."""
    status.job_deployment_status = D.FAILED
    if status.job_status == JobStatus.FAILED:
        status.reason = JobFailedReason.APP_FAILED
    else:
        status.reason = JobFailedReason.SUBMISSION_FAILED
        status.message = message


def check_sidecar_container_status(container: dict[str, Any]) -> bool:
    """``checkSidecarContainerStatus``: the submitter container terminated with a non-zero exit code."""
    terminated = (container.get("state") or {}).get("terminated") or {}
    return bool(terminated) and int(terminated.get("exitCode", 0)) != 0


def check_is_restart_count_exceeded(container: dict[str, Any], backoff_limit: int) -> bool:
    """``checkIsRestartCountExceeded`` (v1.7): once the submitter has terminated at least once (a last
    termination state), it fails when its restart count reaches the limit, unless it now exited 0."""
    if not (container.get("lastState") or {}).get("terminated"):
        return False
    terminated = (container.get("state") or {}).get("terminated")
    if terminated and int(terminated.get("exitCode", 0)) == 0:
        return False
    return int(container.get("restartCount", 0)) >= backoff_limit


def inconsistent_cluster_status(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """``InconsistentRayClusterStatus``: the RayCluster status fields whose change is worth a RayJob write."""
    for key in ("state", "reason", "readyWorkerReplicas", "availableWorkerReplicas", "desiredWorkerReplicas",
                "minWorkerReplicas", "maxWorkerReplicas", "endpoints", "head", "conditions"):
        if old.get(key) != new.get(key):
            return True
    return False
