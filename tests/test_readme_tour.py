"""The README's tour, run as written from a fresh project (issue 16).

Every ```sh block of README.md from its "## A short tour" heading to the end is extracted
from the README itself (so sections added to the tour later are run too) and run line by
line in one bash session, as a user would type it, from an empty folder whose ``.venv`` is
the one running the tests. Each line must succeed, and every file it names must appear: the
outputs it is asked for (``-o``, ``--plot``, ``--stems``, ``midi export``'s FILE) and the paths
its comment promises (``# mixes/first-song.wav``: words with a ``/`` that end in ``/`` or a
file extension).

What the user brings is supplied from ../shared/testdata: their takes (``~/takes/*.wav``, with
``$HOME`` a folder of the test), and the files the tour names in the project folder
(``USER_FILES``: a name the tour uses and no earlier line made is put there just before the
line runs). ``producer record`` gets ``--source FILE`` (a real recording) in place of an
audio device, replayed as fast as it goes (``PRODUCER_SOURCE_REALTIME=0``).

To leave a README line out of this test, end it with ``# not run in tests: REASON``
(sparingly: a line that is not run is a line nobody checks). A line whose comment says it is
refused, ``(exit 2)``, must fail with that exit code.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import mido
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SKIP = re.compile(r"#\s*not run in tests:\s*(\S.*)$")
EXIT = re.compile(r"\(exit (\d+)\)|\bexits (\d+)\b")
"""A comment saying a line is refused, "(exit 2)": the line must fail with that code."""
MUSDB = Path("multitrack/musdb18-7-sample/decoded")
TAKES = {"vocal.wav": MUSDB / "vocals.wav", "drums.wav": MUSDB / "drums.wav"}
"""~/takes/<name>: the user's recordings."""
USER_FILES = {
    "sketch.mid": None,  # made from music21's SATB test12.mid, see _sketch
    "rough-demo.wav": MUSDB / "mixture.wav",
    "some-mix.wav": MUSDB / "mixture.wav",
    "ref.wav": Path("multitrack/single-clips/60988__folktelemetry__crash-fast-14.wav"),
}
"""Files the tour names in the project folder, as the user would have them."""
SOURCE = MUSDB / "vocals.wav"
"""What `producer record --source` replays: a real vocal take."""
OUTPUT_FLAGS = ("-o", "--output", "--plot", "--stems")
TRAP = "trap 'echo \"README tour failed at: $TOUR_LINE\" >&2' ERR"
_PATH_IN_COMMENT = re.compile(
    r"(?<![\w./-])((?:[\w.-]+/)+(?:[\w.-]+\.(?:wav|flac|mp3|ogg|png|cue|json|html|mid|pdf|csv))?)"
    r"(?=[\s,;:)]|$)"
)


