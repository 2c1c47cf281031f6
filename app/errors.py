"""Domain exceptions: errors a user can fix, mapped once to HTTP codes and messages."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, code: str | None = None, message: str | None = None) -> None:
        self.code = code or self.code
        self.message = message or self.code.replace("_", " ").capitalize()
        super().__init__(self.message)


class Malformed(DomainError):
    status = 400
    code = "malformed"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class RateLimited(DomainError):
    """Too many of something in a period (a per-member or per-idea daily limit)."""

    status = 429
    code = "rate_limited"


class QuotaExceeded(RateLimited):
    """A member's quota is used up (app.services.quotas): shown on the page in HTML."""

    code = "quota_exceeded"


class Invalid(DomainError):
    """Well-formed input that breaks a rule; `fields` maps field names to messages."""

    status = 422
    code = "invalid"

    def __init__(self, fields: dict[str, str] | None = None, message: str | None = None,
                 code: str | None = None) -> None:
        self.fields = fields or {}
        super().__init__(code, message or "; ".join(f"{k}: {v}" for k, v in self.fields.items())
                         or "Invalid input")


class StorageUnavailable(DomainError):
    """Uploaded files cannot be written or read: the disk is full, over quota, or the object
    store does not answer. Nothing was saved; trying again later may work."""

    status = 507
    code = "storage_unavailable"
