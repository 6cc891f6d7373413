"""Developer sessions: ``nox -s tests``, ``nox -s lint``, ``nox -s typecheck``, ``nox -s scenarios``,
``nox -s e2e_kind`` (the scenarios against the real KubeRay operator on kind; needs Docker, see docs/kind.md),
``nox -s contract`` (the Backend contract suite)."""

from __future__ import annotations

import os

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
def e2e_kind(session: nox.Session) -> None:
    """The shipped scenarios on a kind cluster running the real KubeRay operator (docs/kind.md).

    Needs a Docker engine, kind and kubectl (Helm optional). Settings through the environment:
    RAYJOB_HARNESS_CLUSTER (cluster name, default rayjob-harness), KUBERAY_VERSION (default: the newest profile),
    K8S_VERSION (default: the profile's), KEEP_CLUSTER=1 (keep the cluster for the next run, which then reuses it).
    Extra arguments go to ``rayjob-harness run``, e.g. ``nox -s e2e_kind -- -k ttl``.
    """
    session.install("-e", ".[kube]")
    name = os.environ.get("RAYJOB_HARNESS_CLUSTER", "rayjob-harness")
    up = ["rayjob-harness", "cluster", "up", "--name", name, "--scenarios", "scenarios/", "--report",
          "out/e2e-kind/provisioning"]
    if os.environ.get("KUBERAY_VERSION"):
        up += ["--kuberay-version", os.environ["KUBERAY_VERSION"]]
    if os.environ.get("K8S_VERSION"):
        up += ["--k8s-version", os.environ["K8S_VERSION"]]
    session.run(*up)
    try:
        session.run("rayjob-harness", "run", "scenarios/", "--backend", "kind", "--report", "out/e2e-kind",
                    "--junit-xml", "out/e2e-kind/junit.xml", *session.posargs)
    finally:
        if os.environ.get("KEEP_CLUSTER") != "1":
            session.run("rayjob-harness", "cluster", "down", "--name", name)


@nox.session
def contract(session: nox.Session) -> None:
    """The Backend contract suite, once per registered backend (``tests/backends``)."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/backends", *session.posargs)
