"""Real-time limits: a scenario's real waits on a real backend, estimated from its steps, and the verdict on
scenarios that would wait longer than the limit; plus the images scenarios name and the namespaces they run in."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO
from harness.backends.kind.handle import ClusterHandle, OperatorRef, scenario_namespace
from harness.backends.kind.images import images_in_objects, images_in_scenarios
from harness.backends.kind.realtime import DEFAULT_LIMIT, estimate_real_wait, judge_real_time
from harness.scenario import load_file, load_text

MANIFESTS = REPO / "scenarios"


def _scenario(steps: str, extra: str = ""):
    text = f"scenario: timing\n{extra}steps:\n{steps}"
    (scenario,) = load_text(text, "timing.yaml", base_dir=MANIFESTS)
    return scenario


def test_advance_sleep_and_stays_are_certain_waits():
    scenario = _scenario("  - advance: 90s\n  - sleep: 5s\n"
                         "  - expect: {rayjob: j, stays: {for: 10m, value: Running}}\n")
    estimate = estimate_real_wait(scenario)
    assert estimate.certain == 90 + 5 + 600
    assert [(item.why, item.pos.line) for item in estimate.items] == [("advance", 3), ("sleep", 4), ("stays for", 5)]


def test_wait_timeouts_and_grace_periods_only_bound_the_worst_case():
    scenario = _scenario("  - wait: {rayjob: j, until: {status.jobStatus: SUCCEEDED}, timeout: 2m}\n"
                         "  - wait: {rayjob: j, until: gone}\n"
                         "  - expect: {absent: [{rayjob: j}], grace: 30s}\n"
                         "  - delete: {rayjob: j, wait: false}\n")
    estimate = estimate_real_wait(scenario)
    assert estimate.certain == 0
    assert estimate.worst == 120 + 300 + 30  # the second wait takes the default timeout of 5m


def test_the_scenarios_timeouts_fill_in_steps_that_do_not_say():
    scenario = _scenario("  - wait: {rayjob: j, until: exists}\n  - delete: {rayjob: j}\n",
                         extra="timeouts: {wait: 1m, delete: 2m}\n")
    assert estimate_real_wait(scenario).worst == 60 + 120


def test_finally_steps_count_too():
    text = "scenario: timing\nsteps:\n  - advance: 1m\nfinally:\n  - advance: 2m\n"
    (scenario,) = load_text(text, "timing.yaml", base_dir=MANIFESTS)
    assert estimate_real_wait(scenario).certain == 180


def test_a_scenario_within_the_limit_is_not_too_slow():
    assert judge_real_time(estimate_real_wait(_scenario("  - advance: 14m\n"))) is None


def test_a_scenario_beyond_the_limit_is_too_slow_naming_its_costliest_steps():
    scenario = _scenario("  - advance: 10m\n  - expect: {rayjob: j, stays: {for: 24h, value: Complete}}\n"
                         "  - sleep: 1s\n")
    verdict = judge_real_time(estimate_real_wait(scenario), limit=15 * 60)
    assert verdict is not None
    assert verdict.message() == ("scenario timing would wait at least 24h10m1s in real time on a real backend "
                                 "(limit 15m): stays for 24h at timing.yaml:4:32; advance 10m at timing.yaml:3:5; "
                                 "sleep 1s at timing.yaml:5:5")
    assert "backends: [sim]" in verdict.hint


def test_the_shipped_24_hour_stays_scenario_is_too_slow_for_a_real_backend_by_default():
    scenarios = {s.name: s for s in load_file(REPO / "scenarios" / "ttl-cleanup.yaml")}
    verdict = judge_real_time(estimate_real_wait(scenarios["no-shutdown-keeps-everything"]), DEFAULT_LIMIT)
    assert verdict is not None and verdict.certain >= 24 * 3600
    assert judge_real_time(estimate_real_wait(scenarios["shutdown-with-ttl-deletes-only-the-raycluster"])) is None


def test_images_are_collected_once_each_from_every_apply_and_rerun_of_the_shipped_scenarios():
    scenarios = [s for path in sorted((REPO / "scenarios").glob("*.yaml")) for s in load_file(path)]
    images = images_in_scenarios(scenarios)
    assert "rayproject/ray:2.52.0" in images
    assert len(images) == len(set(images))


def test_images_holding_bindings_and_non_container_fields_are_skipped():
    objects = [{"spec": {"template": {"spec": {
        "initContainers": [{"name": "init", "image": "busybox:1.36"}],
        "containers": [{"name": "a", "image": "rayproject/ray:2.52.0"}, {"name": "b", "image": "${image}"}]}}},
        "metadata": {"annotations": {"image": "not/a-container:1"}}}]
    assert images_in_objects(objects) == ["busybox:1.36", "rayproject/ray:2.52.0"]


def test_scenario_namespaces_are_dns_labels_unique_per_run_and_readable():
    long_name = "a-very-long-scenario-name-that-goes-on-and-on-and-on-well-past-sixty-three-characters"
    first, second = scenario_namespace(long_name, "run-1"), scenario_namespace(long_name, "run-2")
    for name in (first, second, scenario_namespace("TTL_cleanup.v2", "run-1")):
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name), name
    assert first != second and first.startswith("rh-a-very-long-scenario-name")
    assert scenario_namespace("ttl", "run-1") == scenario_namespace("ttl", "run-1")


def test_a_cluster_handle_round_trips_through_json():
    handle = ClusterHandle("rh", Path("/state/kubeconfig"), "kind-rh", "https://127.0.0.1:40000", "1.35.0",
                           "kindest/node:v1.35.0@sha256:" + "0" * 64, "helm", OperatorRef("1.7.0", "abc"), True)
    assert ClusterHandle.from_json(handle.to_json()) == handle
