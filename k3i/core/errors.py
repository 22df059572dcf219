"""Errors that actions raise: an Indonesian message, optionally per field.

Views turn them into form errors, the API into ``{"detail": …, "errors": [{"field": …, "message": …}]}``
with HTTP 4xx, the CLI into a message and a non-zero exit. Nothing is written when one is raised.
"""

from __future__ import annotations


class K3iError(Exception):
    status = 400

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def as_dict(self) -> dict[str, object]:
        return {"detail": self.detail, "errors": self.errors}


class ValidationFailed(K3iError):
    status = 422

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, [{"field": field, "message": message}])


class NotFound(K3iError):
    status = 404

    def __init__(self, detail: str = "Data tidak ditemukan.") -> None:
        super().__init__(detail)


class Conflict(K3iError):
    status = 409


class PermissionDenied(K3iError):
    status = 403

    def __init__(self, detail: str = "Anda tidak berwenang melakukan tindakan ini.") -> None:
        super().__init__(detail)
