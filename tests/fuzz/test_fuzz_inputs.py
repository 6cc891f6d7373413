"""Whatever a manifest, a scenario file or a flag holds, the command line answers with exit 0, 1 or 2 and a message.

Inputs are mutations of the shipped manifests and scenarios (a value replaced by one of the wrong type, a huge
number, unicode, a key removed or added), YAML made to hurt (alias bombs, recursive anchors, deep nesting,
control characters) and durations of every shape. Each runs through ``rayjob-harness simulate`` or ``run`` in the
worker of :mod:`conftest`, bounded in memory and time. ``HYPOTHESIS_PROFILE=fuzz-long`` explores further.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .conftest import Cli, assert_handled

ROOT = Path(__file__).resolve().parents[2]


def _parses(path: Path) -> bool:
    try:
        list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError:
        return False
    return True


MANIFESTS = sorted(p for folder in ("scenarios/manifests", "tests/cli/data", "tests/manifests/data")
                   for p in (ROOT / folder).glob("*.yaml") if _parses(p))
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if "ray" not in p.stem.split("-")[-1])

settings.register_profile("fuzz", max_examples=60, deadline=None, derandomize=bool(os.environ.get("CI")),
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz-long", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz")
                               if os.environ.get("HYPOTHESIS_PROFILE", "").startswith("fuzz") else "fuzz")

ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 1.5, -0.0, 2**31 - 1, 2**31, 2**63, -(2**63) - 1, 2**64, 10**30, 1e308,
    float("inf"), float("nan"), "", "x" * 300, "ñandú 漢字 🚀", "\u202eevil", "line\nline", "${x}", "5m", ".nan",
    "1e400", "0x1F", "- a", "~", "null", "yes", "2026-01-01T00:00:00Z", [], {}, [[[1]]], {"a": {"b": None}},
    ["a", 1, None], {"x": "y"}, "a" * 70, "UPPER_case.name",
]
values = st.sampled_from(ODD_VALUES) | st.integers(-(2**70), 2**70) | st.text(max_size=40)
ODD_STRINGS = [v for v in ODD_VALUES if isinstance(v, str)] + ["Always", "Never", "OnFailure", "HTTPMode",
                                                                 "SidecarMode", "InteractiveMode", "DeleteSelf", "3",
                                                                 "python -c 'import sys; sys.exit(3)'", "ray-head"]


def alike(current: Any) -> st.SearchStrategy[Any]:
    """Values of the same JSON type as ``current``: they pass the type checks and reach the controllers."""
    if isinstance(current, bool):
        return st.booleans()
    if isinstance(current, int):
        return st.sampled_from([0, -1, 1, 2, 3, 59, 600, 3600, 2**31 - 1, 2**31, 2**53, 10**12]) | \
            st.integers(-5, 5000)
    if isinstance(current, float):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(current, str):
        return st.sampled_from(ODD_STRINGS) | st.text(max_size=30)
    if isinstance(current, list):
        return st.just([]) | st.just(current + current) | st.just(current[:1])
    if isinstance(current, dict):
        return st.just({}) | st.just({**current, "extra": 1})
    return values


def _walk(doc: Any, draw: st.DrawFn) -> tuple[Any, Any] | None:
    """A random (container, key) inside ``doc``, or None when it holds nothing to mutate."""
    parent, key = None, None
    node = doc
    for _ in range(draw(st.integers(0, 12), label="depth")):
        if isinstance(node, dict) and node:
            parent, key = node, draw(st.sampled_from(sorted(node, key=str)), label="key")
        elif isinstance(node, list) and node:
            parent, key = node, draw(st.integers(0, len(node) - 1), label="index")
        else:
            break
        node = parent[key]
    return None if parent is None else (parent, key)


@st.composite
def mutated(draw: st.DrawFn, files: list[Path]) -> tuple[Path, str]:
    """A shipped file with one to three values replaced, removed, added or doubled, dumped back to YAML."""
    source = draw(st.sampled_from(files), label="file")
    documents = [d for d in yaml.safe_load_all(source.read_text(encoding="utf-8"))]
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        if not documents:
            break
        index = draw(st.integers(0, len(documents) - 1), label="document")
        spot = _walk(documents[index], draw)
        if spot is None:
            documents[index] = draw(values, label="document value")
            continue
        parent, key = spot
        action = draw(st.sampled_from(["replace", "alike", "alike", "alike", "remove", "add", "double"]),
                      label="action")
        if action == "replace":
            parent[key] = draw(values, label="value")
        elif action == "alike":
            parent[key] = draw(alike(parent[key]), label="alike")
        elif action == "remove":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "Spec", "status", "kind", "metadata", "x" * 60]))] = \
                draw(values, label="added")
        elif action == "double" and isinstance(parent, list):
            parent.append(parent[key])
    text = yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False, width=10_000)
    return source, text


def laughs(levels: int, width: int) -> str:
    lines = [f"  l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@st.composite
def hurtful_text(draw: st.DrawFn) -> str:
    """A manifest's text with YAML made to hurt spliced in."""
    base = draw(st.sampled_from(MANIFESTS), label="file").read_text(encoding="utf-8")
    kind = draw(st.sampled_from(["bomb", "recursive", "deep", "control", "number", "long", "merge"]), label="kind")
    if kind == "bomb":
        return base + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n" + laughs(
            draw(st.integers(2, 12), label="levels"), draw(st.integers(2, 12), label="width"))
    if kind == "recursive":
        return base.replace("metadata:", "metadata: &m\n  self: *m\n", 1)
    if kind == "deep":
        depth = draw(st.integers(90, 2000), label="depth")
        return base + f"\nextra: {'[' * depth}1{']' * depth}\n"
    if kind == "control":
        position = draw(st.integers(0, len(base)), label="position")
        return base[:position] + draw(st.sampled_from(["\x00", "\x01", "\x07", "\x1b", "\ufeff", "\x85", "\ud800"]),
                                      label="char") + base[position:]
    if kind == "number":
        number = draw(st.sampled_from(["1e400", ".inf", "-.nan", "9" * 5000, "0x" + "f" * 40]), label="number")
        return base.replace(": 1\n", f": {number}\n")
    if kind == "long":
        return base.replace("name: ", "name: " + "n" * draw(st.integers(60, 100_000), label="length"), 1)
    chain = draw(st.integers(2, 150), label="chain")
    anchors = "\n".join(f"a{n}: &a{n} {{<<: *a{n - 1}, k{n}: v}}" if n else "a0: &a0 {k0: v}" for n in range(chain))
    return base + "\n---\n" + anchors + "\n"


