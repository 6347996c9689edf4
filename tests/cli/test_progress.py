"""Long work shows progress on a terminal and stays quiet anywhere else (issue 16: `master` of a
16-minute piece ran 97 s with no output).

The terminal is a real pseudo-terminal (``pty``) holding the command's stderr, as in a shell;
CliRunner and pipes are not terminals and get nothing.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli

SR = 44100
#: The installed command, as a user runs it (the venv's script next to this Python).
PRODUCER = str(Path(sys.executable).with_name("producer"))


def _wav(path: Path, seconds: float = 6.0) -> Path:
    rng = np.random.default_rng(3)
    sf.write(str(path), (rng.standard_normal((int(seconds * SR), 2)) * 0.05).astype(np.float32), SR)
    return path


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``producer ARGS`` with stderr on a pseudo-terminal; (exit code, stdout, terminal)."""
    leader, follower = pty.openpty()
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower side closed
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    done = subprocess.run(
        [PRODUCER, *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
        env=env, timeout=300, check=False,
    )  # fmt: skip
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    return done.returncode, done.stdout.decode(), seen.decode(errors="replace")


def test_master_shows_its_stages_on_a_terminal(tmp_path: Path) -> None:
    src = _wav(tmp_path / "piece.wav", 2.0)
    code, out, terminal = _on_a_terminal(["master", str(src), "--profile", "streaming"], tmp_path)
    assert code == 0, terminal
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)  # what the terminal displays
    assert "master mastering piece.wav to streaming" in shown  # the command and its stage
    assert "0:00:0" in shown  # the elapsed time
    assert "mastering" not in out  # stdout keeps only the result
    assert "piece-streaming.wav" in out


def test_no_progress_when_not_on_a_terminal(tmp_path: Path) -> None:
    src = _wav(tmp_path / "piece.wav", 1.0)
    r = CliRunner().invoke(cli, ["master", str(src), "--profile", "streaming"])
    assert r.exit_code == 0 and r.stderr == ""
    done = subprocess.run(
        [PRODUCER, "master", str(src), "--profile", "cd"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == ""  # a pipe: nothing but the result


def test_progress_reports_reach_the_shell_callback(tmp_path: Path) -> None:
    """The workflows report through the callback the shell installs (no rich in them)."""
    from producer.workflows import master as master_wf
    from producer.workflows.progress import reporting

    seen: list[tuple[str, float, float | None]] = []
    src = _wav(tmp_path / "piece.wav", 3.0)
    with reporting(lambda stage, done, total: seen.append((stage, done, total))):
        master_wf.master_file(src, "streaming")
    stages = [s for s, _, _ in seen]
    assert stages[0] == "reading piece.wav" and "mastering piece.wav to streaming" in stages
    assert any(s.startswith("writing the report") for s in stages)


def test_mix_import_and_renders_report_their_progress(tmp_path: Path, testdata: Path) -> None:
    """The other long commands report through the same callback: imports per file, the mix in
    frames against its length, MIDI renders per part."""
    from producer.workflows import mix as mix_wf
    from producer.workflows import preproduction as pre_wf
    from producer.workflows import project as project_wf
    from producer.workflows.progress import reporting

    seen: list[tuple[str, float, float | None]] = []
    runner = CliRunner()
    root = tmp_path / "p"
    assert runner.invoke(cli, ["new", str(root), "--title", "T", "--artist", "A"]).exit_code == 0
    assert runner.invoke(cli, ["-C", str(root), "song", "add", "S"]).exit_code == 0
    take = _wav(tmp_path / "take.wav", 2.0)
    with reporting(lambda stage, done, total: seen.append((stage, done, total))):
        project_wf.import_audio(root, "s", [take])
        mix_wf.render(root, "s", output=tmp_path / "m.wav")
        pre_wf.midi_import(
            root, "s", testdata / "midi" / "music21" / "test12.mid", render_parts_too=True
        )
    stages = [s for s, _, _ in seen]
    assert ("copying take.wav into media/", 0, 1) in seen
    mixing = [(d, t) for s, d, t in seen if s == "mixing s"]
    assert mixing and all(t and 0 <= d <= t for d, t in mixing) and mixing[-1][0] > 0
    renders = [s for s in stages if s.startswith("rendering ")]
    assert renders == [f"rendering {n} ({i}/4) with the SoundFont" for i, n in
                       enumerate(["ALTO", "BASS", "SOPRANO", "TENOR"], 1)]  # fmt: skip
