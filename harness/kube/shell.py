"""A small POSIX shell, enough to run the scripts a submitter container is given, in virtual time.

KubeRay's submitter runs ``/bin/bash -ce -- "<script>"`` (the health wait loop, ``if ! ray job status ...; then
ray job submit ...; fi; ray job logs --follow ...``), and users write their own ``bash -c`` scripts in
``submitterPodTemplate``. This module parses such scripts and runs them with a table of commands supplied by the
caller, so that a container does what its command says rather than what the simulator assumes.

The language modelled: simple commands with ``$VAR``/``${VAR}`` expansion, ``NAME=value`` assignments and
``export``; ``;`` and newlines, ``&&``, ``||``, ``!``; ``if/then/elif/else/fi``, ``while``/``until ... do ...
done``; redirections of stdout/stderr to ``/dev/null`` and ``2>&1``; ``set -e`` (and ``bash -e``) with bash's
errexit exemptions (conditions, the left side of ``&&``/``||``, negated commands); ``exit``, ``true``, ``false``,
``:``, ``echo``, ``sleep``. Quoting is honoured when splitting words; ``$`` is expanded inside single quotes too
(no script KubeRay writes depends on the difference). Pipes, background jobs, subshells, functions and globbing
are not modelled: :func:`parse` refuses them with :class:`ShellError`, and :func:`commands_used` lets callers refuse
a script that names a command their table lacks, before anything runs.

Execution is a generator: it yields the virtual seconds to wait before continuing and returns the exit status,
so the caller drives it from clock timers. Not here: what ``ray job ...`` does (``harness.raysim.cli``).
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Final

from ..sim.clock import Repeat

Step = Generator[float, None, int]
"""A running command: yields seconds of virtual time to wait, returns its exit status."""

KEYWORDS: Final = frozenset({"if", "then", "elif", "else", "fi", "while", "until", "do", "done"})
_OPERATORS: Final = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&", "&&&"})
_VAR: Final = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\?))")
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_LOOP_LIMIT: Final = 100_000  # iterations of a loop that lets no virtual time pass: a busy loop, stopped


class ShellError(Exception):
    """A script this shell cannot parse (bad syntax, or a construct it does not model)."""


class ExitScript(Exception):
    """``exit N`` or errexit: stop the whole script with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# -- syntax --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Simple:
    words: tuple[str, ...]
    quiet_out: bool = False  # stdout to /dev/null
    quiet_err: bool = False  # stderr to /dev/null (directly, or through 2>&1 after >/dev/null)


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class AndOr:
    left: Node
    op: str  # "&&" or "||"
    right: Node


@dataclass(frozen=True)
class Sequence:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class If:
    branches: tuple[tuple[Node, Node], ...]  # (condition, body) for if and each elif
    otherwise: Node | None


@dataclass(frozen=True)
class Loop:
    until: bool
    condition: Node
    body: Node


Node = Simple | Not | AndOr | Sequence | If | Loop


