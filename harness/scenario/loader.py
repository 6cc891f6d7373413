"""Load scenario files into typed :class:`Scenario` values, reporting every mistake with file:line:column.

A scenario file holds one scenario (a mapping with a ``scenario:`` key), a list of them, or several YAML
documents, optionally opened by the file's ``defaults:`` (:mod:`.defaults`). Loading does all the checking
there is to do before anything runs: unknown keys and steps, wrong types, bad durations and regular expressions,
missing or malformed manifest files, bindings used before a ``save`` defines them. Errors are
:class:`~harness.errors.ScenarioError` (or ``ManifestError`` for a manifest); front ends load with
``isolate_errors`` so that one broken scenario is reported as itself and its neighbours still run.

Also here: recognising scenario files among other YAML (manifests live beside scenarios), and expanding the
paths given on a command line into scenario files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Final, TypeVar

from ..errors import InputError, SourcePos
from ..executors.settings import JobScript, JobScripts
from .defaults import file_defaults, with_defaults
from .expectations import parse_expect, parse_expect_logs
from .faults import fault_parsers
from .model import (
    BACKENDS,
    BUILTIN_BINDINGS,
    EXECUTORS,
    TIMEOUT_NAMES,
    OperatorSettings,
    Scenario,
    Step,
    Timeouts,
)
from .parsing import (
    ParseContext,
    boolean,
    bound,
    check_keys,
    duration,
    env_value,
    fail,
    integer,
    mapping,
    string,
    strings,
    suggest,
)
from .source import Node, SourceFile, read_source, source_from_text
from .steps import StepParser, action_parsers
from .versions import VersionSpec

SCENARIO_KEYS: Final = ("scenario", "description", "kuberay", "backends", "executors", "executor", "operator",
                        "paths", "timeouts", "markers", "expected_failure", "apply", "steps", "finally")
SCRIPT_KEYS: Final = ("runtime", "exit", "output", "stopped", "startup", "attempts")
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_PEEK: Final = re.compile(r"^(?:-\s+)?scenario\s*:", re.MULTILINE)
YAML_SUFFIXES: Final = (".yaml", ".yml")


def step_parsers() -> dict[str, StepParser]:
    parsers = action_parsers()
    parsers["expect"] = parse_expect
    parsers["expect_logs"] = parse_expect_logs
    parsers.update(fault_parsers())
    return parsers


# Keys written beside a step's keyword, and the steps they may go with.
STEP_MODIFIERS: Final = {"expect_refusal": ("apply", "patch", "delete")}


def parse_step(node: Node, ctx: ParseContext) -> Step:
    """Parse one step mapping (``{wait: {...}}``); exactly one step keyword per item, and the modifiers that
    may go with it (``expect_refusal`` beside an apply, patch or delete)."""
    parsers = step_parsers()
    example = "- wait: {rayjob: my-job, until: {status.jobDeploymentStatus: Complete}}"
    mapping(node, "a step", example)
    keys = [key for key in node.fields if key not in STEP_MODIFIERS]
    if len(keys) != 1:
        pos = node.pos_of_key(keys[1]) if len(keys) > 1 else node.pos
        if not keys and node.fields:
            modifier = next(iter(node.fields))
            raise fail(f"{modifier} needs a step beside it", node.pos_of_key(modifier),
                       f"write it in the same list item as {' or '.join(STEP_MODIFIERS[modifier])}")
        raise fail(f"a step has exactly one keyword, found {len(keys)} ({', '.join(keys) or 'none'})", pos,
                   "start a new list item (-) for each step")
    keyword = keys[0]
    for modifier in node.fields:
        if modifier in STEP_MODIFIERS and keyword not in STEP_MODIFIERS[modifier]:
            raise fail(f"{modifier} does not go with {keyword}", node.pos_of_key(modifier),
                       f"{modifier} goes with {', '.join(STEP_MODIFIERS[modifier])}")
    if keyword not in parsers:
        close = suggest(keyword, parsers)
        raise fail(f"unknown step={keyword!r}", node.pos_of_key(keyword),
                   (f"did you mean {close!r}? " if close else "") + f"steps are: {', '.join(sorted(parsers))}")
    return parsers[keyword](node, node.fields[keyword], ctx)


def _job_script(node: Node, what: str, extra: Sequence[str] = (), base: JobScript | None = None) -> JobScript:
    """A script's keys; those not given come from ``base`` (the enclosing script, for an ``attempts`` entry)."""
    mapping(node, what, "{runtime: 30s, exit: 0, output: [\"training complete\"]}")
    allowed = SCRIPT_KEYS if base is None else tuple(key for key in SCRIPT_KEYS if key != "attempts")
    check_keys(node, (*allowed, *extra), what)
    script = base or JobScript()
    output: tuple[str, ...] = script.output
    if "output" in node.fields:
        out_node = node.fields["output"]
        if isinstance(out_node.value, str):
            output = tuple(out_node.value.splitlines())
        else:
            output = strings(out_node, "output", "output: [\"line one\", \"line two\"]")
    exit_code = script.exit_code
    if "exit" in node.fields:
        exit_code = integer(node.fields["exit"], f"{what} exit")
    parsed = JobScript(
        runtime=duration(node.fields["runtime"], f"{what} runtime") if "runtime" in node.fields else script.runtime,
        exit_code=exit_code, output=output,
        stopped=boolean(node.fields["stopped"], f"{what} stopped") if "stopped" in node.fields else script.stopped,
        startup=duration(node.fields["startup"], f"{what} startup") if "startup" in node.fields else script.startup)
    if "attempts" not in node.fields:
        return parsed
    attempts_node = node.fields["attempts"]
    if not attempts_node.is_sequence or not attempts_node.items:
        raise fail(f"{what} attempts must be a non-empty list", attempts_node.pos,
                   "write attempts: [{exit: 1}, {exit: 0}] (the first Ray job fails, the next ones succeed)")
    attempts = tuple(_job_script(item, f"{what} attempt {number}", base=parsed)
                     for number, item in enumerate(attempts_node.items, start=1))
    return replace(parsed, attempts=attempts)


