"""A report as SARIF 2.1.0, the format CI systems (GitHub code scanning and others) show inline on changes.

One run, with rayjob-harness as the tool and every catalogued rule as a reporting descriptor (id, title,
explanation, default level, layer as a tag). Each finding becomes a result at its file, line and column (code
points, as YAML positions are counted), with the object and field as a logical location and the fix after the
message. Paths under the current directory are written relative to it (``%SRCROOT%``), so that CI systems
match them to the repository; others as ``file://`` URIs.

SARIF is produced here rather than in ``harness.report``, whose records are scenario runs: a static finding has
no timeline, and validation must not pay for importing the HTML renderer.

Not here: text and JSON (:mod:`.render`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from .findings import Finding, Report
from .rules import RULES

SARIF_SCHEMA: Final = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_ROOT: Final = "%SRCROOT%"


def _location(path: str, cwd: Path) -> dict[str, Any]:
    """An artifactLocation: relative to the working directory when inside it, else a file URI."""
    if path == "<stdin>":
        return {"uri": "stdin"}
    resolved = Path(path).resolve()
    try:
        return {"uri": resolved.relative_to(cwd).as_posix(), "uriBaseId": _ROOT}
    except ValueError:
        return {"uri": resolved.as_uri()}


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    name = "".join(part.capitalize() for part in rule_id.replace("/", "-").replace(".", "-").split("-"))
    return {
        "id": rule.id, "name": name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.description},
        "defaultConfiguration": {"level": rule.severity.sarif_level},
        "properties": {"tags": [rule.layer.value]},
    }


def _result(finding: Finding, index: dict[str, int], artifacts: dict[str, int], cwd: Path) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {**_location(finding.pos.path, cwd),
                                                     "index": artifacts[finding.pos.path]}}
    if finding.pos.line > 0:
        region: dict[str, Any] = {"startLine": finding.pos.line}
        if finding.pos.column > 0:
            region["startColumn"] = finding.pos.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.obj:
        name = f"{finding.obj}:{finding.path}" if finding.path else finding.obj
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "object"}]
    return {
        "ruleId": finding.rule, "ruleIndex": index[finding.rule], "level": finding.severity.sarif_level,
        "message": {"text": f"{finding.message}\nFix: {finding.fix}"},
        "locations": [location],
        "properties": {"fix": finding.fix, "layer": finding.layer.value},
    }


def render_sarif(report: Report, tool_version: str, *, cwd: Path | None = None) -> str:
    cwd = (cwd or Path.cwd()).resolve()
    rule_ids = list(RULES)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    paths = list(dict.fromkeys([*report.files, *(f.pos.path for f in report.findings)]))
    artifacts = {path: i for i, path in enumerate(paths)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "rayjob-harness", "version": tool_version, "semanticVersion": tool_version,
                            "rules": [_rule_descriptor(rule_id) for rule_id in rule_ids]}},
        "invocations": [{"executionSuccessful": not report.unreadable, "exitCode": report.exit_code}],
        "artifacts": [{"location": _location(path, cwd)} for path in paths],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index, artifacts, cwd) for f in report.findings],
        "properties": {"kuberayVersion": report.kuberay_version, "strict": report.strict},
    }
    if any(_location(path, cwd).get("uriBaseId") for path in paths):
        run["originalUriBaseIds"] = {_ROOT: {"uri": cwd.as_uri() + "/"}}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False)
