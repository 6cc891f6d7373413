"""File-level ``defaults:``, named timeouts (short, medium, long), and one broken scenario not stopping its file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import InputError, ScenarioError
from harness.scenario import Scenario, load_text
from harness.scenario.model import DeleteStep, ExpectStep, WaitStep

DATA = Path(__file__).parent / "data"


def load(text: str, *, isolate_errors: bool = False) -> list[Scenario]:
    return load_text(textwrap.dedent(text), "s.yaml", base_dir=DATA, isolate_errors=isolate_errors)


def by_name(scenarios: list[Scenario]) -> dict[str, Scenario]:
    return {scenario.name: scenario for scenario in scenarios}


SUITE = """
    - defaults:
        kuberay: ">=1.5"
        executor: {runtime: 30s}
        timeouts: {long: 2h, grace: 5s}
        operator: {env: {RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS: "60"}}
    - scenario: inherits
      steps: [{advance: 1s}]
    - scenario: overrides
      kuberay: ">=1.7"
      executor: {runtime: 1m}
      timeouts: {short: 10s}
      operator: {env: {DELETE_RAYJOB_CR_AFTER_JOB_FINISHES: "true"}}
      steps: [{advance: 1s}]
"""


def test_defaults_apply_to_every_scenario_that_does_not_set_the_key() -> None:
    inherits = by_name(load(SUITE))["inherits"]
    assert str(inherits.kuberay) == ">=1.5"
    assert inherits.executor.default is not None and inherits.executor.default.runtime == 30
    assert inherits.timeouts.long == 7200 and inherits.timeouts.grace == 5
    assert inherits.operator.env == {"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60"}


def test_a_scenario_setting_replaces_the_default() -> None:
    overrides = by_name(load(SUITE))["overrides"]
    assert str(overrides.kuberay) == ">=1.7"
    assert overrides.executor.default is not None and overrides.executor.default.runtime == 60


def test_timeouts_and_operator_settings_merge_key_by_key() -> None:
    overrides = by_name(load(SUITE))["overrides"]
    assert (overrides.timeouts.short, overrides.timeouts.long, overrides.timeouts.grace) == (10, 7200, 5)
    assert overrides.operator.env == {"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60",
                                      "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"}


def test_defaults_may_be_the_first_document_of_a_multi_document_file() -> None:
    [scenario] = load("""
        defaults: {backends: [sim]}
        ---
        scenario: only
        steps: [{advance: 1s}]
    """)
    assert scenario.backends == ("sim",)


def test_an_error_in_the_defaults_points_at_the_defaults_line() -> None:
    with pytest.raises(ScenarioError) as caught:
        load("""
            - defaults: {timeouts: {long: soon}}
            - scenario: a
              steps: [{advance: 1s}]
        """)
    assert str(caught.value).startswith("s.yaml:2:31: timeouts long must be a duration")


def test_defaults_refuse_keys_that_belong_to_one_scenario() -> None:
    with pytest.raises(ScenarioError) as caught:
        load("""
            - defaults: {steps: [{advance: 1s}]}
            - scenario: a
              steps: [{advance: 1s}]
        """)
    assert "unknown key='steps' in defaults" in str(caught.value)
    assert "defaults may set: kuberay, backends" in str(caught.value)


def test_defaults_after_a_scenario_are_refused() -> None:
    with pytest.raises(ScenarioError) as caught:
        load("""
            - scenario: a
              steps: [{advance: 1s}]
            - defaults: {kuberay: ">=1.5"}
        """)
    assert "defaults must come once, before the first scenario" in str(caught.value)


NAMED = """
    scenario: named
    timeouts: {short: 5s, long: 2h, wait: long}
    steps:
      - wait: {rayjob: a, until: gone, timeout: short}
      - wait: {rayjob: a, until: gone}
      - delete: {rayjob: a, timeout: medium}
      - expect: {rayjob: a, status: {jobStatus: SUCCEEDED}, grace: long}
"""


def test_a_timeout_or_grace_may_name_short_medium_or_long() -> None:
    [scenario] = load(NAMED)
    first, _, delete, expect = scenario.steps
    assert isinstance(first, WaitStep) and first.timeout == 5
    assert isinstance(delete, DeleteStep) and delete.timeout == 300  # medium keeps its default, 5m
    assert isinstance(expect, ExpectStep) and expect.grace == 7200


def test_the_scenario_defaults_may_use_the_names_too() -> None:
    [scenario] = load(NAMED)
    assert scenario.timeouts.wait == 7200


def test_the_names_default_to_30s_5m_and_30m() -> None:
    [scenario] = load("scenario: plain\nsteps: [{advance: 1s}]\n")
    assert scenario.timeouts.named() == {"short": 30, "medium": 300, "long": 1800}


def test_an_unknown_name_is_refused_with_the_names_there_are() -> None:
    with pytest.raises(ScenarioError) as caught:
        load("scenario: x\nsteps: [{wait: {rayjob: a, until: gone, timeout: ages}}]\n")
    assert "wait timeout must be a duration or short, medium or long, got value='ages'" in str(caught.value)


BROKEN = """
    - scenario: broken
      steps:
        - apply: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, dataa: {a: b}}]
    - scenario: fine
      steps: [{advance: 1s}]
"""


def test_a_broken_scenario_keeps_its_error_and_its_neighbours_load() -> None:
    broken, fine = load(BROKEN, isolate_errors=True)
    assert broken.name == "broken" and broken.steps == () and broken.load_error is not None
    assert str(broken.load_error).startswith('s.yaml:4:70: inline manifest: ConfigMap in version "v1" cannot be')
    assert fine.load_error is None and len(fine.steps) == 1


def test_without_isolation_the_first_broken_scenario_stops_the_file() -> None:
    with pytest.raises(InputError):
        load(BROKEN)


def test_a_scenario_without_a_readable_name_still_stops_the_file() -> None:
    with pytest.raises(ScenarioError) as caught:
        load("- scenario: 'no spaces allowed'\n  steps: [{advance: 1s}]\n", isolate_errors=True)
    assert "is not a plain name" in str(caught.value)
