"""Errors of the services: each names the field or rule at fault; `message` is Chinese where a person reads it."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"

    def __init__(self, field: str | None, message: str, code: str | None = None):
        self.field = field
        self.message = message
        if code:
            self.code = code
        super().__init__(f"{field}: {message}" if field else message)

    def to_json(self) -> dict:
        return {"code": self.code, "field": self.field, "message": self.message}


class InvalidRequest(ServiceError):
    """Bad input: nothing was written."""

    code = "invalid_field"


class NotFound(ServiceError):
    code = "not_found"


class Refused(ServiceError):
    """A business rule refuses the request (not enrolled, waiting period, reversed...)."""

    code = "refused"


class Conflict(ServiceError):
    """The request collides with an earlier one (same key, different request; visit already settled)."""

    code = "conflict"


class StoreMissing(ServiceError):
    """`--db` names no store (a missing SQLite file, an unreachable database, or one without the schema):
    refused, never created; only `tongchou db upgrade` (and `load`, `demo`) create a store."""

    code = "store_missing"