def _executor(node: Node) -> JobScripts:
    mapping(node, "executor", "executor: {default: {runtime: 30s}, jobs: [{rayjob: my-job, exit: 1}]}")
    if any(key in SCRIPT_KEYS for key in node.fields):
        check_keys(node, SCRIPT_KEYS, "executor")
        return JobScripts(default=_job_script(node, "executor"))
    check_keys(node, ("default", "jobs"), "executor")
    default = _job_script(node.fields["default"], "executor default") if "default" in node.fields else None
    by_entrypoint: dict[str, JobScript] = {}
    by_rayjob: dict[str, JobScript] = {}
    jobs = node.get("jobs")
    if jobs is not None and not jobs.is_sequence:
        raise fail("executor jobs must be a list", jobs.pos, "write jobs: [{rayjob: my-job, exit: 1}]")
    for item in (jobs.items if jobs is not None else ()):
        mapping(item, "executor job", "- {rayjob: my-job, exit: 1}")
        keys = [key for key in ("rayjob", "entrypoint") if key in item.fields]
        if len(keys) != 1:
            raise fail("an executor job entry names exactly one of rayjob or entrypoint", item.pos,
                       "write - {rayjob: my-job, exit: 1} or - {entrypoint: train.py, runtime: 2m}")
        pattern = string(item.fields[keys[0]], keys[0], f"{keys[0]}: ...")
        script = _job_script(item, "executor job", extra=keys)
        chosen = by_rayjob if keys[0] == "rayjob" else by_entrypoint
        if pattern in chosen:
            raise fail(f"executor job {keys[0]}={pattern!r} is given twice", item.pos,
                       "merge the two entries into one")
        chosen[pattern] = script
    return JobScripts(default=default, by_entrypoint=by_entrypoint, by_rayjob=by_rayjob)


