"""Lanes derived from the journal: one per object aspect, states from the entries' changes only."""

from __future__ import annotations

from harness.report.lanes import DELETED, DELETION, EVENT, TTL_MARKER, Lane, Timeline, build_timeline
from harness.report.states import Tone

from .builders import World, event, pod, rayjob, submitter_job, ttl_lifecycle

CLUSTER = "rayjob-sample-x7k2p"


def _timeline(world: World, **kwargs: object) -> Timeline:
    return build_timeline(world.journal.entries, **kwargs)  # type: ignore[arg-type]


def _lane(timeline: Timeline, ref: str, aspect: str | None = None) -> Lane:
    return next(lane for lane in timeline.lanes if str(lane.ref) == ref and aspect in (None, lane.aspect))


def _labels(lane: Lane) -> list[str]:
    return [s.label for s in lane.segments]


def test_lanes_follow_owners_rayjob_then_cluster_with_pods_then_submitter_then_events() -> None:
    world = World()
    ttl_lifecycle(world)
    assert [(str(lane.ref), lane.aspect) for lane in _timeline(world).lanes] == [
        ("RayJob/default/rayjob-sample", "deployment"),
        ("RayJob/default/rayjob-sample", "job"),
        (f"RayCluster/default/{CLUSTER}", "state"),
        (f"Pod/default/{CLUSTER}-head-9zt4q", "phase"),
        (f"Pod/default/{CLUSTER}-small-group-worker-b5k8w", "phase"),
        (f"Service/default/{CLUSTER}-head-svc", "presence"),
        ("Job/default/rayjob-sample", "state"),
        ("Pod/default/rayjob-sample-q7w2c", "phase"),
        ("RayJob/default/rayjob-sample", "events"),
    ]


def test_children_are_indented_one_level_below_their_owner() -> None:
    world = World()
    ttl_lifecycle(world)
    depths = {(str(lane.ref), lane.aspect): lane.depth for lane in _timeline(world).lanes}
    assert depths[("RayJob/default/rayjob-sample", "job")] == 0
    assert depths[(f"RayCluster/default/{CLUSTER}", "state")] == 1
    assert depths[(f"Pod/default/{CLUSTER}-head-9zt4q", "phase")] == 2


def test_deployment_lane_shows_each_status_in_order_with_its_times() -> None:
    world = World()
    ttl_lifecycle(world)
    lane = _lane(_timeline(world), "RayJob/default/rayjob-sample", "deployment")
    assert [(s.label, s.start, s.end) for s in lane.segments] == [
        ("New", 0.0, 0.0), ("Initializing", 0.0, 6.0), ("Running", 6.0, 61.0), ("Complete", 61.0, 3662.0)]
    assert [s.tone for s in lane.segments] == [Tone.NEUTRAL, Tone.PENDING, Tone.RUNNING, Tone.SUCCESS]


def test_job_status_lane_starts_only_once_a_ray_job_status_exists() -> None:
    world = World()
    ttl_lifecycle(world, outcome="FAILED")
    lane = _lane(_timeline(world), "RayJob/default/rayjob-sample", "job")
    assert _labels(lane) == ["PENDING", "RUNNING", "FAILED"]
    assert lane.segments[0].start == 8.0
    assert lane.segments[-1].tone is Tone.FAILURE


def test_cluster_lane_goes_created_ready_deleting_and_ends_at_deleted() -> None:
    world = World()
    ttl_lifecycle(world)
    lane = _lane(_timeline(world), f"RayCluster/default/{CLUSTER}")
    assert _labels(lane) == ["created", "ready", "deleting"]
    assert [s.deleting for s in lane.segments] == [False, False, True]
    assert lane.segments[-1].end == 3662.0
    assert [(m.kind, m.t) for m in lane.marks] == [(DELETION, 3661.0), (DELETED, 3662.0)]


def test_pod_lane_shows_phases_and_terminating_once_deletion_starts() -> None:
    world = World()
    ttl_lifecycle(world)
    lane = _lane(_timeline(world), f"Pod/default/{CLUSTER}-head-9zt4q")
    assert _labels(lane) == ["Pending", "Running", "Terminating"]
    assert lane.segments[-1].tone is Tone.RUNNING and lane.segments[-1].deleting


def test_submitter_job_lane_goes_pending_active_complete() -> None:
    world = World()
    ttl_lifecycle(world)
    assert _labels(_lane(_timeline(world), "Job/default/rayjob-sample")) == ["pending", "active", "complete"]


