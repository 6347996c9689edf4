"""The HTML pages: the album board, the player, login and share links.

Server-rendered with Jinja2 from the same workflows the API calls (each page names its JSON
twin in a ``<link rel="alternate">``); the player's script then talks to the JSON API.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from producer.errors import AuthenticationError, ProducerError, RateLimitedError
from producer.model.studio import rights
from producer.web import views
from producer.web.auth import COOKIE, caller, studio_of
from producer.web.errors import status_of
from producer.workflows.studio import accounts, review

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.filters["clock"] = lambda s: f"{int(s) // 60}:{int(s) % 60:02d}"
LOGIN_CSRF = "producer_login_csrf"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _set_session(response: Response, request: Request, token: str, max_age: float) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(max_age),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no ``//host``, no scheme) may follow a login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("json_url", "")
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def message_page(request: Request, message: str, status: int) -> HTMLResponse:
    return _page(request, "error.html", status, message=message, status=status)


def error_page(request: Request, exc: ProducerError) -> HTMLResponse:
    return message_page(request, exc.message, status_of(exc))


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = _page(request, "login.html", csrf=token, next=_safe_next(next), message="")
    response.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.post("/login", response_model=None)
async def login_submit(request: Request) -> Response:
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    given, expected = str(form.get("csrf", "")), request.cookies.get(LOGIN_CSRF, "")
    target = _safe_next(str(form.get("next", "/")))
    token = secrets.token_urlsafe(24)

    def again(message: str, status: int) -> HTMLResponse:
        response = _page(
            request, "login.html", status, csrf=token, next=target, message=message, email=email
        )
        response.set_cookie(
            LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request)
        )
        return response

    if not expected or not accounts.check_csrf(expected, given):
        return again("Your login form expired; please try again.", 403)
    try:
        session = await run_in_threadpool(accounts.login, studio_of(request), email, password)
    except RateLimitedError as exc:
        return again(exc.message, 429)
    except AuthenticationError as exc:
        return again(exc.message, 401)
    response = RedirectResponse(target, status_code=303)
    _set_session(response, request, session.token, accounts.COOKIE_SESSION_S)
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request) -> Response:
    form = await request.form()
    token = request.cookies.get(COOKIE, "")
    found = accounts.session_principal(studio_of(request), token)
    if found is not None and accounts.check_csrf(found[1], str(form.get("csrf", ""))):
        accounts.logout(studio_of(request), token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/s/{token}", response_model=None)
def share(token: str, request: Request) -> Response:
    try:
        session = accounts.visit_share(studio_of(request), token)
    except AuthenticationError as exc:
        return error_page(request, exc)
    response = RedirectResponse(f"/songs/{session.principal.song}", status_code=303)
    _set_session(response, request, session.token, session.expires_at - time.time())
    return response


@router.get("/", response_class=HTMLResponse, response_model=None)
def board(request: Request) -> Response:
    who = caller(request)
    if who.principal is None:
        return _login_redirect(request)
    if who.principal.song is not None:
        return RedirectResponse(f"/songs/{who.principal.song}", status_code=303)
    studio = studio_of(request)
    rows = review.board(studio, who.principal)
    project = studio.project()
    return _page(
        request,
        "board.html",
        me=who.principal,
        rights=rights(who.principal.role),
        csrf=who.csrf,
        album=project.album,
        rows=rows,
        activity=[
            {"at": views.iso(a.at), "who": a.who, "what": a.what, "song": a.song}
            for a in review.activity(studio, who.principal, 12)
        ],
        json_url="/api/songs",
    )


@router.get("/songs/{slug}", response_class=HTMLResponse, response_model=None)
def player(slug: str, request: Request) -> Response:
    who = caller(request)
    if who.principal is None:
        return _login_redirect(request)
    studio = studio_of(request)
    try:
        title = review.song_title(studio, who.principal, slug)
        versions = review.versions(studio, who.principal, slug)
    except ProducerError as exc:
        return error_page(request, exc)
    project = studio.project()
    return _page(
        request,
        "player.html",
        me=who.principal,
        rights=rights(who.principal.role),
        csrf=who.csrf,
        album=project.album,
        slug=slug,
        title=title,
        versions=versions,
        required=project.album.require_approval,
        json_url=f"/api/songs/{slug}/versions",
    )


@router.get("/versions/{version_id}/analysis", response_class=HTMLResponse, response_model=None)
def analysis(version_id: int, request: Request) -> Response:
    """The extra ear's report of a version (its JSON twin: /api/versions/{id}/analysis)."""
    who = caller(request)
    if who.principal is None:
        return _login_redirect(request)
    try:
        page, _ = review.analysis(studio_of(request), who.principal, version_id)
    except ProducerError as exc:
        return error_page(request, exc)
    return HTMLResponse(page.read_text(encoding="utf-8"))


__all__ = ["error_page", "message_page", "router"]
