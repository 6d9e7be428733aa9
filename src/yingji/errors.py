"""Errors a person can act on. Each carries an English message id, translated when shown."""

from __future__ import annotations

from typing import Any

from yingji.i18n import N_, gettext

# The answers to a database that refused a change for another transaction's sake (the request's own
# transaction is rolled back): one got there first (409), or held what this one needed too long (503).
CONFLICTING_CHANGE = N_("The change could not be saved because it conflicts with another change. Reload and try "
                        "again.")
DATABASE_BUSY = N_("The database is busy with other changes. Nothing was saved; try again in a moment.")
BUSY_RETRY_AFTER = 5  # seconds, in the Retry-After of a 503 "database busy"


class UserError(Exception):
    """Bad input or a refused action: becomes a 4xx with a message in the user's language."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, details: list[Any] | None = None,
                 **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
        self.field = field
        self.details = details or []

    def text(self) -> str:
        translated = gettext(self.message)
        return translated % self.params if self.params else translated


class NotFound(UserError):
    status_code = 404


class PermissionDenied(UserError):
    status_code = 403


class Conflict(UserError):
    status_code = 409


class TooLarge(UserError):
    status_code = 413


class Unsupported(UserError):
    status_code = 415


class TooManyRequests(UserError):
    status_code = 429


class NotAuthenticated(UserError):
    status_code = 401


# Validation problems reported by Pydantic, by error type, in words a person can act on.
_VALIDATION_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field may not be empty."),
    "string_too_long": N_("This text is too long."),
    "string_pattern_mismatch": N_("This value has characters that are not allowed."),
    "string_type": N_("Text is expected here."),
    "int_parsing": N_("A whole number is expected here."),
    "int_type": N_("A whole number is expected here."),
    "int_from_float": N_("A whole number is expected here."),
    "float_parsing": N_("A number is expected here."),
    "float_type": N_("A number is expected here."),
    "bool_parsing": N_("Yes or no is expected here."),
    "bool_type": N_("Yes or no is expected here."),
    "date_parsing": N_("A date (YYYY-MM-DD) is expected here."),
    "date_from_datetime_parsing": N_("A date (YYYY-MM-DD) is expected here."),
    "date_type": N_("A date (YYYY-MM-DD) is expected here."),
    "greater_than_equal": N_("This number is too small."),
    "greater_than": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "less_than": N_("This number is too large."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("The request body has the wrong shape."),
    "dict_type": N_("The request body has the wrong shape."),
    "control_characters": N_("This text contains invisible control characters."),
    "value_error": N_("This value is not one of the allowed choices."),
    "enum": N_("This value is not one of the allowed choices."),
    "literal_error": N_("This value is not one of the allowed choices."),
}


def validation_message(error: dict[str, Any]) -> str:
    """One Pydantic error in the user's language (falls back to Pydantic's own English)."""
    message = _VALIDATION_MESSAGES.get(str(error.get("type", "")))
    return gettext(message) if message else str(error.get("msg", ""))
