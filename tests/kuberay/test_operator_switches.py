"""Operator switches: every feature gate and env var the simulator accepts changes what it does as KubeRay v1.7.0
does; the others are refused, naming what is not modelled."""

from __future__ import annotations

import re
from typing import Any

import pytest

from harness.errors import InputError
from harness.kuberay.profile import operator_problems

from .builders import raycluster, rayjob
from .conftest import reached, status

NETWORK_POLICY = {"RayClusterNetworkPolicy": True}


def _with_cluster_fields(**fields: Any) -> dict[str, Any]:
    job = rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=30)
    job["spec"]["rayClusterSpec"].update(fields)
    return job


def _cluster_events(sim, cluster: str) -> list[tuple[str, str, str]]:
    return [(e["type"], e["reason"], e["message"]) for e in sim.events_for("RayCluster", cluster)]


# -- RayClusterNetworkPolicy ---------------------------------------------------------------------------------------


def test_network_policy_without_its_gate_ends_validation_failed(make_sim):
    sim = make_sim()
    sim.apply(_with_cluster_fields(networkPolicy={}))
    assert reached(sim, "ValidationFailed")
    assert status(sim)["message"] == ("The RayJob spec is invalid: spec.networkPolicy requires the "
                                      "RayClusterNetworkPolicy feature gate to be enabled")


def test_with_the_gate_an_empty_network_policy_is_valid_and_the_rayjob_completes(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={}))
    assert reached(sim, "Complete")


def test_the_gate_creates_a_head_policy_and_one_per_worker_group_owned_by_the_cluster(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={}))
    assert reached(sim, "Running")
    cluster = status(sim)["rayClusterName"]
    names = [p["metadata"]["name"] for p in sim.list("NetworkPolicy")]
    assert names == [f"{cluster}-head", f"{cluster}-workers-small-group"]
    head = sim.get("NetworkPolicy", f"{cluster}-head")
    assert head["metadata"]["ownerReferences"][0]["name"] == cluster
    assert head["metadata"]["labels"]["ray.io/group"] == "headgroup"
    assert head["spec"]["podSelector"] == {"matchLabels": {"ray.io/cluster": cluster, "ray.io/node-type": "head"}}
    assert head["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_the_head_policy_lets_the_k8s_job_mode_submitter_reach_the_dashboard_port(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={}))
    assert reached(sim, "Running")
    cluster = status(sim)["rayClusterName"]
    ingress = sim.get("NetworkPolicy", f"{cluster}-head")["spec"]["ingress"]
    assert ingress == [
        {"from": [{"podSelector": {"matchLabels": {"ray.io/cluster": cluster}}}]},
        {"from": [{"podSelector": {"matchLabels": {"ray.io/originated-from-cr-name": "demo",
                                                   "ray.io/originated-from-crd": "RayJob"}}}],
         "ports": [{"protocol": "TCP", "port": 8265}]},
    ]


def test_deny_all_ingress_restricts_only_ingress(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={"mode": "DenyAllIngress"}))
    assert reached(sim, "Running")
    policy = sim.get("NetworkPolicy", f"{status(sim)['rayClusterName']}-workers-small-group")
    assert policy["spec"]["policyTypes"] == ["Ingress"] and "egress" not in policy["spec"]


