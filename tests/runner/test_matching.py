"""Partial-object matching: listed keys must match, lists in an explicit mode, operators for the rest."""

from __future__ import annotations

import textwrap
from typing import Any

from harness.runner.matching import MISSING, match, render_diff
from harness.scenario.matchers import ArrayMode, Matcher, parse_matcher, parse_paths
from harness.scenario.source import source_from_text


def matcher(text: str, mode: ArrayMode = "exact") -> Matcher:
    [node] = source_from_text(textwrap.dedent(text), "m.yaml").documents
    return parse_matcher(node, mode)


def problems(text: str, actual: Any, mode: ArrayMode = "exact") -> list[str]:
    return [str(m) for m in match(matcher(text, mode), actual)]


OBJ = {"status": {"jobStatus": "SUCCEEDED", "succeeded": 1, "message": "Job finished successfully."},
       "spec": {"containers": [{"name": "head", "image": "ray:1"}, {"name": "side", "image": "busybox"}]}}


def test_a_mapping_matches_when_the_listed_keys_match_and_ignores_the_rest() -> None:
    assert problems("{status: {jobStatus: SUCCEEDED}}", OBJ) == []


def test_a_different_value_is_reported_with_its_path() -> None:
    assert problems("{status: {jobStatus: FAILED}}", OBJ) == ["status.jobStatus: expected 'FAILED', got 'SUCCEEDED'"]


def test_a_missing_field_is_reported_as_missing() -> None:
    assert problems("{status: {reason: AppFailed}}", OBJ) == ["status.reason: expected 'AppFailed', got missing"]


def test_null_expects_the_field_absent() -> None:
    assert problems("{status: {reason: null}}", OBJ) == []
    assert problems("{status: {jobStatus: null}}", OBJ) == ["status.jobStatus: expected absent, got 'SUCCEEDED'"]


def test_numbers_do_not_match_booleans() -> None:
    assert problems("{a: 1}", {"a": True}) == ["a: expected 1, got True"]
    assert problems("{a: 1}", {"a": 1.0}) == []


def test_a_plain_list_matches_exactly_in_order_by_default() -> None:
    assert problems("{spec: {containers: [{name: head}, {name: side}]}}", OBJ) == []
    assert problems("{spec: {containers: [{name: side}, {name: head}]}}", OBJ) == [
        "spec.containers[0].name: expected 'side', got 'head'", "spec.containers[1].name: expected 'head', got 'side'"]
    assert problems("{spec: {containers: [{name: head}]}}", OBJ) == [
        "spec.containers: expected a list of 1 item(s), got '2 item(s)'"]


def test_subset_mode_finds_each_expected_item_anywhere() -> None:
    assert problems("{spec: {containers: [{name: side}]}}", OBJ, mode="subset") == []
    assert problems("{spec: {containers: {$subset: [{image: busybox}, {name: head}]}}}", OBJ) == []
    [problem] = problems("{spec: {containers: {$subset: [{name: other}]}}}", OBJ)
    assert problem.startswith("spec.containers: expected an item matching {'name': 'other'}")


def test_subset_mode_pairs_each_actual_item_at_most_once() -> None:
    assert problems("{xs: {$subset: [{a: 1}, {a: 1}]}}", {"xs": [{"a": 1}, {"a": 2}]}) != []
    assert problems("{xs: {$subset: [{a: 1}, {a: 1}]}}", {"xs": [{"a": 1}, {"a": 1, "b": 2}]}) == []


def test_by_key_mode_pairs_items_by_a_field() -> None:
    text = "{spec: {containers: {$by_key: name, $items: [{name: side, image: busybox}, {name: head, image: ray:2}]}}}"
    assert problems(text, OBJ) == ["spec.containers[name=head].image: expected 'ray:2', got 'ray:1'"]


def test_by_key_mode_reports_an_absent_key() -> None:
    [problem] = problems("{spec: {containers: {$by_key: name, $items: [{name: gpu}]}}}", OBJ)
    assert problem.startswith("spec.containers[name=gpu].name: expected 'gpu', got missing")


