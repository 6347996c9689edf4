"""The verdict of a delivered master: requirement rows first, the verdict computed from them.

One mechanism for every place a verdict is shown (``producer master`` text, ``--json``, the
JSON and HTML reports, the demo's summary): :func:`judge` turns a mastered result, its profile,
the loudness goal of the run and the file as written into :class:`Requirement` rows, and
``Verdict.passed`` is ``all(row.passed)`` — nothing else. The rows check the file on disk
(format, sample type, rate, channels read back with soundfile), not what the chain intended,
so a writer that put a 128 kbps MP3 where 16-bit PCM was asked for fails its row.

When something else than the profile sets the loudness target (a reference track, a custom
``--target-lufs``, album normalisation), :class:`LoudnessGoal` says so in words and the check
follows it: an album-normalised CD has its loudest song on the target and every other song
keeps its distance (the same album gain, not louder than the target) — AES TD1008's album mode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from producer.mastering.chain import MasterResult
from producer.mastering.profiles import DeliveryProfile

#: Album gain equality: the same gain within this (dB); it is one float applied to every song.
ALBUM_GAIN_TOLERANCE_DB = 0.01

#: What soundfile reads back → (format name, lossless PCM sample width or None).
_SUBTYPES = {
    "PCM_16": ("16-bit PCM", "16"),
    "PCM_24": ("24-bit PCM", "24"),
    "PCM_32": ("32-bit PCM", "32"),
    "FLOAT": ("32-bit float", "32f"),
    "DOUBLE": ("64-bit float", "64f"),
    "MPEG_LAYER_III": ("MP3 (lossy)", None),
    "VORBIS": ("Ogg Vorbis (lossy)", None),
    "OPUS": ("Opus (lossy)", None),
}
LOSSY_FORMATS = ("mp3", "ogg")


def depth_words(bit_depth: str) -> str:
    """ "16" → "16-bit PCM", "32f" → "32-bit float"."""
    return f"{bit_depth[:-1]}-bit float" if bit_depth.endswith("f") else f"{bit_depth}-bit PCM"


@dataclass(frozen=True)
class LoudnessGoal:
    """What the integrated loudness of one master must be, and why (in words).

    ``kind``: "profile" (the profile's own target), "custom" (``--target-lufs``), "reference"
    (the loudness of a reference track), "album" (album-normalised: ``album_gain_db`` for every
    song; the loudest song, ``sets_album_gain``, on the target).
    """

    kind: str
    target_lufs: float
    tolerance_lu: float
    profile_target_lufs: float
    reference: str = ""
    album_gain_db: float = 0.0
    sets_album_gain: bool = True
    loudest_song: str = ""
    loudest_lufs: float = 0.0

    def required(self) -> str:
        """The requirement, as a producer would write it."""
        band = f"{self.target_lufs:.1f} LUFS ± {self.tolerance_lu:.1f} LU"
        if self.kind == "reference":
            return (
                f"matched to the reference {self.reference}: {band} "
                f"(instead of the profile's {self.profile_target_lufs:.1f} LUFS)"
            )
        if self.kind == "custom":
            return f"{band} (custom target; the profile asks {self.profile_target_lufs:.1f} LUFS)"
        if self.kind == "album" and self.sets_album_gain:
            return (
                f"album-normalised: the loudest song at {band}; this is the loudest song, it "
                f"sets the album gain ({self.album_gain_db:+.2f} dB)"
            )
        if self.kind == "album":
            return (
                f"album-normalised: the loudest song at {self.target_lufs:.1f} LUFS, the others "
                f"keep their differences (the album gain {self.album_gain_db:+.2f} dB, "
                f"no louder than {self.target_lufs + self.tolerance_lu:.1f} LUFS)"
            )
        return band

    @property
    def label(self) -> str:
        """A short qualifier for a one-line verdict ("" for the profile's own target)."""
        return {
            "reference": "loudness of the reference",
            "custom": "custom loudness",
            "album": "album-normalised",
        }.get(self.kind, "")


def profile_goal(
    profile: DeliveryProfile, profile_target_lufs: float | None = None
) -> LoudnessGoal:
    """The profile's target; "custom" when it differs from the named profile's own."""
    base = profile.target_lufs if profile_target_lufs is None else profile_target_lufs
    kind = "profile" if abs(base - profile.target_lufs) < 1e-9 else "custom"
    return LoudnessGoal(kind, profile.target_lufs, profile.tolerance_lu, base)


def reference_goal(
    profile: DeliveryProfile, reference_lufs: float, reference_name: str
) -> LoudnessGoal:
    return LoudnessGoal(
        "reference", reference_lufs, profile.tolerance_lu, profile.target_lufs, reference_name
    )


def album_goals(
    results: list[MasterResult], titles: list[str], profile: DeliveryProfile, mode: str
) -> list[LoudnessGoal]:
    """One goal per song of an album run: track-normalised songs each on the target; album
    normalisation gives every song the loudest song's gain (``master_album``'s rule)."""
    base = profile_goal(profile)
    if mode != "album" or len(results) < 2:
        return [base] * len(results)
    # Every song carries the same gain now: the loudest master is the song that set it (its
    # own solve reached the target with the smallest gain), the others are quieter.
    common = min(r.gain_db for r in results)
    loudest = max(range(len(results)), key=lambda i: results[i].integrated_lufs)
    return [
        LoudnessGoal(
            "album",
            profile.target_lufs,
            profile.tolerance_lu,
            profile.target_lufs,
            album_gain_db=common,
            sets_album_gain=i == loudest,
            loudest_song=titles[loudest],
            loudest_lufs=results[loudest].integrated_lufs,
        )
        for i in range(len(results))
    ]


@dataclass(frozen=True)
class FileFacts:
    """The delivered file as soundfile reads it back."""

    format: str
    """"wav", "flac", "mp3", "ogg"."""
    subtype: str
    sample_rate: int
    channels: int
    frames: int

    @property
    def sample_type(self) -> str:
        return _SUBTYPES.get(self.subtype, (self.subtype, None))[0]

    @property
    def bit_depth(self) -> str | None:
        """ "16", "24", "32f" for lossless files; None for lossy ones."""
        return _SUBTYPES.get(self.subtype, ("", None))[1]


@dataclass(frozen=True)
class Requirement:
    """One row: what the profile (or the run) requires, what the file achieved, and how."""

    key: str
    label: str
    required: str
    achieved: str
    passed: bool
    how: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "requirement": self.label,
            "required": self.required,
            "achieved": self.achieved,
            "passed": self.passed,
            "how": self.how,
        }


@dataclass(frozen=True)
class Verdict:
    """The rows of one master and the verdict that follows from them."""

    profile: str
    goal: LoudnessGoal
    rows: tuple[Requirement, ...]
    written: FileFacts
    notes: tuple[str, ...] = ()
    """What the chain said about how it got there (the limiting budget, ...): context only."""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def problems(self) -> tuple[str, ...]:
        """One sentence per failing row, then the chain's explanation when there is one."""
        failing = tuple(
            f"{r.label}: {r.achieved}, required {r.required}" for r in self.rows if not r.passed
        )
        return failing + (self.notes if failing else ())

    @property
    def tag(self) -> str:
        """``cd: ok`` / ``cd, album-normalised: FAILED`` — the one-line verdict."""
        label = f"{self.profile}, {self.goal.label}" if self.goal.label else self.profile
        return f"{label}: {'ok' if self.passed else 'FAILED'}"


def file_facts(path: str | os.PathLike[str]) -> FileFacts:
    info = sf.info(str(path))
    fmt = {"WAV": "wav", "WAVEX": "wav", "FLAC": "flac", "MP3": "mp3", "OGG": "ogg"}
    return FileFacts(
        fmt.get(info.format, info.format.lower()),
        info.subtype,
        int(info.samplerate),
        int(info.channels),
        int(info.frames),
    )


def format_problem(profile: DeliveryProfile, path: Path) -> str:
    """Why ``path``'s extension cannot hold this profile's delivery ('' when it can)."""
    ext = path.suffix.lower().lstrip(".")
    if ext in profile.formats:
        return ""
    wanted = f"{'/'.join(profile.formats)} ({depth_words(profile.bit_depth)})"
    what = "a lossy format" if ext in LOSSY_FORMATS else f"not a {profile.name} format"
    return (
        f"{path}: the {profile.name} profile delivers {wanted}; .{ext or '?'} is {what} "
        f"(name the file .{profile.formats[0]}, or choose a profile that delivers .{ext})"
    )


def _loudness_row(result: MasterResult, goal: LoudnessGoal) -> Requirement:
    got = result.integrated_lufs
    err = round(got - goal.target_lufs, 2) + 0.0  # no "-0.00 LU"
    if goal.kind == "album" and not goal.sets_album_gain:
        same_gain = abs(result.gain_db - goal.album_gain_db) <= ALBUM_GAIN_TOLERANCE_DB
        not_louder = got <= goal.target_lufs + goal.tolerance_lu
        below = goal.loudest_lufs - got
        return Requirement(
            "loudness",
            "Integrated loudness",
            goal.required(),
            f"{got:.2f} LUFS, {below:.2f} LU below {goal.loudest_song} "
            f"(gain {result.gain_db:+.2f} dB)",
            same_gain and not_louder,
            "the album gain, the same for every song, so the loudness differences between "
            "the songs of the mixes survive (AES TD1008 album mode)",
        )
    how = f"gain {result.gain_db:+.2f} dB"
    if result.max_gain_reduction_db > 0.05:
        how += f", then the true-peak limiter (up to {result.max_gain_reduction_db:.1f} dB)"
    if goal.kind == "album":
        how += "; the same gain is applied to every song of the album"
    return Requirement(
        "loudness",
        "Integrated loudness",
        goal.required(),
        f"{got:.2f} LUFS ({err:+.2f} LU)",
        abs(err) <= goal.tolerance_lu,
        how + "; measured with producer's BS.1770-4 meter (EBU R 128 gating)",
    )


def judge(
    result: MasterResult,
    profile: DeliveryProfile,
    goal: LoudnessGoal,
    written: FileFacts,
) -> Verdict:
    """The requirement rows of one delivered file, and so its verdict."""
    rows = [_loudness_row(result, goal)]
    ceiling = result.ceiling_dbtp
    rows.append(
        Requirement(
            "true_peak",
            "True peak",
            f"≤ {ceiling:.1f} dBTP",
            f"{result.true_peak_dbtp:.2f} dBTP",
            result.true_peak_dbtp <= ceiling,
            "true-peak limiter (4× oversampled detection), checked on the delivered samples "
            "with 8× interpolation",
        )
    )
    rows.append(
        Requirement(
            "sample_rate",
            "Sample rate",
            f"{profile.sample_rate} Hz",
            f"{written.sample_rate} Hz",
            written.sample_rate == profile.sample_rate,
            "resampled with soxr (very high quality) before the limiter"
            if result.input_report is not None
            and result.input_report.sample_rate != profile.sample_rate
            else "the mix's own rate",
        )
    )
    wanted = f"{'/'.join(f.upper() for f in profile.formats)}, {depth_words(profile.bit_depth)}"
    dithered = profile.pcm_bits is not None
    rows.append(
        Requirement(
            "format",
            "File format",
            wanted,
            f"{written.format.upper()}, {written.sample_type}",
            written.format in profile.formats and written.bit_depth == profile.bit_depth,
            "TPDF dither, the last step" if dithered else "written as rendered (float)",
        )
    )
    if profile.channels is not None:
        rows.append(
            Requirement(
                "channels",
                "Channels",
                f"{profile.channels} ({'stereo' if profile.channels == 2 else 'mono'})",
                str(written.channels),
                written.channels == profile.channels,
                "a mono mix is delivered on both channels" if written.channels == 2 else "",
            )
        )
    return Verdict(profile.name, goal, tuple(rows), written, tuple(result.problems))


__all__ = [
    "LOSSY_FORMATS",
    "FileFacts",
    "LoudnessGoal",
    "Requirement",
    "Verdict",
    "album_goals",
    "depth_words",
    "file_facts",
    "format_problem",
    "judge",
    "profile_goal",
    "reference_goal",
]
