"""Naming kinds as people do: Kind, lower case, plural, short name or qualified resource."""

from __future__ import annotations

import pytest

from harness.model.kinds import JOB, RAYJOB, SERVICE, resolve_kind


@pytest.mark.parametrize("name", ["RayJob", "rayjob", "rayjobs", "rayjobs.ray.io", " RayJob "])
def test_every_common_spelling_of_rayjob_resolves(name):
    assert resolve_kind(name) is RAYJOB


def test_short_names_and_api_groups_resolve():
    assert resolve_kind("svc") is SERVICE
    assert resolve_kind("jobs.batch") is JOB


def test_a_kind_the_simulator_does_not_model_is_none():
    assert resolve_kind("Deployment") is None
