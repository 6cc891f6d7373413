"""A report as people and scripts read it: text (``file:line:column: severity: message [rule]``) and JSON.

Text output puts each finding on one line in the form compilers use, so editors and CI logs link it to the place,
then the offending source line with a caret and the fix; a summary line closes it. Colour is used only on a
terminal and never when ``NO_COLOR`` is set. Lines are never wrapped or truncated: piping gives the same text.

JSON output is one document: the findings with their place, rule, layer, severity, message and fix, and a summary
with the exit code, for scripts that want more than the exit code.

Not here: SARIF (:mod:`.sarif`).
"""

from __future__ import annotations

import json
from typing import Any, Final

from .findings import Finding, Layer, Report, Severity

_COLOURS: Final = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.NOTE: "\033[1;36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _snippet(finding: Finding, lines: list[str]) -> list[str]:
    if not 0 < finding.pos.line <= len(lines):
        return []
    line = lines[finding.pos.line - 1].rstrip()
    width = len(str(finding.pos.line))
    caret = " " * max(finding.pos.column - 1, 0) + "^"
    return [f"  {finding.pos.line} | {line}", f"  {' ' * width} | {caret}"]


def render_text(report: Report, *, colour: bool = False) -> str:
    """Every finding with its source line and fix, then a summary line."""
    split: dict[str, list[str]] = {}
    paint = (lambda text, style: f"{style}{text}{_RESET}") if colour else (lambda text, style: text)
    lines: list[str] = []
    for finding in report.findings:
        severity = paint(f"{finding.severity.value}:", _COLOURS[finding.severity])
        lines.append(f"{paint(str(finding.pos) + ':', _BOLD)} {severity} {finding.message} "
                     f"{paint('[' + finding.rule + ']', _DIM)}")
        if finding.pos.path not in split:
            split[finding.pos.path] = report.texts.get(finding.pos.path, "").splitlines()
        lines += _snippet(finding, split[finding.pos.path])
        lines.append(f"  fix: {finding.fix}")
    lines.append(summary_line(report))
    return "\n".join(lines)


def summary_line(report: Report) -> str:
    files = _plural(len(report.files), "file")
    checked = f"{_plural(report.objects, 'object')} in {files}, KubeRay {report.kuberay_version}"
    if not report.findings:
        return f"No problems found ({checked})."
    parts = [_plural(report.errors, "error"), _plural(report.warnings, "warning")]
    if report.notes:
        parts.append(_plural(report.notes, "note"))
    strict = "; --strict counts warnings as errors" if report.strict else ""
    unread = sum(f.layer == Layer.INPUT for f in report.findings)
    incomplete = f"; {_plural(unread, 'input')} unreadable or empty, so not checked" if unread else ""
    return f"Found {', '.join(parts)} ({checked}{strict}{incomplete})."


def finding_json(finding: Finding) -> dict[str, Any]:
    return {"file": finding.pos.path, "line": finding.pos.line, "column": finding.pos.column,
            "rule": finding.rule, "layer": finding.layer.value, "severity": finding.severity.value,
            "message": finding.message, "fix": finding.fix, "object": finding.obj, "path": finding.path}


def render_json(report: Report, tool_version: str) -> str:
    document = {
        "tool": "rayjob-harness", "version": tool_version, "kuberayVersion": report.kuberay_version,
        "strict": report.strict, "files": list(report.files), "objects": report.objects,
        "summary": {"errors": report.errors, "warnings": report.warnings, "notes": report.notes,
                    "exitCode": report.exit_code},
        "findings": [finding_json(f) for f in report.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
