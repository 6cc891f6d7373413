"""The KubeRay operator of a cluster: its release from the image, its settings from its Deployment, and its log
lines about given objects (zap's JSON encoder, or the console encoder)."""

from __future__ import annotations

import json

import pytest

from harness.backends.kube.operator import OperatorLocation, lines_about, operator_mismatches
from harness.backends.kube.operator import _gates_from_args as gates_from_args


def _json_line(kind: str, namespace: str, name: str, message: str = "reconciling") -> str:
    return json.dumps({"level": "info", "ts": "2026-01-01T00:00:00Z", "logger": f"controllers.{kind}",
                       "msg": message, kind: {"name": name, "namespace": namespace}, "reconcileID": "r"})


def _where(image: str, **fields: object) -> OperatorLocation:
    return OperatorLocation(namespace="kuberay-system", deployment="kuberay-operator",
                            selector="app.kubernetes.io/name=kuberay-operator", container="kuberay-operator",
                            image=image, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("image", "release"), [("quay.io/kuberay/operator:v1.7.0", "1.7.0"),
                                                ("kuberay/operator:1.5.2", "1.5.2"),
                                                ("quay.io/kuberay/operator:nightly", None)])
def test_the_release_is_read_from_the_operator_image_tag(image, release):
    assert _where(image).release == release


def test_feature_gates_are_the_flag_over_the_release_defaults():
    where = _where("quay.io/kuberay/operator:v1.7.0", explicit_gates={"RayJobDeletionPolicy": False})
    assert where.feature_gates["RayJobDeletionPolicy"] is False
    assert where.feature_gates["RayClusterStatusConditions"] is True  # v1.7.0's default


def test_gates_of_an_unknown_release_are_only_those_of_its_flag():
    where = _where("quay.io/kuberay/operator:nightly", explicit_gates={"RayCronJob": True})
    assert dict(where.feature_gates) == {"RayCronJob": True}


@pytest.mark.parametrize("args", [["--feature-gates=RayCronJob=true,RayJobDeletionPolicy=false"],
                                  ["--feature-gates", "RayCronJob=true,RayJobDeletionPolicy=false"]])
def test_the_feature_gates_flag_is_read_in_either_spelling(args):
    assert gates_from_args(["--metrics-addr=:8080", *args]) == {"RayCronJob": True, "RayJobDeletionPolicy": False}


def test_settings_the_operator_runs_with_are_no_mismatch():
    assert operator_mismatches({"A": "1"}, {"G": True}, {"A": "1", "B": "2"}, {"G": True}) == []


def test_each_setting_the_operator_lacks_is_named_with_what_it_has():
    problems = operator_mismatches({"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true", "X": "1"}, {"RayCronJob": True},
                                   {"X": "2"}, {})
    assert problems == ["env DELETE_RAYJOB_CR_AFTER_JOB_FINISHES='true' (the operator has unset)",
                        "env X='1' (the operator has '2')", "feature gate RayCronJob=true (the operator has not known)"]


def test_json_log_lines_are_kept_for_the_objects_they_name_in_the_namespace():
    lines = [_json_line("RayJob", "ns", "demo"), _json_line("RayJob", "other", "demo"),
             _json_line("RayCluster", "ns", "demo-x7k2p"), _json_line("RayJob", "ns", "demo-two")]
    assert lines_about(lines, namespace="ns", objects=[("RayJob", "demo")]) == [lines[0]]
    assert lines_about(lines, namespace="ns") == [lines[0], lines[2], lines[3]]


def test_console_log_lines_are_kept_when_they_name_the_object_in_its_namespace():
    lines = ["2026-01-01T00:00:00Z\tINFO\tRayJob ns/demo is Running", "2026-01-01T00:00:00Z\tINFO\tns/demo-two done",
             "2026-01-01T00:00:00Z\tINFO\tstarting manager"]
    assert lines_about(lines, namespace="ns", objects=[("RayJob", "demo")]) == [lines[0]]
