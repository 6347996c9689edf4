"""Crash safety: the capture on disk, a full disk, and SIGKILL of a real recording process."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from producer.cli import cli
from producer.storage import Project
from producer.tracking import capture as cap
from producer.workflows import tracking as wt

from .synth import RATE, noise, write


def _meta(channels: int = 2) -> cap.CaptureMeta:
    tracks = tuple(cap.TrackInput(f"t{i}", (i,)) for i in range(channels))
    return cap.CaptureMeta(song="s", sample_rate=RATE, channels=channels, tracks=tracks)


def test_blocks_round_trip_and_a_torn_frame_is_ignored(tmp_path: Path) -> None:
    audio = noise(0.5, seed=1, channels=2)
    w = cap.CaptureWriter(tmp_path / "c", _meta())
    for i in range(0, audio.shape[1], 1000):
        assert w.write(audio[:, i : i + 1000])
    # Before close the capture is "recording" and holds everything written so far.
    assert cap.interrupted_captures(tmp_path) == [tmp_path / "c"]
    meta, got = cap.read_capture(tmp_path / "c")
    assert meta.state == cap.RECORDING
    np.testing.assert_array_equal(got, audio)
    w.close()
    assert cap.interrupted_captures(tmp_path) == []
    assert cap.read_meta(tmp_path / "c").frames_written == audio.shape[1]
    with open(tmp_path / "c" / cap.AUDIO_NAME, "ab") as f:
        f.write(b"\x00\x00\x80")  # a kill in the middle of a frame
    np.testing.assert_array_equal(cap.read_capture(tmp_path / "c")[1], audio)


def test_a_full_disk_ends_the_capture_with_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = noise(0.2, seed=2, channels=2)
    w = cap.CaptureWriter(tmp_path / "c", _meta())
    budget = {"bytes": 8000 * 2 * 4 + 6}  # room for 8000 frames and a torn one
    real_write = os.write

    def full_disk(fd: int, data: bytes | memoryview) -> int:
        if fd != w._fd:
            return real_write(fd, data)
        room = budget["bytes"]
        if room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real_write(fd, bytes(data[:room]))
        budget["bytes"] -= n
        return n

    monkeypatch.setattr(os, "write", full_disk)
    results = [w.write(audio[:, i : i + 1000]) for i in range(0, audio.shape[1], 1000)]
    monkeypatch.undo()
    assert results[:8] == [True] * 8 and not any(results[8:])
    meta, got = cap.read_capture(tmp_path / "c")
    assert meta.state == cap.DISK_FULL and "disk full" in meta.message
    assert (tmp_path / "c" / cap.AUDIO_NAME).stat().st_size == 8000 * 2 * 4
    np.testing.assert_array_equal(got, audio[:, :8000])


def _capture_file(root: Path) -> Path | None:
    found = list((root / wt.RECORDINGS_DIR).glob(f"*/{cap.AUDIO_NAME}"))
    return found[0] if found else None


def test_sigkill_mid_take_then_recover_keeps_all_but_half_a_second(
    song_project: tuple[Path, str], tmp_path: Path
) -> None:
    root, slug = song_project
    source = noise(30.0, seed=3)
    path = write(tmp_path / "performance.wav", source)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "producer",
            "-C",
            str(root),
            "record",
            slug,
            "--track",
            "vox",
            "--source",
            str(path),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        started = None
        while time.monotonic() < deadline and proc.poll() is None:
            f = _capture_file(root)
            if f is not None and started is None:
                started = time.monotonic()  # the capture exists: audio flows from now on
            if f is not None and f.stat().st_size >= 2 * RATE * 4:
                break
            time.sleep(0.005)
        assert started is not None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.3)
        f = _capture_file(root)
        assert f is not None
        on_disk_before = f.stat().st_size // 4
        killed_at = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # The next command finds the take: `producer recover` (every tracking command does it first).
    r = CliRunner().invoke(cli, ["-C", str(root), "recover"])
    assert r.exit_code == 0 and r.stdout.startswith("recovered vox: take 1 at 0.000 s"), r.output
    track = Project.open(root).song(slug).track("vox")
    assert track is not None and len(track.lanes) == 1
    clip = track.lanes[0].clips[0]
    take = wt.media_loader(Project.open(root))(clip.media)
    frames = take.shape[1]
    # Everything up to at most 0.5 s before the kill, measured two ways: what was on disk a
    # moment before the kill, and the wall clock since the capture began (a real-time source).
    assert frames >= on_disk_before
    assert frames >= (killed_at - started - 0.5) * RATE
    np.testing.assert_array_equal(take, source[:, :frames])  # sample-identical
    assert wt.recover(root) == []  # saved once, never twice


def test_every_tracking_command_recovers_an_interrupted_capture_first(
    song_project: tuple[Path, str],
) -> None:
    root, slug = song_project
    audio = noise(0.7, seed=4)
    meta = cap.CaptureMeta(
        song=slug, sample_rate=RATE, channels=1, tracks=(cap.TrackInput("vox", (0,)),)
    )
    w = cap.CaptureWriter(root / wt.RECORDINGS_DIR / "killed", meta)
    w.write(audio)
    # No close(): the process "died" here; the capture still says "recording".
    takes, _ = wt.take_list(root, slug, "vox")
    assert [(t.number, t.start_s, t.end_s) for t in takes] == [(1, 0.0, 0.7)]
    clip = Project.open(root).song(slug).track("vox").lanes[0].clips[0]
    np.testing.assert_array_equal(wt.media_loader(Project.open(root))(clip.media), audio)
    w.close()
