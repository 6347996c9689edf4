"""CUE sheets (CDRWIN format) for CD images: a strict reader, a writer, and Red Book checks.

Rules enforced by the reader are those of STANDARDS.md §3.5, each backed by a negative case of
the xiph/flac cue corpus (``test/cuesheets/bad.*``): one CATALOG of 13 digits; FLAGS once, after
TRACK and before INDEX; ISRC once, after TRACK and before INDEX, 12 characters (5 alphanumeric +
7 digits); TRACK numbers 1–99, sequential, with a type; INDEX numbers 0–99, the first 0 or 1,
sequential, offsets ascending across the disc, in MM:SS:FF (CD-DA frames of 1/75 s = 588
samples at 44.1 kHz); every track has INDEX 01; the first track starts at 00:00:00; at least one
track. FLAC's ``REM FLAC__lead-in`` / ``REM FLAC__lead-out`` extensions are checked for syntax.

Red Book checks of a disc layout (:func:`check_red_book`) add: ≥ 2 s pre-gap before track 1,
tracks ≥ 4 s, ≤ 99 tracks, total ≤ 79:57:74, ISRC and UPC/EAN check digits, CD-Text ≤ 80 chars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from producer.errors import FormatError, ValidationError
from producer.model.validate import CDTEXT_MAX_CHARS, isrc_problem, normalise_isrc, upc_problem

SAMPLES_PER_FRAME = 588
"""CD-DA sector: 1/75 s of 44.1 kHz stereo = 588 sample frames = 2352 bytes (IEC 60908)."""
FRAMES_PER_SECOND = 75
CD_SAMPLE_RATE = 44100
MIN_PREGAP_FRAMES = 2 * FRAMES_PER_SECOND  # ≥ 2 s before track 1 (Red Book)
MIN_TRACK_FRAMES = 4 * FRAMES_PER_SECOND  # tracks ≥ 4 s (Red Book)
MAX_TRACKS = 99
MAX_DISC_FRAMES = (79 * 60 + 57) * FRAMES_PER_SECOND + 74  # 79:57:74 on 80-min media

_ISRC = re.compile(r"^[A-Z0-9]{5}[0-9]{7}$")
_MSF = re.compile(r"^(\d{1,3}):(\d{1,2}):(\d{1,2})$")


def msf(frames: int) -> str:
    """CD frames → ``MM:SS:FF`` (75 frames per second)."""
    if frames < 0:
        raise ValueError("negative CD frame count")
    mm, rest = divmod(frames, 60 * FRAMES_PER_SECOND)
    ss, ff = divmod(rest, FRAMES_PER_SECOND)
    return f"{mm:02d}:{ss:02d}:{ff:02d}"


def parse_msf(text: str) -> int:
    """``MM:SS:FF`` → CD frames; ValueError when malformed or out of range."""
    m = _MSF.match(text)
    if not m:
        raise ValueError(f"offset {text!r} is not MM:SS:FF")
    mm, ss, ff = (int(g) for g in m.groups())
    if ss > 59 or ff > 74:
        raise ValueError(f"offset {text!r} out of range (SS ≤ 59, FF ≤ 74)")
    return (mm * 60 + ss) * FRAMES_PER_SECOND + ff


@dataclass(frozen=True)
class CueIndex:
    """An INDEX point: number (0 = pre-gap, 1 = track start) and offset in CD frames."""

    number: int
    frames: int


@dataclass(frozen=True)
class CueTrack:
    """One TRACK of a cue sheet; offsets are CD frames from the start of the FILE."""

    number: int
    indexes: tuple[CueIndex, ...]
    title: str = ""
    performer: str = ""
    songwriter: str = ""
    isrc: str = ""
    flags: tuple[str, ...] = ()
    mode: str = "AUDIO"

    @property
    def start_frames(self) -> int:
        """Offset of INDEX 01 (the track start)."""
        return next(i.frames for i in self.indexes if i.number == 1)

    @property
    def pregap_start_frames(self) -> int:
        """Offset of the first index (INDEX 00 when there is a pre-gap)."""
        return self.indexes[0].frames


@dataclass(frozen=True)
class CueSheet:
    """A single-FILE audio CD cue sheet."""

    file: str
    tracks: tuple[CueTrack, ...]
    file_type: str = "WAVE"
    catalog: str = ""
    title: str = ""
    performer: str = ""
    songwriter: str = ""
    rems: tuple[str, ...] = field(default_factory=tuple)


def _quote(text: str) -> str:
    if '"' in text or "\n" in text:
        raise ValidationError(f"CD-Text {text!r} may not contain quotes or line breaks")
    return f'"{text}"'


def write_cue(sheet: CueSheet) -> str:
    """The CDRWIN text of ``sheet`` (CRLF-free, UTF-8), validated by :func:`parse_cue` first."""
    lines: list[str] = [f"REM {r}" for r in sheet.rems]
    if sheet.catalog:
        lines.append(f"CATALOG {sheet.catalog}")
    if sheet.performer:
        lines.append(f"PERFORMER {_quote(sheet.performer)}")
    if sheet.songwriter:
        lines.append(f"SONGWRITER {_quote(sheet.songwriter)}")
    if sheet.title:
        lines.append(f"TITLE {_quote(sheet.title)}")
    lines.append(f"FILE {_quote(sheet.file)} {sheet.file_type}")
    for t in sheet.tracks:
        lines.append(f"  TRACK {t.number:02d} {t.mode}")
        if t.title:
            lines.append(f"    TITLE {_quote(t.title)}")
        if t.performer:
            lines.append(f"    PERFORMER {_quote(t.performer)}")
        if t.songwriter:
            lines.append(f"    SONGWRITER {_quote(t.songwriter)}")
        if t.flags:
            lines.append(f"    FLAGS {' '.join(t.flags)}")
        if t.isrc:
            lines.append(f"    ISRC {normalise_isrc(t.isrc)}")
        for ix in t.indexes:
            lines.append(f"    INDEX {ix.number:02d} {msf(ix.frames)}")
    text = "\n".join(lines) + "\n"
    parse_cue(text, "generated cue sheet")  # never write what our own reader would reject
    return text


_FLAGS = {"DCP", "4CH", "PRE", "SCMS"}
_TRACK_TYPES = {
    "AUDIO",
    "CDG",
    "MODE1/2048",
    "MODE1/2352",
    "MODE2/2336",
    "MODE2/2352",
    "CDI/2336",
    "CDI/2352",
}


def _tokens(line: str) -> list[str]:
    out: list[str] = []
    for m in re.finditer(r'"([^"]*)"|(\S+)', line):
        out.append(m.group(1) if m.group(1) is not None else m.group(2))
    return out


class _TrackBuilder:
    def __init__(self, number: int, mode: str) -> None:
        self.number = number
        self.mode = mode
        self.indexes: list[CueIndex] = []
        self.title = ""
        self.performer = ""
        self.songwriter = ""
        self.isrc = ""
        self.flags: tuple[str, ...] = ()
        self.flags_seen = False

    def build(self) -> CueTrack:
        return CueTrack(
            self.number,
            tuple(self.indexes),
            self.title,
            self.performer,
            self.songwriter,
            self.isrc,
            self.flags,
            self.mode,
        )


def parse_cue(text: str, name: str = "cue sheet") -> CueSheet:
    """Parse and validate a CDRWIN cue sheet; FormatError ``name:line N: why`` on the first error."""
    catalog = ""
    file_name = ""
    file_type = ""
    title = performer = songwriter = ""
    rems: list[str] = []
    tracks: list[_TrackBuilder] = []
    last_frames = -1
    lead_out_seen = False

    def fail(lineno: int, why: str) -> FormatError:
        return FormatError(f"{name}:{lineno}: {why}")

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        toks = _tokens(line)
        cmd = toks[0].upper()
        args = toks[1:]
        cur = tracks[-1] if tracks else None
        if cmd == "REM":
            if args and args[0] == "FLAC__lead-in":
                if len(args) < 2:
                    raise fail(lineno, "FLAC__lead-in needs an offset in samples")
                if not args[1].isdigit():
                    raise fail(lineno, f"FLAC__lead-in offset {args[1]!r} is not a number")
                if int(args[1]) % SAMPLES_PER_FRAME:
                    raise fail(lineno, "FLAC__lead-in must be a multiple of 588 samples (CD-DA)")
            elif args and args[0] == "FLAC__lead-out":
                if lead_out_seen:
                    raise fail(lineno, "FLAC__lead-out given more than once")
                lead_out_seen = True
                if len(args) < 2 or not args[1].isdigit():
                    raise fail(lineno, "FLAC__lead-out needs a track number")
                if int(args[1]) != 170:
                    raise fail(lineno, "FLAC__lead-out track must be 170 for CD-DA")
                if len(args) < 3 or not args[2].isdigit():
                    raise fail(lineno, "FLAC__lead-out needs an offset in samples")
            else:
                rems.append(" ".join(args))
            continue
        if cmd == "CATALOG":
            if catalog:
                raise fail(lineno, "CATALOG given more than once")
            if len(args) != 1 or len(args[0]) != 13 or not args[0].isdigit():
                raise fail(lineno, "CATALOG must be exactly 13 decimal digits")
            catalog = args[0]
        elif cmd == "FILE":
            if len(args) < 2:
                raise fail(lineno, "FILE needs a name and a type")
            if file_name:
                raise fail(lineno, "only single-FILE cue sheets are supported")
            file_name, file_type = args[0], args[1].upper()
        elif cmd == "TRACK":
            if not args:
                raise fail(lineno, "TRACK needs a number")
            if not args[0].isdigit():
                raise fail(lineno, f"TRACK number {args[0]!r} is not a number")
            number = int(args[0])
            if not 1 <= number <= MAX_TRACKS:
                raise fail(lineno, f"TRACK number {number} out of range 1-99 (CD-DA)")
            if len(args) < 2:
                raise fail(lineno, "TRACK needs a type (AUDIO)")
            if args[1].upper() not in _TRACK_TYPES:
                raise fail(lineno, f"unknown TRACK type {args[1]!r}")
            if cur is not None and not any(i.number == 1 for i in cur.indexes):
                raise fail(lineno, f"TRACK {cur.number:02d} has no INDEX 01")
            expected = (cur.number + 1) if cur is not None else None
            if expected is not None and number != expected:
                raise fail(lineno, f"TRACK {number:02d} out of sequence (expected {expected:02d})")
            tracks.append(_TrackBuilder(number, args[1].upper()))
        elif cmd == "FLAGS":
            if cur is None:
                raise fail(lineno, "FLAGS before the first TRACK")
            if cur.indexes:
                raise fail(lineno, "FLAGS must come before the track's INDEX lines")
            if cur.flags_seen:
                raise fail(lineno, "FLAGS given more than once in a track")
            bad = [f for f in args if f.upper() not in _FLAGS]
            if bad:
                raise fail(lineno, f"unknown FLAGS {' '.join(bad)} (DCP 4CH PRE SCMS)")
            cur.flags = tuple(f.upper() for f in args)
            cur.flags_seen = True
        elif cmd == "ISRC":
            if cur is None:
                raise fail(lineno, "ISRC before the first TRACK")
            if cur.indexes:
                raise fail(lineno, "ISRC must come before the track's INDEX lines")
            if cur.isrc:
                raise fail(lineno, "ISRC given more than once in a track")
            if not args:
                raise fail(lineno, "ISRC needs a code")
            # The display form CC-XXX-YY-NNNNN is accepted (as libFLAC does) and normalised.
            if not _ISRC.match(normalise_isrc(args[0])):
                raise fail(
                    lineno, f"ISRC {args[0]!r} must be 5 alphanumeric characters then 7 digits"
                )
            cur.isrc = normalise_isrc(args[0])
        elif cmd == "INDEX":
            if cur is None:
                raise fail(lineno, "INDEX before the first TRACK")
            if not args:
                raise fail(lineno, "INDEX needs a number")
            if not args[0].isdigit():
                raise fail(lineno, f"INDEX number {args[0]!r} is not a number")
            inum = int(args[0])
            if inum > 99:
                raise fail(lineno, f"INDEX number {inum} out of range 0-99")
            if not cur.indexes and inum not in (0, 1):
                raise fail(lineno, "the first INDEX of a track must be 00 or 01")
            if cur.indexes and inum != cur.indexes[-1].number + 1:
                raise fail(lineno, f"INDEX {inum:02d} out of sequence")
            if len(args) < 2:
                raise fail(lineno, "INDEX needs an offset MM:SS:FF")
            try:
                frames = parse_msf(args[1])
            except ValueError as exc:
                raise fail(lineno, f"{exc} (CD-DA offsets are MM:SS:FF)") from None
            if len(tracks) == 1 and not cur.indexes and frames != 0:
                raise fail(lineno, "the first INDEX of the first track must be 00:00:00")
            if frames <= last_frames and not (last_frames == frames == 0):
                raise fail(lineno, f"INDEX offset {args[1]} is not after the previous one")
            last_frames = frames
            cur.indexes.append(CueIndex(inum, frames))
        elif cmd in ("TITLE", "PERFORMER", "SONGWRITER"):
            value = args[0] if args else ""
            if len(value) > CDTEXT_MAX_CHARS:
                raise fail(lineno, f"{cmd} longer than {CDTEXT_MAX_CHARS} characters")
            target = cur if cur is not None else None
            if target is None:
                if cmd == "TITLE":
                    title = value
                elif cmd == "PERFORMER":
                    performer = value
                else:
                    songwriter = value
            else:
                setattr(target, cmd.lower(), value)
        elif cmd in ("PREGAP", "POSTGAP", "CDTEXTFILE"):
            continue  # burner-generated silence / external CD-Text: accepted, not modelled
        else:
            continue  # other CDRWIN extensions (DISC_ID, GENRE, ...) are ignored, as libFLAC does

    if not tracks:
        raise FormatError(f"{name}: no TRACK (a cue sheet needs at least one)")
    if not any(i.number == 1 for i in tracks[-1].indexes):
        raise FormatError(f"{name}: TRACK {tracks[-1].number:02d} has no INDEX 01")
    return CueSheet(
        file=file_name,
        tracks=tuple(t.build() for t in tracks),
        file_type=file_type,
        catalog=catalog,
        title=title,
        performer=performer,
        songwriter=songwriter,
        rems=tuple(rems),
    )


def check_red_book(sheet: CueSheet, total_frames: int) -> list[str]:
    """Every Red Book problem of a disc laid out by ``sheet`` over ``total_frames`` CD frames."""
    problems: list[str] = []
    tracks = sheet.tracks
    if not tracks:
        return ["no tracks"]
    if len(tracks) > MAX_TRACKS:
        problems.append(f"{len(tracks)} tracks (a CD holds at most 99)")
    if tracks[0].start_frames < MIN_PREGAP_FRAMES:
        problems.append(
            f"pre-gap before track 1 is {tracks[0].start_frames / 75:.2f} s (at least 2 s)"
        )
    for i, t in enumerate(tracks):
        end = tracks[i + 1].pregap_start_frames if i + 1 < len(tracks) else total_frames
        length = end - t.start_frames
        if length < MIN_TRACK_FRAMES:
            problems.append(f"track {t.number:02d} lasts {length / 75:.2f} s (at least 4 s)")
        if t.isrc and (p := isrc_problem(t.isrc)):
            problems.append(f"track {t.number:02d}: {p}")
    if total_frames > MAX_DISC_FRAMES:
        problems.append(f"disc lasts {msf(total_frames)} (at most 79:57:74)")
    if sheet.catalog and (p := upc_problem(sheet.catalog)):
        problems.append(p)
    return problems


__all__ = [
    "CD_SAMPLE_RATE",
    "SAMPLES_PER_FRAME",
    "CueIndex",
    "CueSheet",
    "CueTrack",
    "check_red_book",
    "isrc_problem",
    "msf",
    "normalise_isrc",
    "parse_cue",
    "parse_msf",
    "upc_problem",
    "write_cue",
]
