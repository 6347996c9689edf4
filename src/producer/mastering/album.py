"""Album mode: track- or album-normalised masters, sequencing, and the CD image with its CUE.

Album normalisation (AES TD1008, Tidal/Spotify album mode) applies ONE gain to every track so
the intended loudness differences survive; the loudest track hits the target. It is found by
solving each track alone (gain g_i to reach the target) and taking the smallest g_i — the gain
of the loudest track — for all of them, each still through its own true-peak limiter.

The CD image (Red Book, IEC 60908; STANDARDS.md §3.4) is 44.1 kHz/16-bit stereo: ≥ 2 s of
silence before track 1 (INDEX 00 at 00:00:00, INDEX 01 after the pre-gap), every track start
(INDEX 01) on a 588-sample frame boundary, the gap before a later track as its INDEX 00; each
track's samples are copied unchanged into the image, followed by zeros up to the next frame
boundary, so the image's per-track audio equals the per-track masters bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from producer.audio import Audio, as_audio
from producer.errors import UserError, ValidationError
from producer.mastering.chain import DEFAULT_SETTINGS, ChainSettings, MasterResult, master
from producer.mastering.cue import (
    CD_SAMPLE_RATE,
    SAMPLES_PER_FRAME,
    CueIndex,
    CueSheet,
    CueTrack,
    check_red_book,
    isrc_problem,
    upc_problem,
)
from producer.mastering.profiles import DeliveryProfile


@dataclass(frozen=True)
class AlbumInput:
    """One song to master: its mix [shape=(channels, frames)] and sequencing data."""

    audio: Audio
    sample_rate: int
    title: str = ""
    performer: str = ""
    songwriter: str = ""
    isrc: str = ""
    gap_before_s: float = 2.0
    """Silence before this track (s); before track 1 of a CD at least the 2 s pre-gap."""
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0


def apply_fades(audio: Audio, sample_rate: int, fade_in_s: float, fade_out_s: float) -> Audio:
    """Equal-power (sine) fades in/out on ``audio`` [shape=(channels, frames)]."""
    a = as_audio(audio).copy()
    n = a.shape[1]
    for seconds, head in ((fade_in_s, True), (fade_out_s, False)):
        k = min(n, round(seconds * sample_rate))
        if k <= 0:
            continue
        ramp = np.sin(0.5 * np.pi * (np.arange(k) + 0.5) / k).astype(np.float32)
        if head:
            a[:, :k] *= ramp
        else:
            a[:, n - k :] *= ramp[::-1]
    return a


def master_album(
    inputs: list[AlbumInput],
    profile: DeliveryProfile,
    settings: ChainSettings = DEFAULT_SETTINGS,
    normalisation: str | None = None,
) -> list[MasterResult]:
    """Master every track; ``normalisation`` "track" or "album" (default: the profile's)."""
    if not inputs:
        raise UserError("the album has no songs to master")
    mode = normalisation or profile.normalisation
    if mode not in ("track", "album"):
        raise UserError(f"normalisation must be 'track' or 'album', not {mode!r}")
    stereo = profile.name == "cd"  # Red Book is 2-channel
    prepared: list[tuple[Audio, int]] = []
    for item in inputs:
        a = apply_fades(item.audio, item.sample_rate, item.fade_in_s, item.fade_out_s)
        if stereo and a.shape[0] == 1:
            a = np.repeat(a, 2, axis=0)
        prepared.append((a, item.sample_rate))
    solo = [master(a, sr, profile, settings) for a, sr in prepared]
    if mode == "track" or len(solo) == 1:
        return solo
    common = min(r.gain_db for r in solo)
    out: list[MasterResult] = []
    for (a, sr), r in zip(prepared, solo, strict=True):
        if math.isclose(r.gain_db, common):
            out.append(r)
        else:
            out.append(master(a, sr, profile, settings, fixed_gain_db=common))
    return out


@dataclass(frozen=True)
class CdImage:
    """A CD image [shape=(2, frames)] at 44.1 kHz/16-bit, its cue sheet, and track offsets."""

    audio: Audio
    cue: CueSheet
    track_starts: tuple[int, ...]
    """Sample offset of each track's INDEX 01 in ``audio``."""
    track_lengths: tuple[int, ...]


def _up_to_frame(samples: int) -> int:
    return -(-samples // SAMPLES_PER_FRAME) * SAMPLES_PER_FRAME


def build_cd_image(
    masters: list[Audio],
    inputs: list[AlbumInput],
    file_name: str = "album.wav",
    pregap_s: float = 2.0,
    catalog: str = "",
    title: str = "",
    performer: str = "",
) -> CdImage:
    """Lay the per-track ``masters`` (each (2, frames), 44.1 kHz, 16-bit grid) out as a CD.

    Raises ValidationError with every Red Book problem (pre-gap, lengths, count, duration,
    ISRC, UPC) — a disc that would be rejected at the plant is never written.
    """
    if not masters:
        raise UserError("the album has no songs to master")
    problems: list[str] = []
    if catalog and (p := upc_problem(catalog)):
        problems.append(p)
    for i, item in enumerate(inputs, start=1):
        if item.isrc and (p := isrc_problem(item.isrc)):
            problems.append(f"track {i:02d}: {p}")
    if problems:
        raise ValidationError(problems[0], problems)
    parts: list[Audio] = []
    starts: list[int] = []
    tracks: list[CueTrack] = []
    # Red Book: ≥ 2 s (150 frames) before track 1's INDEX 01, whatever gap the song asks for;
    # a longer gap before song 1 lengthens the pre-gap.
    first_gap_s = max(pregap_s, inputs[0].gap_before_s if inputs else 0.0, 2.0)
    pos = _up_to_frame(math.ceil(first_gap_s * CD_SAMPLE_RATE))
    parts.append(np.zeros((2, pos), dtype=np.float32))
    for i, (audio, item) in enumerate(zip(masters, inputs, strict=True), start=1):
        a = as_audio(audio)
        if a.shape[0] == 1:
            a = np.repeat(a, 2, axis=0)
        if a.shape[0] != 2:
            raise UserError(f"track {i:02d} has {a.shape[0]} channels; a CD holds 2")
        indexes: list[CueIndex] = []
        if i == 1:
            indexes.append(CueIndex(0, 0))
        else:
            gap = _up_to_frame(round(max(item.gap_before_s, 0.0) * CD_SAMPLE_RATE))
            if gap:
                indexes.append(CueIndex(0, pos // SAMPLES_PER_FRAME))
                parts.append(np.zeros((2, gap), dtype=np.float32))
                pos += gap
        indexes.append(CueIndex(1, pos // SAMPLES_PER_FRAME))
        starts.append(pos)
        padded = _up_to_frame(a.shape[1])
        block = np.zeros((2, padded), dtype=np.float32)
        block[:, : a.shape[1]] = a
        parts.append(block)
        pos += padded
        tracks.append(
            CueTrack(
                number=i,
                indexes=tuple(indexes),
                title=item.title[:80],
                performer=item.performer[:80],
                songwriter=item.songwriter[:80],
                isrc=item.isrc.replace("-", "").upper(),
            )
        )
    sheet = CueSheet(
        file=file_name,
        tracks=tuple(tracks),
        catalog=catalog,
        title=title[:80],
        performer=performer[:80],
    )
    red_book = check_red_book(sheet, pos // SAMPLES_PER_FRAME)
    if red_book:
        raise ValidationError(f"the album breaks the Red Book: {red_book[0]}", red_book)
    image = np.concatenate(parts, axis=1)
    return CdImage(
        audio=image,
        cue=sheet,
        track_starts=tuple(starts),
        track_lengths=tuple(as_audio(m).shape[1] for m in masters),
    )


def with_file(sheet: CueSheet, file_name: str) -> CueSheet:
    """The same cue sheet pointing at another image file name."""
    return replace(sheet, file=file_name)


__all__ = [
    "AlbumInput",
    "CdImage",
    "apply_fades",
    "build_cd_image",
    "master_album",
    "with_file",
]
