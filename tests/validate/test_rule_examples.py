"""Every rule has a real failing manifest that triggers it and the same manifest fixed, which is clean.

The examples live in ``data/rules/<rule id>/{fail,pass}.yaml``. A first comment line ``# validate: FLAGS`` gives
the operator's feature gates an example needs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.validate import RULES, Report, validate_paths

from .support import RULE_EXAMPLES


def _validate(path: Path) -> Report:
    flags = re.search(r"^# validate: --feature-gates (\S+)", path.read_text(), re.MULTILINE)
    return validate_paths([str(path)], feature_gates=flags.group(1) if flags else "")


def test_every_catalogued_rule_has_a_failing_and_a_passing_example():
    examples = {str(p.parent.relative_to(RULE_EXAMPLES)) for p in RULE_EXAMPLES.rglob("*.yaml")}
    assert examples == set(RULES)
    for rule_id in RULES:
        assert {p.name for p in (RULE_EXAMPLES / rule_id).iterdir()} == {"fail.yaml", "pass.yaml"}, rule_id


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_failing_example_is_reported_under_its_rule(rule_id: str):
    report = _validate(RULE_EXAMPLES / rule_id / "fail.yaml")
    found = [f for f in report.findings if f.rule == rule_id]
    assert found, [f.rule for f in report.findings]
    assert all(f.severity.value in ("error", "warning", "note") and f.message and f.fix for f in found)
    assert all(f.pos.line > 0 or f.layer.value == "input" for f in found)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_passing_example_has_no_finding_at_all(rule_id: str):
    report = _validate(RULE_EXAMPLES / rule_id / "pass.yaml")
    assert [(f.rule, f.message) for f in report.findings] == []
    assert report.exit_code == 0


def test_the_rules_table_of_the_docs_matches_the_catalogue():
    docs = (RULE_EXAMPLES.parents[3] / "docs" / "validate.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| (\w+) \| (.+) \|$", docs, re.MULTILINE)
    assert rows == [(rule.id, rule.severity.value, rule.title) for rule in RULES.values()]