def _operator(node: Node) -> OperatorSettings:
    mapping(node, "operator", "operator: {env: {DELETE_RAYJOB_CR_AFTER_JOB_FINISHES: \"true\"}}")
    check_keys(node, ("env", "feature_gates"), "operator")
    env: dict[str, str] = {}
    gates: dict[str, bool] = {}
    positions: dict[str, SourcePos] = {}
    if "env" in node.fields:
        env_node = mapping(node.fields["env"], "operator env", "env: {NAME: value}")
        env = {key: env_value(child, key) for key, child in env_node.fields.items()}
        positions.update((key, env_node.pos_of_key(key)) for key in env_node.fields)
    if "feature_gates" in node.fields:
        gates_node = mapping(node.fields["feature_gates"], "operator feature_gates",
                             "feature_gates: {RayJobDeletionPolicy: true}")
        gates = {key: boolean(child, f"feature gate {key}") for key, child in gates_node.fields.items()}
        positions.update((key, gates_node.pos_of_key(key)) for key in gates_node.fields)
    return OperatorSettings(env, gates, pos=node.pos, positions=positions)


TIMEOUT_KEYS: Final = ("wait", "delete", "grace", *TIMEOUT_NAMES)


def _timeouts(node: Node) -> Timeouts:
    """``timeouts:``: the named durations first, so that ``wait: long`` may use them."""
    mapping(node, "timeouts", "timeouts: {wait: 10m, delete: 2m, grace: 5s, long: 1h}")
    check_keys(node, TIMEOUT_KEYS, "timeouts")
    base = Timeouts()
    names = {key: duration(node.fields[key], f"timeouts {key}") if key in node.fields else getattr(base, key)
             for key in TIMEOUT_NAMES}
    named = replace(base, **names)
    ctx_free = ParseContext(SourceFile(Path(""), "", (), ()), Path(""), timeouts=named)
    defaults = {key: bound(node.fields[key], f"timeouts {key}", ctx_free) for key in ("wait", "delete", "grace")
                if key in node.fields}
    return replace(named, **defaults)


def _paths(node: Node, base_dir: Path) -> dict[str, str]:
    """``paths: {/app: ./app}``: container paths the ray executor maps to local folders (relative to the file)."""
    mapping(node, "paths", "paths: {/app: ./app}")
    out: dict[str, str] = {}
    for key, value_node in node.fields.items():
        if not key.startswith("/"):
            raise fail(f"paths key={key!r} is not an absolute container path", node.pos_of_key(key),
                       "write the path as the container sees it, e.g. /app: ./app")
        local = string(value_node, f"paths {key}", f"{key}: ./local-folder")
        resolved = (base_dir / local).resolve()
        if not resolved.exists():
            raise fail(f"paths {key}: local path={local!r} does not exist (resolved to {resolved})", value_node.pos,
                       "local paths are relative to the scenario file")
        out[key] = str(resolved)
    return out


_Choice = TypeVar("_Choice", bound=str)


def _choices(node: Node, what: str, allowed: tuple[_Choice, ...]) -> tuple[_Choice, ...]:
    values = strings(node, what, f"{what}: [{allowed[0]}]")
    if not values:
        raise fail(f"{what} is an empty list", node.pos, f"list at least one of {', '.join(allowed)}, or leave it out")
    chosen: list[_Choice] = []
    for value, item in zip(values, node.items if node.is_sequence else (node,), strict=True):
        known = next((choice for choice in allowed if choice == value), None)
        if known is None:
            raise fail(f"{what} value={value!r} is unknown", item.pos, f"{what}: one or more of {', '.join(allowed)}")
        chosen.append(known)
    return tuple(chosen)


