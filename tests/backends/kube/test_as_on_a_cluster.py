"""The Kubernetes backend where time is real: a server treated as a cluster (``use_controls=False``) on a
``rayjob-harness serve`` whose clock follows the wall clock, as a real cluster's does."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends.base import BackendSettings, ScenarioNotRunnable
from harness.backends.kube import KubeBackend
from harness.executors import ExecutorSettings, JobScript, JobScripts

from ..manifests import configmap, rayjob
from ..servers import ServeProcess, serve


@pytest.fixture(scope="module")
def paced_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve(Path(tmp_path_factory.mktemp("paced")), pacing="WallClock") as server:
        yield server


@pytest.fixture
def backend(paced_server: ServeProcess) -> Iterator[KubeBackend]:
    made = KubeBackend(BackendSettings(kubeconfig=paced_server.kubeconfig), use_controls=False)
    yield made
    made.close()


@pytest.fixture
def namespace(backend: KubeBackend) -> str:
    name = f"real-{secrets.token_hex(3)}"
    backend.create_namespace(name)
    return name


def test_time_is_the_wall_clock_and_jobs_run_on_the_clusters_own_ray(backend):
    assert not backend.virtual_time and backend.executor_name == "cluster"
    before, started = backend.now(), time.monotonic()
    backend.advance(0.5)
    assert time.monotonic() - started >= 0.5 and backend.now() - before >= 0.5


def test_a_cluster_whose_operator_is_not_found_is_matched_against_the_newest_release_saying_so(backend):
    assert backend.kuberay_version == "1.7.0"
    assert any("KubeRay operator's release" in warning and "no kuberay-operator Deployment found" in warning
               for warning in backend.warnings())


def test_what_the_operator_does_arrives_through_the_namespaces_watches(backend, namespace):
    backend.apply(rayjob(), namespace=namespace)
    assert backend.wait_until(lambda: backend.list("RayCluster", namespace=namespace) != [], 30)
    kinds = {entry.kind for entry in backend.journal.entries if entry.namespace == namespace}
    assert {"RayJob", "RayCluster"} <= kinds


def test_a_write_is_readable_as_soon_as_it_returns(backend, namespace):
    backend.apply(configmap("settings"), namespace=namespace)
    assert backend.get("ConfigMap", "settings", namespace=namespace) is not None
    backend.patch("ConfigMap", "settings", {"data": {"key": "other"}}, namespace=namespace)
    assert backend.get("ConfigMap", "settings", namespace=namespace)["data"] == {"key": "other"}


def test_scripted_ray_jobs_are_not_runnable_on_a_cluster(paced_server):
    scripts = JobScripts(default=JobScript(runtime=1.0))
    with pytest.raises(ScenarioNotRunnable, match="which only the simulator can do; on a cluster Ray runs each "
                                                  "entrypoint"):
        KubeBackend(BackendSettings(kubeconfig=paced_server.kubeconfig,
                                    executor=ExecutorSettings(name="scripted", scripts=scripts)), use_controls=False)


def test_operator_settings_a_cluster_cannot_confirm_are_not_runnable(paced_server):
    with pytest.raises(ScenarioNotRunnable, match="was not installed with the scenario's settings"):
        KubeBackend(BackendSettings(kubeconfig=paced_server.kubeconfig, feature_gates={"RayCronJob": True}),
                    use_controls=False)


def test_a_cluster_offers_no_faults(backend):
    assert not backend.capabilities.names & {"kill_container", "dashboard_answers", "fail_next", "hold_submitter",
                                             "unpullable_image", "restart_operator"}
