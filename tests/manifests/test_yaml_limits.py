"""YAML that could hang, exhaust memory or crash a reader is refused at its line, in manifests and scenario files.

What kubectl (go-yaml v2) refuses is refused with its words; nesting is bounded lower than go-yaml's 10,000 levels
(the readers here recurse), with a message saying so.
"""

from __future__ import annotations

import pytest
import yaml

from harness._util.yamllimits import (
    MAX_DEPTH,
    YamlLimitError,
    allowed_alias_ratio,
    check_composed,
    may_nest_deeper,
)
from harness.errors import ManifestError, ScenarioError
from harness.manifests import parse_manifests
from harness.scenario import load_text

HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"


def laughs(levels: int, width: int = 9) -> str:
    """The "billion laughs": each level lists ``width`` aliases of the level below."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def refusal(text: str) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        parse_manifests(text, "m.yaml")
    return caught.value


def test_the_billion_laughs_is_refused_as_kubectl_refuses_it_without_being_expanded() -> None:
    error = refusal(HEAD + "data:\n" + "".join("  " + line + "\n" for line in laughs(9).splitlines()))
    assert error.message == "manifest is not valid YAML: document contains excessive aliasing"
    assert error.pos is not None and error.pos.line == 8  # l3: its fifth alias tips the ratio past 99%
    assert error.hint


def test_aliases_that_repeat_a_part_a_few_times_are_expanded() -> None:
    [loaded] = parse_manifests(HEAD + "data: {a: &x hello, b: *x}\nbinaryData: &b {}\nimmutable: false\n", "m.yaml")
    assert loaded.obj["data"] == {"a": "hello", "b": "hello"}


def test_the_aliasing_limit_is_go_yamls_ratio_of_decoded_nodes() -> None:
    assert allowed_alias_ratio(1_000) == 0.99
    assert allowed_alias_ratio(4_000_000) == pytest.approx(0.10)
    assert 0.10 < allowed_alias_ratio(2_200_000) < 0.99


def test_an_anchor_whose_value_contains_itself_is_refused_at_the_alias() -> None:
    error = refusal("apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: c\n  labels: *m\n")
    assert error.message == "manifest is not valid YAML: anchor 'm' value contains itself"
    assert error.pos is not None and (error.pos.line, error.pos.column) == (5, 11)


def test_an_anchor_defined_twice_takes_its_latest_value_as_in_go_yaml() -> None:
    [loaded] = parse_manifests(HEAD + "data: {a: &x one, b: &x two, c: *x}\n", "m.yaml")
    assert loaded.obj["data"]["c"] == "two"


def test_merge_keys_still_merge() -> None:
    [loaded] = parse_manifests(HEAD + "data:\n  <<: &base {a: one}\n  b: two\n", "m.yaml")
    assert loaded.obj["data"] == {"a": "one", "b": "two"}


def test_nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep() -> None:
    error = refusal(HEAD + "data: " + "[" * 600 + "]" * 600 + "\n")
    assert error.message == f"manifest is not valid YAML: nesting deeper than {MAX_DEPTH} levels is not supported"
    assert error.pos is not None and error.pos.line == 4


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 2  # the object and its data field are two of the levels
    [loaded] = parse_manifests(HEAD + "x: " + "[" * depth + "1" + "]" * depth + "\n", "m.yaml")
    value = loaded.obj["x"]
    for _ in range(depth - 1):
        value = value[0]
    assert value == [1]


@pytest.mark.parametrize(("character", "code"), [("\x00", "0000"), ("\x01", "0001"), ("\x1b", "001b")])
def test_a_control_character_is_reported_at_its_line_and_column(character: str, code: str) -> None:
    error = refusal(HEAD + f"data: {{a: x{character}y}}\n")
    assert error.message == f"manifest is not valid YAML: control characters are not allowed (found #x{code})"
    assert error.pos is not None and (error.pos.line, error.pos.column) == (4, 12)


def test_infinity_and_nan_have_no_json_form() -> None:
    error = refusal(HEAD + "data: {a: .inf}\n")
    assert error.message == "manifest cannot be converted to JSON: json: unsupported value: +Inf"
    assert refusal(HEAD + "data: {a: .nan}\n").message.endswith("json: unsupported value: NaN")


def test_numbers_read_as_go_yaml_reads_them() -> None:
    [loaded] = parse_manifests(HEAD + "x: [1e3, 99999999999999999999999, 1e400, 0x10]\n", "m.yaml")
    assert loaded.obj["x"] == [1000, 1e23, "1e400", 16]  # beyond float64 a number stays text, as in go-yaml


@pytest.mark.parametrize("value", ["!!int abc", "!!float x", "!!bool maybe", "!!timestamp soon",
                                   "9" * 5000])
def test_a_value_its_tag_cannot_hold_is_a_yaml_error_at_its_line(value: str) -> None:
    error = refusal(HEAD + f"data:\n  a: {value}\n")
    assert error.pos is not None and error.pos.line == 5
    assert "cannot read" in error.message


def test_a_scenario_file_is_held_to_the_same_limits() -> None:
    with pytest.raises(ScenarioError) as bomb:
        load_text("scenario: s\nsteps: []\nx:\n" + "".join("  " + line + "\n" for line in laughs(9).splitlines()),
                  "s.yaml")
    assert "document contains excessive aliasing" in bomb.value.message
    with pytest.raises(ScenarioError) as control:
        load_text("scenario: s\nsteps:\n  - advance: \"\x01\"\n", "s.yaml")
    assert str(control.value.pos) == "s.yaml:3:15"
    with pytest.raises(ScenarioError) as deep:
        load_text("scenario: s\nsteps: " + "[" * 500 + "]" * 500 + "\n", "s.yaml")
    assert "nesting deeper than" in deep.value.message


def test_nesting_deep_enough_to_overflow_libyamls_composer_is_refused_without_crashing() -> None:
    # libyaml composes recursively in C: this many brackets would overflow the C stack (a segfault, not an error)
    assert may_nest_deeper("x: " + "[" * 100_000)
    error = refusal(HEAD + "x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert error.message.startswith("manifest is not valid YAML: nesting deeper than 100 levels")


def test_aliases_that_nest_anchors_in_each_other_count_toward_the_depth() -> None:
    chain = "".join(f"a{n}: &a{n} {'[' * 40}{f'*a{n - 1}' if n else 'x'}{']' * 40}\n" for n in range(4))
    error = refusal(HEAD + chain)
    assert error.message == ("manifest is not valid YAML: nesting deeper than 100 levels (aliases expanded) is not "
                             "supported")
    assert error.pos is not None and error.pos.line == 6  # a2 holds a1, which holds a0: 120 levels


def test_a_graph_composed_by_libyaml_is_held_to_the_same_limits() -> None:
    bomb = "x:\n" + "".join("  " + line + "\n" for line in laughs(9).splitlines())
    with pytest.raises(YamlLimitError, match="excessive aliasing"):
        check_composed(yaml.compose(bomb, Loader=yaml.SafeLoader))
    with pytest.raises(YamlLimitError, match="value contains itself"):
        check_composed(yaml.compose("a: &m\n  b: *m\n", Loader=yaml.SafeLoader))
    check_composed(yaml.compose(HEAD + "data: {a: &x one, b: *x}\n", Loader=yaml.SafeLoader))
