"""The operator layer: KubeRay's own rules and words, every failing check at once."""

from __future__ import annotations

from pathlib import Path

from .support import RULE_EXAMPLES, check, rules

VALID = (RULE_EXAMPLES / "schema/deprecated-version/pass.yaml").read_text()
SPEC = "The RayJob spec is invalid: "


def test_every_failing_check_is_reported_not_only_the_first(tmp_path: Path):
    text = VALID.replace("  shutdownAfterJobFinishes: true\n", "  suspend: true\n  activeDeadlineSeconds: 0\n"
                                                               "  backoffLimit: -1\n") \
        .replace("      minReplicas: 1\n      maxReplicas: 2\n", "      minReplicas: 3\n      maxReplicas: 2\n")
    report = check(text, tmp_path)
    assert {(f.rule, f.message) for f in report.findings} == {
        ("operator/suspend-requires-shutdown",
         SPEC + "a RayJob with shutdownAfterJobFinishes set to false is not allowed to be suspended"),
        ("operator/ttl-requires-shutdown",
         SPEC + "a RayJob with shutdownAfterJobFinishes set to false cannot have TTLSecondsAfterFinished"),
        ("operator/active-deadline", SPEC + "activeDeadlineSeconds must be a positive integer"),
        ("operator/backoff-limit", SPEC + "backoffLimit must be a positive integer"),
        ("operator/raycluster/worker-groups",
         SPEC + "worker group workers has minReplicas 3 greater than maxReplicas 2"),
    }


def test_findings_point_at_the_field_each_rule_reads(tmp_path: Path):
    text = VALID.replace("  shutdownAfterJobFinishes: true\n", "  activeDeadlineSeconds: 0\n")
    lines = {f.rule: f.pos.line for f in check(text, tmp_path).findings}
    written = text.splitlines()
    assert written[lines["operator/active-deadline"] - 1] == "  activeDeadlineSeconds: 0"
    assert written[lines["operator/ttl-requires-shutdown"] - 1] == "  ttlSecondsAfterFinished: 60"


def test_a_raycluster_manifest_gets_the_operator_event_text(tmp_path: Path):
    cluster = (RULE_EXAMPLES / "operator/raycluster-name/pass.yaml").read_text() \
        .replace("    minReplicas: 1\n", "    minReplicas: 5\n")
    report = check(cluster, tmp_path)
    assert [(f.rule, f.message) for f in report.findings] == [(
        "operator/raycluster/worker-groups",
        "The RayCluster spec is invalid default/shared-v2: worker group workers has minReplicas 5 greater than "
        "maxReplicas 2")]


def test_a_value_of_the_wrong_type_stops_the_operator_layer_from_guessing(tmp_path: Path):
    report = check(VALID.replace("  shutdownAfterJobFinishes: true\n", "  shutdownAfterJobFinishes: 'true'\n"),
                   tmp_path)
    assert rules(report) == ["schema/type"]


def test_a_missing_required_field_does_not_stop_the_operator_layer(tmp_path: Path):
    text = VALID.replace("apiVersion: ray.io/v1\n", "apiVersion: ray.io/v1alpha1\n", 1) \
        .replace("      rayStartParams: {}\n", "").replace("  shutdownAfterJobFinishes: true\n", "")
    assert "operator/ttl-requires-shutdown" in rules(check(text, tmp_path))
