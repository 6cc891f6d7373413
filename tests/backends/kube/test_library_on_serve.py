"""The shipped scenario library through the Kubernetes backend against ``rayjob-harness serve`` gives what the
in-process simulator gives: the same verdict for every scenario, and the same normalised journal.

Both sides run the scripted executor, on one server: the backend restarts the server's operator with each
scenario's settings, and injects its faults through the server's controls.

The journal is compared with the in-process run in which a wait ends with the instant its condition came true
(:class:`WholeInstantWaits`): the server's clock moves by whole instants, with no way to stop between two timers
due at the same time, and the backend checks a wait's condition against every state each instant went through.
Where no wait ends inside an instant, that run's journal is the plain in-process journal.

Where the server lacks what a scenario needs, the verdict may differ only by saying exactly that:

- the driver log (a file on the head pod) needs ``services/proxy`` or ``pods/exec``, which the server lacks;
- a RayCronJob's schedule follows the minutes of each run's own clock: its journal is not compared;
- a user's ``ray job submit`` needs ``services/proxy`` too: the scenario is skipped, saying so;
- scripted ``attempts`` are refused by the server's job-scripts control: the scenario is skipped, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.backends.base import BackendSettings
from harness.backends.sim import SimBackend
from harness.cli.run import load_all
from harness.executors import ExecutorSettings
from harness.journal import diff_runs
from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario
from harness.scenario import Scenario

from ..servers import serve

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios"
SCENARIOS, _ = load_all([LIBRARY])
IDS = [scenario.name for scenario in SCENARIOS]
SERVER_GAPS = {  # what the Kubernetes run says when it meets one, and what is missing
    r"the API server serves neither services/proxy \(the dashboard's job logs\) nor pods/exec":
        "no services/proxy or pods/exec to read the driver log with",
    # A driver log read right after a wait that ended as the RayCluster's deletion began: in-process the wait stops
    # before the deletion, on the server the whole instant runs (and the log could not be read there anyway).
    r"head pod \S+ of RayJob/\S+ is being deleted, and the driver log with it":
        "no driver log on the server, whose head pod is already being deleted when the wait's instant ends",
    r"backend=kube cannot run the ray_job_submit step at \S+ \(it lacks the ray_job_submit capability\)":
        "no services/proxy to submit a Ray job through",
    r"the server refused the scenario's job scripts: .*unknown field 'attempts'":
        "no scripted attempts in the server's job scripts",
}


# Journals whose order within one instant depends on the virtual instant the run starts at: the server's clock has
# run every scenario before this one, and instants are float sums (start + 1223.2 + 0.8 against start + 1221 + 3
# may or may not be one instant). Here the RayJob's requeue and the submitter's `ray job submit` meet at 1224 s
# in-process and not on the server, which then never observes the job PENDING. Verdicts are still compared.
INSTANT_SENSITIVE = {
    "an-image-that-becomes-pullable-lets-the-rayjob-run":
        "the RayJob's requeue meets the submission at one instant in-process only (float sums from another start)",
}


class WholeInstantWaits(SimBackend):
    """The in-process simulator, except that a wait ends with the instant in which its condition came true."""

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        held = self.sim.run_until(condition, timeout)
        if held:
            self.sim.clock.run(until=self.sim.clock.now)  # the rest of the instant
        return held


def _whole_instants(scenario: Scenario, options: RunOptions) -> SimBackend:
    executor = ExecutorSettings(name="scripted", scripts=scenario.executor, path_map=scenario.paths)
    return WholeInstantWaits(BackendSettings(kuberay_version="1.7", executor=executor,
                                             operator_env=scenario.operator.env,
                                             feature_gates=scenario.operator.feature_gates))


@dataclass(frozen=True)
class Runs:
    in_process: ScenarioResult
    whole_instants: ScenarioResult
    through_kube: ScenarioResult

    @property
    def same_verdict(self) -> bool:
        return (self.through_kube.status, self.through_kube.summary) == (self.in_process.status,
                                                                         self.in_process.summary)

    @property
    def gap(self) -> str | None:
        """The server gap that made the Kubernetes run's verdict differ, if one did."""
        if self.same_verdict:
            return None
        text = f"{self.through_kube.summary or ''}\n{self.through_kube.failure or ''}"
        return next((what for said, what in SERVER_GAPS.items() if re.search(said, text)), None)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Scenario], Runs]]:
    """Each scenario run three ways, once, against one server."""
    done: dict[str, Runs] = {}
    with serve(Path(tmp_path_factory.mktemp("serve"))) as server:

        def run(scenario: Scenario) -> Runs:
            if scenario.name not in done:
                done[scenario.name] = Runs(
                    in_process=run_scenario(scenario, RunOptions(executor="scripted"), create_backend),
                    whole_instants=run_scenario(scenario, RunOptions(executor="scripted"), _whole_instants),
                    through_kube=run_scenario(scenario, RunOptions(backend="kube", kubeconfig=server.kubeconfig),
                                              create_backend))
            return done[scenario.name]

        yield run


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_a_shipped_scenario_has_its_in_process_verdict_through_the_kubernetes_backend(scenario, runs):
    result = runs(scenario)
    kube = result.through_kube
    if result.gap is None:
        assert result.same_verdict, (kube.status, kube.summary, kube.failure)
    else:
        assert kube.status in ("failed", "skipped", "error")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_a_shipped_scenario_has_its_in_process_journal_through_the_kubernetes_backend(scenario, runs):
    result = runs(scenario)
    if result.gap is not None:
        pytest.skip(f"the server lacks what the scenario needs: {result.gap}")
    if result.in_process.status == "skipped":
        pytest.skip(f"skipped on both sides: {result.in_process.summary}")
    reference, kube = result.whole_instants, result.through_kube
    if scenario.name in INSTANT_SENSITIVE:
        pytest.skip(f"journal not comparable: {INSTANT_SENSITIVE[scenario.name]}")
    if any(entry.kind == "RayCronJob" for entry in reference.journal_entries):
        pytest.skip("a RayCronJob's ticks fall on the wall clock's minutes, which the two runs start at differently "
                    "(the server's clock has run every scenario before this one): verdicts compared only")
    diff = diff_runs(reference.journal_entries, kube.journal_entries, first_namespace=reference.namespace,
                     second_namespace=kube.namespace)
    assert not diff, "\n".join(diff)
