"""-k expressions select scenarios by name, file and markers, with and/or/not and parentheses."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.runner.selection import compile_keyword_expression


def selected(expression: str, *names: str) -> bool:
    return compile_keyword_expression(expression)(names)


def test_a_word_matches_a_case_insensitive_substring() -> None:
    assert selected("TTL", "ttl-cleanup")
    assert not selected("suspend", "ttl-cleanup")


def test_and_or_not_combine_with_pytest_precedence() -> None:
    assert selected("ttl and not slow", "ttl-cleanup", "lifecycle")
    assert not selected("ttl and not slow", "ttl-cleanup", "slow")
    assert selected("suspend or ttl and cleanup", "ttl-cleanup")
    assert not selected("(suspend or ttl) and retry", "ttl-cleanup")


def test_an_empty_expression_selects_everything() -> None:
    assert selected("", "anything")


@pytest.mark.parametrize("expression", ["ttl and", "(ttl", "and ttl", "ttl )"])
def test_a_malformed_expression_is_an_input_error(expression: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_keyword_expression(expression)
    assert f"-k expression={expression!r}" in caught.value.message
