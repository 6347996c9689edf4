"""Album mode: track- or album-normalised masters, sequencing, and the CD image with its CUE.

Album normalisation (AES TD1008, Tidal/Spotify album mode) applies ONE gain to every track so
the intended loudness differences survive; the loudest track hits the target. It is found by
solving each track alone (gain g_i to reach the target) and taking the smallest g_i — the gain
of the loudest track — for all of them, each still through its own true-peak limiter.

The CD image (Red Book, IEC 60908; STANDARDS.md §3.4) is 44.1 kHz/16-bit stereo: ≥ 2 s of
silence before track 1 (INDEX 00 at 00:00:00, INDEX 01 after the pre-gap), every track start
(INDEX 01) on a 588-sample frame boundary, the gap before a later track as its INDEX 00; each
track's samples are copied unchanged into the image, followed by zeros up to the next frame
boundary, so the image's per-track audio equals the per-track masters bit for bit. A track that
crossfades into the next overlaps it (no gap); there the image holds the equal-gain mix of the
two masters, dithered to 16 bits, and the next INDEX 01 lands at the crossfade's midpoint on a
588-sample frame boundary. Outside the crossfades the masters are still copied bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from producer.audio import Audio, as_audio
from producer.dsp import dither
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
    crossfade_s: float = 0.0
    """Overlap with the next track in the CD image (equal-gain crossfade); 0 = a gap."""


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
    progress: Callable[[str, int, int], None] | None = None,
) -> list[MasterResult]:
    """Master every track; ``normalisation`` "track" or "album" (default: the profile's).

    ``progress(title, done, total)`` is called before each master the chain makes (in album
    mode the songs that do not set the album gain are mastered twice)."""
    tell = progress or (lambda _title, _done, _total: None)
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
    total = len(prepared) if mode == "track" else 2 * len(prepared) - 1
    solo = []
    for i, ((a, sr), item) in enumerate(zip(prepared, inputs, strict=True)):
        tell(item.title or f"track {i + 1:02d}", i, total)
        solo.append(master(a, sr, profile, settings))
    if mode == "track" or len(solo) == 1:
        return solo
    common = min(r.gain_db for r in solo)
    out: list[MasterResult] = []
    done = len(solo)
    for i, ((a, sr), r) in enumerate(zip(prepared, solo, strict=True)):
        if math.isclose(r.gain_db, common):
            out.append(r)
        else:
            tell(f"{inputs[i].title or f'track {i + 1:02d}'} at the album gain", done, total)
            done += 1
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
    audio_starts: tuple[int, ...] = ()
    """Sample offset of each master's first sample (before INDEX 01 when crossfaded in)."""


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
    seed: int = 0,
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
    stereo: list[Audio] = []
    for i, audio in enumerate(masters, start=1):
        a = as_audio(audio)
        if a.shape[0] == 1:
            a = np.repeat(a, 2, axis=0)
        if a.shape[0] != 2:
            raise UserError(f"track {i:02d} has {a.shape[0]} channels; a CD holds 2")
        stereo.append(a)
    fades = _crossfades(stereo, inputs)
    placed: list[int] = []  # sample offset of each master's first sample in the image
    starts: list[int] = []  # sample offset of each INDEX 01
    tracks: list[CueTrack] = []
    # Red Book: ≥ 2 s (150 frames) before track 1's INDEX 01, whatever gap the song asks for;
    # a longer gap before song 1 lengthens the pre-gap.
    first_gap_s = max(pregap_s, inputs[0].gap_before_s if inputs else 0.0, 2.0)
    pos = _up_to_frame(math.ceil(first_gap_s * CD_SAMPLE_RATE))
    prev_end = pos
    for i, (a, item) in enumerate(zip(stereo, inputs, strict=True), start=1):
        indexes: list[CueIndex] = []
        xf_in = fades[i - 2] if i > 1 else 0
        if i == 1:
            indexes.append(CueIndex(0, 0))
            audio_start = index_01 = pos
        elif xf_in:
            # Crossfaded in: the audio starts xf_in samples before the previous track's end;
            # the track (INDEX 01) starts at the crossfade's midpoint, on the nearest 588-sample
            # frame boundary (no INDEX 00: there is no silence to skip).
            audio_start = prev_end - xf_in
            mid = audio_start + xf_in / 2
            index_01 = math.floor(mid / SAMPLES_PER_FRAME + 0.5) * SAMPLES_PER_FRAME
        else:
            gap = _up_to_frame(round(max(item.gap_before_s, 0.0) * CD_SAMPLE_RATE))
            if gap:
                indexes.append(CueIndex(0, pos // SAMPLES_PER_FRAME))
                pos += gap
            audio_start = index_01 = pos
        indexes.append(CueIndex(1, index_01 // SAMPLES_PER_FRAME))
        placed.append(audio_start)
        starts.append(index_01)
        prev_end = audio_start + a.shape[1]
        pos = _up_to_frame(prev_end)  # zeros up to the next frame boundary
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
    image = np.zeros((2, pos), dtype=np.float32)
    for a, at in zip(stereo, placed, strict=True):
        image[:, at : at + a.shape[1]] = a  # bit for bit outside the crossfades
    rng = np.random.default_rng(seed)
    for k, xf in enumerate(fades):
        if xf:
            at = placed[k + 1]
            image[:, at : at + xf] = crossfade(stereo[k][:, -xf:], stereo[k + 1][:, :xf], rng)
    return CdImage(
        audio=image,
        cue=sheet,
        track_starts=tuple(starts),
        track_lengths=tuple(a.shape[1] for a in stereo),
        audio_starts=tuple(placed),
    )


def _crossfades(masters: list[Audio], inputs: list[AlbumInput]) -> list[int]:
    """Crossfade length (samples) from each track into the next; ValidationError when a
    crossfade is longer than half of either track (the index would leave its track)."""
    out: list[int] = []
    problems: list[str] = []
    for k in range(len(masters) - 1):
        xf = round(max(inputs[k].crossfade_s, 0.0) * CD_SAMPLE_RATE)
        shorter = min(masters[k].shape[1], masters[k + 1].shape[1])
        if 2 * xf > shorter:
            problems.append(
                f"track {k + 1:02d}: crossfade of {inputs[k].crossfade_s:g} s into track "
                f"{k + 2:02d} is longer than half of a track ({shorter / 2 / CD_SAMPLE_RATE:.2f} s)"
            )
        out.append(xf)
    if problems:
        raise ValidationError(problems[0], problems)
    return out


def crossfade(tail: Audio, head: Audio, rng: np.random.Generator) -> Audio:
    """Equal-gain (linear) crossfade of ``tail`` into ``head`` (both (2, n), 16-bit grid),
    requantised to 16 bits with TPDF dither [shape=(2, n)].

    Equal gain rather than equal power: (1 − r)·x + r·y never exceeds max(|x|, |y|), so a sum
    of two masters under the true-peak ceiling stays under it (an equal-power sum can be 3 dB
    over); the price is a dip of up to 3 dB in the middle for unrelated material. The weighted
    sum is off the PCM grid, so it is dithered once (its last step), like every master.
    """
    n = tail.shape[1]
    ramp = (np.arange(n, dtype=np.float64) + 0.5) / n
    mixed = (1.0 - ramp) * tail.astype(np.float64) + ramp * head.astype(np.float64)
    return dither.quantize(mixed, 16, rng)


def with_file(sheet: CueSheet, file_name: str) -> CueSheet:
    """The same cue sheet pointing at another image file name."""
    return replace(sheet, file=file_name)


__all__ = [
    "AlbumInput",
    "CdImage",
    "apply_fades",
    "build_cd_image",
    "crossfade",
    "master_album",
    "with_file",
]
