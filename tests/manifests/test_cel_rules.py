"""x-kubernetes-validations rules are evaluated with CEL on create and update, with the CRDs' own messages.

The published KubeRay CRDs of v1.5.2, v1.6.2 and v1.7.0 are test data: every rule they carry must be modelled
at the same place with the same expression and message, and its ``since`` release must agree with the releases
whose CRD carries it. The CRDs live outside the project; those tests skip when the folder is absent.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import ManifestError
from harness.manifests.cel_rules import Rule, RuleError
from harness.manifests.schema import CRD_VERSIONS
from harness.manifests.schema_nodes import Schema, string
from harness.manifests.structural import validate_rules
from harness.simulator import Simulator

_SHARED = next((p for p in (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared")) if p.is_dir()),
               Path("/work/shared"))
CRDS = _SHARED / "kuberay" / "crds"
RELEASES = ("1.5.2", "1.6.2", "1.7.0")
needs_crds = pytest.mark.skipif(not CRDS.is_dir(), reason="the KubeRay CRDs are not available")


@functools.cache
def crd_spec(release: str, kind: str) -> dict[str, Any]:
    plural = {"RayJob": "rayjobs", "RayCluster": "rayclusters"}[kind]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded = yaml.load((CRDS / f"v{release}-ray.io_{plural}.yaml").read_text(), Loader=loader)
    v1 = next(v for v in loaded["spec"]["versions"] if v["name"] == "v1")
    return v1["schema"]["openAPIV3Schema"]["properties"]["spec"]  # type: ignore[no-any-return]


def crd_rules(node: dict[str, Any], path: str = "spec") -> Iterator[tuple[str, dict[str, Any]]]:
    for rule in node.get("x-kubernetes-validations", ()):
        yield path, rule
    for name, child in (node.get("properties") or {}).items():
        yield from crd_rules(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from crd_rules(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from crd_rules(node["additionalProperties"], f"{path}{{}}")


def model_rules(node: Schema, path: str = "spec") -> Iterator[tuple[str, Rule]]:
    for rule in node.rules:
        yield path, rule
    for name, child in (node.properties or {}).items():
        yield from model_rules(child, f"{path}.{name}")
    if node.items is not None:
        yield from model_rules(node.items, f"{path}[]")
    if node.additional is not None:
        yield from model_rules(node.additional, f"{path}{{}}")


def v1_spec(kind: str) -> Schema:
    return next(cv.spec for cv in CRD_VERSIONS if cv.kind == kind and cv.version == "v1")


def release_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


@needs_crds
@pytest.mark.parametrize("kind", ["RayJob", "RayCluster"])
@pytest.mark.parametrize("release", RELEASES)
def test_every_crd_rule_is_modelled_with_the_same_expression_and_message(release: str, kind: str) -> None:
    modelled = {(path, rule.rule, rule.message) for path, rule in model_rules(v1_spec(kind))}
    missing = [(path, r["rule"], r.get("message", "")) for path, r in crd_rules(crd_spec(release, kind))
               if (path, r["rule"], r.get("message", "")) not in modelled]
    assert missing == []


@needs_crds
@pytest.mark.parametrize("kind", ["RayJob", "RayCluster"])
@pytest.mark.parametrize("release", RELEASES)
def test_a_rules_since_release_says_which_crds_carry_it(release: str, kind: str) -> None:
    upstream = {(path, r["rule"], r.get("message", "")) for path, r in crd_rules(crd_spec(release, kind))}
    wrong = [(path, rule.rule, rule.since) for path, rule in model_rules(v1_spec(kind))
             if ((path, rule.rule, rule.message) in upstream) != (release_tuple(rule.since) <= release_tuple(release))]
    assert wrong == []


@needs_crds
@pytest.mark.parametrize("release", RELEASES)
def test_each_crd_rule_and_its_model_agree_on_sample_values(release: str) -> None:
    samples: list[Any] = ["ray.io/kuberay-operator", "kueue.x-k8s.io/multikueue", "other", {},
                          {"onSuccess": {"policy": "DeleteNone"}}, {"onSuccess": {}, "onFailure": {}},
                          {"deletionRules": []}, {"onFailure": {}, "deletionRules": []},
                          {"jobStatus": "FAILED"}, {"jobDeploymentStatus": "Failed"},
                          {"jobStatus": "FAILED", "jobDeploymentStatus": "Failed"}]
    by_place = {(path, rule.rule): rule for path, rule in model_rules(v1_spec("RayJob"))}
    for path, raw in crd_rules(crd_spec(release, "RayJob")):
        theirs = Rule(raw["rule"], raw.get("message", ""))
        ours = by_place[(path, raw["rule"])]
        for value in samples:
            for old in ("other", {}):
                try:
                    expected: Any = theirs.holds(value, old=old, has_old=True)
                except RuleError:
                    expected = RuleError
                try:
                    got: Any = ours.holds(value, old=old, has_old=True)
                except RuleError:
                    got = RuleError
                assert got == expected, (path, raw["rule"], value, old)


# -- the API server's answers ------------------------------------------------------------------------------------

RAYJOB = """
apiVersion: ray.io/v1
kind: RayJob
metadata: {name: cel-job}
spec:
  entrypoint: python -c 'print(1)'
  shutdownAfterJobFinishes: true
  rayClusterSpec:
    headGroupSpec:
      template:
        spec:
          containers: [{name: ray-head, image: rayproject/ray:2.52.0}]
