"""Every shipped scenario observes exactly what its golden journal recorded (wall times aside).

This pins behaviour across changes made for speed: a journal that differs by one field, one entry or one order
fails here. After a deliberate behaviour change, regenerate with ``PYTHONPATH=. python -m tests.golden.journals
--write`` and say in the commit which change explains the difference.
"""

from __future__ import annotations

import pytest

from .journals import golden_names, journal_lines, read_golden, shipped_scenarios

SCENARIOS = {scenario.name: scenario for scenario in shipped_scenarios()}


@pytest.fixture(scope="module")
def journals() -> dict[str, list[str] | None]:
    return {name: journal_lines(scenario) for name, scenario in SCENARIOS.items()}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_shipped_scenario_journal_equals_its_golden_journal(name: str,
                                                            journals: dict[str, list[str] | None]) -> None:
    actual = journals[name]
    if actual is None:
        pytest.skip(f"scenario {name} does not run on the scripted executor")
    expected = read_golden(name)
    assert expected is not None, (f"no golden journal for {name}: "
                                  "run PYTHONPATH=. python -m tests.golden.journals --write")
    first = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
                 min(len(expected), len(actual)))
    assert actual == expected, (f"journal of {name} differs from line {first + 1}: "
                                "PYTHONPATH=. python -m tests.golden.journals shows the diff")


def test_every_golden_journal_belongs_to_a_scenario_that_runs_scripted(
        journals: dict[str, list[str] | None]) -> None:
    running = {name for name, lines in journals.items() if lines is not None}
    assert golden_names() == running