def test_user_rules_are_appended_with_the_protocol_defaulted_to_tcp(make_sim):
    dns = {"to": [{"namespaceSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={"worker": {"egressRules": [dns]}}))
    assert reached(sim, "Running")
    egress = sim.get("NetworkPolicy", f"{status(sim)['rayClusterName']}-workers-small-group")["spec"]["egress"]
    assert egress[-1]["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def test_each_policy_created_is_an_event_on_the_cluster(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={}))
    assert reached(sim, "Running")
    cluster = status(sim)["rayClusterName"]
    assert ("Normal", "CreatedNetworkPolicy", f"Created NetworkPolicy default/{cluster}-head") in \
        _cluster_events(sim, cluster)


def test_the_policies_go_with_their_cluster(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={}))
    assert sim.settle()
    assert sim.list("RayCluster") == [] and sim.list("NetworkPolicy") == []


def test_removing_network_policy_from_a_cluster_deletes_its_policies(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    cluster = raycluster("shared")
    cluster["spec"]["networkPolicy"] = {}
    sim.apply(cluster)
    sim.advance("10s")
    assert len(sim.list("NetworkPolicy")) == 2
    sim.patch("RayCluster", "shared", {"spec": {"networkPolicy": None}})
    sim.advance("1s")
    assert sim.list("NetworkPolicy") == []
    assert ("Normal", "DeletedNetworkPolicy", "Deleted NetworkPolicy default/shared-head") in \
        _cluster_events(sim, "shared")


def test_without_the_gate_no_network_policy_is_ever_created(make_sim):
    sim = make_sim()
    cluster = raycluster("shared")
    sim.apply(cluster)
    sim.advance("10s")
    assert sim.list("NetworkPolicy") == []


def test_a_deny_all_policy_without_a_dns_egress_rule_is_applied_with_a_warning(make_sim):
    sim = make_sim(feature_gates=NETWORK_POLICY)
    sim.apply(_with_cluster_fields(networkPolicy={}))
    assert any("no DNS egress rule" in warning and "does not enforce" in warning for warning in sim.warnings)


# -- RayClusterMTLS ------------------------------------------------------------------------------------------------


def test_tls_options_without_their_gate_end_validation_failed(make_sim):
    sim = make_sim()
    sim.apply(_with_cluster_fields(tlsOptions={"enabled": True}))
    assert reached(sim, "ValidationFailed")
    assert status(sim)["message"].endswith("spec.tlsOptions requires the RayClusterMTLS feature gate to be enabled")


def test_with_the_gate_a_tls_cluster_waits_for_cert_manager_that_is_not_installed(make_sim):
    sim = make_sim(feature_gates={"RayClusterMTLS": True})
    sim.apply(_with_cluster_fields(tlsOptions={"enabled": True}))
    sim.advance("5m")
    assert sim.deployment_status("demo") == "Initializing"
    cluster = status(sim)["rayClusterName"]
    assert sim.list("Pod") == []
    assert ("Warning", "InvalidRayClusterSpec", f"The RayCluster spec is invalid default/{cluster}: tlsOptions "
            "requires cert-manager, but cert-manager is not installed") in _cluster_events(sim, cluster)


def test_with_the_gate_tls_options_that_are_not_enabled_change_nothing(make_sim):
    sim = make_sim(feature_gates={"RayClusterMTLS": True})
    sim.apply(_with_cluster_fields(tlsOptions={"enabled": False}))
    assert reached(sim, "Complete")


# -- gates whose effect is refused where it is not modelled ---------------------------------------------------------


def test_history_server_options_with_their_gate_are_refused_as_not_modelled(make_sim):
    sim = make_sim(feature_gates={"RayClusterHistoryServer": True})
    options = {"collectorOptions": {"image": "collector:1", "env": [{"name": "STORAGE_BACKEND", "value": "S3"},
                                                                     {"name": "S3_REGION", "value": "eu"}]}}
    with pytest.raises(InputError, match=r"ray-history-collector sidecar .* which the simulator does not model"):
        sim.apply(_with_cluster_fields(historyServerOptions=options))


def test_history_server_options_without_their_gate_end_validation_failed(make_sim):
    sim = make_sim()
    sim.apply(_with_cluster_fields(historyServerOptions={"collectorOptions": {"image": "collector:1"}}))
    assert reached(sim, "ValidationFailed")
    assert status(sim)["message"].endswith("RayClusterHistoryServer feature gate is not enabled")


def test_the_embedded_gcs_storage_with_its_gate_is_refused_as_not_modelled(make_sim):
    sim = make_sim(feature_gates={"GCSFaultToleranceEmbeddedStorage": True})
    with pytest.raises(InputError, match=r"PersistentVolumeClaim .* which the simulator does not model"):
        sim.apply(_with_cluster_fields(gcsFaultToleranceOptions={"backend": "rocksdb"}))


def test_a_patch_that_turns_on_an_unmodelled_feature_is_refused_too(make_sim):
    sim = make_sim(feature_gates={"GCSFaultToleranceEmbeddedStorage": True})
    sim.apply(raycluster("shared"))
    with pytest.raises(InputError, match="not model"):
        sim.patch("RayCluster", "shared", {"spec": {"gcsFaultToleranceOptions": {"backend": "rocksdb"}}})


# -- what is accepted and what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize("gates", [
    {"RayClusterStatusConditions": True}, {"SidecarSubmitterRestart": False}, {"SidecarSubmitterRestart": True},
    {"RayCronJob": False}, {"RayCronJob": True},
    {"RayJobDeletionPolicy": False}, {"RayServiceIncrementalUpgrade": False}, {"RayClusterMTLS": True},
])
def test_default_values_and_modelled_gates_are_accepted(make_sim, gates):
    make_sim(feature_gates=gates)


@pytest.mark.parametrize(("gate", "value", "missing"), [
    ("KubernetesWAS", True, "Workload-Aware Scheduling"),
    ("RayClusterStatusConditions", False, "no status conditions"),
    ("RayMultiHostIndexing", False, "replica indexing"),
])
def test_a_gate_value_the_simulator_does_not_model_is_refused_naming_what_is_missing(make_sim, gate, value, missing):
    with pytest.raises(InputError) as raised:
        make_sim(feature_gates={gate: value})
    assert f"feature gate {gate}={str(value).lower()} is not modelled by the simulator" in raised.value.message
    assert missing in raised.value.message


def test_an_unknown_gate_is_refused_listing_the_known_ones(make_sim):
    with pytest.raises(InputError, match=r"feature gate Bogus is not a gate of KubeRay v1\.7\.0"):
        make_sim(feature_gates={"Bogus": True})


@pytest.mark.parametrize("env", [
    {"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"}, {"CLUSTER_DOMAIN": "corp.example"},
    {"ENABLE_PROBES_INJECTION": "true"}, {"ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE": "false"},
    {"ENABLE_WEBHOOKS": "True"},  # v1.7.0 compares with "true" exactly: this leaves the webhooks off
])
def test_modelled_env_vars_and_values_that_keep_the_default_are_accepted(make_sim, env):
    make_sim(operator_env=env)


@pytest.mark.parametrize(("env", "expected"), [
    ({"ENABLE_PROBES_INJECTION": "false"}, "operator env ENABLE_PROBES_INJECTION=false is not modelled"),
    ({"ENABLE_WEBHOOKS": "true"}, "validating admission webhooks"),
    ({"RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV": "60"}, "periodic RayCluster requeue"),
    ({"DELETE_RAYJOB_CR_AFTER_JOB_FINISHED": "true"}, "is not read by KubeRay v1.7.0 (a typo?"),
])
def test_env_vars_the_simulator_does_not_honour_are_refused(make_sim, env, expected):
    with pytest.raises(InputError, match=re.escape(expected)):
        make_sim(operator_env=env)


def test_every_problem_is_reported_at_once_with_the_switch_it_is_about():
    problems = operator_problems({"ENABLE_WEBHOOKS": "true"}, {"KubernetesWAS": True})
    assert [name for name, _ in problems] == ["KubernetesWAS", "ENABLE_WEBHOOKS"]


# -- the RayCluster controller checks what it is given -------------------------------------------------------------


def test_a_raycluster_with_an_invalid_spec_gets_a_warning_and_no_pods(make_sim):
    sim = make_sim()
    cluster = raycluster("shared")
    cluster["spec"]["workerGroupSpecs"][0]["minReplicas"] = 9
    sim.apply(cluster)
    sim.advance("1m")
    assert sim.list("Pod") == []
    assert ("Warning", "InvalidRayClusterSpec", "The RayCluster spec is invalid default/shared: worker group "
            "small-group has minReplicas 9 greater than maxReplicas 5") in _cluster_events(sim, "shared")
    assert "state" not in (sim.get("RayCluster", "shared").get("status") or {})