def test_operators_cover_regex_contains_comparison_and_choice() -> None:
    assert problems("{status: {message: {$regex: 'finished \\w+'}}}", OBJ) == []
    assert problems("{status: {message: {$contains: finished}}}", OBJ) == []
    assert problems("{status: {succeeded: {$ge: 1, $lt: 2}}}", OBJ) == []
    assert problems("{status: {jobStatus: {$one_of: [FAILED, SUCCEEDED]}}}", OBJ) == []
    assert problems("{status: {jobStatus: {$not: FAILED}}}", OBJ) == []
    assert problems("{spec: {containers: {$len: 2}}}", OBJ) == []
    assert problems("{status: {succeeded: {$gt: 1}}}", OBJ) == ["status.succeeded: expected a number > 1, got 1"]


def test_exists_and_absent_operators() -> None:
    assert problems("{status: {jobStatus: {$exists: true}, reason: {$absent: true}}}", OBJ) == []
    assert problems("{status: {reason: {$exists: true}}}", OBJ) == [
        "status.reason: expected present (any value), got missing"]


def test_dotted_paths_match_like_nested_mappings() -> None:
    [node] = source_from_text("{status.jobStatus: SUCCEEDED, spec.containers: {$len: 2}}", "m.yaml").documents
    assert match(parse_paths(node), OBJ) == []


def test_bindings_are_substituted_before_matching() -> None:
    m = matcher("{status: {jobStatus: '${want}'}}").substitute(
        lambda v: v.replace("${want}", "SUCCEEDED") if isinstance(v, str) else v)
    assert match(m, OBJ) == []


def test_the_diff_shows_expected_against_the_relevant_part_of_the_object() -> None:
    diff = render_diff(matcher("{status: {jobStatus: FAILED, reason: AppFailed}}"), OBJ)
    assert diff.splitlines() == [
        "--- expected", "+++ actual", "@@ -1,3 +1,3 @@", " status:", "-  jobStatus: FAILED", "-  reason: AppFailed",
        "+  jobStatus: SUCCEEDED", "+  reason: null"]
    assert "spec" not in diff and "message" not in diff


def test_a_missing_object_matches_nothing_but_absence() -> None:
    m = parse_matcher(source_from_text("{a: null}", "m.yaml").documents[0])
    assert match(m, MISSING) == []


def test_one_of_with_null_accepts_an_absent_field() -> None:
    assert problems("{status: {reason: {$one_of: [AppFailed, null]}}}", OBJ) == []
    assert problems("{status: {reason: {$one_of: [AppFailed, null]}}}", {"status": {"reason": None}}) == []
    assert problems("{status: {reason: {$one_of: [AppFailed, null]}}}", {"status": {"reason": "AppFailed"}}) == []


def test_one_of_without_null_still_refuses_an_absent_field() -> None:
    assert problems("{status: {reason: {$one_of: [AppFailed, DeadlineExceeded]}}}", OBJ) == [
        "status.reason: expected one of 'AppFailed', 'DeadlineExceeded', got missing"]


def paths(text: str) -> Matcher:
    [node] = source_from_text(text, "m.yaml").documents
    return parse_paths(node)


def test_a_number_in_a_dotted_path_is_a_list_index() -> None:
    assert match(paths("{spec.containers.1.image: busybox, spec.containers.0.name: head}"), OBJ) == []
    assert [str(m) for m in match(paths("{spec.containers.1.image: ray:1}"), OBJ)] == [
        "spec.containers[1].image: expected 'ray:1', got 'busybox'"]


def test_a_negative_index_counts_from_the_end_of_the_list() -> None:
    assert match(paths("{spec.containers.-1.name: side}"), OBJ) == []


def test_an_index_past_the_end_is_a_missing_item() -> None:
    assert [str(m) for m in match(paths("{spec.containers.2.name: head}"), OBJ)] == [
        "spec.containers[2].name: expected 'head', got missing"]
    assert match(paths("{spec.containers.2: null}"), OBJ) == []


def test_an_index_into_something_that_is_not_a_list_is_reported() -> None:
    [problem] = [str(m) for m in match(paths("{status.jobStatus.0: S}"), OBJ)]
    assert problem == "status.jobStatus: expected a list with items at 0, got 'SUCCEEDED'"


def test_the_diff_of_an_indexed_path_shows_only_the_indexed_item() -> None:
    diff = render_diff(paths("{spec.containers.1.image: ray:2}"), OBJ)
    assert "-      image: ray:2" in diff and "+      image: busybox" in diff
    assert "head" not in diff
