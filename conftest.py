"""Repository-wide pytest configuration.

The ``rayjob_harness`` pytest plugin is registered through the package's ``pytest11`` entry point, so scenario
files under ``scenarios/`` are collected as tests; nothing else is needed here. Markers are declared in
``pyproject.toml`` (``--strict-markers``).
"""
