"""Developer sessions: ``nox -s tests``, ``nox -s lint``, ``nox -s typecheck``, ``nox -s scenarios``,
``nox -s contract``."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "harness", "tests", "benchmarks")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def scenarios(session: nox.Session) -> None:
    """The main job: the shipped scenario library on the embedded simulator."""
    session.install("-e", ".")
    session.run("rayjob-harness", "run", "scenarios/", *session.posargs)


@nox.session
def benchmarks(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/bench_simulator.py", *session.posargs)


@nox.session
def contract(session: nox.Session) -> None:
    """The Backend contract suite, once per registered backend (``tests/backends``)."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/backends", *session.posargs)