def parse_scenario(node: Node, source: SourceFile, base_dir: Path) -> Scenario:
    """Parse one scenario mapping (the value of one list item or document)."""
    mapping(node, "a scenario", "scenario: my-scenario")
    check_keys(node, SCENARIO_KEYS, "a scenario", required=("scenario",))
    name_node = node.fields["scenario"]
    name = string(name_node, "scenario name", "scenario: ttl-cleanup")
    if _NAME.fullmatch(name) is None:
        raise fail(f"scenario name={name!r} is not a plain name", name_node.pos,
                   "use letters, digits, '.', '_' and '-' (it becomes the test id), at most 100 characters")
    timeouts = _timeouts(node.fields["timeouts"]) if "timeouts" in node.fields else Timeouts()
    ctx = ParseContext(source, base_dir, defined=set(BUILTIN_BINDINGS), timeouts=timeouts)
    if "steps" not in node.fields and "apply" not in node.fields:
        raise fail(f"scenario={name!r} has no steps", node.pos, "add apply: and steps: [...]")
    steps: list[Step] = []
    if "apply" in node.fields:
        apply_node = node.fields["apply"]
        wrapper = Node({"apply": apply_node.value}, node.pos_of_key("apply"), apply_node.end_line,
                       fields={"apply": apply_node}, key_pos={"apply": node.pos_of_key("apply")})
        steps.append(parse_step(wrapper, ctx))
    for key in ("steps", "finally"):
        if key in node.fields and not node.fields[key].is_sequence:
            raise fail(f"{key} must be a list of steps", node.fields[key].pos, f"write {key}:\n  - advance: 10s")
    if "steps" in node.fields:
        steps.extend(parse_step(item, ctx) for item in node.fields["steps"].items)
    finally_steps = tuple(parse_step(item, ctx) for item in node.fields["finally"].items) \
        if "finally" in node.fields else ()
    kuberay = None
    if "kuberay" in node.fields:
        kr_node = node.fields["kuberay"]
        try:
            kuberay = VersionSpec.parse(kr_node.value)
        except ValueError as exc:
            raise fail(f"kuberay constraint is invalid: {exc}", kr_node.pos,
                       "write e.g. kuberay: \">=1.5\", \">=1.4, <1.7\" or [\"1.4\", \"1.7\"]") from None
    expected_failure = None
    if "expected_failure" in node.fields:
        ef_node = node.fields["expected_failure"]
        expected_failure = string(ef_node, "expected_failure", "expected_failure: \"contradicts the wait\"")
        try:
            re.compile(expected_failure)
        except re.error as exc:
            raise fail(f"expected_failure pattern is invalid: {exc}", ef_node.pos,
                       "it is a Python regular expression searched in the failure text") from None
    return Scenario(
        name=name, file=source.display, path=source.path, pos=name_node.pos, steps=tuple(steps),
        finally_steps=finally_steps,
        description=string(node.fields["description"], "description", "description: ...")
        if "description" in node.fields else "",
        kuberay=kuberay,
        backends=_choices(node.fields["backends"], "backends", BACKENDS) if "backends" in node.fields else None,
        executors=_choices(node.fields["executors"], "executors", EXECUTORS) if "executors" in node.fields
        else None,
        executor=_executor(node.fields["executor"]) if "executor" in node.fields else JobScripts(),
        operator=_operator(node.fields["operator"]) if "operator" in node.fields else OperatorSettings(),
        paths=_paths(node.fields["paths"], base_dir) if "paths" in node.fields else {},
        timeouts=timeouts,
        markers=strings(node.fields["markers"], "markers", "markers: [slow]") if "markers" in node.fields else (),
        expected_failure=expected_failure)


def _scenario_nodes(document: Node) -> list[Node]:
    if document.is_sequence:
        return list(document.items)
    return [document]


