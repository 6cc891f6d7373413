"""Operator settings and smaller v1.7 details: env switches, event actions, the submitter command's inputs, and
the RayJob-owned head Service following a retry's new cluster."""

from __future__ import annotations

import re

from .builders import rayjob
from .conftest import reached, status


def test_events_carry_the_v1_7_action(sim):
    sim.apply(rayjob())
    assert reached(sim, "Running")
    created = sim.events_for("RayJob", "demo")[0]
    assert (created["reason"], created["action"], created["reportingComponent"]) == \
        ("CreatedRayCluster", "Create", "rayjob-controller")


def test_cluster_domain_env_changes_the_dashboard_url(make_sim):
    sim = make_sim(operator_env={"CLUSTER_DOMAIN": "corp.example"})
    sim.apply(rayjob())
    assert reached(sim, "Running")
    assert status(sim)["dashboardURL"].endswith("-head-svc.default.svc.corp.example:8265")


def test_login_shell_env_makes_the_submitter_run_bash_cel(make_sim):
    sim = make_sim(operator_env={"ENABLE_LOGIN_SHELL": "true"})
    sim.apply(rayjob())
    assert reached(sim, "Running")
    container = sim.get("Job", "demo")["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["/bin/bash", "-cel", "--"]


def test_deterministic_head_pod_name_env_names_the_head_after_the_cluster(make_sim):
    sim = make_sim(operator_env={"ENABLE_DETERMINISTIC_HEAD_POD_NAME": "true"})
    sim.apply(rayjob())
    assert reached(sim, "Running")
    cluster = status(sim)["rayClusterName"]
    assert sim.head_pod(cluster)["metadata"]["name"] == f"{cluster}-head"


def test_metadata_is_passed_as_json_and_the_entrypoint_is_trimmed_for_the_submitter(sim):
    sim.apply(rayjob(entrypoint="  python /app/train.py  ", metadata={"team": "ml", "owner": "ana"}))
    assert reached(sim, "Running")
    script = sim.get("Job", "demo")["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert '--metadata-json "{\\"owner\\":\\"ana\\",\\"team\\":\\"ml\\"}"' in script
    assert "-- python /app/train.py ;" in script


def test_metadata_with_a_ray_version_below_2_6_keeps_the_rayjob_initializing(sim):
    manifest = rayjob(metadata={"team": "ml"})
    manifest["spec"]["rayClusterSpec"]["rayVersion"] = "2.5.0"
    sim.apply(manifest)
    sim.advance("2m")
    assert sim.deployment_status("demo") == "Initializing"
    assert sim.get("Job", "demo") is None
    assert any("the Ray version must be at least 2.6.0 to use the metadata field" in line
               for line in sim.operator_log)


def test_http_mode_sends_the_entrypoint_untrimmed(sim):
    sim.apply(rayjob(submissionMode="HTTPMode", entrypoint="  python /app/train.py  "))
    assert reached(sim, "Complete")
    assert sim.ray_job_record("demo").request.entrypoint == "  python /app/train.py  "


def test_the_rayjob_head_service_follows_the_new_cluster_after_a_retry(make_sim):
    sim = make_sim(exit_code=1)
    sim.apply(rayjob(backoffLimit=1))
    assert reached(sim, "Failed")
    clusters = [v for _, v in sim.journal.values("status.rayClusterName", kind="RayJob", namespace="default",
                                                 name="demo") if v]
    svc = sim.get("Service", "demo-head-svc")
    assert svc["spec"]["selector"]["ray.io/cluster"] == clusters[-1] != clusters[0]
    reasons = [e["reason"] for e in sim.events_for("RayJob", "demo")]
    assert reasons.count("CreatedService") == 1 and reasons.count("UpdatedService") == 1


def test_job_ids_and_cluster_names_use_the_vowel_free_alphabet(make_sim):
    for seed in range(5):
        sim = make_sim(seed=seed)
        sim.apply(rayjob())
        sim.run_until(lambda s=sim: s.deployment_status("demo") == "Initializing")
        for value in (status(sim)["jobId"], status(sim)["rayClusterName"]):
            assert re.fullmatch(r"demo-[bcdfghjklmnpqrstvwxz2456789]{5}", value)
