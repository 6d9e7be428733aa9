"""Errors a person can act on. Each carries an English message id, translated when shown."""

from __future__ import annotations

from typing import Any

from yingji.i18n import gettext


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
