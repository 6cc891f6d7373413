"""Go's and apimachinery's formats, reproduced once: quoting, name checks with their exact wording, time layouts.

KubeRay and the API server are Go programs; their messages embed values as Go prints them (``%q``, ``%v`` of a
``[]string`` or a float) and name checks as ``k8s.io/apimachinery/pkg/util/validation`` words them (Kubernetes
1.35, the node image KubeRay v1.7.0 tests on). Every part of the harness that reproduces such a message uses
these helpers, so the wording cannot drift between the API server model and the operator model.

Pure functions on strings and numbers; nothing here knows about Kubernetes objects or Ray. Not here: the
``FieldError`` shape of API-server errors (``harness.manifests.field_errors``).
"""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Final

# -- quoting and %v ------------------------------------------------------------------------------------------------

_GO_ESCAPES: Final = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """``strconv.Quote`` (``%q``): double quotes, backslash escapes for quotes, backslashes and control characters."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not char.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def go_list(items: list[str]) -> str:
    """``%v`` of a ``[]string``: ``[a b]``."""
    return "[" + " ".join(items) + "]"


def go_float(value: float) -> str:
    """Go's ``%v`` for a float64 (``%g``, shortest digits): exponent form below 1e-4 and from 1e+06 on."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    # repr is the shortest round-trip form, as Go's; Decimal splits it into significant digits and exponent
    _, digit_tuple, exp = Decimal(repr(abs(value))).normalize().as_tuple()
    all_digits = "".join(map(str, digit_tuple))
    exponent = len(all_digits) - 1 + int(exp)
    sign = "-" if value < 0 else ""
    if exponent < -4 or exponent >= 6:
        head, tail = all_digits[0], all_digits[1:]
        return f"{sign}{head}{'.' + tail if tail else ''}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return sign + _plain(all_digits, exponent)


def _plain(digits: str, exponent: int) -> str:
    if exponent < 0:
        return "0." + "0" * (-exponent - 1) + digits
    if len(digits) <= exponent + 1:
        return digits + "0" * (exponent + 1 - len(digits))
    return digits[:exponent + 1] + "." + digits[exponent + 1:]


def go_json(value: Any) -> str:
    """``encoding/json.Marshal``: compact, sorted map keys, and HTML-safe escapes of ``<``, ``>`` and ``&``."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- apimachinery name checks ----------------------------------------------------------------------------------------

DNS1123_LABEL: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN: Final = DNS1123_LABEL + r"(\." + DNS1123_LABEL + ")*"
DNS1035_LABEL: Final = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME_PART: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE: Final = "(" + QUALIFIED_NAME_PART + ")?"

_SUBDOMAIN_MSG: Final = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                         "'.', and must start and end with an alphanumeric character")
_LABEL_MSG: Final = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                     "must start and end with an alphanumeric character")
_DNS1035_MSG: Final = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                       "alphabetic character, and end with an alphanumeric character")
_KEY_MSG: Final = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                   "alphanumeric character")
_VALUE_MSG: Final = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                     "and must start and end with an alphanumeric character")


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """``RegexError``: examples joined by ``" or "`` after a ``", "``, hence the double space Go prints."""
    if not examples:
        return f"{message} (regex used for validation is '{pattern}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


def _full(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def dns1123_subdomain(value: str, *, unit: str = "characters") -> list[str]:
    """``IsDNS1123Subdomain``: most object names (``unit`` is "bytes" where apimachinery says so)."""
    errors = []
    if len(value.encode()) > 253:
        errors.append(f"must be no more than 253 {unit}")
    if not _full(DNS1123_SUBDOMAIN, value):
        errors.append(regex_error(_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN, "example.com"))
    return errors


def dns1123_label(value: str) -> list[str]:
    """``IsDNS1123Label``: namespaces, and names embedded in other names (a valid subdomain gets "no dots")."""
    errors = []
    if len(value.encode()) > 63:
        errors.append("must be no more than 63 characters")
    if not _full(DNS1123_LABEL, value):
        errors.append("must not contain dots" if _full(DNS1123_SUBDOMAIN, value)
                      else regex_error(_LABEL_MSG, DNS1123_LABEL, "my-name", "123-abc"))
    return errors


def dns1035_label(value: str) -> list[str]:
    """``IsDNS1035Label``: Service names, and KubeRay's RayJob names."""
    errors = []
    if len(value.encode()) > 63:
        errors.append("must be no more than 63 characters")
    if not _full(DNS1035_LABEL, value):
        errors.append(regex_error(_DNS1035_MSG, DNS1035_LABEL, "my-name", "abc-123"))
    return errors


