"""Pitfalls beyond the rule examples: where they look, what they spare, how they point inside embedded YAML."""

from __future__ import annotations

from pathlib import Path

from .support import RULE_EXAMPLES, check, rules

VALID = (RULE_EXAMPLES / "schema/deprecated-version/pass.yaml").read_text()
SELECTED = (RULE_EXAMPLES / "operator/cluster-selector/pass.yaml").read_text()
PORTS = "            ports:\n            - containerPort: 8265\n              name: dashboard\n"


def test_a_head_without_any_port_gets_kuberay_defaults_and_is_fine(tmp_path: Path):
    assert check(VALID.replace(PORTS, ""), tmp_path).findings == ()


def test_the_dashboard_port_of_a_selected_raycluster_is_checked_in_its_own_document(tmp_path: Path):
    text = SELECTED.replace("- containerPort: 8265\n            name: dashboard\n", "- containerPort: 8265\n")
    [finding] = check(text, tmp_path).findings
    assert (finding.rule, finding.obj) == ("pitfall/no-dashboard-port", "RayCluster/default/shared")
    assert text.splitlines()[finding.pos.line - 1] == "          - containerPort: 8265"
    assert "(selected by RayJob train)" in finding.message


def test_keys_inside_a_runtime_env_yaml_block_point_at_their_own_line(tmp_path: Path):
    text = VALID.replace("  entrypoint:", "  runtimeEnvYAML: |\n    pip:\n      - pandas\n    envVars:\n"
                                          "      A: b\n    config:\n      setupTimeout: 60\n  entrypoint:")
    report = check(text, tmp_path)
    lines = text.splitlines()
    assert [(lines[f.pos.line - 1], f.pos.column) for f in report.findings] == [
        ("    envVars:", 5), ("      setupTimeout: 60", 7)]
    assert report.findings[1].message == ("The following unknown entries in the runtime_env_config dictionary will "
                                          "be ignored: {'setupTimeout'}.")


def test_a_camel_case_working_dir_gives_the_working_dir_no_effect_on_a_relative_script(tmp_path: Path):
    text = VALID.replace("  entrypoint: python /home/ray/samples/train.py",
                         "  entrypoint: python train.py\n  runtimeEnvYAML: |\n    workingDir: s3://b/code.zip")
    assert rules(check(text, tmp_path)) == ["pitfall/entrypoint-not-provided", "pitfall/ignored-runtime-env-key"]
    fixed = text.replace("workingDir", "working_dir")
    assert rules(check(fixed, tmp_path)) == []


def test_a_configmap_among_the_inputs_must_hold_the_script(tmp_path: Path):
    [finding] = check(VALID.replace("  train.py: |", "  main.py: |"), tmp_path).findings
    assert finding.rule == "pitfall/entrypoint-not-provided"
    assert "ConfigMap train-code mounted at /home/ray/samples has no file train.py" in finding.message


def test_a_configmap_that_is_not_among_the_inputs_is_given_the_benefit_of_the_doubt(tmp_path: Path):
    assert check(VALID.split("---\n")[0], tmp_path).findings == ()


def test_a_script_a_custom_image_may_ship_is_only_a_note(tmp_path: Path):
    text = VALID.replace("python /home/ray/samples/train.py", "python /app/train.py") \
        .replace("image: rayproject/ray:2.52.0\n            ports", "image: acme/trainer:2.52.0\n            ports")
    [finding] = check(text, tmp_path).findings
    assert (finding.rule, finding.severity.value) == ("pitfall/entrypoint-not-provided", "note")
    assert check(text, tmp_path).exit_code == 0


def test_deletion_rules_on_a_failed_job_alone_miss_failed_deployments(tmp_path: Path):
    text = VALID.replace("  shutdownAfterJobFinishes: true\n  ttlSecondsAfterFinished: 60\n",
                         "  deletionStrategy:\n    deletionRules:\n    - policy: DeleteCluster\n      condition:\n"
                         "        jobStatus: FAILED\n")
    [finding] = check(text, tmp_path).findings
    assert finding.rule == "pitfall/deletion-never-fires" and finding.path == "spec.deletionStrategy.deletionRules[0]"


def test_shutdown_with_a_selected_cluster_never_deletes_anything(tmp_path: Path):
    text = SELECTED.replace("  clusterSelector:", "  shutdownAfterJobFinishes: true\n  clusterSelector:")
    [finding] = check(text, tmp_path).findings
    assert finding.message.startswith("shutdownAfterJobFinishes has no effect with clusterSelector")


def test_a_job_id_set_up_front_in_interactive_mode_is_a_note(tmp_path: Path):
    text = VALID.replace("  entrypoint:", "  submissionMode: InteractiveMode\n  jobId: my-run\n  entrypoint:")
    assert [(f.rule, f.severity.value) for f in check(text, tmp_path).findings] == [("pitfall/job-id-set", "note")]


def test_metadata_matters_only_where_kuberay_builds_a_submitter_command(tmp_path: Path):
    old = (RULE_EXAMPLES / "pitfall/metadata-needs-ray-2.6/fail.yaml").read_text()
    assert "pitfall/metadata-needs-ray-2.6" not in rules(check(old.replace("  metadata:\n    team: ml\n",
                                                                            "  submissionMode: HTTPMode\n"
                                                                            "  metadata:\n    team: ml\n"), tmp_path))


def test_a_version_tag_of_an_image_that_is_not_ray_is_not_compared(tmp_path: Path):
    text = VALID.replace("image: rayproject/ray:2.52.0\n          volumeMounts",
                         "image: acme/trainer:1.0.0\n          volumeMounts")
    assert "pitfall/ray-version-mismatch" not in rules(check(text, tmp_path))


def test_a_misspelt_submission_mode_gets_did_you_mean(tmp_path: Path):
    [finding] = check(VALID.replace("  entrypoint:", "  submissionMode: httpmode\n  entrypoint:"), tmp_path).findings
    assert (finding.rule, finding.fix) == ("pitfall/unknown-submission-mode", "did you mean HTTPMode?")


def test_a_job_id_on_a_cluster_of_its_own_is_only_a_note(tmp_path: Path):
    text = VALID.replace("  entrypoint:", "  jobId: nightly-train\n  entrypoint:")
    [finding] = check(text, tmp_path).findings
    assert (finding.rule, finding.severity.value) == ("pitfall/job-id-set", "note")
