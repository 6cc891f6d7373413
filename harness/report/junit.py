"""JUnit XML for CI systems: one ``<testcase>`` per scenario run, grouped by backend and executor.

The layout is the common denominator that Jenkins, GitLab, GitHub annotations and Buildkite read:
``<testsuites>`` / ``<testsuite>`` / ``<testcase classname name file time>`` with ``<failure>``, ``<error>``
or ``<skipped>`` children, and ``<system-out>`` holding the steps and the tail of the text timeline. ``time``
is wall-clock seconds (what CI budgets); virtual time goes into a property. Free text is stripped of characters
XML cannot carry, so a log with colour codes never makes the file unreadable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Final

from ._text import clean, first_line
from .model import ERROR, FAILED, SKIPPED, ScenarioReport
from .timeline_text import render_text_timeline

SUITES_NAME: Final = "rayjob-harness"
TIMELINE_TAIL: Final = 200


def _seconds(value: float) -> str:
    return f"{max(0.0, value):.3f}"


def _classname(report: ScenarioReport) -> str:
    """``scenarios.ttl-cleanup`` from ``scenarios/ttl-cleanup.yaml``: CI tools group tests by it."""
    if not report.file:
        return SUITES_NAME
    path = PurePosixPath(report.file.replace("\\", "/"))
    parts = [p for p in path.with_suffix("").parts if p not in ("/", ".", "..")]
    return ".".join(parts) or SUITES_NAME


def _failure_text(report: ScenarioReport) -> str:
    text = report.failure or ""
    for step in report.failed_steps:
        text += f"\n\nstep {step.index} {step.status}: {step.text}"
        if step.message:
            text += f"\n{step.message}"
    return clean(text.strip()) or report.status


def _system_out(report: ScenarioReport) -> str:
    lines = [f"{report.name} on {report.backend}/{report.executor}, KubeRay {report.kuberay_version}, "
             f"virtual {report.duration_virtual:.3f}s, wall {report.duration_wall:.3f}s"]
    for step in report.steps:
        lines.append(f"  step {step.index} {step.status:<7} {step.t_start:9.3f}s  {first_line(step.text, 120)}")
    tail = render_text_timeline(report.journal_entries, limit=TIMELINE_TAIL)
    if tail:
        shown = min(TIMELINE_TAIL, len(report.journal_entries))
        lines += ["", f"timeline (last {shown} of {len(report.journal_entries)} entries):", tail]
    return clean("\n".join(lines))


def _testcase(report: ScenarioReport) -> ET.Element:
    case = ET.Element("testcase", {"classname": _classname(report), "name": clean(report.name),
                                   "time": _seconds(report.duration_wall)})
    if report.file:
        case.set("file", clean(report.file))
    props = ET.SubElement(case, "properties")
    for name, value in (("backend", report.backend), ("executor", report.executor),
                        ("kuberay_version", report.kuberay_version), ("namespace", report.namespace),
                        ("virtual_time", _seconds(report.duration_virtual))):
        if value:
            ET.SubElement(props, "property", {"name": name, "value": clean(value)})
    if report.status in (FAILED, ERROR):
        text = _failure_text(report)
        tag, kind = ("failure", "ScenarioFailure") if report.status == FAILED else ("error", "ScenarioError")
        child = ET.SubElement(case, tag, {"message": first_line(text), "type": kind})
        child.text = text
    elif report.status == SKIPPED:
        ET.SubElement(case, "skipped", {"message": first_line(report.failure or "") or "skipped"})
    out = ET.SubElement(case, "system-out")
    out.text = _system_out(report)
    return case


def _counts(reports: Sequence[ScenarioReport]) -> dict[str, str]:
    return {
        "tests": str(len(reports)),
        "failures": str(sum(r.status == FAILED for r in reports)),
        "errors": str(sum(r.status == ERROR for r in reports)),
        "skipped": str(sum(r.status == SKIPPED for r in reports)),
        "time": _seconds(sum(r.duration_wall for r in reports)),
    }


def junit_tree(reports: Sequence[ScenarioReport]) -> ET.ElementTree:
    """The JUnit document: one ``<testsuite>`` per (backend, executor), in order of first appearance."""
    root = ET.Element("testsuites", {"name": SUITES_NAME, **_counts(reports)})
    groups: dict[tuple[str, str], list[ScenarioReport]] = {}
    for report in reports:
        groups.setdefault((report.backend, report.executor), []).append(report)
    for (backend, executor), members in groups.items():
        suite = ET.SubElement(root, "testsuite", {"name": f"{SUITES_NAME}.{backend}.{executor}", **_counts(members)})
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "backend", "value": clean(backend)})
        ET.SubElement(props, "property", {"name": "executor", "value": clean(executor)})
        for report in members:
            suite.append(_testcase(report))
    tree = ET.ElementTree(root)
    ET.indent(tree, space="  ")
    return tree


def write_junit_xml(reports: Sequence[ScenarioReport], path: Path) -> None:
    """Write the JUnit XML for ``reports`` to ``path`` (parent folders are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    junit_tree(reports).write(tmp, encoding="utf-8", xml_declaration=True)
    tmp.replace(path)
