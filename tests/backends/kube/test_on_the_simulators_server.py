"""The Kubernetes backend on ``rayjob-harness serve``: it drives the server's virtual time, stamps each change with
the instant it happened at, hands the scenario's job scripts to the server and gives everything back when it closes;
what the server cannot do for a scenario is a skip with the reason, and what it does not serve is said plainly."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client

from harness.backends.base import Backend, BackendSettings, LogUnavailable, Refused, ScenarioNotRunnable
from harness.backends.faults import FaultNotApplicable
from harness.backends.kube import KubeBackend
from harness.backends.kube.controls import GROUP, VERSION
from harness.backends.sim import SimBackend
from harness.errors import InputError
from harness.executors import ExecutorSettings, JobScript, JobScripts

from ..manifests import GREETING, configmap, rayjob
from ..servers import ServeProcess

SCRIPTS = JobScripts(default=JobScript(runtime=30.0, output=(GREETING,)))
Make = Callable[..., KubeBackend]


@pytest.fixture
def make(simulator_server: ServeProcess) -> Iterator[Make]:
    made: list[KubeBackend] = []

    def build(**settings: Any) -> KubeBackend:
        settings.setdefault("executor", ExecutorSettings(name="scripted", scripts=SCRIPTS))
        backend = KubeBackend(BackendSettings(kubeconfig=simulator_server.kubeconfig, **settings))
        made.append(backend)
        return backend

    yield build
    for backend in made:
        backend.close()


@pytest.fixture
def server_api(simulator_server: ServeProcess) -> Iterator[client.ApiClient]:
    """The official client on the session's server, to look at it other than through the backend."""
    from kubernetes import config

    api_client = config.new_client_from_config(str(simulator_server.kubeconfig))
    yield api_client
    api_client.close()


def _clock(api_client: client.ApiClient) -> dict[str, Any]:
    found: dict[str, Any] = client.CustomObjectsApi(api_client).get_cluster_custom_object(GROUP, VERSION, "clocks",
                                                                                          "virtual")
    return found


def _state(backend: KubeBackend, namespace: str, name: str = "contract") -> str | None:
    obj = backend.get("RayJob", name, namespace=namespace)
    return None if obj is None else (obj.get("status") or {}).get("jobDeploymentStatus")


def _namespace(backend: KubeBackend) -> str:
    name = f"kube-{secrets.token_hex(3)}"
    backend.create_namespace(name)
    return name


def test_on_the_simulators_server_time_is_virtual_and_moved_by_the_backend(make, server_api):
    backend = make()
    before = _clock(server_api)["status"]["now"]
    backend.advance(3600)
    assert backend.virtual_time and backend.now() >= 3600
    assert _clock(server_api)["status"]["now"] - before >= 3600


def test_while_the_backend_drives_the_server_its_clock_stands_still_between_steps(make, server_api):
    make()
    assert _clock(server_api)["spec"]["pacing"] == "Manual"


