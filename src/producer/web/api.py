"""The JSON API: what scripts and tests use, and what the pages' scripts call.

Each route parses, calls one workflow of ``producer.workflows.studio`` and shapes the answer
with ``views``; errors become ``{"error": "..."}`` with their status (``web.errors``).
Files are reached only through ids looked up in the database, never through the URL.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from producer.web import views
from producer.web.auth import Caller, logged_in, studio_of
from producer.web.upload_stream import receive_upload
from producer.workflows.studio import accounts, authorize, review
from producer.workflows.studio import uploads as uploads_wf

router = APIRouter(prefix="/api")
Who = Annotated[Caller, Depends(logged_in)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LoginIn(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class CommentIn(Strict):
    start_s: float = Field(allow_inf_nan=False)
    end_s: float | None = Field(default=None, allow_inf_nan=False)
    body: str = Field(max_length=review.MAX_COMMENT_CHARS)
    parent_id: int | None = None


class ResolveIn(Strict):
    resolved: bool


class PublishIn(Strict):
    note: str = Field(default="", max_length=2000)


def _audio(path: Any, download: bool, name: str) -> FileResponse:
    # FileResponse answers Range requests with 206 (and 416 for impossible ranges).
    return FileResponse(
        path,
        media_type="audio/wav",
        filename=name if download else None,
        content_disposition_type="attachment" if download else "inline",
        headers={"Cache-Control": "private, max-age=3600"},
    )


def _json_text(text: str) -> Response:
    # Peaks never change for an id: the browser may keep them.
    return Response(
        text, media_type="application/json", headers={"Cache-Control": "private, max-age=86400"}
    )


@router.post("/login")
def login(body: LoginIn, request: Request) -> dict[str, Any]:
    s = accounts.login(studio_of(request), body.email, body.password, for_script=True)
    return {
        "token": s.token,
        "token_type": "bearer",
        "expires_at": views.iso(s.expires_at),
        "user": views.principal(s.principal),
    }


@router.post("/logout")
def logout(who: Who, request: Request) -> dict[str, Any]:
    authorize(who.principal, "listen")
    accounts.logout(studio_of(request), who.token)
    return {"ok": True}


@router.get("/me")
def me(who: Who) -> dict[str, Any]:
    p = authorize(who.principal, "listen")
    return views.principal(p)


@router.get("/songs")
def songs(who: Who, request: Request) -> list[dict[str, Any]]:
    return [views.board_row(r) for r in review.board(studio_of(request), who.principal)]


@router.get("/songs/{slug}/versions")
def versions(slug: str, who: Who, request: Request) -> list[dict[str, Any]]:
    return [views.version(v) for v in review.versions(studio_of(request), who.principal, slug)]


@router.post("/songs/{slug}/versions", status_code=201)
def publish(slug: str, body: PublishIn, who: Who, request: Request) -> dict[str, Any]:
    studio = studio_of(request)
    authorize(who.principal, "publish", slug)
    assert who.principal is not None
    return views.version(review.publish(studio, who.principal, slug, body.note))


@router.get("/versions/{version_id}")
def version(version_id: int, who: Who, request: Request) -> dict[str, Any]:
    return views.version(review.version(studio_of(request), who.principal, version_id, "listen"))


@router.get("/versions/{version_id}/audio")
def version_audio(
    version_id: int, who: Who, request: Request, download: bool = False
) -> FileResponse:
    studio = studio_of(request)
    (song, number), path = review.audio_path(studio, who.principal, version_id, download)
    return _audio(path, download, f"{song}-v{number}.wav")


@router.get("/versions/{version_id}/peaks")
def version_peaks(version_id: int, who: Who, request: Request) -> Response:
    return _json_text(review.peaks(studio_of(request), who.principal, version_id))


@router.get("/versions/{version_id}/analysis")
def version_analysis(version_id: int, who: Who, request: Request) -> Response:
    # The extra ear's findings and metrics (the JSON of `producer analyze --json`).
    _, data = review.analysis(studio_of(request), who.principal, version_id)
    return Response(data.read_text(encoding="utf-8"), media_type="application/json")


@router.get("/versions/{version_id}/comments", response_model=None)
def comments(version_id: int, who: Who, request: Request) -> Response:
    # The database's JSON text as it is: the list can be long (see the store's comments_json).
    text = review.comments_json(studio_of(request), who.principal, version_id)
    return Response(text, media_type="application/json")


@router.post("/versions/{version_id}/comments", status_code=201)
def add_comment(version_id: int, body: CommentIn, who: Who, request: Request) -> dict[str, Any]:
    c = review.add_comment(
        studio_of(request),
        who.principal,
        version_id,
        body.start_s,
        body.body,
        body.end_s,
        body.parent_id,
    )
    return views.comment(c)


@router.patch("/comments/{comment_id}")
def resolve(comment_id: int, body: ResolveIn, who: Who, request: Request) -> dict[str, Any]:
    return views.comment(
        review.set_resolved(studio_of(request), who.principal, comment_id, body.resolved)
    )


@router.post("/versions/{version_id}/approve", status_code=201)
def approve(version_id: int, who: Who, request: Request) -> dict[str, Any]:
    result = review.approve(studio_of(request), who.principal, version_id)
    return {
        "version": views.version(result.version),
        "approved": result.approved,
        "isrc": result.isrc or None,
    }


@router.get("/songs/{slug}/uploads")
def uploads(slug: str, who: Who, request: Request) -> list[dict[str, Any]]:
    return [views.upload(u) for u in review.uploads(studio_of(request), who.principal, slug)]


@router.post("/songs/{slug}/uploads", status_code=201)
async def upload(slug: str, who: Who, request: Request) -> dict[str, Any]:
    studio = studio_of(request)
    # Refuse before reading a byte of the body when the asker may not upload here.
    await run_in_threadpool(authorize, who.principal, "upload", slug)
    received = await receive_upload(
        request.headers.get("content-type", ""),
        request.headers.get("content-length"),
        request.stream(),
        studio.max_upload_bytes,
    )
    try:
        assert received.path is not None
        u = await run_in_threadpool(
            uploads_wf.accept_upload,
            studio,
            who.principal,
            slug,
            received.path,
            received.filename,
            received.fields.get("kind", "take"),
        )
    finally:
        received.discard()
    return views.upload(u)


@router.get("/uploads/{upload_id}/audio")
def upload_audio(upload_id: int, who: Who, request: Request) -> FileResponse:
    path = uploads_wf.upload_audio_path(studio_of(request), who.principal, upload_id)
    media = {".flac": "audio/flac", ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp3": "audio/mpeg"}
    return FileResponse(path, media_type=media.get(path.suffix.lower(), "application/octet-stream"))


@router.get("/uploads/{upload_id}/peaks")
def upload_peaks(upload_id: int, who: Who, request: Request) -> Response:
    return _json_text(uploads_wf.upload_peaks(studio_of(request), who.principal, upload_id))


@router.get("/activity")
def activity(who: Who, request: Request) -> list[dict[str, Any]]:
    rows = review.activity(studio_of(request), who.principal)
    return [
        {"at": views.iso(a.at), "who": a.who, "what": a.what, "song": a.song or None} for a in rows
    ]


@router.api_route("/{rest:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
def not_found(rest: str) -> JSONResponse:
    return JSONResponse({"error": "not found"}, status_code=404)


__all__ = ["router"]
