"""Uploads: a take or a reference track, accepted only if it decodes as audio.

The web shell streams the request body into a temporary file under the size limit
(``--max-upload-mb``); :func:`accept_upload` then decodes the whole file with libsndfile (by
its content, never by its name) and imports it into the media pool like ``producer import``:
a take lands on a new track of the song; a reference only joins the pool, measured for the
player's loudness-matched A/B.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from producer.errors import FormatError, NotFoundError, ValidationError
from producer.model.studio import Principal, Upload
from producer.workflows.studio.core import Studio, authorize
from producer.workflows.studio.review import _finite, peaks_json

KINDS = ("take", "reference")


def safe_name(filename: str) -> str:
    """The uploaded file's own name, without any folder and with only plain characters."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = re.sub(r"[^\w .()+-]+", "_", Path(base).stem).strip(" ._") or "upload"
    return stem[:80]


def check_audio(path: Path, name: str) -> None:
    """FormatError unless the whole file decodes as finite audio with at least one frame."""
    from producer import audio as audio_io

    try:
        meta = audio_io.info(path)
        frames = 0
        for block in audio_io.blocks(path, 1 << 16):
            frames += block.shape[1]
    except (FormatError, NotFoundError) as exc:
        raise FormatError(
            f"{name}: not an audio file libsndfile can decode ({exc.message})"
        ) from None
    if frames == 0 or meta.sample_rate <= 0:
        raise FormatError(f"{name}: holds no audio")


def accept_upload(
    studio: Studio,
    principal: Principal | None,
    slug: str,
    temp_file: Path,
    filename: str,
    kind: str = "take",
) -> Upload:
    """Import the uploaded ``temp_file`` (the caller deletes it afterwards)."""
    authorize(principal, "upload", slug)
    assert principal is not None
    if kind not in KINDS:
        raise ValidationError(f"kind {kind!r}: use take or reference")
    studio.project().song(slug)
    name = safe_name(filename)
    check_audio(temp_file, filename or name)
    with tempfile.TemporaryDirectory(prefix="producer-upload-") as tmp:
        # The track and clip take the file's own name (as `producer import` does).
        named = Path(tmp) / f"{name}{Path(filename).suffix.lower()[:8] or '.wav'}"
        shutil.copyfile(temp_file, named)
        if kind == "take":
            from producer.workflows import project as project_wf

            placed = project_wf.import_audio(studio.root, slug, [named])[0]
            ref, track = placed.media, placed.track
        else:
            ref, track = studio.project().import_media(named), ""
    media = studio.root / ref.path
    from producer.analysis import loudness

    report = loudness.measure_file(media)
    peaks, duration = peaks_json(media)
    upload = studio.store.add_upload(
        slug,
        kind,
        name,
        ref.path,
        ref.sha256,
        duration,
        _finite(report.integrated_lufs),
        _finite(report.true_peak_dbtp, -120.0),
        peaks,
        principal.label,
        track,
    )
    where = f" on track {track!r}" if track else ""
    studio.store.log(principal.name, f"uploaded {kind} {name}{where}", slug)
    return upload


def upload_audio_path(studio: Studio, principal: Principal | None, upload_id: int) -> Path:
    """An upload's media file, by its id in the database."""
    authorize(principal, "listen")
    u = studio.store.upload(upload_id)
    authorize(principal, "listen", u.song)
    path = studio.root / u.media_path
    if not u.media_path.startswith("media/") or ".." in Path(u.media_path).parts:
        raise NotFoundError(f"upload {upload_id}: not in the media pool")
    if not path.is_file():
        raise NotFoundError(f"upload {upload_id}: its media file is gone")
    return path


def upload_peaks(studio: Studio, principal: Principal | None, upload_id: int) -> str:
    authorize(principal, "listen")
    u = studio.store.upload(upload_id)
    authorize(principal, "listen", u.song)
    return studio.store.upload_peaks(upload_id)


__all__ = [
    "KINDS",
    "accept_upload",
    "check_audio",
    "safe_name",
    "upload_audio_path",
    "upload_peaks",
]
