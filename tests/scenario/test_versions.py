"""KubeRay version constraints: clauses compare at the precision they are written with."""

from __future__ import annotations

import re

import pytest

from harness.scenario.versions import VersionSpec


@pytest.mark.parametrize(("spec", "version", "holds"), [
    (">=1.5", "1.5.0", True),
    (">=1.5", "1.4.2", False),
    ("<=1.5", "1.5.2", True),
    ("<1.5", "1.5.0", False),
    (">1.5", "1.5.9", False),
    (">1.5", "1.6", True),
    ("1.5", "1.5.1", True),
    ("1.5.x", "1.5.2", True),
    ("==1.5.1", "1.5.2", False),
    ("!=1.6", "1.6.2", False),
    (">=1.2, <1.5", "1.4.2", True),
    (">=1.2, <1.5", "1.5.0", False),
    ("v1.7", "1.7.0", True),
    ("*", "1.0.0", True),
])
def test_a_constraint_holds_for_the_releases_it_names(spec: str, version: str, holds: bool) -> None:
    assert VersionSpec.parse(spec).allows(version) is holds


def test_a_list_of_constraints_holds_when_any_one_does() -> None:
    spec = VersionSpec.parse(["1.4", ">=1.7"])
    assert spec.allows("1.4.2") and spec.allows("1.7.0") and not spec.allows("1.5.1")


def test_a_malformed_clause_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="'>= one'"):
        VersionSpec.parse(">=1.2, >= one")


def test_an_unquoted_number_is_rejected_with_a_quoting_hint() -> None:
    with pytest.raises(ValueError, match=re.escape('quote it: "1.5"')):
        VersionSpec.parse(1.5)  # type: ignore[arg-type]