def test_submitter_job_lane_counts_failed_pods_while_retrying() -> None:
    world = World()
    world.put(submitter_job("j"))
    world.at(1.0).update("Job", "j", status={"active": 1})
    world.at(2.0).update("Job", "j", status={"active": 0, "failed": 1})
    world.at(3.0).update("Job", "j", status={"active": 1})
    world.at(4.0).update("Job", "j", status={"active": 0, "failed": 3, "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]})
    assert _labels(_lane(_timeline(world), "Job/default/j")) == [
        "pending", "active", "pending, 1 failed", "active, 1 failed", "failed"]


def test_suspend_clears_the_job_status_lane_and_greys_the_deployment() -> None:
    world = World()
    world.put(rayjob("r"))
    world.at(1.0).update("RayJob", "r", status={"jobDeploymentStatus": "Running", "jobStatus": "RUNNING"})
    world.at(5.0).update("RayJob", "r", status={"jobDeploymentStatus": "Suspending"})
    world.at(6.0).update("RayJob", "r", status={"jobDeploymentStatus": "Suspended", "jobStatus": ""})
    timeline = _timeline(world, t_end=10.0)
    deployment = _lane(timeline, "RayJob/default/r", "deployment")
    assert _labels(deployment) == ["New", "Running", "Suspending", "Suspended"]
    assert deployment.segments[-1].tone is Tone.SUSPENDED and deployment.segments[-1].end == 10.0
    job = _lane(timeline, "RayJob/default/r", "job")
    assert [(s.label, s.end) for s in job.segments] == [("RUNNING", 6.0)]


def test_a_recreated_object_continues_its_lane_after_a_gap() -> None:
    world = World()
    world.put(pod("p", "Job", "j"))
    world.at(2.0).delete("Pod", "p")
    world.at(5.0).put(pod("p", "Job", "j", phase="Running"))
    lane = _lane(_timeline(world), "Pod/default/p")
    assert [(s.label, s.start, s.end) for s in lane.segments] == [("Pending", 0.0, 2.0), ("Running", 5.0, 5.0)]


def test_ttl_deletion_of_the_cluster_after_completion_is_marked_with_its_length() -> None:
    world = World()
    ttl_lifecycle(world, ttl=3600.0)
    ttl = [m for m in _timeline(world).markers if m.kind == TTL_MARKER]
    assert [(m.t, m.label) for m in ttl] == [(3661.0, "TTL 1h")]


def test_a_deletion_the_harness_asked_for_is_not_a_ttl() -> None:
    world = World()
    world.put(rayjob("r"))
    world.at(1.0).update("RayJob", "r", status={"jobDeploymentStatus": "Complete"})
    world.at(30.0).action("delete", "RayJob", "r")
    world.update("RayJob", "r", meta={"deletionTimestamp": "2026-01-01T00:00:30Z"})
    world.at(31.0).delete("RayJob", "r")
    assert [m.kind for m in _timeline(world).markers] == ["action"]


def test_actions_become_markers_in_time_order_with_their_detail() -> None:
    world = World()
    ttl_lifecycle(world)
    world.at(3700.0).action("advance", detail="30s")
    actions = [(m.t, m.label) for m in _timeline(world).markers if m.kind == "action"]
    assert actions == [(0.0, "apply"), (3700.0, "advance 30s")]


def test_events_become_ticks_on_the_group_events_lane_warnings_in_red() -> None:
    world = World()
    world.put(rayjob("r"))
    world.at(2.0).put(event("e1", "RayJob", "r", "CreatedRayCluster", "Created RayCluster default/c"))
    world.at(4.0).put(event("e2", "RayJob", "r", "InvalidRayJobSpec", "bad", type_="Warning"))
    lane = _lane(_timeline(world), "RayJob/default/r", "events")
    assert [(m.kind, m.t, m.label, m.tone) for m in lane.marks] == [
        (EVENT, 2.0, "CreatedRayCluster", Tone.NEUTRAL), (EVENT, 4.0, "InvalidRayJobSpec", Tone.FAILURE)]
    assert "Created RayCluster default/c" in lane.marks[0].title


def test_lanes_beyond_the_limit_are_counted_not_drawn() -> None:
    world = World()
    for i in range(10):
        world.put(pod(f"p{i}", "Job", "missing"))
    timeline = _timeline(world, max_lanes=4)
    assert len(timeline.lanes) == 4
    assert timeline.hidden_lanes == 6


def test_the_picture_extends_to_the_given_end_time() -> None:
    world = World()
    world.put(rayjob("r"))
    timeline = _timeline(world, t_end=90.0)
    assert timeline.t_end == 90.0
    last = _lane(timeline, "RayJob/default/r", "deployment").segments[-1]
    assert (last.end, last.open_end) == (90.0, True)


def test_a_state_ended_by_a_transition_is_not_open_ended() -> None:
    world = World()
    world.put(rayjob("r"))
    world.at(5.0).update("RayJob", "r", status={"jobDeploymentStatus": "Initializing"})
    first = _lane(_timeline(world), "RayJob/default/r", "deployment").segments[0]
    assert (first.label, first.open_end) == ("New", False)
