"""JUnit XML: parses with xml.etree, counts outcomes, carries failures, errors and skips where they belong."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from harness.report import ScenarioReport, StepRecord, write_junit_xml

from .builders import World, report_for, ttl_lifecycle


def _reports() -> list[ScenarioReport]:
    world = World()
    ttl_lifecycle(world)
    passed = report_for(world, name="ttl-cleanup")
    failed = report_for(world, name="suspend-resume", status="failed",
                        failure="step 2 failed: expected jobDeploymentStatus=Suspended\n  Hint: check spec.suspend",
                        steps=(StepRecord(1, "apply", 0.0, 0.0, "passed"),
                               StepRecord(2, "wait: {until: Suspended}", 0.0, 300.0, "failed", "timed out")))
    errored = report_for(world, name="bad-manifest", status="error", failure="manifest rejected \x1b[31mred\x1b[0m")
    skipped = replace(report_for(World(), name="kind-only", status="skipped", failure="needs backend kube"),
                      backend="kube", executor="cluster")
    return [passed, failed, errored, skipped]


def _root(tmp_path: Path) -> ET.Element:
    path = tmp_path / "out" / "junit.xml"
    write_junit_xml(_reports(), path)
    return ET.parse(path).getroot()


def _case(root: ET.Element, name: str) -> ET.Element:
    case = root.find(f".//testcase[@name='{name}']")
    assert case is not None
    return case


def test_root_counts_every_outcome(tmp_path: Path) -> None:
    root = _root(tmp_path)
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "4", "failures": "1", "errors": "1", "skipped": "1"}


def test_suites_group_runs_by_backend_and_executor(tmp_path: Path) -> None:
    suites = _root(tmp_path).findall("testsuite")
    assert [(s.get("name"), s.get("tests")) for s in suites] == [
        ("rayjob-harness.sim.scripted", "3"), ("rayjob-harness.kube.cluster", "1")]


def test_a_passed_scenario_has_no_failure_child_and_a_wall_time(tmp_path: Path) -> None:
    case = _case(_root(tmp_path), "ttl-cleanup")
    assert case.find("failure") is None and case.find("error") is None
    assert case.get("time") == "0.012"
    assert case.get("classname") == "scenarios.ttl-cleanup"
    assert case.get("file") == "scenarios/ttl-cleanup.yaml"


def test_a_failed_scenario_carries_its_message_and_failed_step(tmp_path: Path) -> None:
    failure = _case(_root(tmp_path), "suspend-resume").find("failure")
    assert failure is not None
    assert failure.get("message") == "step 2 failed: expected jobDeploymentStatus=Suspended"
    assert "Hint: check spec.suspend" in (failure.text or "")
    assert "step 2 failed: wait: {until: Suspended}\ntimed out" in (failure.text or "")


def test_an_errored_scenario_is_an_error_with_escape_codes_removed(tmp_path: Path) -> None:
    error = _case(_root(tmp_path), "bad-manifest").find("error")
    assert error is not None and error.get("message") == "manifest rejected red"


def test_a_skipped_scenario_says_why(tmp_path: Path) -> None:
    skipped = _case(_root(tmp_path), "kind-only").find("skipped")
    assert skipped is not None and skipped.get("message") == "needs backend kube"


def test_properties_and_output_carry_backend_virtual_time_and_timeline(tmp_path: Path) -> None:
    case = _case(_root(tmp_path), "ttl-cleanup")
    props = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
    assert props["backend"] == "sim" and props["kuberay_version"] == "1.4.2"
    assert props["virtual_time"] == "3662.000"
    out = case.find("system-out")
    assert out is not None and "  61.000s  RayJob/default/rayjob-sample  MODIFIED" in (out.text or "")