def _tokens(script: str) -> list[str]:
    """Words and operators; unquoted newlines become ``;`` and a backslash-newline joins lines."""
    text, out, quote = script.replace("\\\n", ""), [], ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "\n":
            out.append(" ; ")
            continue
        out.append(char)
    lexer = shlex.shlex("".join(out), posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError as exc:
        raise ShellError(f"cannot split the script into words: {exc}") from exc


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, word: str) -> None:
        found = self.peek()
        if found != word:
            raise ShellError(f"syntax error: expected {word!r}, found {found or 'the end of the script'!r}")
        self.pos += 1

    def sequence(self, stop: frozenset[str]) -> Sequence:
        items: list[Node] = []
        while True:
            while self.peek() == ";":
                self.take()
            token = self.peek()
            if token is None or token in stop:
                return Sequence(tuple(items))
            items.append(self.and_or())
            if self.peek() not in (";", None) and self.peek() not in stop:
                raise ShellError(f"syntax error near {self.peek()!r}")

    def and_or(self) -> Node:
        node = self.pipeline()
        while self.peek() in ("&&", "||"):
            op = self.take()
            while self.peek() == ";":
                raise ShellError(f"syntax error near unexpected token ';' after {op!r}")
            node = AndOr(node, op, self.pipeline())
        return node

    def pipeline(self) -> Node:
        if self.peek() == "!":
            self.take()
            return Not(self.pipeline())
        node = self.command()
        if self.peek() in ("|", "|&"):
            raise ShellError("pipes are not modelled")
        if self.peek() == "&":
            raise ShellError("background jobs (&) are not modelled")
        return node

    def command(self) -> Node:
        token = self.peek()
        if token is None:
            raise ShellError("syntax error: unexpected end of the script")
        if token == "if":
            return self.if_clause()
        if token in ("while", "until"):
            self.take()
            condition = self.sequence(frozenset({"do"}))
            self.expect("do")
            body = self.sequence(frozenset({"done"}))
            self.expect("done")
            return Loop(token == "until", condition, body)
        if token in ("(", ")", "{", "}"):
            raise ShellError("subshells and command groups are not modelled")
        if token in KEYWORDS or token in _OPERATORS:
            raise ShellError(f"syntax error near unexpected token {token!r}")
        return self.simple()

    def if_clause(self) -> If:
        branches: list[tuple[Node, Node]] = []
        otherwise: Node | None = None
        self.expect("if")
        while True:
            condition = self.sequence(frozenset({"then"}))
            self.expect("then")
            body = self.sequence(frozenset({"elif", "else", "fi"}))
            branches.append((condition, body))
            token = self.take() if self.peek() is not None else None
            if token == "elif":
                continue
            if token == "else":
                otherwise = self.sequence(frozenset({"fi"}))
                self.expect("fi")
            elif token != "fi":
                raise ShellError("syntax error: 'if' without 'fi'")
            return If(tuple(branches), otherwise)

    def simple(self) -> Simple:
        words: list[str] = []
        quiet_out = quiet_err = False
        while (token := self.peek()) is not None and token not in _OPERATORS and not (
                not words and token in KEYWORDS):
            self.take()
            fd = ""
            if token.isdigit() and self.peek() in (">", ">>", ">&"):
                fd, token = token, self.take()
            if token in (">", ">>", ">&", "<"):
                target = self.take() if self.peek() is not None else ""
                if token == ">&" and target == "1" and fd == "2":
                    quiet_err = quiet_out
                elif token in (">", ">>") and target == "/dev/null":
                    if fd == "2":
                        quiet_err = True
                    else:
                        quiet_out = True
                else:
                    raise ShellError(f"redirection {fd}{token}{target} is not modelled")
                continue
            words.append(token)
        if not words:
            raise ShellError("syntax error: empty command")
        return Simple(tuple(words), quiet_out, quiet_err)


@functools.lru_cache(maxsize=256)
def parse(script: str) -> Sequence:
    """Parse a script; ShellError for bad syntax or a construct this shell does not model.

    The tree is immutable, and every submitter of a fleet runs the same few scripts: parsed once each.
    """
    parser = _Parser(_tokens(script))
    tree = parser.sequence(frozenset())
    if parser.peek() is not None:
        raise ShellError(f"syntax error near unexpected token {parser.peek()!r}")
    return tree


def simple_commands(node: Node) -> list[Simple]:
    """Every simple command of a script, in order (``export`` and bare assignments left out)."""
    if isinstance(node, Simple):
        words = [w for w in node.words if not _ASSIGNMENT.match(w)]
        return [] if not words or words[0] == "export" else [Simple(tuple(words), node.quiet_out, node.quiet_err)]
    if isinstance(node, Not):
        return simple_commands(node.child)
    if isinstance(node, AndOr):
        return simple_commands(node.left) + simple_commands(node.right)
    if isinstance(node, Sequence):
        return [found for item in node.items for found in simple_commands(item)]
    if isinstance(node, If):
        found = [c for cond, body in node.branches for c in simple_commands(cond) + simple_commands(body)]
        return found + (simple_commands(node.otherwise) if node.otherwise is not None else [])
    return simple_commands(node.condition) + simple_commands(node.body)


