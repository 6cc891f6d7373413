"""The report read off a journal the simulator itself produced: the lanes a person expects from a TTL run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript
from harness.report import build_timeline, render_timeline_svg
from harness.report.lanes import DELETED, TTL_MARKER, Timeline
from harness.simulator import Simulator


def _manifest() -> dict[str, Any]:
    container = {"name": "ray-head", "image": "rayproject/ray:2.46.0",
                 "ports": [{"containerPort": 8265, "name": "dashboard"}]}
    return {
        "apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": "rayjob-ttl", "namespace": "default"},
        "spec": {"entrypoint": "python -c 'print(1)'", "shutdownAfterJobFinishes": True,
                 "ttlSecondsAfterFinished": 3600,
                 "rayClusterSpec": {"rayVersion": "2.46.0",
                                    "headGroupSpec": {"rayStartParams": {},
                                                      "template": {"spec": {"containers": [container]}}}}},
    }


def _run() -> Timeline:
    sim = Simulator("1.7", executor=ScriptedExecutor(JobScript(runtime=60.0)))
    try:
        sim.apply(_manifest())
        assert sim.settle("3h")
        sim.advance("30s")
        return build_timeline(sim.journal.entries, t_end=sim.now)
    finally:
        sim.close()


def test_simulated_ttl_run_draws_the_rayjob_its_cluster_and_the_ttl() -> None:
    timeline = _run()
    deployment = next(lane for lane in timeline.lanes if lane.ref.kind == "RayJob" and lane.aspect == "deployment")
    assert [s.label for s in deployment.segments] == ["New", "Initializing", "Running", "Complete"]
    job = next(lane for lane in timeline.lanes if lane.ref.kind == "RayJob" and lane.aspect == "job")
    assert [s.label for s in job.segments][-1] == "SUCCEEDED"
    cluster = next(lane for lane in timeline.lanes if lane.ref.kind == "RayCluster")
    assert [s.label for s in cluster.segments][:2] == ["created", "ready"]
    assert cluster.marks[-1].kind == DELETED
    ttl = [m for m in timeline.markers if m.kind == TTL_MARKER]
    assert len(ttl) == 1 and ttl[0].label.startswith("TTL 1h")
    assert any(lane.ref.kind == "Job" for lane in timeline.lanes)
    assert any(lane.ref.kind == "Pod" and lane.depth == 2 for lane in timeline.lanes)


def test_simulated_ttl_run_compresses_the_hour_of_waiting() -> None:
    svg = ET.fromstring(render_timeline_svg(_run()))
    breaks = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "break"]
    assert len(breaks) == 1
    assert float(breaks[0].get("data-t1") or 0) - float(breaks[0].get("data-t0") or 0) >= 3500
