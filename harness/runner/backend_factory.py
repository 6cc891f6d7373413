"""Making a backend for one scenario from the run options and the scenario's own settings.

A backend is built per scenario, because a scenario's settings shape the world it runs in: the KubeRay release,
the operator's environment and feature gates, and the executor. Everything goes through the backend registry,
so the runner never names a backend implementation (and never imports the simulator).

:func:`check_options`, :func:`check_target` and :func:`check_scenario` are the checks a front end runs before
anything starts, so that an option, a target (kubeconfig, context) or a scenario setting the backend cannot honour
is bad input (exit code 2, file:line), not a failure.
"""

from __future__ import annotations

from dataclasses import replace

from ..backends.base import Backend, BackendSettings
from ..backends.registry import backend_info
from ..errors import InputError
from ..executors import EXECUTOR_CHOICES, ExecutorSettings, ray_importable
from ..executors.settings import RAY_INSTALL_HINT
from ..scenario.faults import RestartOperatorStep
from ..scenario.model import Scenario
from .runner import RunOptions


def default_kuberay_version(backend: str) -> str:
    """The release a backend runs when none is asked for (as the registry declares it)."""
    return backend_info(backend).default_kuberay_version


def kuberay_version_for(backend: str, asked: str | None) -> str | None:
    """The release to run: the one asked for, else the backend's default; None for a backend that takes its
    target's own release when none is asked for."""
    info = backend_info(backend)
    return asked or (None if info.target_decides else info.default_kuberay_version)


def _settings(options: RunOptions) -> BackendSettings:
    return BackendSettings(kuberay_version=options.kuberay_version, seed=options.seed, kubeconfig=options.kubeconfig,
                           context=options.context, keep_namespaces=options.keep_namespace)


def check_target(options: RunOptions) -> None:
    """InputError when the backend's target cannot be reached as the options say (a kubeconfig that cannot be
    read, a context that is not in it, a server that does not answer, a flag the backend does not take)."""
    backend_info(options.backend).check_target(_settings(options))


def check_options(options: RunOptions) -> None:
    """InputError for options no scenario could run with (unknown backend or executor, unsupported release)."""
    info = backend_info(options.backend)
    if options.executor not in EXECUTOR_CHOICES:
        raise InputError(f"executor={options.executor!r} is unknown", hint=f"use {', '.join(EXECUTOR_CHOICES)}")
    if not info.target_decides and (options.kubeconfig is not None or options.context is not None):
        check_target(options)  # the backend says which flags it does not take, before anything is loaded
    if options.executor != "auto" and info.target_decides:
        raise InputError(f"executor={options.executor} cannot be chosen on backend={info.name}: Ray jobs run where "
                         "its target runs them (a cluster's own Ray, or the executor rayjob-harness serve was "
                         "started with)", hint="leave --executor out (auto)")
    if options.executor != "auto" and options.executor not in info.executors:
        raise InputError(f"executor={options.executor} is not available on backend={info.name}",
                         hint=f"executors of {info.name}: {', '.join(info.executors)}")
    if options.executor == "ray" and not ray_importable():
        raise InputError("executor=ray needs Ray, which is not installed here", hint=RAY_INSTALL_HINT)
    if options.kuberay_version is not None:
        info.check_kuberay_version(options.kuberay_version)


def check_scenario(scenario: Scenario, options: RunOptions) -> list[InputError]:
    """Settings of ``scenario`` the chosen backend cannot honour, each at the line where it is written: its
    ``operator:`` settings and those its ``restart_operator`` steps change."""
    if scenario.backends is not None and options.backend not in scenario.backends:
        return []
    info = backend_info(options.backend)
    hint = (f"backend={options.backend} cannot run this operator setting; remove it, or restrict the scenario with "
            "backends: [...]")
    operator = scenario.operator
    errors = [InputError(text, pos=operator.pos_of(name), hint=hint)
              for name, text in info.operator_problems(operator.env, operator.feature_gates)]
    for step in scenario.all_steps:
        if isinstance(step, RestartOperatorStep):
            env = {name: value for name, value in step.env.items() if value is not None}
            gates = {name: value for name, value in step.feature_gates.items() if value is not None}
            errors.extend(InputError(text, pos=step.pos_of(name), hint=hint)
                          for name, text in info.operator_problems(env, gates))
    return errors


def create_backend(scenario: Scenario, options: RunOptions) -> Backend:
    """A fresh backend for ``scenario`` (the default factory of the CLI and the pytest plugin)."""
    check_options(options)
    executor = ExecutorSettings(name=scenario.resolve_executor(options.executor), scripts=scenario.executor,
                                path_map=scenario.paths)
    return backend_info(options.backend).create(replace(
        _settings(options), executor=executor, operator_env=scenario.operator.env,
        feature_gates=scenario.operator.feature_gates))
