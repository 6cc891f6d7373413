"""How long a scenario must wait in real time on a real cluster, and whether that is too long to try.

On the simulator ``advance: 24h`` costs microseconds; on kind it is a day of wall time. Before a scenario runs
on a real backend, :func:`estimate_real_wait` reads its steps and adds up two figures:

- ``certain``: time that always passes in full: ``advance``, ``sleep``, and ``stays`` (an expectation that a
  value holds for a while can only pass by waiting all of it);
- ``worst``: ``certain`` plus every bound a step may wait up to: ``wait`` and ``delete``/``rerun`` timeouts,
  and ``grace`` periods of expectations (the scenario's ``timeouts:`` fill in steps that do not say).

:func:`judge_real_time` reports a scenario as too slow for a real backend when its certain wait exceeds the
limit (it would hang CI for at least that long), naming the steps that cost the most. The worst case is
reported as information: waits usually end long before their timeouts.

Pure functions of the scenario model; the runner decides what to do with the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ..._util.durations import format_duration
from ...errors import SourcePos
from ...scenario.model import (
    AdvanceStep,
    DeleteStep,
    ExpectLogsStep,
    ExpectStep,
    RerunStep,
    Scenario,
    SleepStep,
    Step,
    WaitStep,
)

DEFAULT_LIMIT: Final = 15 * 60.0  # seconds; KubeRay's CI allows 30 min per runner for a whole suite

WaitKind = Literal["certain", "bound"]


@dataclass(frozen=True)
class WaitItem:
    """One step's contribution to the real wait."""

    pos: SourcePos
    keyword: str
    seconds: float
    kind: WaitKind
    why: str  # "advance", "stays for", "wait timeout", ...


@dataclass(frozen=True)
class RealWaitEstimate:
    scenario: str
    items: tuple[WaitItem, ...]

    @property
    def certain(self) -> float:
        return sum(item.seconds for item in self.items if item.kind == "certain")

    @property
    def worst(self) -> float:
        return sum(item.seconds for item in self.items)


@dataclass(frozen=True)
class TooSlow:
    """The verdict on a scenario whose certain real wait exceeds the limit."""

    scenario: str
    certain: float
    worst: float
    limit: float
    costliest: tuple[WaitItem, ...]

    def message(self) -> str:
        steps = "; ".join(f"{item.why} {format_duration(item.seconds)} at {item.pos}" for item in self.costliest)
        return (f"scenario {self.scenario} would wait at least {format_duration(self.certain)} in real time on a "
                f"real backend (limit {format_duration(self.limit)}): {steps}")

    @property
    def hint(self) -> str:
        return ("raise the limit (--real-time-limit), shorten the waits, or keep the scenario on the simulator "
                "with backends: [sim]")


def _step_items(step: Step, scenario: Scenario) -> list[WaitItem]:
    pos, keyword = step.source.pos, step.keyword
    timeouts = scenario.timeouts
    items: list[WaitItem] = []
    if isinstance(step, AdvanceStep):
        items.append(WaitItem(pos, keyword, step.seconds, "certain", "advance"))
    elif isinstance(step, SleepStep):
        items.append(WaitItem(pos, keyword, step.seconds, "certain", "sleep"))
    elif isinstance(step, WaitStep):
        items.append(WaitItem(pos, keyword, step.timeout if step.timeout is not None else timeouts.wait, "bound",
                              "wait timeout"))
    elif isinstance(step, DeleteStep):
        if step.wait:
            items.append(WaitItem(pos, keyword, step.timeout if step.timeout is not None else timeouts.delete,
                                  "bound", "delete timeout"))
    elif isinstance(step, RerunStep):
        items.append(WaitItem(pos, keyword, step.timeout if step.timeout is not None else timeouts.delete, "bound",
                              "rerun deletion timeout"))
    elif isinstance(step, ExpectStep):
        if step.stays is not None:
            items.append(WaitItem(step.stays.pos if step.stays.pos.path else pos, keyword, step.stays.seconds,
                                  "certain", "stays for"))
        if step.consistently is not None:
            items.append(WaitItem(pos, keyword, step.consistently, "certain", "consistently"))
        grace = step.grace if step.grace is not None else timeouts.grace
        if grace:
            items.append(WaitItem(pos, keyword, grace, "bound", "grace"))
    elif isinstance(step, ExpectLogsStep):
        grace = step.grace if step.grace is not None else timeouts.grace
        if grace:
            items.append(WaitItem(pos, keyword, grace, "bound", "grace"))
    return [item for item in items if item.seconds > 0]


def estimate_real_wait(scenario: Scenario) -> RealWaitEstimate:
    """The real waiting a scenario's steps (``finally`` included) imply on a real backend."""
    items = [item for step in scenario.all_steps for item in _step_items(step, scenario)]
    return RealWaitEstimate(scenario.name, tuple(items))


def judge_real_time(estimate: RealWaitEstimate, limit: float = DEFAULT_LIMIT, *, top: int = 3) -> TooSlow | None:
    """None when the scenario fits in ``limit`` seconds of certain waiting; otherwise why it does not."""
    if estimate.certain <= limit:
        return None
    certain = sorted((item for item in estimate.items if item.kind == "certain"), key=lambda i: -i.seconds)
    return TooSlow(estimate.scenario, estimate.certain, estimate.worst, limit, tuple(certain[:top]))
