"""What the API server's answers say: error Status objects, Warning headers, and which writes have arrived."""

from __future__ import annotations

import json
import threading

from harness.backends.kube.clock import VersionLedger
from harness.backends.kube.transport import parse_warning, status_error


def test_an_error_status_keeps_its_code_reason_message_and_causes():
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 422, "reason": "Invalid",
                       "message": 'RayJob.ray.io "x" is invalid: spec.suspend: Invalid value',
                       "details": {"name": "x", "kind": "RayJob", "causes": [
                           {"reason": "FieldValueTypeInvalid", "message": "Invalid value", "field": "spec.suspend"}]}})
    error = status_error(422, body.encode())
    assert (error.code, error.reason, error.causes[0].field) == (422, "Invalid", "spec.suspend")
    assert error.message.startswith('RayJob.ray.io "x" is invalid')


def test_an_error_without_a_status_body_keeps_the_text():
    error = status_error(502, b"Bad Gateway\n", method="GET", path="/api/v1/pods")
    assert (error.code, error.message) == (502, "Bad Gateway")


def test_a_warning_header_is_read_with_its_escaped_quotes():
    assert parse_warning('299 - "unknown field \\"spec.bogus\\""') == 'unknown field "spec.bogus"'


def test_a_header_that_is_not_a_warning_is_ignored():
    assert parse_warning("something else") is None


def test_writes_are_complete_up_to_a_version_once_every_earlier_one_arrived():
    ledger = VersionLedger()
    ledger.start_at(10)
    for version in (12, 13, 11):
        ledger.saw(version)
    assert ledger.complete == 13


def test_a_missing_version_holds_completion_back():
    ledger = VersionLedger()
    ledger.start_at(10)
    ledger.saw(12)
    assert ledger.complete == 10 and not ledger.wait_complete(12, timeout=0.05)


def test_a_waiter_is_woken_when_the_missing_version_arrives():
    ledger = VersionLedger()
    ledger.start_at(1)
    ledger.saw(3)
    threading.Timer(0.05, ledger.saw, args=(2,)).start()
    assert ledger.wait_complete(3, timeout=5.0)


def test_a_list_accounts_for_everything_before_it():
    ledger = VersionLedger()
    ledger.saw(5)
    ledger.start_at(4)
    assert ledger.complete == 5
