"""The text timeline: one compact line per journal entry, as failure messages and timeline.txt show it."""

from __future__ import annotations

from harness.report import render_text_timeline

from .builders import NS, World, event, pod, rayjob, ttl_lifecycle


def _lines(world: World, **kwargs: object) -> list[str]:
    return render_text_timeline(world.journal.entries, **kwargs).splitlines()  # type: ignore[arg-type]


def test_modified_entry_shows_the_status_transition_with_time_and_object() -> None:
    world = World()
    world.put(rayjob("rayjob-sample"))
    world.at(12.0).update("RayJob", "rayjob-sample", status={"jobDeploymentStatus": "Running"})
    assert _lines(world)[-1] == "  12.000s  RayJob/default/rayjob-sample  MODIFIED  jobDeploymentStatus: New -> Running"


def test_absent_deployment_status_reads_new_and_other_absent_values_read_dash() -> None:
    world = World()
    world.put(rayjob("rayjob-sample"))
    world.update("RayJob", "rayjob-sample", status={"jobDeploymentStatus": "Initializing", "jobId": "j-1"})
    line = _lines(world)[-1]
    assert "jobDeploymentStatus: New -> Initializing" in line
    assert "jobId: - -> j-1" in line


def test_action_entry_renders_as_a_harness_step() -> None:
    world = World()
    world.action("apply", "RayJob", "rayjob-sample")
    world.at(61.0).action("advance", detail="1h")
    assert _lines(world) == ["   0.000s  >> apply RayJob/default/rayjob-sample", "  61.000s  >> advance 1h"]


def test_event_renders_type_reason_and_message_under_the_involved_object() -> None:
    world = World()
    world.at(3.0).put(event("e1", "RayJob", "rayjob-sample", "CreatedRayCluster", "Created RayCluster default/x"))
    assert _lines(world) == [
        "   3.000s  RayJob/default/rayjob-sample  Event Normal CreatedRayCluster: Created RayCluster default/x"]


def test_repeated_event_keeps_its_reason_and_shows_the_count() -> None:
    world = World()
    world.put(event("e1", "RayCluster", "c", "FailedCreate", "quota exceeded", type_="Warning"))
    world.at(5.0).put({**event("e1", "RayCluster", "c", "FailedCreate", "quota exceeded", type_="Warning"),
                       "count": 3})
    assert _lines(world)[-1] == "   5.000s  RayCluster/default/c  Event Warning FailedCreate: quota exceeded (x3)"


def test_added_entry_lists_fields_as_values_and_skips_empty_containers() -> None:
    world = World()
    world.put(pod("p", "RayCluster", "c"))
    line = _lines(world)[0]
    assert line.startswith("   0.000s  Pod/default/p  ADDED  phase=Pending")
    assert "ownerReferences=RayCluster/c" in line
    assert "{}" not in line


def test_deleted_entry_is_just_the_object_and_the_type() -> None:
    world = World()
    world.put(pod("p", "RayCluster", "c"))
    world.at(2.0).delete("Pod", "p")
    assert _lines(world)[-1] == "   2.000s  Pod/default/p  DELETED"


def test_job_conditions_render_as_type_equals_status() -> None:
    world = World()
    ttl_lifecycle(world)
    job_line = next(line for line in _lines(world) if "Job/default/rayjob-sample  MODIFIED  conditions" in line)
    assert "conditions: - -> Complete=True" in job_line


def test_since_and_limit_select_the_recent_tail() -> None:
    world = World()
    ttl_lifecycle(world)
    assert all(float(line.split("s")[0]) >= 60.0 for line in _lines(world, since=60.0))
    tail = _lines(world, limit=3)
    assert len(tail) == 3
    assert tail == _lines(world)[-3:]


def test_long_values_are_cut_and_many_changes_summarised() -> None:
    world = World()
    world.put(rayjob("r"))
    world.update("RayJob", "r", status={"message": "x" * 300, **{f"f{i}": i for i in range(10)}})
    line = _lines(world)[-1]
    assert "…" in line and "more" in line
    assert len(line) < 400


def test_involved_object_without_namespace_takes_the_events_namespace() -> None:
    world = World()
    world.put({**event("e1", "RayJob", "r", "Created", "m"), "involvedObject": {"kind": "RayJob", "name": "r"}})
    assert _lines(world)[0] == f"   0.000s  RayJob/{NS}/r  Event Normal Created: m"


def test_finalizers_render_as_a_plain_list() -> None:
    world = World()
    world.put(rayjob("r"))
    world.update("RayJob", "r", meta={"finalizers": ["ray.io/rayjob-finalizer"]})
    assert _lines(world)[-1] == "   0.000s  RayJob/default/r  MODIFIED  finalizers: - -> ray.io/rayjob-finalizer"


def test_added_entry_leaves_out_labels_and_annotations() -> None:
    world = World()
    world.put({**pod("p", "RayCluster", "c"), "metadata": {
        "name": "p", "namespace": NS, "labels": {"ray.io/cluster": "c"}, "annotations": {"a": "b"}}})
    assert _lines(world)[0] == "   0.000s  Pod/default/p  ADDED  phase=Pending"


def test_condition_changes_show_only_conditions_whose_status_changed() -> None:
    world = World()
    world.put(pod("p", "RayCluster", "c"))
    world.update("Pod", "p", status={"conditions": [{"type": "Initialized", "status": "True"},
                                                    {"type": "Ready", "status": "False"}]})
    world.at(2.0).update("Pod", "p", status={"conditions": [{"type": "Initialized", "status": "True"},
                                                            {"type": "Ready", "status": "True"}]})
    assert _lines(world)[-1] == "   2.000s  Pod/default/p  MODIFIED  conditions: Ready=False -> Ready=True"


def test_container_statuses_read_as_state_per_container() -> None:
    world = World()
    world.put(pod("p", "RayCluster", "c"))
    world.update("Pod", "p", status={"containerStatuses": [
        {"name": "ray-head", "ready": False, "restartCount": 0,
         "state": {"waiting": {"reason": "ContainerCreating"}}}]})
    world.at(1.0).update("Pod", "p", status={"phase": "Running", "containerStatuses": [
        {"name": "ray-head", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": "t"}}}]})
    assert _lines(world)[-1] == ("   1.000s  Pod/default/p  MODIFIED  phase: Pending -> Running, containerStatuses: "
                                 "ray-head=waiting:ContainerCreating -> ray-head=running(ready)")


def test_a_change_invisible_at_this_level_of_detail_is_left_out() -> None:
    world = World()
    world.put(pod("p", "RayCluster", "c"))
    status = {"name": "ray-head", "ready": True, "state": {"running": {"startedAt": "t1"}}}
    world.update("Pod", "p", status={"containerStatuses": [status]})
    world.at(3.0).update("Pod", "p", status={"containerStatuses": [{**status, "containerID": "containerd://x"}]})
    assert _lines(world)[-1] == "   3.000s  Pod/default/p  MODIFIED"
