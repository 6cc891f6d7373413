"""Mistakes in scenario files are reported at load time with file:line:column and a hint."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import InputError, ManifestError, ScenarioError
from harness.scenario import discover, load_file, load_text

DATA = Path(__file__).parent / "data"


def error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_text(textwrap.dedent(text).lstrip("\n"), "bad.yaml", base_dir=DATA)
    return caught.value


def where(exc: ScenarioError) -> str:
    return str(exc.pos)


def test_an_unknown_step_is_reported_at_its_key_with_a_suggestion() -> None:
    exc = error("""
        scenario: s
        steps:
          - advance: 1s
          - wiat: {rayjob: a, until: gone}
    """)
    assert where(exc) == "bad.yaml:4:5"
    assert "unknown step='wiat'" in exc.message
    assert exc.hint is not None and "did you mean 'wait'?" in exc.hint


def test_a_value_of_the_wrong_type_is_reported_where_it_is_written() -> None:
    exc = error("""
        scenario: s
        steps:
          - wait: {rayjob: a, until: gone, timeout: soon}
    """)
    assert where(exc) == "bad.yaml:3:45"
    assert "wait timeout must be a duration or short, medium or long, got value='soon'" in exc.message
    assert exc.hint is not None and "30s" in exc.hint


def test_a_missing_manifest_file_is_reported_at_the_reference() -> None:
    exc = error("""
        scenario: s
        apply: [manifests/nope.yaml]
    """)
    assert where(exc) == "bad.yaml:2:9"
    assert "manifest file='manifests/nope.yaml' does not exist" in exc.message
    assert exc.hint == "paths are relative to the scenario file's folder"


def test_a_binding_used_before_any_save_is_reported() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {absent: [{kind: RayCluster, name: "${cluster}"}]}
          - save: {cluster: a.status.rayClusterName}
    """)
    assert where(exc) == "bad.yaml:3:48"
    assert "binding=${cluster} is not defined at this point" in exc.message


def test_a_misspelt_binding_gets_a_suggestion() -> None:
    exc = error("""
        scenario: s
        steps:
          - save: {cluster: a.status.rayClusterName}
          - expect_logs: {rayjob: a, contains: "${clustr}"}
    """)
    assert exc.hint is not None and exc.hint.startswith("did you mean ${cluster}?")


def test_a_malformed_binding_reference_is_reported() -> None:
    exc = error("""
        scenario: s
        steps: [{suspend: "${not closed"}]
    """)
    assert "is not closed" in exc.message


def test_an_unknown_key_in_a_step_lists_the_accepted_keys() -> None:
    exc = error("""
        scenario: s
        steps:
          - wait: {rayjob: a, untill: gone}
    """)
    assert where(exc) == "bad.yaml:3:23"
    assert "unknown key='untill' in wait" in exc.message
    assert exc.hint is not None and "did you mean 'until'?" in exc.hint


def test_a_duplicate_key_is_an_error_rather_than_a_silent_overwrite() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect:
              rayjob: a
              status: {jobStatus: SUCCEEDED}
              status: {jobStatus: FAILED}
    """)
    assert where(exc) == "bad.yaml:6:7"
    assert "duplicate key='status' (first at line 5)" in exc.message


def test_a_yaml_syntax_error_points_at_the_problem() -> None:
    exc = error("""
        scenario: s
        steps:
          - wait: {rayjob: a, until: gone
          - advance: 1s
    """)
    assert exc.pos is not None and exc.pos.line == 4
    assert exc.message.startswith("YAML syntax error")


def test_a_step_with_two_keywords_is_rejected() -> None:
    exc = error("""
        scenario: s
        steps:
          - advance: 1s
            sleep: 2s
    """)
    assert where(exc) == "bad.yaml:4:5"
    assert "a step has exactly one keyword, found 2 (advance, sleep)" in exc.message


def test_two_scenarios_of_one_file_need_distinct_names() -> None:
    exc = error("""
        - scenario: same
          steps: [{advance: 1s}]
        - scenario: same
          steps: [{advance: 1s}]
    """)
    assert "scenario name='same' is used twice (first at line 1)" in exc.message


def test_an_invalid_regular_expression_is_reported_at_load_time() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {rayjob: a, status: {message: {$regex: "deadline ("}}}
    """)
    assert "regular expression='deadline (' is invalid" in exc.message


