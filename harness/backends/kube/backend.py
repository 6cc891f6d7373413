"""The Kubernetes backend: the Backend protocol over any Kubernetes API server, with the official client.

One instance per scenario. It connects through a kubeconfig (:mod:`.target`), then learns what it is talking to:

- **the simulator's server** (``rayjob-harness serve``, recognised by its controls group): time is virtual and
  driven by the backend (:class:`~.clock.SteppedTime`); the scenario's scripted job behaviour is handed to the
  server's scripted executor; the release and the operator's settings are the server's, and a scenario asking for
  other operator settings is not runnable there (:class:`~..base.ScenarioNotRunnable`, a skip with the reason).
  Every kind the server serves is watched in every namespace, which is what lets a step wait for complete delivery;
- **a cluster**: time is the wall clock (:class:`~.clock.WallTime`); the operator is found by its Deployment (its
  release, environment, feature gates and log); scripted behaviour is not runnable (Ray runs the entrypoint), nor
  are operator settings the operator was not installed with. Only the scenario's namespaces are watched.

Objects are written with server-side apply (field manager ``rayjob-harness``) and merge patches, read from what
the watches delivered (:mod:`.observed`) for the scenario's namespaces and from the API otherwise, and every change
is a journal entry. Namespaces the backend created are deleted when it closes, unless asked to keep them.

Not here: requests (:mod:`.api`), watches (:mod:`.watching`), logs on a cluster (:mod:`.dashboard`,
:mod:`.operator`), where each log of a RayJob is (:mod:`harness.backends.logs`).
"""

from __future__ import annotations

import builtins
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from ..._util.jsoncopy import deep_copy, get_path
from ...errors import DeletionTimeout, HarnessError, InputError, ManifestRefused
from ...executors import ExecutorName
from ...journal import Journal
from ...manifests import Manifest, hint_for, load_manifests, validate_manifest
from ...manifests.validate import generic_hint
from ...model.kinds import EVENT, NAMESPACE
from ...model.selectors import parse_selector
from ..base import (
    BackendSettings,
    Capabilities,
    Log,
    LogSource,
    RayJobSubmitRefused,
    Refused,
    ScenarioNotRunnable,
)
from ..logs import read_log
from . import dashboard
from .api import KubeApi
from .clock import SteppedTime, TimeSource, VersionLedger, WallTime
from .controls import GROUP as CONTROLS_GROUP
from .controls import ControlsRefused, OperatorState, SimulatorControls, find_controls
from .events import core_event
from .faults import ServerFaults
from .observed import Observed
from .operator import OperatorLocation, find_operator, lines_about, operator_log, operator_mismatches
from .resources import EVENTS_V1, ApiResource, known
from .target import Connection, KubeTarget, connect
from .transport import ApiError, ApiUnreachable, Transport
from .watching import ResourceWatch

Obj = dict[str, Any]
_log = logging.getLogger(__name__)

# What a scenario's namespace holds that the journal follows (Event through events.k8s.io when served).
WATCHED_KINDS: Final = ("RayJob", "RayCluster", "Pod", "Service", "Job", "ConfigMap", "NetworkPolicy")
NAMESPACE_LABELS: Final = {"app.kubernetes.io/managed-by": "rayjob-harness"}
WRITE_DELIVERY: Final = 30.0  # wall seconds a write may take to come back through the watch
NAMESPACE_DELETION: Final = 300.0  # virtual seconds a scenario's namespace may take to go, on the simulator's server
_UNKNOWN_FIELD: Final = re.compile(r'unknown field "([^"]+)"')
_EXACT: Final = {"1.5": "1.5.2", "1.6": "1.6.2", "1.7": "1.7.0"}  # the releases kind provisioning installs


