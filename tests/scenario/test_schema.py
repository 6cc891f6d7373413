"""The published JSON Schema matches the loader and accepts what the loader accepts."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.scenario.defaults import DEFAULT_KEYS
from harness.scenario.expectations import EXPECT_KEYS
from harness.scenario.loader import SCENARIO_KEYS, STEP_MODIFIERS, step_parsers
from harness.scenario.schema import SCHEMA_FILE, load_shipped_schema, scenario_schema

from .test_docs_examples import example_id, examples

DATA = Path(__file__).parent / "data"


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(scenario_schema())


def test_the_shipped_schema_file_is_the_generated_schema() -> None:
    assert SCHEMA_FILE.is_file()
    assert load_shipped_schema() == scenario_schema(), \
        "regenerate: python -m harness.scenario.schema > harness/scenario/scenario.schema.json"


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(scenario_schema())


def test_the_schema_knows_every_step_keyword_of_the_loader() -> None:
    steps = scenario_schema()["$defs"]["step"]["anyOf"]
    assert sorted(next(iter(step["properties"])) for step in steps) == sorted(step_parsers())


def test_the_schema_knows_every_scenario_and_expect_key() -> None:
    defs = scenario_schema()["$defs"]
    assert sorted(defs["scenario"]["properties"]) == sorted(SCENARIO_KEYS)
    expect = next(s for s in defs["step"]["anyOf"] if "expect" in s["properties"])
    assert sorted(expect["properties"]["expect"]["properties"]) == sorted(EXPECT_KEYS)


def test_the_example_scenario_validates() -> None:
    document = yaml.safe_load((DATA / "ttl.yaml").read_text())
    assert list(validator().iter_errors(document)) == []


def test_an_unknown_step_fails_schema_validation() -> None:
    document = {"scenario": "s", "steps": [{"wiat": {"rayjob": "a", "until": "gone"}}]}
    assert list(validator().iter_errors(document))


def test_a_bad_duration_fails_schema_validation() -> None:
    document = {"scenario": "s", "steps": [{"advance": "soon"}]}
    assert list(validator().iter_errors(document))


@pytest.mark.parametrize("example", examples(), ids=example_id)
def test_every_scenario_example_in_the_docs_validates(example: str) -> None:
    document = yaml.safe_load(example)
    assert list(validator().iter_errors(document)) == []


def test_the_schema_knows_every_key_a_file_default_may_set() -> None:
    defaults = scenario_schema()["$defs"]["defaults"]["properties"]["defaults"]["properties"]
    assert sorted(defaults) == sorted(DEFAULT_KEYS)


def test_a_file_opening_with_defaults_validates() -> None:
    document = [{"defaults": {"kuberay": ">=1.5", "timeouts": {"long": "1h"}}},
                {"scenario": "s", "steps": [{"wait": {"rayjob": "a", "until": "gone", "timeout": "long"}}]}]
    assert list(validator().iter_errors(document)) == []


def test_expect_refusal_validates_beside_apply_patch_and_delete_only() -> None:
    refused = {"reason": "Invalid", "message": "immutable"}
    good = {"scenario": "s", "steps": [{"delete": {"rayjob": "a"}, "expect_refusal": refused},
                                       {"apply": "m.yaml", "expect_refusal": True}]}
    bad = {"scenario": "s", "steps": [{"wait": {"rayjob": "a", "until": "gone"}, "expect_refusal": True}]}
    assert list(validator().iter_errors(good)) == []
    assert list(validator().iter_errors(bad))
    assert sorted(STEP_MODIFIERS) == ["expect_refusal"]
