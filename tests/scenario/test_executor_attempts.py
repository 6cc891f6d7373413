"""``attempts:`` in the executor settings scripts successive Ray jobs of one RayJob (first fails, retry succeeds)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.executors.settings import JobScript
from harness.scenario import Scenario, load_text

DATA = Path(__file__).parent / "data"


def one(text: str) -> Scenario:
    [scenario] = load_text(textwrap.dedent(text), "s.yaml", base_dir=DATA)
    return scenario


def error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        one(text)
    return caught.value


def test_attempts_at_the_top_level_script_the_default() -> None:
    scenario = one("""
        scenario: s
        executor: {attempts: [{exit: 1}, {exit: 0}]}
        steps: [{advance: 1s}]
    """)
    default = scenario.executor.default
    assert default is not None
    assert [attempt.exit_code for attempt in default.attempts] == [1, 0]


def test_an_attempt_inherits_the_keys_it_does_not_set_from_its_script() -> None:
    scenario = one("""
        scenario: s
        executor:
          runtime: 2m
          output: ["epoch 1"]
          attempts:
            - {exit: 1, output: ["CUDA out of memory"]}
            - {runtime: 10s}
        steps: [{advance: 1s}]
    """)
    default = scenario.executor.default
    assert default is not None
    assert default.attempts == (JobScript(runtime=120, exit_code=1, output=("CUDA out of memory",)),
                                JobScript(runtime=10, output=("epoch 1",)))


def test_attempts_may_be_given_per_rayjob() -> None:
    scenario = one("""
        scenario: s
        executor:
          jobs:
            - {rayjob: flaky-job, attempts: [{exit: 1}, {exit: 0}]}
        steps: [{advance: 1s}]
    """)
    [(name, script)] = scenario.executor.by_rayjob.items()
    assert name == "flaky-job"
    assert [attempt.exit_code for attempt in script.attempts] == [1, 0]


def test_the_last_attempt_repeats_for_later_ray_jobs() -> None:
    script = JobScript(attempts=(JobScript(exit_code=1), JobScript(exit_code=2)))
    assert [script.for_attempt(n).exit_code for n in (1, 2, 3, 4)] == [1, 2, 2, 2]


def test_a_script_without_attempts_is_the_same_for_every_ray_job() -> None:
    script = JobScript(exit_code=3)
    assert script.for_attempt(5) is script


def test_an_empty_list_of_attempts_is_reported_with_an_example() -> None:
    exc = error("""
        scenario: s
        executor: {attempts: []}
        steps: [{advance: 1s}]
    """)
    assert str(exc.pos) == "s.yaml:3:22"
    assert "executor attempts must be a non-empty list" in exc.message
    assert exc.hint is not None and "attempts: [{exit: 1}, {exit: 0}]" in exc.hint


def test_attempts_inside_an_attempt_are_refused() -> None:
    exc = error("""
        scenario: s
        executor: {attempts: [{exit: 1, attempts: [{exit: 0}]}]}
        steps: [{advance: 1s}]
    """)
    assert "unknown key='attempts' in executor attempt 1" in exc.message
