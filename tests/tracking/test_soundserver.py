"""Real recording through a sound server with a loopback (PulseAudio null sink, its monitor as
the input), as `.ci/run` starts it: the take lines up with what played, after compensation."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import signal

from producer.cli import cli
from producer.errors import RenderError, UserError
from producer.storage import Project
from producer.workflows import project as wp
from producer.workflows import tracking as wt

from .synth import RATE, noise, write

pytestmark = pytest.mark.soundserver


def _loopback_device() -> str:
    """The PortAudio device that reaches the sound server, or skip with the reason."""
    try:
        import sounddevice as sd
    except OSError as exc:
        pytest.skip(f"no PortAudio library: {exc}")
    if shutil.which("pactl") is None:
        pytest.skip("no sound server tools (pactl): .ci/run installs and starts PulseAudio")
    info = subprocess.run(["pactl", "info"], capture_output=True, text=True, timeout=10)
    if info.returncode != 0:
        pytest.skip(f"no sound server running: {info.stderr.strip() or info.stdout.strip()}")
    sources = subprocess.run(
        ["pactl", "list", "short", "sources"], capture_output=True, text=True, timeout=10
    ).stdout
    if ".monitor" not in sources:
        pytest.skip("the sound server has no monitor source to loop back from")
    names = [str(d["name"]) for d in sd.query_devices()]
    if "pulse" in names:
        return "pulse"
    pytest.skip(f"PortAudio sees no 'pulse' device (devices: {names})")


def test_recorded_take_matches_the_played_mix_within_1_ms(tmp_path: Path) -> None:
    device = _loopback_device()
    root = tmp_path / "p"
    wp.new_project(root, "Album", "Artist")
    slug = wp.add_song(root, "S")
    played = noise(2.0, seed=21)
    played[:, : RATE // 4] = 0.0
    wp.import_audio(root, slug, [write(tmp_path / "bed.wav", played)], track="bed")
    opts = wt.RecordOptions(
        tracks=("vox",),
        seconds=2.0,
        input_device=device,
        output_device=device,
        calibrate=True,
        click=False,
    )
    # A loaded 2-core machine can starve the stream: a dropout shifts output against input,
    # and the take says so (PortAudio's xrun flags, or a round trip measured after the take
    # that differs from the one before). Such a run is repeated; a clean run must line up.
    for _attempt in range(4):
        report = wt.record_song(root, slug, opts)
        if report.xruns == 0 and report.latency_drift_frames == 0:
            break
    else:
        # Every attempt was flagged by producer itself as broken by a dropout: the machine
        # is too loaded for real-time audio right now; that is not a wrong take.
        pytest.skip(f"4 recordings in a row had dropouts (load too high): {report.message}")
    assert report.state == "finished"
    assert report.latency_frames > 0
    track = Project.open(root).song(slug).track("vox")
    assert track is not None
    clip = track.lanes[-1].clips[0]
    assert clip.start_frame == 0
    take = wt.media_loader(Project.open(root))(clip.media)[0].astype(np.float64)
    ref = played[0, : take.shape[0]].astype(np.float64)
    corr = signal.correlate(take, ref, mode="full", method="fft")
    lag = int(np.argmax(np.abs(corr))) - (len(ref) - 1)
    assert abs(lag) <= RATE // 1000, f"take is {lag} frames off after compensation"
    assert np.max(np.abs(corr)) > 50 * np.median(np.abs(corr))


def test_refused_sample_rate_and_unknown_device_exit_cleanly(tmp_path: Path) -> None:
    device = _loopback_device()
    from producer.tracking.streams import DeviceStream

    with pytest.raises(UserError, match="refuses 1000000 Hz"):
        DeviceStream(1_000_000, 1, input_device=device, output_channels=0)
    with pytest.raises(UserError, match="refuses"):
        DeviceStream(RATE, 999, input_device=device, output_channels=0)
    with pytest.raises(UserError, match="no-such-device"):
        DeviceStream(RATE, 1, input_device="no-such-device", output_channels=0)
    # Through the CLI: one line, exit 2, nothing recorded.
    root = tmp_path / "p"
    wp.new_project(root, "Album", "Artist")
    r = CliRunner().invoke(
        cli,
        ["-C", str(root), "latency", "measure", "--rate", "1000000", "--input-device", device],
    )
    assert r.exit_code == 2 and r.stderr.startswith("producer: ") and "1000000 Hz" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_latency_measure_through_the_loopback(tmp_path: Path) -> None:
    device = _loopback_device()
    root = tmp_path / "p"
    wp.new_project(root, "Album", "Artist")
    for _attempt in range(3):
        try:
            m = wt.latency_measure(root, input_device=device, output_device=device)
            break
        except RenderError as exc:  # a dropout on a loaded machine: it says so; measure again
            assert "unstable" in exc.message
    else:
        pytest.skip("3 measurements in a row had dropouts (load too high)")
    assert 0 < m.latency_frames < RATE // 2
    assert max(m.lags_frames) - min(m.lags_frames) <= RATE // 1000
    assert m.peak_ratio > 20
    assert wt.configured_latency_frames(root, RATE) == m.latency_frames
