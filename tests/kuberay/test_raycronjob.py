"""RayCronJob (v1.6+, the ``RayCronJob`` alpha gate; as at v1.7.0): a RayJob per tick of the schedule, named by
the tick, labelled, annotated and owned; ``suspend``; validation events; ``status.lastScheduleTime``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from harness._util.gofmt import rfc3339
from harness.errors import ManifestError
from harness.simulator import Simulator

from .builders import rayjob

GATE = {"RayCronJob": True}
ORIGIN = 1_767_225_600  # 2026-01-01T00:00:00Z, a minute boundary


def cronjob(name: str = "nightly", schedule: str = "*/10 * * * *", **spec: Any) -> dict[str, Any]:
    template = rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=0)["spec"]
    return {"apiVersion": "ray.io/v1", "kind": "RayCronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, "jobTemplate": template, **spec}}


@pytest.fixture
def cron_sim(make_sim: Callable[..., Simulator]) -> Simulator:
    return make_sim(feature_gates=GATE, origin=ORIGIN)


def rayjobs(sim: Simulator) -> list[str]:
    return [j["metadata"]["name"] for j in sim.list("RayJob")]


def test_each_tick_creates_a_rayjob_named_after_the_tick(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob())
    cron_sim.advance(25 * 60)
    minutes = ORIGIN // 60
    assert rayjobs(cron_sim) == [f"nightly-{minutes + 10}", f"nightly-{minutes + 20}"]


def test_a_created_rayjob_carries_the_template_label_annotation_and_owner(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob())
    cron_sim.advance(11 * 60)
    job = cron_sim.list("RayJob")[0]
    owner = cron_sim.get("RayCronJob", "nightly")
    assert owner is not None
    assert job["metadata"]["labels"] == {"ray.io/cronjob-name": "nightly"}
    assert job["metadata"]["annotations"] == {"ray.io/cronjob-scheduled-timestamp": rfc3339(ORIGIN + 600)}
    assert job["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]
    assert job["spec"]["entrypoint"] == owner["spec"]["jobTemplate"]["entrypoint"]
    assert owner["status"] == {"lastScheduleTime": rfc3339(ORIGIN + 600)}


def test_the_rayjobs_run_like_any_rayjob(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob())
    cron_sim.advance(11 * 60)
    name = rayjobs(cron_sim)[0]
    cron_sim.run_until(lambda: cron_sim.deployment_status(name) == "Complete", 600)
    assert cron_sim.deployment_status(name) == "Complete"


def test_a_suspended_cronjob_creates_nothing_and_says_so(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob(suspend=True))
    cron_sim.advance(30 * 60)
    assert rayjobs(cron_sim) == []
    events = cron_sim.events_for("RayCronJob", "nightly")
    assert [(e["reason"], e["message"]) for e in events] == [
        ("SuspendedRayCronJob", "RayCronJob suspended, no new RayJobs will be created")]


def test_resuming_catches_up_missed_ticks_one_per_reconcile(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob(suspend=True))
    cron_sim.advance(35 * 60)
    cron_sim.patch("RayCronJob", "nightly", {"spec": {"suspend": False}})
    cron_sim.advance(1)
    assert len(rayjobs(cron_sim)) == 3  # 10, 20 and 30 minutes, created at once


def test_the_time_zone_moves_the_ticks(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob(schedule="0 9 * * *", timeZone="Asia/Tokyo"))  # 09:00 JST is 00:00 UTC
    cron_sim.advance(24 * 3600 + 60)
    assert rayjobs(cron_sim) == [f"nightly-{(ORIGIN + 24 * 3600) // 60}"]


@pytest.mark.parametrize(("spec", "message"), [
    ({"schedule": "* * * *"}, "invalid cron schedule: expected exactly 5 fields, found 4: [* * * *]"),
    ({"schedule": "TZ=UTC * * * * *"}, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    ({"timeZone": "Mars/Olympus"}, "invalid time zone: unknown time zone Mars/Olympus"),
    ({"jobTemplate": {"entrypoint": "x"}}, "invalid RayJob template: The RayJob spec is invalid: one of "
                                           "RayClusterSpec or ClusterSelector must be set"),
])
def test_an_invalid_cronjob_gets_a_warning_event_and_no_rayjobs(cron_sim: Simulator, spec: dict[str, Any],
                                                               message: str) -> None:
    cron_sim.apply(cronjob(**spec) if "jobTemplate" not in spec else
                   {**cronjob(), "spec": {"schedule": "*/10 * * * *", **spec}})
    cron_sim.advance(30 * 60)
    assert rayjobs(cron_sim) == []
    events = cron_sim.events_for("RayCronJob", "nightly")
    assert [(e["type"], e["reason"], e["message"]) for e in events] == [
        ("Warning", "InvalidRayCronJobSpec", f"default/nightly: {message}")]


def test_a_name_too_long_for_its_rayjobs_is_refused_by_the_controller(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob(name="n" * 37))
    cron_sim.advance(30 * 60)
    assert rayjobs(cron_sim) == []
    assert "RayCronJob name should be no more than 36 characters" in \
        cron_sim.events_for("RayCronJob", "n" * 37)[0]["message"]


def test_the_crd_refuses_an_empty_time_zone_and_missing_fields(cron_sim: Simulator) -> None:
    with pytest.raises(ManifestError, match=re.escape('spec.timeZone: Invalid value: "": spec.timeZone in body '
                                                      'should be at least 1 chars long')):
        cron_sim.apply(cronjob(timeZone=""))
    with pytest.raises(ManifestError, match=re.escape("spec.schedule: Required value")):
        cron_sim.apply({"apiVersion": "ray.io/v1", "kind": "RayCronJob", "metadata": {"name": "x"},
                        "spec": {"jobTemplate": cronjob()["spec"]["jobTemplate"]}})


def test_the_template_carries_the_rayjob_cel_rules(cron_sim: Simulator) -> None:
    with pytest.raises(ManifestError, match=re.escape("spec.jobTemplate.managedBy: Invalid value")):
        cron_sim.apply(cronjob(jobTemplate={**cronjob()["spec"]["jobTemplate"], "managedBy": "me"}))


def test_without_the_gate_a_cronjob_is_stored_with_a_warning_and_creates_nothing(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(origin=ORIGIN)
    sim.apply(cronjob())
    sim.advance(30 * 60)
    assert rayjobs(sim) == []
    assert any("only with --feature-gates=RayCronJob=true" in w for w in sim.warnings)


def test_deleting_the_cronjob_garbage_collects_its_rayjobs(cron_sim: Simulator) -> None:
    cron_sim.apply(cronjob())
    cron_sim.advance(11 * 60)
    cron_sim.delete("RayCronJob", "nightly")
    cron_sim.advance(60)
    assert rayjobs(cron_sim) == []
