"""Loading ``expect_refusal`` beside apply, patch and delete, and patches of the status subresource."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import load_text
from harness.scenario.model import ApplyStep, DeleteStep, ExpectedRefusal, PatchStep

DATA = Path(__file__).parent / "data"


def steps(text: str) -> tuple:
    [scenario] = load_text(textwrap.dedent(text).lstrip("\n"), "s.yaml", base_dir=DATA)
    return scenario.steps


def error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        steps(text)
    return caught.value


def test_expect_refusal_is_read_beside_apply_patch_and_delete() -> None:
    apply, patch, delete = steps("""
        scenario: s
        steps:
          - apply: manifests/rayjob.yaml
            expect_refusal: {reason: Invalid, message: "immutable"}
          - patch: {rayjob: my-job, merge: {spec: {suspend: true}}}
            expect_refusal: {code: 404}
          - delete: {rayjob: my-job}
            expect_refusal: true
    """)
    assert isinstance(apply, ApplyStep) and apply.refusal == ExpectedRefusal(reason="Invalid", message="immutable")
    assert isinstance(patch, PatchStep) and patch.refusal == ExpectedRefusal(code=404)
    assert isinstance(delete, DeleteStep) and delete.refusal == ExpectedRefusal()


def test_expect_refusal_beside_another_step_is_refused() -> None:
    exc = error("""
        scenario: s
        steps:
          - wait: {rayjob: a, until: gone}
            expect_refusal: true
    """)
    assert str(exc.pos) == "s.yaml:4:5"
    assert exc.message == "expect_refusal does not go with wait"


def test_expect_refusal_alone_asks_for_its_step() -> None:
    exc = error("""
        scenario: s
        steps:
          - expect_refusal: true
    """)
    assert exc.message == "expect_refusal needs a step beside it"


def test_an_unknown_status_reason_is_refused_with_a_suggestion() -> None:
    exc = error("""
        scenario: s
        steps:
          - delete: {rayjob: a}
            expect_refusal: {reason: NotFund}
    """)
    assert exc.message == "expect_refusal reason='NotFund' is not a reason the API server gives"
    assert exc.hint is not None and exc.hint.startswith("did you mean 'NotFound'?")


def test_expect_refusal_applies_to_one_object() -> None:
    exc = error("""
        scenario: s
        steps:
          - apply: [manifests/rayjob.yaml, manifests/rayjob.yaml]
            expect_refusal: true
    """)
    assert exc.message == "expect_refusal needs an apply of one object, this one applies 2"


def test_expect_refusal_on_a_delete_needs_one_object_by_name() -> None:
    exc = error("""
        scenario: s
        steps:
          - delete: {pod: {selector: "ray.io/node-type=worker"}}
            expect_refusal: true
    """)
    assert exc.message == "expect_refusal needs a delete of one object by name"


def test_the_refusal_message_must_be_a_regular_expression() -> None:
    exc = error("""
        scenario: s
        steps:
          - delete: {rayjob: a}
            expect_refusal: {message: "(unclosed"}
    """)
    assert exc.message.startswith("regular expression='(unclosed' is invalid")


def test_a_status_patch_is_read_with_its_subresource() -> None:
    [patch] = steps("""
        scenario: s
        steps:
          - patch: {job: my-job, subresource: status, merge: {status: {conditions: []}}}
    """)
    assert isinstance(patch, PatchStep) and patch.subresource == "status" and patch.target.kind == "Job"


def test_status_in_a_patch_of_the_main_resource_is_refused_because_the_api_server_ignores_it() -> None:
    exc = error("""
        scenario: s
        steps:
          - patch: {rayjob: my-job, merge: {status: {jobStatus: FAILED}}}
    """)
    assert str(exc.pos) == "s.yaml:3:37"
    assert exc.message == "patch merge writes status, which the API server ignores in a write to a RayJob"
    assert exc.hint is not None and "write subresource: status" in exc.hint


def test_a_status_patch_may_not_change_anything_but_status() -> None:
    exc = error("""
        scenario: s
        steps:
          - patch: {rayjob: my-job, subresource: status, merge: {spec: {suspend: true}, status: {}}}
    """)
    assert exc.message == "a status patch may change only status"


def test_a_kind_without_a_status_subresource_cannot_be_patched_through_one() -> None:
    exc = error("""
        scenario: s
        steps:
          - patch: {configmap: notes, subresource: status, merge: {status: {}}}
    """)
    assert exc.message == "a ConfigMap has no status subresource"


def test_status_in_an_inline_object_is_refused_because_the_api_server_drops_it() -> None:
    exc = error("""
        scenario: s
        steps:
          - apply: {apiVersion: ray.io/v1, kind: RayJob, metadata: {name: a}, spec: {entrypoint: x},
                    status: {jobDeploymentStatus: Complete}}
    """)
    assert exc.message == ("inline manifest writes status, which the API server drops when it creates or updates "
                           "a RayJob")
    assert exc.hint is not None and "subresource: status" in exc.hint


def test_status_in_the_patch_of_a_manifest_file_is_refused_too() -> None:
    exc = error("""
        scenario: s
        apply: [{file: manifests/rayjob.yaml, patch: {status: {jobStatus: SUCCEEDED}}}]
    """)
    assert exc.message.startswith("the patch of RayJob/")
    assert str(exc.pos) == "s.yaml:2:47"


def test_a_configmap_has_no_status_subresource_so_nothing_is_refused() -> None:
    [apply] = steps("""
        scenario: s
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {status: ok}}
    """)
    assert isinstance(apply, ApplyStep)