def tour() -> list[str]:
    """The tour's command lines, in order (blank lines dropped)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## A short tour")
    blocks = re.findall(r"```sh\n(.*?)```", text[start:], flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def _split(line: str) -> tuple[str, str]:
    """(command, comment) of a README line (the comment starts at a ``#`` after a blank)."""
    m = re.search(r"\s#\s", line)
    return (line[: m.start()], line[m.end() :]) if m else (line, "")


def promised(line: str) -> list[str]:
    """Paths a line says it makes: its output options and the paths in its comment."""
    command, comment = _split(line)
    out: list[str] = []
    for part in command.split(";"):
        words = shlex.split(part)
        for i, w in enumerate(words[:-1]):
            if w in OUTPUT_FLAGS:
                out.append(words[i + 1])
        if words[:3] == ["producer", "midi", "export"] and len(words) >= 6:
            out.append(words[5])
    out += _PATH_IN_COMMENT.findall(comment)
    return out


def _sketch(testdata: Path, target: Path) -> None:
    """The user's sketch: test12's four SATB parts, named as the tour names them."""
    mid = mido.MidiFile(str(testdata / "midi" / "music21" / "test12.mid"))
    names = {"SOPRANO": "Melody", "ALTO": "Harmony", "TENOR": "Tenor", "BASS": "Bass"}
    for track in mid.tracks:
        for i, msg in enumerate(track):
            if msg.type == "track_name" and msg.name in names:
                track[i] = msg.copy(name=names[msg.name])
    mid.save(str(target))


def script(lines: list[str], testdata: Path, user_files: Path) -> str:
    """A bash script running ``lines`` one by one, checking each (set -e) and its files."""
    out = ["set -eE -o pipefail", TRAP]
    for line in lines:
        command, _comment = _split(line)
        out.append(f"TOUR_LINE={shlex.quote(line.strip())}")
        for word in re.findall(r"[\w.-]+\.(?:mid|wav)\b", command):
            if word in USER_FILES:
                src = shlex.quote(str(user_files / word))
                out.append(f"[ -e {word} ] || cp {src} {word}")
        if re.match(r"\s*producer\s+record\b", command) or "; producer record " in command:
            command = command.replace(
                "producer record ",
                f"producer record --source {shlex.quote(str(testdata / SOURCE))} ",
            )
        expected = EXIT.search(_split(line)[1])
        if expected:  # a line the README says is refused: it must be, with that code
            code = expected.group(1) or expected.group(2)
            out.append(f"set +e; trap - ERR; ( {command} ); rc=$?; set -e; {TRAP}")
            out.append(
                f'[ "$rc" = {code} ] || {{ echo "README tour: $TOUR_LINE: exit $rc, the README '
                f'says {code}" >&2; exit 3; }}'
            )
            continue
        out.append(command)
        for path in promised(line):
            q = shlex.quote(path)
            out.append(
                f'[ -e {q} ] || {{ echo "README tour: $TOUR_LINE: {path} did not appear" >&2; '
                "exit 3; }"
            )
    return "\n".join(out) + "\n"


def test_tour_marks_are_explained() -> None:
    lines = tour()
    assert len(lines) > 30  # the tour is there
    for line in lines:
        if "not run in tests" in line:
            assert SKIP.search(line), f"say why: {line}"


def test_promised_paths_are_read_from_lines() -> None:
    assert promised("producer mix s --stems stems/ -o x.wav   # mixes/s.wav, M/S, BS.1770-4") == [
        "stems/",
        "x.wav",
        "mixes/s.wav",
    ]
    assert promised('producer midi export s "Bass" b.mid  # media/, never modified') == [
        "b.mid",
        "media/",
    ]


def test_readme_tour_runs_as_written(tmp_path: Path, testdata: Path) -> None:
    lines = [line for line in tour() if not SKIP.search(line)]
    home = tmp_path / "home"
    (home / "takes").mkdir(parents=True)
    for name, rel in TAKES.items():
        shutil.copy(testdata / rel, home / "takes" / name)
    user_files = tmp_path / "user-files"
    user_files.mkdir()
    for name, rel in USER_FILES.items():
        if rel is None:
            _sketch(testdata, user_files / name)
        else:
            shutil.copy(testdata / rel, user_files / name)
    work = tmp_path / "work"  # a fresh folder, as after `make demo` in a clone
    work.mkdir()
    (work / ".venv").symlink_to(Path(sys.prefix))
    env = {
        **os.environ,
        "HOME": str(home),
        "PRODUCER_SOURCE_REALTIME": "0",
        "PATH": f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("PRODUCER_DEBUG", None)
    # librosa's compiled code as `make install` cached it (the tests' per-worker numba cache
    # folders are for workers compiling at once; the tour runs one command at a time).
    env.pop("NUMBA_CACHE_DIR", None)
    (tmp_path / "tour.sh").write_text(script(lines, testdata, user_files))
    proc = subprocess.run(
        ["bash", str(tmp_path / "tour.sh")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        # What a person types when a command asks (a password read with --password-stdin).
        input="a long password of the tour\n" * 20,
    )
    (tmp_path / "tour.out").write_text(proc.stdout + "\n--- stderr:\n" + proc.stderr)
    if proc.returncode != 0:
        pytest.fail(
            f"README tour failed:\n{proc.stderr[-4000:]}\n--- stdout:\n{proc.stdout[-2000:]}"
        )
    album = work / "my-album"
    assert (album / "album.json").is_file()
    assert not list((album / "media").glob("*.partial"))
    # What the tour's output says it did: tempo changes are said, the takes were recorded.
    assert "kept the song's tempo 96 BPM" in proc.stdout
    assert "recorded " in proc.stdout
