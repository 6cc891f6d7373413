"""YAML with positions: every value keeps its line and column."""

from __future__ import annotations

from harness.errors import SourcePos
from harness.scenario.source import node_from_value, source_from_text


def test_nested_values_keep_their_line_and_column() -> None:
    source = source_from_text("a:\n  b: [1, {c: x}]\n", "f.yaml")
    [doc] = source.documents
    inner = doc.fields["a"].fields["b"].items[1].fields["c"]
    assert (inner.value, inner.pos) == ("x", SourcePos("f.yaml", 2, 14))
    assert doc.fields["a"].pos_of_key("b") == SourcePos("f.yaml", 2, 3)


def test_merge_keys_are_resolved_as_safe_load_does() -> None:
    source = source_from_text("base: &b {x: 1}\nmine:\n  <<: *b\n  y: 2\n", "f.yaml")
    assert source.documents[0].value["mine"] == {"x": 1, "y": 2}


def test_a_block_mapping_ends_on_its_last_content_line() -> None:
    source = source_from_text("- a: 1\n  b:\n    c: 2\n\n- d: 3\n", "f.yaml")
    first, second = source.documents[0].items
    assert (first.pos.line, first.end_line) == (1, 3)
    assert (second.pos.line, second.end_line) == (5, 5)


def test_snippets_number_their_lines() -> None:
    source = source_from_text("one\ntwo\nthree\n", "f.yaml")
    assert source.snippet(2, 3) == "2 | two\n3 | three"


def test_python_values_become_nodes_pointing_at_one_place() -> None:
    node = node_from_value({"wait": {"rayjob": "a", "until": ("x", "y")}}, SourcePos("t.py", 7))
    assert node.fields["wait"].fields["until"].value == ["x", "y"]
    assert node.fields["wait"].pos == SourcePos("t.py", 7)