def commands_used(node: Node) -> list[str]:
    """The command names a script runs (the first word of every simple command after its assignments)."""
    return [command.words[0] for command in simple_commands(node)]


def expand(word: str, env: Mapping[str, str], status: int = 0) -> str:
    """``$VAR``, ``${VAR}`` and ``$?``; unset variables expand to nothing."""
    def value(match: re.Match[str]) -> str:
        if match.group(3):
            return str(status)
        return env.get(match.group(1) or match.group(2), "")

    return _VAR.sub(value, word)


# -- running -------------------------------------------------------------------------------------------------------


@dataclass
class Process:
    """What a running command sees: its environment and its output streams."""

    env: dict[str, str]
    out: Callable[[str], None]
    err: Callable[[str], None]
    last_status: int = 0


Command = Callable[[list[str], Process], Step]
"""A command of the table: ``argv`` (argv[0] is the name as written) and its process; a generator."""


def _silenced(proc: Process, node: Simple) -> Process:
    if not node.quiet_out and not node.quiet_err:
        return proc
    drop: Callable[[str], None] = lambda _line: None  # noqa: E731
    return Process(proc.env, drop if node.quiet_out else proc.out, drop if node.quiet_err else proc.err,
                   proc.last_status)


@dataclass
class Shell:
    """Runs parsed scripts against a command table (the builtins here, then ``commands``)."""

    commands: Mapping[str, Command]
    errexit: bool = False
    _builtins: dict[str, Command] = field(init=False)
    _at: Simple | None = field(default=None, init=False)  # the simple command running (the one that waits)

    def __post_init__(self) -> None:
        self._builtins = {"true": _true, ":": _true, "false": _false, "echo": _echo, "sleep": _sleep,
                          "exit": _exit, "set": self._set}

    def knows(self, name: str) -> bool:
        return name in self._builtins or name == "export" or self.lookup(name) is not None

    def lookup(self, name: str) -> Command | None:
        return self.commands.get(name) or self.commands.get(name.rsplit("/", 1)[-1])

    def run_script(self, tree: Node, proc: Process) -> Step:
        """The whole script: its exit status is that of ``exit``, errexit, or the last command."""
        try:
            return (yield from self.run(tree, proc, False))
        except ExitScript as stop:
            return stop.code

    def run(self, node: Node, proc: Process, exempt: bool) -> Step:
        """Run ``node``; ``exempt`` marks bash's errexit exemptions (conditions, ``&&``/``||`` left sides, ``!``)."""
        if isinstance(node, Simple):
            status = yield from self._simple(node, proc)
            proc.last_status = status
            if self.errexit and not exempt and status != 0:
                raise ExitScript(status)
            return status
        if isinstance(node, Not):
            status = yield from self.run(node.child, proc, True)
            proc.last_status = 0 if status else 1
            return proc.last_status
        if isinstance(node, AndOr):
            status = yield from self.run(node.left, proc, True)
            if (status == 0) == (node.op == "&&"):
                status = yield from self.run(node.right, proc, exempt)
            return status
        if isinstance(node, Sequence):
            status = 0
            for item in node.items:
                status = yield from self.run(item, proc, exempt)
            return status
        if isinstance(node, If):
            for condition, body in node.branches:
                if (yield from self.run(condition, proc, True)) == 0:
                    return (yield from self.run(body, proc, exempt))
            if node.otherwise is not None:
                return (yield from self.run(node.otherwise, proc, exempt))
            return 0
        return (yield from self._loop(node, proc, exempt))

    def _loop(self, node: Loop, proc: Process, exempt: bool) -> Step:
        status = 0
        idle = 0
        waits = _Waits(object(), lambda: (id(self._at), dict(proc.env), proc.last_status, status, idle))
        while True:
            spent = [0.0]
            waits.next_iteration()
            condition = yield from waits.mark(_counting(self.run(node.condition, proc, True), spent))
            if (condition == 0) == node.until:
                return status
            status = yield from waits.mark(_counting(self.run(node.body, proc, exempt), spent))
            idle = idle + 1 if spent[0] == 0 else 0
            if idle > _LOOP_LIMIT:
                proc.err("bash: a loop ran without ever waiting; stopped by the simulator")
                raise ExitScript(1)

    def _simple(self, node: Simple, proc: Process) -> Step:
        words = [expand(word, proc.env, proc.last_status) for word in node.words]
        assignments: dict[str, str] = {}
        while words and _ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments[name] = value
        if not words:
            proc.env.update(assignments)
            return 0
        if words[0] == "export":
            for item in words[1:]:
                name, _, value = item.partition("=")
                if value or "=" in item:
                    proc.env[name] = value
            return 0
        target = _silenced(proc, node)
        if assignments:
            target = Process({**proc.env, **assignments}, target.out, target.err, proc.last_status)
        command = self._builtins.get(words[0]) or self.lookup(words[0])
        if command is None:
            target.err(f"bash: {words[0]}: command not found")
            return 127
        self._at = node
        return (yield from command(words, target))

    def _set(self, argv: list[str], proc: Process) -> Step:
        for flag in argv[1:]:
            if flag in ("-e", "-o", "errexit"):
                self.errexit = True
            elif flag == "+e":
                self.errexit = False
        return 0
        yield  # a generator


