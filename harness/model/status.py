"""The reasons of a Kubernetes ``metav1.Status`` (a refused request) and the HTTP code that goes with each.

A refusal is matched by its reason in scenarios (``expect_refusal: {reason: Invalid}``) and injected by reason
(``fail_next``); both need apimachinery's names and codes, kept here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# apimachinery's StatusReason values, with the code each is sent with (k8s.io/apimachinery/pkg/api/errors).
STATUS_CODES: Final[Mapping[str, int]] = {
    "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "MethodNotAllowed": 405,
    "NotAcceptable": 406, "AlreadyExists": 409, "Conflict": 409, "Gone": 410, "Expired": 410,
    "RequestEntityTooLarge": 413, "UnsupportedMediaType": 415, "Invalid": 422, "TooManyRequests": 429,
    "InternalError": 500, "ServiceUnavailable": 503, "ServerTimeout": 500, "Timeout": 504,
}
STATUS_REASONS: Final = tuple(STATUS_CODES)

# The refusals a scenario may inject into the next create or delete: the server-side failures a client sees.
INJECTABLE_REASONS: Final = ("InternalError", "ServiceUnavailable", "Timeout", "TooManyRequests", "Forbidden",
                             "Conflict")
