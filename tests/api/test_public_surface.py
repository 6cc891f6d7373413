"""The package root is the one public surface: its names are listed, sorted, importable, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import harness

EXPECTED = [
    "ExecutorError", "HarnessError", "InputError", "JobDeploymentStatus", "JobFailedReason", "JobScript",
    "JobScripts", "JobStatus", "Journal", "JournalEntry", "KubeBackend", "KubeTarget", "Latencies", "Manifest",
    "ManifestError",
    "MissingDependencyError", "RayTimings", "RunOptions", "Scenario", "ScenarioError", "ScenarioResult",
    "ScriptedExecutor", "SimBackend", "SimulationError", "Simulator", "SubmissionMode", "__version__",
    "load_file", "load_manifests", "run_scenario", "validate_manifest",
]


def test_all_lists_exactly_the_public_names_in_sorted_order():
    assert harness.__all__ == sorted(EXPECTED)


def test_every_public_name_resolves():
    for name in harness.__all__:
        assert getattr(harness, name) is not None, name


def test_an_unknown_name_is_an_attribute_error():
    try:
        harness.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_imports_neither_ray_nor_kubernetes_nor_the_simulator():
    code = ("import sys, harness; bad = [m for m in ('ray', 'kubernetes', 'harness.simulator') if m in sys.modules];"
            " print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
