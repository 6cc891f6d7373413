"""Go's and apimachinery's formats: the few places where Go prints differently from Python."""

from __future__ import annotations

from harness._util.gofmt import (
    date_time,
    dns1035_label,
    dns1123_label,
    go_float,
    go_list,
    go_quote,
    metav1_time_v,
    parse_generic_version,
    parse_rfc3339,
    qualified_name,
    regex_error,
    rfc3339,
)


def test_go_quote_escapes_control_characters_as_go_does_not_as_json_does():
    assert go_quote('a "b"\n\x01\x7f') == '"a \\"b\\"\\n\\x01\\x7f"'


def test_go_list_prints_a_string_slice_with_spaces():
    assert go_list(["a", "b c"]) == "[a b c]"


def test_go_float_switches_to_exponent_form_from_one_million():
    assert (go_float(0.5), go_float(1e6), go_float(123456.0)) == ("0.5", "1e+06", "123456")


def test_regex_error_keeps_the_double_space_go_prints_between_examples():
    assert regex_error("bad", "x", "a", "b") == "bad (e.g. 'a',  or 'b', regex used for validation is 'x')"


def test_a_valid_subdomain_is_not_a_label_because_of_its_dots():
    assert dns1123_label("a.b") == ["must not contain dots"]


def test_a_dns1035_label_must_start_with_a_letter():
    problems = dns1035_label("1abc")
    assert len(problems) == 1 and problems[0].startswith("a DNS-1035 label must consist of")


def test_a_qualified_name_with_two_slashes_gets_one_whole_message():
    problems = qualified_name("a/b/c")
    assert len(problems) == 1 and problems[0].startswith("a valid label key must consist of")


def test_parse_generic_version_words_its_errors_as_go():
    assert parse_generic_version("2.9.3") == ((2, 9, 3), "")
    assert parse_generic_version("2") == (None, 'illegal version string "2"')


def test_time_layouts_round_trip_through_rfc3339():
    stamp = rfc3339(1_767_225_605.9)
    assert stamp == "2026-01-01T00:00:05Z"
    assert parse_rfc3339(stamp) == 1_767_225_605.0
    assert date_time(1_767_225_605) == "2026-01-01 00:00:05"
    assert metav1_time_v(stamp) == "2026-01-01 00:00:05 +0000 UTC"
