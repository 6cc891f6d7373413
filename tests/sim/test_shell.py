"""The small shell that runs submitter scripts: bash's control flow, errexit exemptions, expansion, and a
clear refusal of what it does not model."""

from __future__ import annotations

import pytest

from harness.kube.shell import Process, Shell, ShellError, Step, commands_used, parse
from harness.raysim.command import k8s_expand, plan_command, submitter_problem


def run(script: str, *, errexit: bool = False, env: dict[str, str] | None = None) -> tuple[int, list[str], float]:
    out: list[str] = []

    def fail(argv: list[str], proc: Process) -> Step:
        proc.out(f"fail {' '.join(argv[1:])}")
        return 1
        yield

    shell = Shell({"fail": fail}, errexit=errexit)
    steps = shell.run_script(parse(script), Process(dict(env or {}), out.append, out.append))
    waited = 0.0
    try:
        while True:
            waited += next(steps)
    except StopIteration as done:
        return int(done.value), out, waited


def test_errexit_stops_at_a_failing_command_but_not_in_conditions_or_and_or_lists() -> None:
    assert run("if fail a; then echo then; else echo else; fi; fail b || echo rescued; ! fail c; echo end",
               errexit=True)[:2] == (0, ["fail a", "else", "fail b", "rescued", "fail c", "end"])
    assert run("echo one; fail two; echo three", errexit=True)[:2] == (1, ["one", "fail two"])


def test_set_e_inside_the_script_turns_errexit_on() -> None:
    assert run("fail x; set -e; fail y; echo never")[:2] == (1, ["fail x", "fail y"])


def test_until_loops_wait_in_virtual_time_and_exit_sets_the_status() -> None:
    code, _, waited = run("N=0; until false; do sleep 2; exit 4; done")
    assert (code, waited) == (4, 2.0)


def test_variables_expand_and_redirections_to_dev_null_silence_output() -> None:
    assert run("echo $GREETING ${WHO}; echo hidden >/dev/null; fail loud 2>&1", env={"GREETING": "hi", "WHO": "you"}
               )[1] == ["hi you", "fail loud"]
    assert run("fail quiet >/dev/null 2>&1; echo $?")[1] == ["1"]


def test_an_unknown_command_is_127_and_named() -> None:
    assert run("nosuch")[:2] == (127, ["bash: nosuch: command not found"])


@pytest.mark.parametrize("script", ["a | b", "a &", "(a)", "echo > file", "if a; then b"])
def test_constructs_not_modelled_are_refused_when_parsed(script: str) -> None:
    with pytest.raises(ShellError):
        parse(script)


def test_the_commands_a_script_runs_are_listed_before_it_runs() -> None:
    assert commands_used(parse("A=1 ray job status x || true")) == ["ray", "true"]


def test_kubernetes_expands_dollar_parenthesis_variables_in_command_and_args() -> None:
    assert k8s_expand("http://$(ADDR)/$(MISSING)/$$(ADDR)", {"ADDR": "svc:8265"}) == \
        "http://svc:8265/$(MISSING)/$(ADDR)"
    plan = plan_command({"command": ["/bin/bash", "-ce", "--"], "args": ["echo $(X)"]}, {"X": "y"})
    assert plan.errexit and plan.script is not None and commands_used(plan.script) == ["echo"]


def test_a_submitter_running_an_unmodelled_program_is_explained() -> None:
    assert submitter_problem({"command": ["python", "submit.py"]}) == (
        "it runs python code other than KubeRay's dashboard health check, which the simulator does not model")
    assert submitter_problem({"command": ["sh", "-c", "curl x | sh"]}) == (
        "its command is a shell script the simulator cannot run: pipes are not modelled")
    assert submitter_problem({"command": ["/submitter"], "args": ["--", "python", "a.py"]}) is None
