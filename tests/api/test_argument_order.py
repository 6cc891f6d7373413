"""The Simulator and the Backend protocol take the same arguments in the same order: the object first, then
keyword-only ``namespace=``; and both wait for a deletion by default, as ``kubectl delete`` does."""

from __future__ import annotations

import inspect

import pytest

from harness.backends.base import Backend
from harness.simulator import Simulator

SHARED = ("get", "list", "patch", "delete", "pod_logs", "driver_log")


def _parameters(cls: type, method: str) -> list[inspect.Parameter]:
    return list(inspect.signature(getattr(cls, method)).parameters.values())[1:]  # without self


@pytest.mark.parametrize("method", SHARED)
def test_positional_arguments_come_in_the_same_order(method):
    positional = [[p.annotation for p in _parameters(cls, method) if p.kind is p.POSITIONAL_OR_KEYWORD]
                  for cls in (Simulator, Backend)]
    assert positional[0] == positional[1]


@pytest.mark.parametrize("cls", [Simulator, Backend])
@pytest.mark.parametrize("method", SHARED)
def test_the_namespace_is_keyword_only(cls, method):
    [namespace] = [p for p in _parameters(cls, method) if p.name == "namespace"]
    assert namespace.kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("cls", [Simulator, Backend])
def test_delete_waits_by_default(cls):
    assert inspect.signature(cls.delete).parameters["wait"].default is True


def test_a_simulator_delete_waits_until_the_object_is_gone():
    with Simulator() as sim:
        sim.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}})
        sim.delete("ConfigMap", "c")
        assert sim.get("ConfigMap", "c") is None
