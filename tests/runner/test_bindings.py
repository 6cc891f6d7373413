"""Bindings fill ${name} references at run time, keeping the bound value's type for whole references."""

from __future__ import annotations

import pytest

from harness.runner.bindings import Bindings, UnboundBinding
from harness.scenario.model import ObjectRef


def test_a_whole_reference_keeps_the_value_type() -> None:
    bindings = Bindings({"n": 3})
    assert bindings.value({"replicas": "${n}"}) == {"replicas": 3}


def test_references_inside_text_are_interpolated() -> None:
    bindings = Bindings({"cluster": "job-x2b4c", "namespace": "ns"})
    assert bindings.text("Created RayCluster ${namespace}/${cluster}") == "Created RayCluster ns/job-x2b4c"


def test_a_doubled_dollar_writes_a_literal_reference() -> None:
    assert Bindings({"a": 1}).text("$${a} is ${a}") == "${a} is 1"


def test_references_in_keys_and_nested_lists_are_filled() -> None:
    bindings = Bindings({"c": "c1"})
    assert bindings.value({"labels": {"ray.io/cluster": "${c}"}, "names": ["${c}-head"]}) == {
        "labels": {"ray.io/cluster": "c1"}, "names": ["c1-head"]}


def test_object_references_are_resolved() -> None:
    ref = Bindings({"c": "c1"}).ref(ObjectRef("Pod", selector="ray.io/cluster=${c}"))
    assert ref.describe() == "Pods with labels ray.io/cluster=c1"


def test_an_unsaved_binding_says_which_and_why() -> None:
    with pytest.raises(UnboundBinding) as caught:
        Bindings().text("${cluster}")
    assert caught.value.message == "binding=${cluster} has no value in this run"
    assert caught.value.hint is not None and "did not run" in caught.value.hint