"""


def rayjob(**spec: Any) -> dict[str, Any]:
    obj: dict[str, Any] = yaml.safe_load(RAYJOB)
    obj["spec"].update(spec)
    return obj


def refusal(action: Any) -> str:
    with pytest.raises(ManifestError) as caught:
        action()
    return str(caught.value)


def test_a_managed_by_value_outside_the_allowed_two_is_refused_on_create() -> None:
    with Simulator() as sim:
        text = refusal(lambda: sim.apply(rayjob(managedBy="me")))
    assert ('spec.managedBy: Invalid value: "string": the managedBy field value must be either '
            "'ray.io/kuberay-operator' or 'kueue.x-k8s.io/multikueue'") in text


def test_changing_managed_by_after_creation_is_refused_as_immutable() -> None:
    with Simulator() as sim:
        sim.apply(rayjob(managedBy="ray.io/kuberay-operator"))
        text = refusal(lambda: sim.patch("RayJob", "cel-job", {"spec": {"managedBy": "kueue.x-k8s.io/multikueue"}}))
        assert 'The RayJob "cel-job" is invalid: spec.managedBy: Invalid value: "string": the managedBy field is ' \
               "immutable" in text
        assert sim.get("RayJob", "cel-job")["spec"]["managedBy"] == "ray.io/kuberay-operator"  # type: ignore[index]


def test_reapplying_a_manifest_with_another_managed_by_is_refused_too() -> None:
    with Simulator() as sim:
        sim.apply(rayjob(managedBy="ray.io/kuberay-operator"))
        text = refusal(lambda: sim.apply(rayjob(managedBy="kueue.x-k8s.io/multikueue")))
    assert "the managedBy field is immutable" in text


def test_setting_managed_by_on_an_object_that_had_none_passes_the_transition_rule() -> None:
    # A transition rule runs only when the old object has the field (no optionalOldSelf in the CRD).
    with Simulator() as sim:
        sim.apply(rayjob())
        sim.patch("RayJob", "cel-job", {"spec": {"managedBy": "kueue.x-k8s.io/multikueue"}})
        assert sim.get("RayJob", "cel-job")["spec"]["managedBy"] == "kueue.x-k8s.io/multikueue"  # type: ignore[index]


def test_a_deletion_condition_with_both_fields_is_refused_at_its_list_index() -> None:
    strategy = {"deletionRules": [{"policy": "DeleteCluster", "condition": {"jobStatus": "FAILED"}},
                                  {"policy": "DeleteSelf",
                                   "condition": {"jobStatus": "FAILED", "jobDeploymentStatus": "Failed"}}]}
    with Simulator() as sim:
        text = refusal(lambda: sim.apply(rayjob(shutdownAfterJobFinishes=False, deletionStrategy=strategy)))
    assert ('spec.deletionStrategy.deletionRules[1].condition: Invalid value: "object": JobStatus and '
            "JobDeploymentStatus cannot be used together within the same deletion condition.") in text


def test_mixing_legacy_policies_and_deletion_rules_in_one_strategy_is_refused() -> None:
    strategy = {"onSuccess": {"policy": "DeleteCluster"},
                "deletionRules": [{"policy": "DeleteCluster", "condition": {"jobStatus": "FAILED"}}]}
    with Simulator() as sim:
        text = refusal(lambda: sim.apply(rayjob(shutdownAfterJobFinishes=False, deletionStrategy=strategy)))
    assert "legacy policies (onSuccess/onFailure) and deletionRules cannot be used together" in text


def test_the_gcs_fault_tolerance_backend_of_a_raycluster_cannot_change() -> None:
    cluster = {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "ft"},
               "spec": {"gcsFaultToleranceOptions": {"backend": "redis", "redisAddress": "redis:6379"},
                        "headGroupSpec": {"template": {"spec": {"containers": [
                            {"name": "ray-head", "image": "rayproject/ray:2.52.0"}]}}}}}
    with Simulator() as sim:
        sim.apply(cluster)
        text = refusal(lambda: sim.patch("RayCluster", "ft",
                                         {"spec": {"gcsFaultToleranceOptions": {"backend": "rocksdb"}}}))
    assert 'spec.gcsFaultToleranceOptions.backend: Invalid value: "string": gcsFaultToleranceOptions.backend is ' \
           "immutable" in text


# -- the Kubernetes additions to CEL, on rules of the project's own making ---------------------------------------


def test_an_optional_old_self_rule_runs_on_create_with_no_old_value() -> None:
    rule = Rule("!oldSelf.hasValue() || self == oldSelf.value()", "set once", optional_old_self=True)
    schema = string(rules=(rule,))
    assert validate_rules("a", schema, "spec.x") == []
    assert [str(e) for e in validate_rules("b", schema, "spec.x", "a")] == \
        ['spec.x: Invalid value: "string": set once']


def test_a_message_expression_gives_the_message_when_it_evaluates_to_text() -> None:
    rule = Rule("self.size() < 3", "too long", message_expression="'got ' + string(self.size()) + ' characters'")
    assert [str(e) for e in validate_rules("abcd", string(rules=(rule,)), "spec.x")] == \
        ['spec.x: Invalid value: "string": got 4 characters']


def test_a_rule_without_message_says_which_rule_failed_and_reason_and_field_path_shape_the_error() -> None:
    rule = Rule("self != 'x'", reason="FieldValueForbidden", field_path=".inner")
    assert [str(e) for e in validate_rules("x", string(rules=(rule,)), "spec")] == \
        ["spec.inner: Forbidden: failed rule: self != 'x'"]


def test_a_transition_rule_is_not_evaluated_on_create() -> None:
    rule = Rule("self == oldSelf", "immutable")
    assert validate_rules("a", string(rules=(rule,)), "spec.x") == []
    assert validate_rules("a", string(rules=(rule,)), "spec.x", "a") == []