def test_an_unknown_match_operator_gets_a_suggestion() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {rayjob: a, status: {failed: {$gte: 1}}}
    """)
    assert "unknown match operator='$gte'" in exc.message
    assert exc.hint == "did you mean $gt?"


def test_operators_and_plain_keys_do_not_mix() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {rayjob: a, status: {$exists: true, jobStatus: SUCCEEDED}}
    """)
    assert "operators and plain keys are mixed (key='jobStatus')" in exc.message


def test_transitions_on_a_kind_without_a_default_field_need_one() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {job: a, transitions: [Running]}
    """)
    assert "transitions on a Job needs a field" in exc.message


def test_an_expectation_that_checks_nothing_is_rejected() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {rayjob: a}
    """)
    assert exc.message == "expect checks nothing"


def test_a_log_source_must_fit_the_object() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect_logs: {raycluster: c, source: driver, contains: x}
    """)
    assert "log source='driver' needs a RayJob" in exc.message


def test_a_bad_kuberay_constraint_is_reported() -> None:
    exc = error("""
        scenario: s
        kuberay: ">= one point five"
        steps: [{advance: 1s}]
    """)
    assert where(exc) == "bad.yaml:2:10"
    assert "kuberay constraint is invalid" in exc.message


def test_a_document_without_a_scenario_key_is_not_a_scenario() -> None:
    exc = error("""
        apiVersion: v1
        kind: ConfigMap
    """)
    assert "this is not a scenario (no `scenario:` key)" in exc.message


def test_a_scenario_without_steps_is_rejected() -> None:
    exc = error("""
        scenario: s
        description: nothing to do
    """)
    assert "has no steps" in exc.message


def test_a_manifest_that_creates_a_namespace_is_rejected() -> None:
    exc = error("""
        scenario: s
        apply:
          - {apiVersion: v1, kind: Namespace, metadata: {name: mine}}
    """)
    assert "creates a Namespace" in exc.message


def test_a_malformed_manifest_file_is_a_manifest_error_naming_both_places(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: [unclosed\n")
    (tmp_path / "s.yaml").write_text("scenario: s\napply: [broken.yaml]\n")
    with pytest.raises(ManifestError) as caught:
        load_file(tmp_path / "s.yaml", "s.yaml")
    assert "broken.yaml" in str(caught.value)
    assert "(applied at s.yaml:2:9)" in caught.value.message


def test_every_error_message_carries_a_hint() -> None:
    exc = error("""
        scenario: "bad name with spaces"
        steps: [{advance: 1s}]
    """)
    assert exc.hint and str(exc).startswith("bad.yaml:1:11: scenario name=")
    assert "\n  Hint: " in str(exc)


def test_discover_reports_a_missing_path() -> None:
    with pytest.raises(InputError) as caught:
        discover(["does/not/exist"])
    assert "path='does/not/exist' does not exist" in caught.value.message


def test_discover_finds_scenario_files_and_skips_manifests_in_folders() -> None:
    found = discover([DATA])
    assert [p.name for p in found] == ["ttl.yaml"]


def test_a_manifest_the_api_server_would_refuse_is_reported_at_load_time(tmp_path: Path) -> None:
    (tmp_path / "job.yaml").write_text("apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {name: j}\n"
                                       "spec:\n  entrypoint: x\n  shutdownAfterJobFinish: true\n")
    (tmp_path / "s.yaml").write_text("scenario: s\napply: [job.yaml]\n")
    with pytest.raises(ManifestError) as caught:
        load_file(tmp_path / "s.yaml", "s.yaml")
    assert caught.value.pos is not None and caught.value.pos.line == 6
    assert "shutdownAfterJobFinish" in caught.value.message


def test_stays_and_consistently_in_one_expect_are_refused() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {rayjob: a, stays: 1m, consistently: 1m}
    """)
    assert where(exc) == "bad.yaml:3:36"
    assert exc.message == "expect has both stays and consistently"


def test_a_consistently_window_of_zero_is_refused() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect: {absent: [{kind: RayCluster}], consistently: 0s}
    """)
    assert exc.message == "expect consistently must be longer than 0s"
