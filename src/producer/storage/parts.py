"""The cache of rendered MIDI parts: ``.producer/cache/parts/<key>.flac``.

A MIDI part's audio is derived data: the part's notes and controllers, its instrument and
SoundFont make it again whenever needed. So it is kept apart from ``media/`` (which holds what
cannot be made again: imports and recordings), under the *key* of what was rendered
(``producer.preproduction.render.render_key``: a sha256 of the events, instrument, SoundFont
content, rate and renderer version). A clip of a MIDI track's ``rendered`` lane refers to its
entry with an ordinary ``MediaRef`` whose ``path`` is the entry and whose ``sha256`` is the
key; an entry that is missing (deleted, `producer gc`, a copied project) is rendered again
when something needs the audio, it is never an error.

Entries are 24-bit FLAC (lossless for anything the synthesizer makes below full scale, and a
fraction of the size of 32-bit float: silence and decays compress to almost nothing); a render
that reaches full scale, which FLAC's integers cannot hold, is kept as 32-bit float WAV.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import soundfile as sf

from producer import audio
from producer.audio import Audio
from producer.errors import FormatError
from producer.fileio import atomic_output
from producer.model import MediaRef
from producer.storage import pins

PARTS_DIR = ".producer/cache/parts"
"""Folder of the rendered-parts cache, relative to the project."""

_ENTRY_RE = re.compile(r"[0-9a-f]{64}\.(flac|wav)")
_FLAC_PEAK = 0.999
"""Renders peaking below this fit 24-bit FLAC; louder ones are stored as float WAV."""


def is_part(path: str) -> bool:
    """Whether a MediaRef ``path`` names an entry of the rendered-parts cache."""
    return path.startswith(PARTS_DIR + "/")


def path_problem(ref: MediaRef) -> str | None:
    """Why ``ref`` is not a well-formed cache reference (``<key>.flac|wav`` under PARTS_DIR,
    named after its ``sha256``), or None."""
    name = ref.path[len(PARTS_DIR) + 1 :]
    if not _ENTRY_RE.fullmatch(name) or not name.startswith(ref.sha256 + "."):
        return f"{ref.path!r} is not a rendered-part entry named after its key {ref.sha256!r}"
    return None


def _ref(root: Path, rel: str, key: str, name: str) -> MediaRef:
    meta = audio.info(root / rel)
    return MediaRef(
        path=rel,
        sha256=key,
        sample_rate=meta.sample_rate,
        channels=meta.channels,
        frames=meta.frames,
        source_name=name,
    )


def find(root: Path, key: str, name: str = "") -> MediaRef | None:
    """The cache entry of ``key`` as a MediaRef, or None when there is none (or it is unreadable,
    which counts as none: a cache entry is rendered again rather than trusted). A found entry
    is pinned, like a new one, until a document refers to it."""
    for ext in ("flac", "wav"):
        rel = f"{PARTS_DIR}/{key}.{ext}"
        if (root / rel).is_file():
            pins.pin(root, rel)
            try:
                return _ref(root, rel, key, name)
            except FormatError:
                (root / rel).unlink(missing_ok=True)
    return None


def present(root: Path, ref: MediaRef) -> bool:
    """Whether the entry ``ref`` names is there and holds what ``ref`` says (rate, channels,
    frames); an entry that does not is removed, so that it is rendered again."""
    p = root / ref.path
    if not p.is_file():
        return False
    try:
        meta = audio.info(p)
    except FormatError:
        meta = None
    if meta is None or (meta.sample_rate, meta.channels, meta.frames) != (
        ref.sample_rate,
        ref.channels,
        ref.frames,
    ):
        p.unlink(missing_ok=True)
        return False
    return True


def store(root: Path, key: str, data: Audio, sample_rate: int, name: str = "") -> MediaRef:
    """Write ``data`` (float32, (channels, frames)) as the entry of ``key``; returns its ref.

    The entry appears only complete (a killed render leaves a ``.partial`` that the next
    writer or `producer gc` removes) and is pinned for this process until a document refers
    to it (``producer.storage.pins``), so `producer gc` cannot take it in between.
    """
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    ext = "flac" if peak < _FLAC_PEAK else "wav"
    rel = f"{PARTS_DIR}/{key}.{ext}"
    pins.pin(root, rel)
    with atomic_output(root / rel, durable=False) as tmp:
        subtype = "PCM_24" if ext == "flac" else "FLOAT"
        sf.write(str(tmp), data.T, sample_rate, subtype=subtype, format=ext.upper())
    return _ref(root, rel, key, name)


__all__ = ["PARTS_DIR", "find", "is_part", "path_problem", "present", "store"]
