"""Who is asking: the session cookie or the bearer token, and the CSRF check.

The one place the web shell learns the principal. Roles are not checked here but in
``producer.workflows.studio.authorize``, which every use case calls; this module only makes
sure a browser's state-changing call carries its session's CSRF secret (a bearer token is
never sent by a browser on its own, so it needs none).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from producer.errors import AuthenticationError, PermissionDeniedError
from producer.model.studio import Principal
from producer.workflows.studio import Studio
from producer.workflows.studio import accounts as acc

COOKIE = "producer_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    principal: Principal | None
    csrf: str = ""
    token: str = ""
    via_cookie: bool = False


def studio_of(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def caller(request: Request) -> Caller:
    """The session behind the request (a dependency of every route), CSRF checked."""
    studio = studio_of(request)
    token = _bearer(request)
    via_cookie = False
    if token is None:
        token = request.cookies.get(COOKIE)
        via_cookie = token is not None
    found = acc.session_principal(studio, token)
    if found is None:
        return Caller(None)
    principal, csrf = found
    if via_cookie and request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if not acc.check_csrf(csrf, given):
            raise PermissionDeniedError("missing or wrong CSRF token (reload the page)")
    return Caller(principal, csrf, token or "", via_cookie)


def logged_in(request: Request) -> Caller:
    """Like :func:`caller`, but nobody gets 401 before the request body is even read."""
    who = caller(request)
    if who.principal is None:
        raise AuthenticationError("log in first (or use a share link)")
    return who


__all__ = ["COOKIE", "CSRF_HEADER", "Caller", "caller", "logged_in", "studio_of"]