class _Waits:
    """The waits of one ``while``/``until`` loop, iteration after iteration, to tell the clock about repeats.

    A wait at which the loop's state (the command waiting, the delay, the environment, ``$?``, the loop's own
    counters) is what it was at the same wait of the previous iteration is yielded as a
    :class:`~harness.sim.clock.Repeat`: if the world did not change either, the iteration in between is a no-op
    the clock may pass over (a health wait loop printing "Waiting for Ray Dashboard GCS..." every 2 s). The clock
    only proves it for an iteration with a single wait.
    """

    def __init__(self, token: object, state: Callable[[], tuple[object, ...]]) -> None:
        self.token = token
        self.state = state
        self.previous: list[tuple[object, ...]] = []
        self.current: list[tuple[object, ...]] = []

    def next_iteration(self) -> None:
        self.previous, self.current = self.current, []

    def mark(self, gen: Step) -> Step:
        try:
            delay = next(gen)
            while True:
                index, snapshot = len(self.current), (float(delay), *self.state())
                self.current.append(snapshot)
                if (delay > 0 and not isinstance(delay, Repeat) and index < len(self.previous)
                        and self.previous[index] == snapshot):
                    delay = Repeat(delay, (self.token, index))
                yield delay
                delay = next(gen)
        except StopIteration as stop:
            return int(stop.value)


def _counting(gen: Step, spent: list[float]) -> Step:
    """Run ``gen``, adding the virtual time it waits to ``spent[0]``."""
    try:
        delay = next(gen)
        while True:
            spent[0] += delay
            yield delay
            delay = next(gen)
    except StopIteration as stop:
        return int(stop.value)


def _true(argv: list[str], proc: Process) -> Step:
    return 0
    yield


def _false(argv: list[str], proc: Process) -> Step:
    return 1
    yield


def _echo(argv: list[str], proc: Process) -> Step:
    words = argv[1:]
    newline = True
    if words and words[0] == "-n":
        words, newline = words[1:], False
    if newline or words:
        proc.out(" ".join(words))
    return 0
    yield


def _sleep(argv: list[str], proc: Process) -> Step:
    try:
        seconds = sum(float(word.rstrip("s")) for word in argv[1:])
    except ValueError:
        proc.err(f"sleep: invalid time interval '{argv[1] if len(argv) > 1 else ''}'")
        return 1
    yield seconds
    return 0


def _exit(argv: list[str], proc: Process) -> Step:
    try:
        code = int(argv[1]) % 256 if len(argv) > 1 else proc.last_status
    except ValueError:
        proc.err(f"bash: exit: {argv[1]}: numeric argument required")
        code = 2
    raise ExitScript(code)
    yield