counter = itertools.count()


def write(folder: Path, text: str, suffix: str = ".yaml") -> Path:
    path = folder / f"fuzz-{next(counter)}{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the scenario library, so that mutated scenarios find the manifests they name."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    return folder


@PROFILE
@given(case=mutated(MANIFESTS))
def test_a_mutated_manifest_is_simulated_or_refused_with_a_message(cli: Cli, workdir: Path,
                                                                  case: tuple[Path, str]) -> None:
    path = write(workdir, case[1])
    outcome = cli.run("simulate", "--executor", "scripted", str(path), "--for", "2h")
    event(f"exit {outcome.exit}")
    assert_handled(outcome, source=path.name)


@PROFILE
@given(case=mutated(SCENARIOS))
def test_a_mutated_scenario_file_is_run_or_refused_with_a_message(cli: Cli, workdir: Path,
                                                                 case: tuple[Path, str]) -> None:
    path = write(workdir / "scenarios", case[1])
    outcome = cli.run("run", str(path), "--executor", "scripted")
    event(f"exit {outcome.exit}")
    assert_handled(outcome, source=path.name)


@PROFILE
@given(text=hurtful_text())
def test_yaml_made_to_hurt_is_refused_or_read_within_bounds(cli: Cli, workdir: Path, text: str) -> None:
    path = write(workdir, text)
    assert_handled(cli.run("simulate", "--executor", "scripted", str(path), "--for", "1h"), source=path.name)


durations = st.one_of(
    st.sampled_from([".nan", "nan", ".inf", "inf", "-1s", "1e308", "1.0e+308", "9" * 400 + "h", "2562048h",
                     "2562047h", "0", "0s", "1ms", "12d", "10000h", "", " ", "1h-1m", "5", "3.5m", "1..2s"]),
    st.from_regex(r"\A[0-9]{1,25}(\.[0-9]{0,5})?(ms|s|m|h|d)?\Z"),
    st.text(max_size=12),
)


@PROFILE
@given(duration=durations, flag=st.sampled_from(["--for", "--job-runtime"]))
def test_any_duration_flag_is_used_or_refused_with_a_message(cli: Cli, duration: str, flag: str) -> None:
    manifest = ROOT / "tests" / "cli" / "data" / "rayjob-ttl.yaml"
    assert_handled(cli.run("simulate", "--executor", "scripted", str(manifest), flag, duration,
                           "--for" if flag != "--for" else "--seed", "10h" if flag != "--for" else "0"))


@PROFILE
@given(duration=durations, step=st.sampled_from(["advance", "wait timeout", "stays for"]))
def test_any_duration_in_a_scenario_is_used_or_refused_with_a_message(cli: Cli, workdir: Path, duration: str,
                                                                      step: str) -> None:
    body = {"advance": {"advance": duration},
            "wait timeout": {"wait": {"rayjob": "sample-job", "until": {"status.jobDeploymentStatus": "Complete"},
                                      "timeout": duration}},
            "stays for": {"expect": {"rayjob": "sample-job",
                                     "stays": {"field": "status.jobDeploymentStatus", "for": duration}}}}[step]
    document = {"scenario": "durations", "apply": ["manifests/rayjob.yaml"], "steps": [body]}
    path = write(workdir / "scenarios", yaml.safe_dump(document, allow_unicode=True))
    assert_handled(cli.run("run", str(path), "--executor", "scripted"), source=path.name)


flag_values = st.sampled_from(ODD_STRINGS) | st.text(max_size=30) | st.integers(-(2**70), 2**70).map(str)
OPERATOR_ENV = ("RAYJOB_DEPLOYMENT_STATUS_TRANSITION_GRACE_PERIOD_SECONDS", "RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS",
                "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES", "ENABLE_DETERMINISTIC_HEAD_POD_NAME", "CLUSTER_DOMAIN")


@PROFILE
@given(flag=st.sampled_from(["--seed", "--job-exit", "--kuberay-version", "--feature-gates", "--operator-env",
                             "--format", "--logs"]),
       value=flag_values, env=st.sampled_from(OPERATOR_ENV))
def test_any_simulate_flag_value_is_used_or_refused_with_a_message(cli: Cli, flag: str, value: str, env: str) -> None:
    manifest = ROOT / "tests" / "cli" / "data" / "rayjob-ttl.yaml"
    argument = f"{env}={value}" if flag == "--operator-env" else value
    assert_handled(cli.run("simulate", "--executor", "scripted", str(manifest), flag, argument, "--for", "2h"))


@PROFILE
@given(expression=st.text(alphabet="abcdefg-_ ()!&|*.: andornot", max_size=30) | flag_values)
def test_any_selection_expression_is_used_or_refused_with_a_message(cli: Cli, expression: str) -> None:
    assert_handled(cli.run("run", str(ROOT / "scenarios" / "ttl-cleanup.yaml"), "-k", expression,
                           "--executor", "scripted"))
