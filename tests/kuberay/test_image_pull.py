"""Images that cannot be pulled: the kubelet reports ErrImagePull then ImagePullBackOff and retries with its
back-off, the RayCluster never becomes ready, and the RayJob stays Initializing until a deadline ends it."""

from __future__ import annotations

from collections.abc import Callable

from harness.kube.images import normalize_image, pull_policy
from harness.simulator import Simulator

from .builders import rayjob

IMAGE = "rayproject/ray:2.52.0"


def head_or_none(sim: Simulator) -> dict | None:
    cluster = (sim.get("RayJob", "demo") or {}).get("status", {}).get("rayClusterName", "")
    return sim.head_pod(cluster) if cluster else None


def head(sim: Simulator) -> dict:
    found = head_or_none(sim)
    assert found is not None
    return found


def waiting(sim: Simulator) -> dict:
    statuses = (head(sim).get("status") or {}).get("containerStatuses") or [{}]
    return (statuses[0].get("state") or {}).get("waiting") or {}


def test_an_unpullable_image_is_err_image_pull_then_image_pull_back_off(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(unpullable_images=[IMAGE])
    sim.apply(rayjob())
    sim.run_until(lambda: head_or_none(sim) is not None and waiting(sim).get("reason") == "ErrImagePull", 60)
    ref = "docker.io/rayproject/ray:2.52.0"
    assert waiting(sim)["message"] == (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
                                       f'failed to resolve reference "{ref}": {ref}: not found')
    sim.advance(5)
    assert waiting(sim)["reason"] == "ImagePullBackOff"
    assert waiting(sim)["message"].startswith(f'Back-off pulling image "{IMAGE}": ErrImagePull: rpc error')
    assert head(sim)["status"]["phase"] == "Pending"
    reasons = [(e["type"], e["reason"], e["message"]) for e in sim.events_for("Pod", head(sim)["metadata"]["name"])]
    assert ("Normal", "Pulling", f'Pulling image "{IMAGE}"') in reasons
    assert ("Warning", "Failed", "Error: ErrImagePull") in reasons
    assert ("Normal", "BackOff", f'Back-off pulling image "{IMAGE}"') in reasons
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in reasons


def test_the_rayjob_stays_initializing_and_mirrors_the_unready_cluster(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(unpullable_images=[IMAGE])
    sim.apply(rayjob())
    sim.advance(600)
    job = sim.get("RayJob", "demo")
    assert job is not None
    assert job["status"]["jobDeploymentStatus"] == "Initializing"
    assert job["status"]["rayClusterStatus"].get("state") != "ready"
    assert sim.get("Job", "demo") is None  # no submitter before the cluster is ready


def test_the_kubelet_retries_the_pull_with_a_doubling_back_off(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(unpullable_images=[IMAGE])
    sim.apply(rayjob())
    sim.advance(200)
    pulls = [e for e in sim.events_for("Pod", head(sim)["metadata"]["name"]) if e["reason"] == "Pulling"]
    assert len(pulls) == 1 and pulls[0]["count"] == 5  # at about 0, 10, 30, 70 and 150 s


def test_a_pre_running_deadline_ends_a_rayjob_whose_image_never_arrives(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(unpullable_images=[IMAGE])
    sim.apply(rayjob(preRunningDeadlineSeconds=120))
    sim.run_until(lambda: sim.deployment_status("demo") == "Failed", 300)
    status = sim.get("RayJob", "demo")["status"]  # type: ignore[index]
    assert status["reason"] == "PreRunningDeadlineExceeded"
    assert sim.now >= 120


def test_the_active_deadline_ends_it_too(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(unpullable_images=[IMAGE])
    sim.apply(rayjob(activeDeadlineSeconds=60))
    sim.run_until(lambda: sim.deployment_status("demo") == "Failed", 300)
    assert sim.get("RayJob", "demo")["status"]["reason"] == "DeadlineExceeded"  # type: ignore[index]


def test_once_the_image_can_be_pulled_again_the_next_attempt_starts_the_pod(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(unpullable_images=[IMAGE])
    sim.apply(rayjob())
    sim.advance(40)
    sim.make_image_pullable(IMAGE)
    sim.run_until(lambda: sim.deployment_status("demo") == "Complete", 900)
    assert sim.deployment_status("demo") == "Complete"


def test_an_image_made_unpullable_mid_run_still_starts_where_it_already_ran_if_not_present(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim()
    sim.apply(rayjob())
    sim.run_until(lambda: sim.deployment_status("demo") == "Running", 300)
    sim.make_image_unpullable(IMAGE)
    sim.delete("Pod", head(sim)["metadata"]["name"])  # the RayCluster controller creates a new head
    sim.advance(30)
    assert waiting(sim).get("reason") is None  # IfNotPresent: the image is on the node already


def test_image_references_and_pull_policies_are_defaulted_as_kubernetes_does() -> None:
    assert normalize_image("ray:2.9") == "docker.io/library/ray:2.9"
    assert normalize_image("rayproject/ray") == "docker.io/rayproject/ray:latest"
    assert normalize_image("quay.io/kuberay/submitter:v1.5.1") == "quay.io/kuberay/submitter:v1.5.1"
    assert pull_policy({"image": "rayproject/ray"}) == "Always"
    assert pull_policy({"image": "rayproject/ray:2.52.0"}) == "IfNotPresent"
    assert pull_policy({"image": "x:latest", "imagePullPolicy": "Never"}) == "Never"