def _readable_name(node: Node) -> str | None:
    """The scenario's name when it is a valid one (so a broken scenario can still be reported by name)."""
    name = node.fields["scenario"].value if node.is_mapping and "scenario" in node.fields else None
    return name if isinstance(name, str) and _NAME.fullmatch(name) else None


def scenarios_from_source(source: SourceFile, base_dir: Path | None = None, *,
                          isolate_errors: bool = False) -> list[Scenario]:
    """Every scenario in a parsed file; duplicate names in one file are an error.

    A file may open with a ``defaults:`` entry (the first document, or the first item of the list) whose
    settings apply to every scenario of the file that does not set them. With ``isolate_errors``, a mistake
    inside one scenario (a bad step, a manifest the API server would refuse) does not stop the file: that
    scenario is returned with its ``load_error`` and no steps, so that the others still run; mistakes that
    leave no readable scenario name (YAML syntax, the file's shape) still raise.
    """
    folder = base_dir if base_dir is not None else source.path.parent
    scenarios: list[Scenario] = []
    seen: dict[str, SourcePos] = {}
    defaults: Node | None = None
    for document in source.documents:
        if document.value is None:
            continue
        for node in _scenario_nodes(document):
            if node.is_mapping and "defaults" in node.fields and "scenario" not in node.fields:
                if defaults is not None or scenarios:
                    raise fail("defaults must come once, before the first scenario", node.pos,
                               "put one defaults: entry at the top of the file")
                defaults = file_defaults(node)
                continue
            if not node.is_mapping or "scenario" not in node.fields:
                raise fail("this is not a scenario (no `scenario:` key)", node.pos,
                           "a scenario file holds mappings that start with scenario: NAME")
            try:
                scenario = parse_scenario(with_defaults(node, defaults), source, folder)
            except InputError as exc:
                name = _readable_name(node)
                if not isolate_errors or name is None:
                    raise
                scenario = Scenario(name=name, file=source.display, path=source.path,
                                    pos=node.fields["scenario"].pos, steps=(), load_error=exc)
            if scenario.name in seen:
                raise fail(f"scenario name={scenario.name!r} is used twice (first at line {seen[scenario.name].line})",
                           scenario.pos, "give each scenario in a file its own name")
            seen[scenario.name] = scenario.pos
            scenarios.append(scenario)
    if not scenarios:
        raise fail("the file holds no scenario", SourcePos(source.display), "start it with scenario: NAME")
    return scenarios


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it (as messages and replays show it)."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def load_file(path: Path | str, display: str | None = None, *, isolate_errors: bool = False) -> list[Scenario]:
    """The scenarios of a file; ``isolate_errors``: see :func:`scenarios_from_source`."""
    path = Path(path)
    shown = display if display is not None else display_path(path)
    return scenarios_from_source(read_source(path, shown), isolate_errors=isolate_errors)


def load_text(text: str, display: str = "<scenario>", base_dir: Path | None = None, *,
              isolate_errors: bool = False) -> list[Scenario]:
    """Load scenarios from text; manifest files resolve against ``base_dir`` (the working directory if None)."""
    source = source_from_text(text, display)
    return scenarios_from_source(source, base_dir if base_dir is not None else Path.cwd(),
                                 isolate_errors=isolate_errors)


def looks_like_scenario_file(path: Path) -> bool:
    """A cheap test: a ``.yaml``/``.yml`` file with a top-level ``scenario:`` key (or list item)."""
    if path.suffix not in YAML_SUFFIXES or not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return _PEEK.search(text) is not None


def discover(paths: Iterable[Path | str]) -> list[Path]:
    """Expand files and folders into scenario files (sorted per folder); InputError for a missing path.

    A file given by name is taken as a scenario file even without the peek test, so that its errors are shown.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if looks_like_scenario_file(p)))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"path={str(raw)!r} does not exist", pos=SourcePos(str(raw)),
                             hint="give scenario files or folders that contain them")
    unique: list[Path] = []
    for path in found:
        if path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique
