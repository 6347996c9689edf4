"""Captures saved as takes: ``save_capture``, ``recover``, and the captures ``producer gc`` may
remove.

Captures in progress live in ``.producer/recordings/<id>/`` (raw samples + a JSON sidecar,
see ``producer.tracking.capture``). When a recording ends — or, after a crash, on the next
tracking command (``recover``) — each take is written as a WAV file next to its capture,
imported into the media pool, and added to its track as a new take lane in one undoable step;
then the capture is marked ``saved``. The raw capture is kept: a take is never lost, even if
the import fails (disk full), because the next command tries again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from producer import audio
from producer.errors import FormatError
from producer.model import MediaRef, Track
from producer.model import edit as ed
from producer.storage import Project
from producer.storage.project import ALBUM_FILE
from producer.tracking import capture as cap
from producer.tracking import takes as tk
from producer.tracking.session import TakeAudio, cut_takes
from producer.workflows import office as office_wf

RECORDINGS_DIR = ".producer/recordings"


SAVED = "saved"


@dataclass(frozen=True)
class SavedTake:
    track: str
    take: int
    lane_id: str
    start_s: float
    duration_s: float
    capture: str
    state: str


def _take_wav(folder: Path, t: TakeAudio) -> Path:
    safe = "".join(ch if ch.isalnum() else "-" for ch in t.track)
    return folder / f"take-{safe}-{t.pass_index + 1}.wav"


def save_capture(project: Project, folder: Path) -> list[SavedTake]:
    """Turn a capture (finished or interrupted) into take lanes; mark it saved."""
    meta, data = cap.read_capture(folder)
    cut = cut_takes(meta, data)
    refs: list[tuple[TakeAudio, MediaRef]] = []
    for t in cut:
        wav = _take_wav(folder, t)
        audio.write(wav, t.audio, meta.sample_rate, subtype="FLOAT")
        refs.append((t, project.import_media(wav)))
    saved: list[SavedTake] = []
    if refs:
        with project.transaction(f"record {len(refs)} take(s) into {meta.song}") as tx:
            song = tx.song(meta.song)
            for t, ref in refs:
                if song.track(t.track) is None:
                    song = ed.add_track(song, Track(name=t.track))
                before = ed.get_track(song, t.track)
                song, lane_id = tk.add_take(song, t.track, ref, t.start_frame)
                credit = office_wf.TakeCredit(
                    meta.performer, meta.instrument, meta.role, meta.booking
                )
                song = office_wf.credit_lane(song, t.track, lane_id, credit)
                track = ed.get_track(song, t.track)
                n = meta.crossfade_frames
                # A take stopped before the punch-out punches only as far as it reaches.
                punch_out = min(
                    meta.range_end_frame, t.start_frame + t.audio.shape[1] - (n - n // 2)
                )
                if meta.mode == "punch" and punch_out > meta.range_start_frame:
                    # Punch into what played before this take was added.
                    track = tk.punch_into_comp(
                        replace(track, active=before.active, comp=before.comp),
                        lane_id,
                        meta.range_start_frame,
                        punch_out,
                        n,
                    )
                    song = ed.replace_track(song, track)
                saved.append(
                    SavedTake(
                        track=t.track,
                        take=tk.take_number(track, lane_id),
                        lane_id=lane_id,
                        start_s=t.start_frame / meta.sample_rate,
                        duration_s=t.audio.shape[1] / meta.sample_rate,
                        capture=folder.name,
                        state=meta.state,
                    )
                )
            tx.put_song(song)
    cap.mark(folder, SAVED, meta.message)
    return saved


def saved_captures(root: Path) -> list[Path]:
    """Capture folders whose takes are saved in the project (media/ and a history step): the
    raw capture and the take files beside it are then needed no more (`producer gc`)."""
    base = Path(root) / RECORDINGS_DIR
    out = []
    for p in sorted(base.glob(f"*/{cap.META_NAME}")):
        try:
            if cap.read_meta(p.parent).state == SAVED:
                out.append(p.parent)
        except FormatError:
            continue  # unreadable: not ours to judge, `recover` reports it
    return out


def recover(root: Path) -> list[SavedTake]:
    """Save every capture left unsaved (a killed recording, or one whose import failed)."""
    saved: list[SavedTake] = []
    base = Path(root) / RECORDINGS_DIR
    pending = [
        p.parent
        for p in sorted(base.glob(f"*/{cap.META_NAME}"))
        if cap.read_meta(p.parent).state != SAVED
    ]
    if not pending:
        if not (Path(root) / ALBUM_FILE).is_file():
            Project.open(root)  # not a project: its clear NotFoundError
        return saved
    project = Project.open(root)
    for folder in pending:
        saved += save_capture(project, folder)
    return saved
