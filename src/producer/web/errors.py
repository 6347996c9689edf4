"""ProducerError → HTTP: one status per error class, the body ``{"error": "..."}``."""

from __future__ import annotations

from producer.errors import (
    AuthenticationError,
    ConflictError,
    FormatError,
    LockedError,
    NotFoundError,
    PermissionDeniedError,
    ProducerError,
    RateLimitedError,
    TooLargeError,
    UserError,
    ValidationError,
)

STATUS: tuple[tuple[type[ProducerError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (LockedError, 409),
    (TooLargeError, 413),
    (FormatError, 415),
    (ValidationError, 422),
    (RateLimitedError, 429),
    (UserError, 400),
    (ProducerError, 500),
)


def status_of(exc: ProducerError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500  # pragma: no cover


__all__ = ["STATUS", "status_of"]
