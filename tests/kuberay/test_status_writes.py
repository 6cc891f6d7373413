"""Writes to the status subresource in the simulator: validated as the API server does, and refused as not
modelled when the simulated operator could not hold what was written."""

from __future__ import annotations

import pytest

from harness.errors import InputError, ManifestRefused
from harness.simulator import Simulator

from .builders import rayjob


@pytest.fixture
def sim(make_sim) -> Simulator:  # type: ignore[no-untyped-def]
    made: Simulator = make_sim()
    made.apply(rayjob(suspend=True, shutdownAfterJobFinishes=True))
    made.run_until(lambda: made.deployment_status("demo") == "Suspended", 60)
    return made


def test_the_simulator_refuses_an_invalid_status_write_and_keeps_the_status(sim: Simulator) -> None:
    with pytest.raises(ManifestRefused) as refused:
        sim.patch("RayJob", "demo", {"status": {"succeeded": "x"}}, subresource="status")
    assert (refused.value.code, refused.value.reason) == (422, "Invalid")
    assert sim.get("RayJob", "demo")["status"]["succeeded"] == 0


def test_a_state_the_simulated_operator_does_not_know_is_refused_as_not_modelled(sim: Simulator) -> None:
    with pytest.raises(InputError, match="the status written is not modelled by the simulator"):
        sim.patch("RayJob", "demo", {"status": {"jobDeploymentStatus": "Paused"}}, subresource="status")


def test_status_writes_of_kinds_whose_status_the_simulator_owns_are_not_modelled(sim: Simulator) -> None:
    sim.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    with pytest.raises(InputError, match="a write to the status of a Pod is not modelled"):
        sim.patch("Pod", "p", {"status": {"phase": "Failed"}}, subresource="status")
