"""``-k EXPR`` scenario selection, with pytest's grammar: words, ``and``, ``or``, ``not`` and parentheses.

A word matches a scenario when it is a case-insensitive substring of the scenario's name, its file name, or one
of its markers (``-k "ttl and not slow"``). A malformed expression is an InputError (exit code 2), reported
with the column where it went wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import InputError
from ..scenario.model import Scenario

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


@dataclass(frozen=True)
class _Token:
    text: str
    column: int


def _tokens(expression: str) -> list[_Token]:
    out = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None:
            break
        out.append(_Token(match.group(1), match.start(1) + 1))
        pos = match.end()
    return out


Predicate = Callable[[Iterable[str]], bool]


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokens(expression)
        self.index = 0

    def error(self, message: str, column: int | None = None) -> InputError:
        where = column if column is not None else len(self.expression) + 1
        return InputError(f"-k expression={self.expression!r}: {message} at column {where}",
                          hint="write words joined by and/or/not with parentheses, e.g. -k \"ttl and not slow\"")

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of expression")
        self.index += 1
        return token

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda names: True
        predicate = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected {extra.text!r}", extra.column)
        return predicate

    def or_expr(self) -> Predicate:
        left = self.and_expr()
        while (token := self.peek()) is not None and token.text == "or":
            self.take()
            right = self.and_expr()
            left = (lambda a, b: lambda names: a(names) or b(names))(left, right)
        return left

    def and_expr(self) -> Predicate:
        left = self.not_expr()
        while (token := self.peek()) is not None and token.text == "and":
            self.take()
            right = self.not_expr()
            left = (lambda a, b: lambda names: a(names) and b(names))(left, right)
        return left

    def not_expr(self) -> Predicate:
        token = self.take()
        if token.text == "not":
            inner = self.not_expr()
            return lambda names: not inner(names)
        if token.text == "(":
            inner = self.or_expr()
            closing = self.take()
            if closing.text != ")":
                raise self.error(f"expected ')' but found {closing.text!r}", closing.column)
            return inner
        if token.text in ("and", "or", ")"):
            raise self.error(f"unexpected {token.text!r}", token.column)
        word = token.text.lower()
        return lambda names: any(word in name.lower() for name in names)


def compile_keyword_expression(expression: str) -> Predicate:
    """A predicate over the names of a scenario; InputError when ``expression`` is malformed."""
    return _Parser(expression).parse()


def scenario_names(scenario: Scenario) -> list[str]:
    stem = scenario.path.stem if scenario.path else ""
    return [scenario.name, stem, *scenario.markers]


def select(scenarios: Iterable[Scenario], expression: str | None) -> list[Scenario]:
    items = list(scenarios)
    if not expression:
        return items
    predicate = compile_keyword_expression(expression)
    return [scenario for scenario in items if predicate(scenario_names(scenario))]