def qualified_name(value: str) -> list[str]:
    """``IsQualifiedName`` (label and annotation keys): an optional DNS-subdomain prefix and a name part."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return ["a valid label key " + regex_error(_KEY_MSG, QUALIFIED_NAME_PART, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + msg for msg in dns1123_subdomain(parts[0], unit="bytes"))
    if not name:
        errors.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errors.append("name part must be no more than 63 bytes")
    if not _full(QUALIFIED_NAME_PART, name):
        errors.append("name part " + regex_error(_KEY_MSG, QUALIFIED_NAME_PART, "MyName", "my.name", "123-abc"))
    return errors


def label_value(value: str) -> list[str]:
    """``IsValidLabelValue``."""
    errors = []
    if len(value.encode()) > 63:
        errors.append("must be no more than 63 bytes")
    if not _full(LABEL_VALUE, value):
        errors.append(regex_error(_VALUE_MSG, LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errors


# -- versions --------------------------------------------------------------------------------------------------------


def parse_generic_version(text: str) -> tuple[tuple[int, ...] | None, str]:
    """``version.ParseGeneric``: (components, "") or (None, the Go error text)."""
    match = re.fullmatch(r"\s*v?([0-9]+(?:\.[0-9]+)*)(?:.*)", text)
    if match is None:
        return None, f"could not parse {go_quote(text)} as version"
    parts = match.group(1).split(".")
    if len(parts) < 2:
        return None, f"illegal version string {go_quote(text)}"
    if parts[0].startswith("0") and parts[0] != "0":
        return None, f"illegal zero-prefixed version component {go_quote(parts[0])} in {go_quote(text)}"
    for part in parts:
        if int(part) >= 2**64:
            return None, (f"illegal non-numeric version component {go_quote(part)} in {go_quote(text)}: "
                          f"strconv.ParseUint: parsing {go_quote(part)}: value out of range")
    return tuple(int(p) for p in parts), ""


def version_less(version: tuple[int, ...], minimum: tuple[int, ...]) -> bool:
    """``Version.LessThan`` with missing components read as 0."""
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) < minimum + (0,) * (width - len(minimum))


# -- time layouts ----------------------------------------------------------------------------------------------------

_RFC3339: Final = "%Y-%m-%dT%H:%M:%SZ"
_DATE_TIME: Final = "%Y-%m-%d %H:%M:%S"


def rfc3339(epoch_seconds: float) -> str:
    """``metav1.Time`` as serialised by Kubernetes: RFC 3339, whole seconds, UTC (``2026-01-01T00:00:05Z``)."""
    return _rfc3339_second(math.floor(epoch_seconds))


@functools.lru_cache(maxsize=64)
def _rfc3339_second(second: int) -> str:
    # Many objects are stamped within the same virtual second: format each second once.
    return datetime.fromtimestamp(second, tz=timezone.utc).strftime(_RFC3339)


def parse_rfc3339(value: str) -> float:
    """UNIX seconds of an RFC 3339 timestamp as Kubernetes writes them (sub-seconds and offsets are dropped)."""
    return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


def date_time(epoch_seconds: float) -> str:
    """Go's ``time.DateTime`` layout (``2006-01-02 15:04:05``) in UTC."""
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime(_DATE_TIME)


def metav1_time_v(value: str) -> str:
    """``%v`` of a ``*metav1.Time`` read back from the API: ``2026-01-01 00:00:05 +0000 UTC``."""
    return date_time(parse_rfc3339(value)) + " +0000 UTC"
