"""Where a field that is unknown at one level belongs: the nearest place the schema has it."""

from __future__ import annotations

import pytest

from harness.manifests.placement import placement
from harness.manifests.schema import crd_version

RAYJOB = crd_version("RayJob", "ray.io/v1")
assert RAYJOB is not None


@pytest.mark.parametrize(("written", "meant"), [
    ("spec.rayVersion", "spec.rayClusterSpec.rayVersion"),
    ("spec.headGroupSpec", "spec.rayClusterSpec.headGroupSpec"),
    ("spec.rayClusterSpec.headGroupSpec.template.containers",
     "spec.rayClusterSpec.headGroupSpec.template.spec.containers"),
    ("spec.rayClusterSpec.workerGroupSpecs[0].image",
     "spec.rayClusterSpec.workerGroupSpecs[0].template.spec.containers[*].image"),
    ("spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].containerPort",
     "spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].ports[*].containerPort"),
])
def test_a_field_written_at_the_wrong_level_is_found_where_it_belongs(written, meant):
    found = placement(RAYJOB.root, written)
    assert found is not None and found.path == meant


def test_the_placement_carries_the_schema_of_the_place_it_belongs():
    found = placement(RAYJOB.root, "spec.rayVersion")
    assert found is not None and found.node.type == "string"


@pytest.mark.parametrize("written", ["spec.output", "spec.runtimeEnv", "spec.bogus", ""])
def test_a_field_the_schema_has_nowhere_has_no_placement(written):
    assert placement(RAYJOB.root, written) is None
