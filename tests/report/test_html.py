"""The report folder and its HTML page: the timeline picture read back as SVG, plus header, steps, failure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report import StepRecord, write_scenario_report

from .builders import World, rayjob, report_for, ttl_lifecycle

SVG = "{http://www.w3.org/2000/svg}"
CLUSTER = "rayjob-sample-x7k2p"


def _page(tmp_path: Path, world: World, **kwargs: object) -> str:
    folder = write_scenario_report(report_for(world, **kwargs), tmp_path)  # type: ignore[arg-type]
    return (folder / "report.html").read_text(encoding="utf-8")


def _svg(page: str) -> ET.Element:
    match = re.search(r"<svg .*?</svg>", page, re.S)
    assert match is not None
    return ET.fromstring(match.group(0))


def _groups(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def _lane(svg: ET.Element, ref: str, aspect: str) -> ET.Element:
    return next(g for g in _groups(svg, "lane") if g.get("data-object") == ref and g.get("data-aspect") == aspect)


def _segments(lane: ET.Element) -> list[tuple[str, float]]:
    out = []
    for seg in _groups(lane, "segment"):
        rect = seg.find(f"{SVG}rect")
        assert rect is not None
        out.append((seg.get("data-state") or "", float(rect.get("x") or "nan")))
    return out


def _ttl_world() -> World:
    world = World()
    ttl_lifecycle(world)
    world.at(3700.0).action("advance", detail="30s")
    return world


def test_report_folder_holds_journal_timeline_and_page(tmp_path: Path) -> None:
    world = _ttl_world()
    folder = write_scenario_report(report_for(world, name="ttl cleanup/v1"), tmp_path)
    assert folder == tmp_path / "ttl-cleanup-v1"
    assert sorted(p.name for p in folder.iterdir()) == ["journal.jsonl", "report.html", "timeline.txt"]
    assert len((folder / "journal.jsonl").read_text().splitlines()) == len(world.journal.entries)
    assert (folder / "timeline.txt").read_text().splitlines()[0] == "   0.000s  >> apply RayJob/default/rayjob-sample"


def test_page_is_well_formed_and_self_contained(tmp_path: Path) -> None:
    page = _page(tmp_path, _ttl_world())
    ET.fromstring(page.split("\n", 1)[1])  # everything after the doctype parses as XML
    assert "<script" not in page
    assert not re.search(r'(src|href)="', page)
    assert re.findall(r"https?://[^\"]+", page) == ["http://www.w3.org/2000/svg"]


def test_picture_has_one_lane_per_object_aspect_labelled_with_kind_and_name(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    lanes = [(g.get("data-object"), g.get("data-aspect")) for g in _groups(svg, "lane")]
    assert lanes == [
        ("RayJob/default/rayjob-sample", "deployment"), ("RayJob/default/rayjob-sample", "job"),
        (f"RayCluster/default/{CLUSTER}", "state"), (f"Pod/default/{CLUSTER}-head-9zt4q", "phase"),
        (f"Pod/default/{CLUSTER}-small-group-worker-b5k8w", "phase"),
        (f"Service/default/{CLUSTER}-head-svc", "presence"), ("Job/default/rayjob-sample", "state"),
        ("Pod/default/rayjob-sample-q7w2c", "phase"), ("RayJob/default/rayjob-sample", "events")]
    label = _lane(svg, f"RayCluster/default/{CLUSTER}", "state").find(f"{SVG}text")
    assert label is not None and "".join(label.itertext()).endswith(f"RayCluster {CLUSTER}")


def test_state_segments_appear_in_time_order_from_left_to_right(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    deployment = _segments(_lane(svg, "RayJob/default/rayjob-sample", "deployment"))
    assert [s for s, _ in deployment] == ["New", "Initializing", "Running", "Complete"]
    cluster = _segments(_lane(svg, f"RayCluster/default/{CLUSTER}", "state"))
    assert [s for s, _ in cluster] == ["created", "ready", "deleting"]
    for segments in (deployment, cluster):
        xs = [x for _, x in segments]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)


def test_segments_are_coloured_by_tone(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    tones = {g.get("data-state"): (g.get("class") or "").split()[1] for g in _groups(svg, "segment")}
    assert tones["Complete"] == tones["SUCCEEDED"] == tones["Succeeded"] == "tone-success"
    assert tones["Running"] == tones["ready"] == "tone-running"
    assert tones["Initializing"] == tones["Pending"] == "tone-pending"


def test_a_segment_wide_enough_shows_its_label_and_every_segment_has_a_hover_title(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    running = next(g for g in _groups(svg, "segment") if g.get("data-state") == "Running")
    assert "Running" in [t.text for t in running.iter(f"{SVG}text")]
    assert all(g.find(f"{SVG}title") is not None for g in _groups(svg, "segment"))


def test_harness_actions_are_vertical_markers_at_their_times(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    actions = [(g.get("data-label"), float(g.get("data-t") or "nan")) for g in _groups(svg, "action")]
    assert actions == [("apply", 0.0), ("advance 30s", 3700.0)]
    line = _groups(svg, "action")[0].find(f"{SVG}line")
    assert line is not None and line.get("x1") == line.get("x2")


def test_ttl_cleanup_is_marked(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    assert [(g.get("data-label"), g.get("data-t")) for g in _groups(svg, "ttl")] == [("TTL 1h", "3661.0")]


def test_deletions_are_marked_on_the_objects_lane(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    lane = _lane(svg, f"RayCluster/default/{CLUSTER}", "state")
    assert [(g.get("class"), g.get("data-t")) for g in _groups(lane, "mark")] == [
        ("mark deletion", "3661.0"), ("mark deleted", "3662.0")]


def test_events_are_ticks_with_hover_titles(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    events = _groups(_lane(svg, "RayJob/default/rayjob-sample", "events"), "event")
    assert [g.get("data-reason") for g in events] == ["CreatedRayCluster", "CreatedRayJobSubmitter",
                                                      "DeletedRayCluster"]
    title = events[0].find(f"{SVG}title")
    assert title is not None and "Created RayCluster default/" in (title.text or "")


def test_a_long_idle_gap_is_drawn_as_a_compressed_break(tmp_path: Path) -> None:
    svg = _svg(_page(tmp_path, _ttl_world()))
    breaks = _groups(svg, "break")
    assert [(g.get("data-t0"), g.get("data-t1")) for g in breaks] == [("61.0", "3661.0")]
    assert "1h" in [t.text for t in breaks[0].iter(f"{SVG}text")]
    running = next(x for s, x in _segments(_lane(svg, "RayJob/default/rayjob-sample", "deployment"))
                   if s == "Running")
    complete = next(x for s, x in _segments(_lane(svg, "RayJob/default/rayjob-sample", "deployment"))
                    if s == "Complete")
    assert complete - running > 300  # a minute of work keeps most of the width despite the hour after it


def test_a_short_run_has_no_break(tmp_path: Path) -> None:
    world = World()
    ttl_lifecycle(world, ttl=30.0)
    assert _groups(_svg(_page(tmp_path, world)), "break") == []


def test_header_steps_and_failure_are_below_the_picture(tmp_path: Path) -> None:
    steps = (StepRecord(1, "wait: {rayjob: rayjob-sample}", 0.0, 61.0, "passed"),
             StepRecord(2, "expect: {absent: [RayCluster]}", 61.0, 62.0, "failed", "RayCluster still present"))
    page = _page(tmp_path, _ttl_world(), status="failed", failure="step 2 failed: RayCluster <x> & co",
                 steps=steps)
    assert page.index("</svg>") < page.index("<h2>Scenario</h2>") < page.index("<h2>Steps</h2>")
    assert '<tr class="step-failed">' in page and '<tr class="step-passed">' in page
    assert '<pre class="failure">step 2 failed: RayCluster &lt;x&gt; &amp; co</pre>' in page
    for fact in ("scenarios/ttl-cleanup.yaml", "sim", "scripted", "1.4.2", "1h1m40s"):
        assert f"<td>{fact}" in page


def test_the_text_timeline_closes_the_page(tmp_path: Path) -> None:
    page = _page(tmp_path, _ttl_world())
    assert "  61.000s  RayJob/default/rayjob-sample  MODIFIED  jobDeploymentStatus: Running -&gt; Complete" in page


def test_an_empty_journal_still_renders_a_page(tmp_path: Path) -> None:
    page = _page(tmp_path, World(), status="error", failure="backend failed to start")
    assert "no objects observed" in page and "(no journal entries)" in page


def test_with_several_rayjobs_a_marker_is_emphasised_over_its_own_group(tmp_path: Path) -> None:
    world = World()
    ttl_lifecycle(world, job="first", ttl=30.0)
    world.at(100.0).action("apply", "RayJob", "second")
    world.put(rayjob("second"))
    svg = _svg(_page(tmp_path, world))
    marker = next(g for g in _groups(svg, "action") if g.get("data-t") == "100.0")
    faint, focus = marker.findall(f"{SVG}line")
    assert faint.get("stroke-opacity") == "0.3"
    lane = _lane(svg, "RayJob/default/second", "deployment")
    lane_top = float(lane.find(f"{SVG}rect").get("y"))  # type: ignore[union-attr,arg-type]
    assert float(focus.get("y1") or 0) <= lane_top <= float(focus.get("y2") or 0)
    assert float(focus.get("y1") or 0) > float(faint.get("y1") or 0)


def test_a_run_over_in_an_instant_stretches_its_final_states_across_the_picture(tmp_path: Path) -> None:
    world = World()
    world.action("apply", "RayJob", "bad")
    world.put(rayjob("bad"))
    world.update("RayJob", "bad", status={"jobDeploymentStatus": "ValidationFailed", "reason": "ValidationFailed"})
    svg = _svg(_page(tmp_path, world, status="failed", failure="entrypoint is required"))
    final = _groups(_lane(svg, "RayJob/default/bad", "deployment"), "segment")[-1]
    rect = final.find(f"{SVG}rect")
    assert final.get("data-state") == "ValidationFailed"
    assert rect is not None and float(rect.get("width") or 0) > 500
    assert "ValidationFailed" in [t.text for t in final.iter(f"{SVG}text")]


def test_lanes_beyond_the_limit_are_announced_under_the_picture() -> None:
    from harness.report import build_timeline, render_timeline_svg

    world = World()
    ttl_lifecycle(world)
    svg = ET.fromstring(render_timeline_svg(build_timeline(world.journal.entries, max_lanes=4)))
    assert len(_groups(svg, "lane")) == 4
    note = next(t for t in svg.iter(f"{SVG}text") if t.get("class") == "hidden-note")
    assert (note.text or "").startswith("… 5 more lanes not drawn")