class KubeBackend:
    """Scenarios on a Kubernetes API server reached through ``target`` (see the module docstring).

    ``use_controls=False`` treats even the simulator's server as a cluster (wall-clock time, no scripted jobs):
    a scenario then runs at the pace a real cluster would set.
    """

    name = "kube"

    def __init__(self, settings: BackendSettings | None = None, target: KubeTarget | None = None, *,
                 use_controls: bool = True) -> None:
        settings = settings or BackendSettings()
        self.settings = settings
        self._warnings: list[str] = []
        self.connection: Connection = connect(target or KubeTarget(settings.kubeconfig, settings.context))
        self._api = KubeApi(Transport(self.connection, on_warning=self._warn))
        reach(self._api)
        self.journal = Journal(self.now)
        self._time: TimeSource | None = None
        self.observed = Observed(self.journal, self.now)
        self._watches: dict[str, list[ResourceWatch]] = {}  # namespace ("" for cluster-wide) -> its watches
        self._created: list[str] = []  # namespaces this backend created and has not deleted
        self._closed = False
        self._restore: list[Callable[[], None]] = []
        self.operator: OperatorLocation | None = None
        self._faults: ServerFaults | None = None
        self.controls = find_controls(self._api) if use_controls else None
        try:
            if settings.executor.path_map:
                raise ScenarioNotRunnable("the scenario maps container paths to local files (paths:), which only the "
                                          "in-process simulator's ray executor reads; on backend=kube the "
                                          "entrypoint runs where the target runs it",
                                          hint="restrict the scenario with backends: [sim]")
            if self.controls is not None:
                self._on_simulator(self.controls)
            else:
                self._on_cluster()
        except BaseException:
            self.close()
            raise
        self.virtual_time = self._time_source.virtual
        # A user's `ray job submit` goes to the dashboard through the API server's service proxy.
        submit = self if self._api.serves_subresource("services/proxy") else None
        faults = self._faults  # the simulator's server only
        self._capabilities = Capabilities(ray_job_submit=submit, kill_container=faults, dashboard_answers=faults,
                                          fail_next=faults, hold_submitter=faults, unpullable_image=faults,
                                          restart_operator=faults)

    # -- what the backend talks to ---------------------------------------------------------------------------------

    @property
    def _time_source(self) -> TimeSource:
        assert self._time is not None
        return self._time

    def _on_simulator(self, controls: SimulatorControls) -> None:
        state = controls.operator()
        self.kuberay_version = state.version
        self._check_release(state.version, "the simulator's server")
        self.executor_name: ExecutorName = "scripted" if state.executor == "scripted" else "ray"
        self._configure_operator(controls, state)
        self._hand_over_job_scripts(controls, state.executor)
        ledger = VersionLedger()
        self._watch_everything(ledger)
        stepped = SteppedTime(controls, self.observed, ledger, self._current_version,
                              max_step=None if state.executor == "scripted" else 1.0)
        self._restore.append(stepped.restore)
        self._time = stepped

    def _configure_operator(self, controls: SimulatorControls, state: OperatorState) -> None:
        """Restart the server's operator with the scenario's settings where they differ (given back on close)."""
        env = {name: value for name, value in self.settings.operator_env.items() if state.env.get(name) != value}
        gates = {name: on for name, on in self.settings.feature_gates.items()
                 if state.feature_gates.get(name) is not on}
        faults = ServerFaults(controls, self.observed.record_action, self._deliver_all,
                              env={**state.env, **self.settings.operator_env},
                              feature_gates=self.settings.feature_gates)
        self._faults = faults

        def give_back() -> None:
            faults.undo()
            if env or gates or faults.restarted:
                controls.replace_operator(state.env, state.feature_gates)

        self._restore.append(give_back)
        if env or gates:
            try:
                controls.restart_operator(env, gates)
            except ControlsRefused as exc:
                env.clear()
                gates.clear()
                raise ScenarioNotRunnable(f"the server's operator cannot run with the scenario's settings: "
                                          f"{exc.message}", hint="run the scenario on the in-process simulator "
                                                                 "(--backend sim)") from None

    def _deliver_all(self) -> None:
        if isinstance(self._time, SteppedTime):
            self._time.deliver()

    def _hand_over_job_scripts(self, controls: SimulatorControls, executor: str) -> None:
        scripts = self.settings.executor.scripts
        if executor != "scripted":
            if not scripts.is_empty:
                raise ScenarioNotRunnable(
                    f"the scenario scripts its Ray jobs, but the server runs them on Ray (executor={executor})",
                    hint="run the scenario against rayjob-harness serve --executor scripted")
            return
        saved = controls.job_scripts()
        try:
            controls.put_job_scripts(scripts)  # an empty script set resets what an earlier scenario left
        except ControlsRefused as exc:
            raise ScenarioNotRunnable(f"the server refused the scenario's job scripts: {exc.message}",
                                      hint="run it on the in-process simulator (--backend sim)") from None
        self._restore.append(lambda: controls.restore_job_scripts(saved))

    def _on_cluster(self) -> None:
        self.executor_name = "cluster"
        if not self.settings.executor.scripts.is_empty:
            raise ScenarioNotRunnable("the scenario scripts its Ray jobs (executor:), which only the simulator can "
                                      "do; on a cluster Ray runs each entrypoint",
                                      hint="restrict it with backends: [sim], or run it against rayjob-harness serve")
        self.operator = find_operator(self._api)
        release = self.operator.release if self.operator is not None else None
        if release is None:
            assumed = _EXACT.get(self._release_asked() or "1.7", self._release_asked() or "1.7")
            self._warn(f"the KubeRay operator's release on {self.connection.server} is not known ("
                       + ("its image tag names none" if self.operator is not None else
                          "no kuberay-operator Deployment found") + f"); scenarios are matched against v{assumed}")
            release = assumed
        self.kuberay_version = release
        self._check_release(release, f"the cluster {self.connection.server}")
        env, gates = (self.operator.env, self.operator.feature_gates) if self.operator is not None else ({}, {})
        problems = operator_mismatches(self.settings.operator_env, self.settings.feature_gates, env, gates)
        if problems:
            raise ScenarioNotRunnable(
                "the cluster's KubeRay operator was not installed with the scenario's settings: "
                + "; ".join(problems),
                hint="install it with them (rayjob-harness cluster up --operator-env ... --feature-gates ...), or "
                     "restrict the scenario with backends: [sim]")
        self._time = WallTime(self.observed)

    def _release_asked(self) -> str | None:
        """The release line asked for (``1.7``), None when the target's own is to be taken."""
        return self.settings.kuberay_version

    def _check_release(self, running: str, where: str) -> None:
        asked = self._release_asked()
        if asked is not None and asked.split(".")[:2] != running.split(".")[:2]:
            raise InputError(f"--kuberay-version {self.settings.kuberay_version} was asked, but {where} runs "
                             f"KubeRay {running}",
                             hint="leave --kuberay-version out to take the release the cluster runs")

    # -- watching --------------------------------------------------------------------------------------------------

    def _event_resource(self) -> ApiResource:
        return EVENTS_V1 if self._api.resources.serves("events.k8s.io/v1", "Event") else ApiResource.of(EVENT)

    def _start(self, key: str, resources: Sequence[ApiResource], namespace: str | None,
               ledger: VersionLedger | None = None) -> None:
        watches = []
        for res in resources:
            normalise = core_event if res.kind == "Event" else None
            watch = ResourceWatch(self._api, res, namespace=namespace, sink=self.observed.sink(res.kind),
                                  normalise=normalise,
                                  on_version=ledger.saw if ledger is not None else None,
                                  on_list=ledger.start_at if ledger is not None else None)
            watches.append(watch)
            self._watches.setdefault(key, []).append(watch)
        self.observed.watch_kinds(tuple(res.kind for res in resources))
        for watch in watches:
            watch.start()

    def _watch_everything(self, ledger: VersionLedger) -> None:
        """Every kind the simulator's server serves, in every namespace: each write arrives on one watch."""
        self._start("", self._api.watchable(events=self._event_resource(), skip_groups=(CONTROLS_GROUP,)), None,
                    ledger)

    def _current_version(self) -> int:
        _, version = self._api.list(ApiResource.of(NAMESPACE), namespace=None, limit=1)
        return int(version) if version.isdigit() else 0

    # -- namespaces ------------------------------------------------------------------------------------------------

    def create_namespace(self, name: str) -> None:
        try:
            created = self._api.create(ApiResource.of(NAMESPACE),
                                       {"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": name, "labels": dict(NAMESPACE_LABELS)}},
                                       namespace=None)
        except ApiError as exc:
            raise HarnessError(f"namespace {name} cannot be created: {exc.message}",
                               hint="the credentials must allow creating namespaces; each scenario runs in one "
                                    "of its own") from None
        self._created.append(name)
        self.observed.follow(name)
        if self.virtual_time:
            self._deliver_write("Namespace", created)
        else:
            resources = [known(kind) for kind in WATCHED_KINDS if self._served(kind)]
            self._start(name, [*resources, self._event_resource()], name)

    def _served(self, kind: str) -> bool:
        res = known(kind)
        return self._api.resources.serves(res.api_version, res.kind)

    def delete_namespace(self, name: str) -> None:
        self.observed.record_action("delete namespace", namespace=name)
        for watch in self._watches.pop(name, []):
            watch.stop()
        try:
            self._api.delete(ApiResource.of(NAMESPACE), name, namespace=None)
        except ApiError as exc:
            if not exc.not_found:
                raise
        if name in self._created:
            self._created.remove(name)
        self.observed.unfollow(name)
        if self.virtual_time:
            self._finish_deletion(name)

    def _finish_deletion(self, namespace: str) -> None:
        """On the simulator's server, run its clock until the namespace is gone, so that the next scenario's steps
        neither run its deletion nor step through the timers of what it held. An object whose finalizer nobody
        removes (a RayJob the operator no longer reconciles) would hold it for ever: after a while its finalizers
        are removed, as a person would with ``kubectl patch``, and said in a warning."""
        def gone() -> bool:
            return self._api.get(ApiResource.of(NAMESPACE), namespace, namespace=None) is None

        if self._time_source.wait_until(gone, NAMESPACE_DELETION):
            return
        held = []
        for kind in (*WATCHED_KINDS, "Event"):
            res = known(kind)
            if not self._served(kind):
                continue
            for obj in self._api.list(res, namespace=namespace)[0]:
                if obj["metadata"].get("finalizers"):
                    self._api.merge_patch(res, obj["metadata"]["name"], {"metadata": {"finalizers": None}},
                                          namespace=namespace)
                    held.append(f"{kind}/{obj['metadata']['name']} ({', '.join(obj['metadata']['finalizers'])})")
        if held:
            self._warn(f"namespace {namespace} stayed Terminating for {NAMESPACE_DELETION:g}s of virtual time: the "
                       f"finalizers of {', '.join(held)} held it; the harness removed them")
        self._time_source.wait_until(gone, NAMESPACE_DELETION)

    # -- objects ---------------------------------------------------------------------------------------------------

    def _warn(self, text: str) -> None:
        if text in self._warnings:
            return
        self._warnings.append(text)
        if self.settings.on_warning is not None:
            self.settings.on_warning(text)

    def warnings(self) -> builtins.list[str]:
        return list(self._warnings)

    def _deliver_write(self, kind: str, obj: Mapping[str, Any]) -> None:
        """Return once the watches have delivered this write (so that get, list and the journal see it)."""
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace", ""))
        if self.virtual_time:
            version = str(meta.get("resourceVersion", ""))
            if version.isdigit() and isinstance(self._time, SteppedTime):
                self._time.deliver(int(version))
            return
        if self.observed.covers(kind, namespace):
            self.observed.wait_version(kind, namespace, str(meta.get("name", "")),
                                       str(meta.get("resourceVersion", "")), timeout=WRITE_DELIVERY)

    def apply(self, obj: Mapping[str, Any], *, namespace: str) -> Obj:
        return self._apply(deep_copy(dict(obj)), namespace, None)

    def apply_manifests(self, source: str | Path, *, namespace: str | None = None) -> builtins.list[Obj]:
        manifests = load_manifests(source)
        return [self._apply(deep_copy(m.obj), namespace or m.namespace or self.connection.default_namespace, m)
                for m in manifests]

    def _apply(self, body: Obj, namespace: str, manifest: Manifest | None) -> Obj:
        res = self._api.resources.for_object(str(body.get("apiVersion", "")), str(body.get("kind", "")))
        meta = body.setdefault("metadata", {})
        ns = namespace if res.namespaced else None
        if ns is not None:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        name = str(meta.get("name") or meta.get("generateName") or "")
        where = ns or ""
        # The action is journaled once the answer says what it was; changes arriving meanwhile wait behind it.
        self.observed.hold()
        try:
            if meta.get("name"):
                applied = self._api.apply(res, body, namespace=ns)
            else:
                applied = self._api.create(res, body, namespace=ns)
        except ApiError as exc:
            self.observed.record_action("apply (refused)", kind=res.kind, namespace=where, name=name,
                                        detail=exc.message)
            raise _refusal(exc, res.kind, name, manifest) from None
        else:
            self.observed.record_action("apply", kind=res.kind, namespace=where, name=name)
        finally:
            self.observed.release()
        self._deliver_write(res.kind, applied)
        return applied

    def patch(self, kind: str, name: str, patch: Mapping[str, Any], *, namespace: str,
              subresource: Literal["status"] | None = None) -> Obj:
        res = known(kind)
        self.observed.record_action("patch status" if subresource else "patch", kind=res.kind, namespace=namespace,
                                    name=name, detail=str(dict(patch)))
        try:
            patched = self._api.merge_patch(res, name, patch, namespace=namespace, subresource=subresource)
        except ApiError as exc:
            raise _refusal(exc, res.kind, name, None) from None
        self._deliver_write(res.kind, patched)
        return patched

    def delete(self, kind: str, name: str, *, namespace: str, wait: bool = True, timeout: float = 300.0) -> None:
        res = known(kind)
        self.observed.record_action("delete", kind=res.kind, namespace=namespace, name=name)
        try:
            self._api.delete(res, name, namespace=namespace)
        except ApiError as exc:
            raise _refusal(exc, res.kind, name, None) from None
        if self.virtual_time and isinstance(self._time, SteppedTime):
            self._time.deliver()
        if wait and not self.wait_until(lambda: self.get(res.kind, name, namespace=namespace) is None, timeout):
            raise DeletionTimeout(f"{res.kind} {namespace}/{name} still exists after {timeout:g}s",
                                  hint="a finalizer is holding it; see the operator log")

    def get(self, kind: str, name: str, *, namespace: str) -> Obj | None:
        res = known(kind)
        if self.observed.covers(res.kind, namespace):
            return self.observed.get(res.kind, namespace, name)
        if res.kind == "Event":
            return next((e for e in self._events_from_api(namespace) if e["metadata"]["name"] == name), None)
        return self._api.get(res, name, namespace=namespace if res.namespaced else None)

    def list(self, kind: str, *, namespace: str | None,
             selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]:
        res = known(kind)
        try:
            parse_selector(selector)
        except ValueError as exc:
            raise InputError(str(exc), hint="write a selector as kubectl does: a=b,c!=d,e in (f,g)") from None
        if namespace is not None and self.observed.covers(res.kind, namespace):
            return self.observed.list(res.kind, namespace, selector)
        text = ",".join(f"{k}={v}" for k, v in selector.items()) if isinstance(selector, Mapping) else selector
        if res.kind == "Event" and self._event_resource() is EVENTS_V1:
            items, _ = self._api.list(EVENTS_V1, namespace=namespace, label_selector=text)
            items = [core_event(item) for item in items]
        else:
            items, _ = self._api.list(res, namespace=namespace if res.namespaced else None, label_selector=text)
        return sorted(items, key=lambda o: (str(o["metadata"].get("namespace", "")), str(o["metadata"]["name"])))

    def _events_from_api(self, namespace: str) -> builtins.list[Obj]:
        return self.list("Event", namespace=namespace)

    def events(self, *, namespace: str) -> builtins.list[Obj]:
        if self.observed.covers("Event", namespace):
            return self.observed.events(namespace)
        events = self._events_from_api(namespace)
        return sorted(events, key=lambda e: (str(e.get("firstTimestamp") or e.get("eventTime") or ""),
                                             str(e["metadata"]["name"])))

    # -- logs ------------------------------------------------------------------------------------------------------

    def pod_logs(self, pod: str, *, namespace: str, container: str | None = None) -> str:
        try:
            return self._api.pod_log(pod, namespace=namespace, container=container)
        except ApiError as exc:
            if exc.not_found:
                raise HarnessError(f'pods "{pod}" not found in namespace {namespace}') from None
            raise HarnessError(exc.message) from None

    def driver_log(self, rayjob: str, *, namespace: str) -> str:
        obj = self.get("RayJob", rayjob, namespace=namespace)
        if obj is None:
            raise HarnessError(f"RayJob {namespace}/{rayjob} does not exist")
        job_id, cluster = get_path(obj, "status.jobId"), get_path(obj, "status.rayClusterName")
        if not job_id or not cluster:
            raise HarnessError(f"no driver log for RayJob {namespace}/{rayjob}: it has no Ray job on a cluster yet "
                               f"(status.jobId={job_id or ''!r}, status.rayClusterName={cluster or ''!r})")
        return dashboard.driver_log(self._api, namespace=namespace, cluster=str(cluster), job_id=str(job_id))

    def operator_log(self, *, namespace: str, objects: Sequence[tuple[str, str]] | None = None) -> builtins.list[str]:
        where = self.operator or find_operator(self._api)
        if where is None:
            raise HarnessError(f"the KubeRay operator's log cannot be read on {self.connection.server}: no "
                               "kuberay-operator Deployment was found (or listing Deployments is not allowed)")
        self.operator = where
        return lines_about(operator_log(self._api, where), namespace=namespace, objects=objects)

    def logs(self, *, namespace: str, source: LogSource, rayjob: str | None = None, raycluster: str | None = None,
             container: str | None = None) -> Log:
        return read_log(self, namespace=namespace, source=source, rayjob=rayjob, raycluster=raycluster,
                        container=container)

    # -- a user's ray job submit -----------------------------------------------------------------------------------

    def submit_ray_job(self, rayjob: str, submission_id: str, entrypoint: str | None = None, *,
                       namespace: str) -> None:
        obj = self.get("RayJob", rayjob, namespace=namespace)
        if obj is None:
            raise RayJobSubmitRefused(f"RayJob {namespace}/{rayjob} does not exist")
        cluster = get_path(obj, "status.rayClusterName")
        if not cluster:
            raise RayJobSubmitRefused(f"RayJob {namespace}/{rayjob} has no RayCluster yet",
                                      hint="submit once its jobDeploymentStatus is Waiting")
        self.observed.record_action("ray job submit", kind="RayJob", namespace=namespace, name=rayjob,
                                    detail=submission_id)
        try:
            dashboard.submit_job(self._api, namespace=namespace, cluster=str(cluster), submission_id=submission_id,
                                 entrypoint=entrypoint or str(get_path(obj, "spec.entrypoint") or ""))
        except (ApiError, ApiUnreachable, HarnessError) as exc:
            raise RayJobSubmitRefused(f"the dashboard of RayCluster {cluster} refused the job: {exc.message}",
                                      hint="the head pod must be Running and Ready, the submission id unused, and "
                                           "the credentials allow services/proxy") from None

    # -- time ------------------------------------------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def now(self) -> float:
        return self._time.now() if self._time is not None else 0.0

    def advance(self, seconds: float) -> None:
        self.observed.record_action("advance", detail=f"{seconds:g}s")
        self._time_source.advance(seconds)

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        return self._time_source.wait_until(condition, timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self.settings.keep_namespaces:
            for name in list(self._created):
                try:
                    self._api.delete(ApiResource.of(NAMESPACE), name, namespace=None)
                except (ApiError, ApiUnreachable) as exc:
                    if not getattr(exc, "not_found", False):
                        _log.warning("namespace %s could not be deleted: %s", name, exc.message)
            self._created.clear()
        for watches in self._watches.values():
            for watch in watches:
                watch.stop()
        self._watches.clear()
        for restore in reversed(self._restore):
            try:
                restore()
            except (ApiError, ApiUnreachable, ControlsRefused) as exc:
                _log.warning("the server's settings could not be restored: %s", exc)
        self._api.transport.connection.api_client.close()


def _refusal(exc: ApiError, kind: str, name: str, manifest: Manifest | None) -> HarnessError:
    """What the API server refused, as the Backend protocol says it: :class:`Refused` with the Status's code,
    reason and message; for a manifest file, a ManifestRefused at the line of the field the server names (or of
    the first one the API server's rules, checked here too, find wrong) with their hint."""
    hint = generic_hint(exc.code, kind) if exc.code in (400, 422) else None
    if manifest is None:
        return Refused(exc.message, code=exc.code, reason=exc.reason, hint=hint)
    field = next((c.field.lstrip(".") for c in exc.causes if c.field), "")
    if not field and (found := _UNKNOWN_FIELD.search(exc.message)):
        field = found.group(1)
    local = validate_manifest(manifest)
    if not local.ok:
        hint = hint_for(local, manifest)
        field = field or local.errors[0].path
    return ManifestRefused(exc.message or f"{kind} {name} was refused ({exc.code} {exc.reason})", code=exc.code,
                           reason=exc.reason, status_message=exc.message, pos=manifest.pos(field), hint=hint)


def reach(api: KubeApi) -> None:
    """InputError unless the API server answers ``/version`` to these credentials."""
    connection = api.transport.connection
    where = f"context={connection.context} kubeconfig={connection.kubeconfig}"
    try:
        api.version()
    except ApiUnreachable as exc:
        raise InputError(f"the API server {connection.server} ({where}) does not answer: "
                         f"{exc.message.rpartition(': ')[2]}",
                         hint="start it (e.g. rayjob-harness serve --kubeconfig-out FILE), or pass the "
                              "--kubeconfig/--context of a running cluster") from None
    except ApiError as exc:
        if exc.code in (401, 403):
            raise InputError(f"the API server {connection.server} refused the credentials of {where} "
                             f"({exc.code} {exc.reason or exc.message})",
                             hint="the kubeconfig's user (token, certificate) is not accepted there; a kubeconfig "
                                  "written by rayjob-harness serve holds only while that server runs") from None
        raise


class _Factory:
    """The registry's way into this module."""

    def create(self, settings: BackendSettings) -> KubeBackend:
        return KubeBackend(settings)

    def operator_problems(self, env: Mapping[str, str],
                          feature_gates: Mapping[str, bool]) -> builtins.list[tuple[str, str]]:
        # Whether the target's operator runs with these settings is known only once connected: a scenario asking
        # for others is then skipped with the reason (ScenarioNotRunnable).
        return []

    def check_target(self, settings: BackendSettings) -> None:
        connection = connect(KubeTarget(settings.kubeconfig, settings.context))
        api = KubeApi(Transport(connection))
        try:
            reach(api)
        finally:
            connection.api_client.close()


FACTORY = _Factory()