def _timeline(backend: Backend, namespace: str) -> list[tuple[float, str, str]]:
    backend.apply(rayjob(), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Complete", 600)
    return [(round(t, 3), field, value) for field in ("status.jobDeploymentStatus", "status.jobStatus")
            for t, value in backend.journal.values(field, kind="RayJob", namespace=namespace, name="contract")]


def test_each_change_is_stamped_with_the_virtual_instant_it_happened_at_as_in_process(make):
    backend = make()
    in_process = SimBackend(BackendSettings(executor=ExecutorSettings(name="scripted", scripts=SCRIPTS)))
    in_process.create_namespace("here")
    try:
        assert _timeline(backend, _namespace(backend)) == _timeline(in_process, "here")
    finally:
        in_process.close()


def test_a_wait_is_satisfied_by_a_state_the_object_only_passed_through(make):
    backend = make()
    namespace = _namespace(backend)
    backend.apply(rayjob(suspend=False, shutdownAfterJobFinishes=True), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Running", 600)
    backend.patch("RayJob", "contract", {"spec": {"suspend": True}}, namespace=namespace)
    # Suspending lasts no time at all on the simulator: it is over within the instant it began.
    assert backend.wait_until(lambda: _state(backend, namespace) == "Suspending", 600)
    assert _state(backend, namespace) == "Suspended"


def test_the_scenarios_job_scripts_run_on_the_server(make):
    backend = make(executor=ExecutorSettings(name="scripted", scripts=JobScripts(
        default=JobScript(runtime=5.0, exit_code=3, output=("boom",)))))
    namespace = _namespace(backend)
    backend.apply(rayjob(), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Failed", 600)
    assert "boom" in backend.logs(namespace=namespace, source="submitter", rayjob="contract").text


def test_closing_gives_the_server_back_its_job_scripts_and_pacing(make, server_api):
    custom = client.CustomObjectsApi(server_api)
    custom.patch_cluster_custom_object(GROUP, VERSION, "clocks", "virtual", {"spec": {"pacing": "WallClock"}})
    try:
        scripts_before = custom.get_cluster_custom_object(GROUP, VERSION, "jobscripts", "default")["spec"]
        backend = make()
        assert _clock(server_api)["spec"]["pacing"] == "Manual"
        backend.close()
        assert _clock(server_api)["spec"]["pacing"] == "WallClock"
        assert custom.get_cluster_custom_object(GROUP, VERSION, "jobscripts", "default")["spec"] == scripts_before
    finally:
        custom.patch_cluster_custom_object(GROUP, VERSION, "clocks", "virtual", {"spec": {"pacing": "Manual"}})


def test_namespaces_the_backend_created_are_deleted_when_it_closes(make, server_api):
    backend = make()
    namespace = _namespace(backend)
    backend.close()
    try:
        found = client.CoreV1Api(server_api).read_namespace(namespace)
    except client.ApiException as exc:
        assert exc.status == 404
    else:
        assert found.metadata.deletion_timestamp is not None


def test_namespaces_are_kept_when_asked(make, server_api):
    backend = make(keep_namespaces=True)
    namespace = _namespace(backend)
    backend.close()
    assert client.CoreV1Api(server_api).read_namespace(namespace).metadata.deletion_timestamp is None
    client.CoreV1Api(server_api).delete_namespace(namespace)


def test_events_read_through_events_k8s_io_are_what_core_v1_shows(make, server_api):
    backend = make()
    namespace = _namespace(backend)
    backend.apply(rayjob(), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Running", 600)
    core = client.CoreV1Api(server_api).list_namespaced_event(namespace).items
    expected = {(e.reason, e.message, e.involved_object.kind, e.involved_object.uid, e.count) for e in core}
    seen = {(e["reason"], e["message"], e["involvedObject"]["kind"], e["involvedObject"]["uid"], e["count"])
            for e in backend.events(namespace=namespace)}
    assert seen == expected and len(seen) >= 3


def _operator(api_client: client.ApiClient) -> dict[str, Any]:
    found: dict[str, Any] = client.CustomObjectsApi(api_client).get_cluster_custom_object(GROUP, VERSION, "operators",
                                                                                          "kuberay")["spec"]
    return found


def test_the_scenarios_operator_settings_are_the_servers_while_it_runs_and_given_back_after(make, server_api):
    backend = make(operator_env={"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"},
                   feature_gates={"RayJobDeletionPolicy": False})
    running = _operator(server_api)
    assert running["env"] == {"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"}
    assert running["featureGates"]["RayJobDeletionPolicy"] is False
    backend.close()
    after = _operator(server_api)
    assert after["env"] == {} and after["featureGates"]["RayJobDeletionPolicy"] is True


def test_operator_settings_the_server_cannot_run_make_a_scenario_not_runnable_there(make):
    with pytest.raises(ScenarioNotRunnable, match=r"the server's operator cannot run with the scenario's settings: "
                                                  r".*KubernetesWAS=true is not modelled by the simulator"):
        make(feature_gates={"KubernetesWAS": True})


def test_operator_settings_the_server_runs_with_need_no_restart(make, server_api):
    make(feature_gates={"RayJobDeletionPolicy": True})
    assert _operator(server_api)["env"] == {}


def test_mapped_container_paths_make_a_scenario_not_runnable(make):
    with pytest.raises(ScenarioNotRunnable, match=r"maps container paths to local files \(paths:\)"):
        make(executor=ExecutorSettings(name="ray", path_map={"/app": "."}))


def test_insisting_on_a_release_the_server_does_not_run_is_bad_input(make):
    with pytest.raises(InputError, match=r"--kuberay-version 1\.6 was asked, but the simulator's server runs "
                                         r"KubeRay 1\.7\.0"):
        make(kuberay_version="1.6")


def test_the_driver_log_on_a_server_without_a_route_to_the_head_pod_says_what_is_missing(make):
    backend = make()
    namespace = _namespace(backend)
    backend.apply(rayjob(), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Complete", 600)
    with pytest.raises(LogUnavailable, match=r"the API server serves neither services/proxy \(the dashboard's job "
                                             r"logs\) nor pods/exec \(the file on the head pod\)"):
        backend.logs(namespace=namespace, source="driver", rayjob="contract")


def test_the_operator_log_where_no_operator_runs_says_so(make):
    backend = make()
    namespace = _namespace(backend)
    backend.apply(rayjob(), namespace=namespace)
    with pytest.raises(LogUnavailable, match="no kuberay-operator Deployment was found"):
        backend.logs(namespace=namespace, source="operator", rayjob="contract")


def test_without_a_services_proxy_a_user_cannot_submit_ray_jobs_here(make):
    assert make().capabilities.ray_job_submit is None


def test_faults_are_injected_through_the_servers_controls_and_journaled_as_in_process(make):
    backend = make()
    namespace = _namespace(backend)
    faults = backend.capabilities.fail_next
    assert faults is not None
    faults.fail_next("create", "ConfigMap", namespace=namespace, reason="Conflict", message="try again")
    with pytest.raises(Refused) as refused:
        backend.apply(configmap("settings"), namespace=namespace)
    assert (refused.value.code, refused.value.reason) == (409, "Conflict")
    [action] = [e for e in backend.journal.entries if e.action.startswith("fail next")]
    assert (action.action, action.kind, action.detail) == ("fail next create", "ConfigMap", "1x Conflict")


def test_killing_a_container_that_does_not_run_is_not_applicable(make):
    backend = make()
    namespace = _namespace(backend)
    assert backend.capabilities.kill_container is not None
    with pytest.raises(FaultNotApplicable, match="cannot kill a container of pod nobody"):
        backend.capabilities.kill_container.kill_container("nobody", namespace=namespace)


def test_a_killed_head_container_is_restarted_as_its_pod_says(make):
    backend = make()
    namespace = _namespace(backend)
    backend.apply(rayjob(), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Running", 600)
    [head] = backend.list("Pod", namespace=namespace, selector="ray.io/node-type=head")
    assert backend.capabilities.kill_container is not None
    backend.capabilities.kill_container.kill_container(head["metadata"]["name"], namespace=namespace)
    backend.advance(60)
    restarted = backend.get("Pod", head["metadata"]["name"], namespace=namespace)
    assert restarted is not None and restarted["status"]["containerStatuses"][0]["restartCount"] == 1


def test_on_the_simulators_server_every_fault_can_be_injected(make):
    assert make().capabilities.names >= {"kill_container", "dashboard_answers", "fail_next", "hold_submitter",
                                         "unpullable_image", "restart_operator"}
