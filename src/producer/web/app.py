"""The review studio's web app: ``create_app(studio)`` → a FastAPI (ASGI) application.

Pages (``pages``) and the JSON API (``api``) over the studio workflows; static files and the
vendored wavesurfer.js under ``/static``; security headers on every answer; every
``ProducerError`` mapped to its status in one table (``web.errors``), as ``{"error": ...}``
for the API and an HTML page for pages.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from producer import __version__
from producer.errors import AuthenticationError, ProducerError, RateLimitedError
from producer.web import api, pages
from producer.web.errors import status_of
from producer.workflows.studio import Studio

STATIC = Path(__file__).with_name("static")

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",  # only the studio's own files: no inline script, no CDN
        # wavesurfer.js styles its shadow DOM with a <style> element
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # share-link tokens must not leak in Referer
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every response; no caching of API JSON
    unless the route says otherwise."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(studio: Studio) -> FastAPI:
    """The app serving ``studio`` (opened with ``producer.workflows.studio.open_studio``)."""
    app = FastAPI(
        title="producer review studio",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.studio = studio

    @app.exception_handler(ProducerError)
    async def producer_error(request: Request, exc: ProducerError) -> Response:
        status = status_of(exc)
        if not _is_api(request):
            return pages.error_page(request, exc)
        headers = {}
        if isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
        if isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"error": exc.message}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if exc.errors() and all(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            # /api/versions/../audio names no version: not found, like any unknown path.
            return JSONResponse({"error": "not found"}, status_code=404)
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            problems.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg")))
        return JSONResponse({"error": "; ".join(problems) or "invalid request"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "not found" if exc.status_code == 404 else str(exc.detail)
        if _is_api(request) or request.url.path.startswith("/static/"):
            return JSONResponse({"error": message}, status_code=exc.status_code)
        return pages.message_page(request, message, exc.status_code)

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders)
    return app


__all__ = ["CSP", "create_app"]
