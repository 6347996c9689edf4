"""The one exception tree of producer. Every error carries the exit code the CLI returns.

    ProducerError (exit 1)             root; anything producer raises on purpose
    ├── UserError (exit 2)             bad input: the message names the file or field
    │   ├── ValidationError            a document or value breaks a rule (carries every problem)
    │   ├── FormatError                a file is malformed, not audio, or of a newer format
    │   ├── NotFoundError              a project, song, track, clip, file or device that is not there
    │   ├── LockedError                another process is writing the project
    │   ├── AuthenticationError        the review studio does not know who asks (HTTP 401)
    │   ├── PermissionDeniedError      the asker's role may not do this (HTTP 403)
    │   ├── ConflictError              a duplicate or a concurrent change (HTTP 409)
    │   ├── TooLargeError              an upload over the size limit (HTTP 413)
    │   └── RateLimitedError           too many failed logins (HTTP 429)
    └── RenderError (exit 1)           the engine or an external library failed on valid input

A message is one line; the CLI prints ``producer: <message>`` on stderr and exits with
``exit_code``. No traceback for any of these.
"""

from __future__ import annotations

from collections.abc import Sequence


class ProducerError(Exception):
    """Root of every error producer raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserError(ProducerError):
    """Bad input from the user: a file, a field, an option. Exit code 2."""

    exit_code = 2


class ValidationError(UserError):
    """A document or value breaks one or more rules; ``problems`` holds all of them."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        self.problems = list(problems) or [message]
        if problems and len(problems) > 1:
            message = f"{message} (and {len(problems) - 1} more problem(s))"
        super().__init__(message)


class FormatError(UserError):
    """A file is malformed, not what it claims to be, or written by a newer producer."""


class NotFoundError(UserError):
    """Something named by the user does not exist."""


class LockedError(UserError):
    """Another process holds the project's write lock."""


class AuthenticationError(UserError):
    """No valid session, token, share link or password (the studio answers 401)."""


class PermissionDeniedError(UserError):
    """The asker's role may not do this, or a share link does not open this song (403)."""


class ConflictError(UserError):
    """A duplicate (an e-mail, a version number) or a change that conflicts with another (409)."""


class TooLargeError(UserError):
    """An upload over the size limit (413)."""


class RateLimitedError(UserError):
    """Too many failed logins for one account; try again after ``retry_after_s`` (429)."""

    def __init__(self, message: str, retry_after_s: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RenderError(ProducerError):
    """Processing failed on valid input (a library error, a full disk)."""


__all__ = [
    "AuthenticationError",
    "ConflictError",
    "FormatError",
    "LockedError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProducerError",
    "RateLimitedError",
    "RenderError",
    "TooLargeError",
    "UserError",
    "ValidationError",
]
