"""The ``ray_job_submit`` step (a user's ``ray job submit`` in InteractiveMode) loads into a typed step."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import load_text
from harness.scenario.model import ObjectRef, RayJobSubmitStep

DATA = Path(__file__).parent / "data"


def step_of(body: str) -> RayJobSubmitStep:
    [scenario] = load_text(textwrap.dedent(f"""
        scenario: s
        steps:
          - save: {{cluster: my-job.status.rayClusterName}}
          - ray_job_submit: {body}
    """), "s.yaml", base_dir=DATA)
    step = scenario.steps[1]
    assert isinstance(step, RayJobSubmitStep)
    return step


def error_of(body: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        step_of(body)
    return caught.value


def test_the_step_names_the_rayjob_the_submission_id_and_the_entrypoint() -> None:
    step = step_of('{rayjob: my-job, submission_id: "my-id-1", entrypoint: "python x.py"}')
    assert step.target == ObjectRef("RayJob", "my-job")
    assert (step.submission_id, step.entrypoint) == ("my-id-1", "python x.py")
    assert step.keyword == "ray_job_submit"


def test_without_an_entrypoint_the_step_leaves_it_to_the_rayjob_spec() -> None:
    assert step_of("{rayjob: my-job, submission_id: my-id-1}").entrypoint is None


def test_bindings_are_kept_as_written_for_the_runner_to_fill_in() -> None:
    step = step_of('{rayjob: my-job, submission_id: "run-${cluster}", entrypoint: "python x.py --on ${cluster}"}')
    assert step.submission_id == "run-${cluster}"
    assert step.entrypoint == "python x.py --on ${cluster}"


def test_a_binding_no_step_saves_is_reported_where_it_is_used() -> None:
    exc = error_of('{rayjob: my-job, submission_id: "run-${nope}"}')
    assert str(exc.pos) == "s.yaml:5:53"  # the value, on the step's line
    assert "binding=${nope} is not defined at this point" in exc.message


def test_a_missing_submission_id_is_reported_with_an_example() -> None:
    exc = error_of("{rayjob: my-job}")
    assert "ray_job_submit needs the key 'submission_id'" in exc.message
    assert exc.hint == "add submission_id: ... to ray_job_submit"


def test_an_unknown_key_gets_a_suggestion() -> None:
    exc = error_of("{rayjob: my-job, submision_id: a}")
    assert "unknown key='submision_id' in ray_job_submit" in exc.message
    assert exc.hint is not None and exc.hint.startswith("did you mean 'submission_id'?")


def test_a_submission_id_that_is_not_a_string_is_refused() -> None:
    exc = error_of("{rayjob: my-job, submission_id: 42}")
    assert "ray_job_submit submission_id must be a non-empty string, got number value=42" in exc.message
