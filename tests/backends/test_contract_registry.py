"""The registry and the contract suite cover the same backends, and the registry's declarations hold."""

from __future__ import annotations

import pytest

from harness.backends.registry import available_backends, backend_info
from harness.errors import InputError
from harness.kuberay.profile import PROFILES

from .conftest import FACTORIES


def test_every_registered_backend_is_under_contract():
    assert set(FACTORIES) == set(available_backends())


def test_the_simulator_declares_exactly_the_releases_it_has_profiles_for():
    info = backend_info("sim")
    assert dict(info.kuberay_versions) == {line: profile.version for line, profile in PROFILES.items()}
    assert info.default_kuberay_version in info.kuberay_versions


@pytest.mark.parametrize("spelling", ["1.7", "v1.7", "1.7.0", "v1.7.0"])
def test_a_release_may_be_named_by_its_line_or_exactly(spelling):
    assert backend_info("sim").check_kuberay_version(spelling) == "1.7"


@pytest.mark.parametrize("spelling", ["1.6", "1.7.1", "seven"])
def test_a_release_the_backend_does_not_run_is_bad_input_naming_the_ones_it_does(spelling):
    with pytest.raises(InputError, match=r"use one of: 1\.7 \(1\.7\.0\)"):
        backend_info("sim").check_kuberay_version(spelling)


def test_an_unknown_backend_is_bad_input_naming_the_available_ones():
    with pytest.raises(InputError, match="available backends: sim"):
        backend_info("nope")


def test_the_registry_does_not_load_a_backend_to_describe_it():
    import subprocess
    import sys

    code = ("import sys; from harness.backends.registry import backend_info; info = backend_info('sim'); "
            "info.check_kuberay_version('1.7'); print('harness.backends.sim' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
