"""Comparing the journals of two runs: what differs by nature is normalised away, what differs in behaviour is not."""

from __future__ import annotations

from collections.abc import Callable

from harness.journal import comparable, diff_runs
from harness.simulator import Simulator

from .builders import rayjob


def _run(make_sim: Callable[..., Simulator], **kwargs: object) -> Simulator:
    sim = make_sim(**kwargs)
    sim.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=10))
    assert sim.settle()
    return sim


def test_two_runs_with_different_name_seeds_compare_equal(make_sim):
    first, second = _run(make_sim, seed=1), _run(make_sim, seed=2)
    assert first.rayjob("demo").status.job_id != second.rayjob("demo").status.job_id
    assert diff_runs(first.journal, second.journal) == []


def test_a_different_outcome_shows_in_the_diff(make_sim):
    passed, failed = _run(make_sim), _run(make_sim, exit_code=1)
    diff = diff_runs(passed.journal, failed.journal)
    assert any(line.startswith("+") and '"FAILED"' in line for line in diff)


def test_generated_suffixes_become_numbered_placeholders_in_order_of_appearance(make_sim):
    sim = _run(make_sim)
    entries = comparable(sim.journal)
    job_ids = [e["changes"]["status.jobId"][1] for e in entries if "status.jobId" in e.get("changes", {})]
    assert job_ids[0] == "demo-<1>"


def test_a_run_namespace_is_replaced_so_runs_in_two_namespaces_compare_equal(make_sim):
    first, second = make_sim(), make_sim()
    for sim, namespace in ((first, "run-a"), (second, "run-b")):
        sim.apply(rayjob(), namespace=namespace)
        assert sim.settle()
    assert diff_runs(first.journal, second.journal, first_namespace="run-a", second_namespace="run-b") == []


def test_times_can_be_left_out_for_a_backend_whose_time_is_real(make_sim):
    slow, fast = _run(make_sim, runtime=60.0), _run(make_sim, runtime=5.0)
    assert diff_runs(slow.journal, fast.journal) != []
    assert all("t" not in entry for entry in comparable(slow.journal, times=False))
