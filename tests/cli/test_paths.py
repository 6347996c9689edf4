"""One rule for paths (issue 16): with ``-C DIR`` every relative path a command is given, to
read or to write, is relative to DIR (as with ``git -C``); without it, to the current folder.

The table below runs each path argument of each command from a folder that is not the
project, and checks the file was read from, or written into, the project. A second test
lists every path option the CLI has, so that a new one cannot be added without a row here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import click
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli
from producer.workflows.office import EXAMPLE_SCALE_CARD

RATE = 48000


def run(*args: str) -> str:
    before = os.getcwd()
    result = CliRunner().invoke(cli, list(args))
    assert os.getcwd() == before  # -C leaves the caller's folder as it was
    assert result.exit_code == 0, (args, result.output, result.stderr, result.exception)
    return result.stdout


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, testdata: Path) -> Path:
    """A project with song ``s``: a MIDI part ``SOPRANO`` and an audio track ``Vox``; input
    files (``in.wav``, ``in.mid``, ``in.sf2``) lie in the project folder only."""
    base = tmp_path_factory.mktemp("paths")
    root = base / "proj"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "S", "--tempo", "120")
    rng = np.random.default_rng(3)
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(RATE) / RATE)
    sf.write(root / "in.wav", np.stack([tone, tone], 1) + rng.normal(0, 0.01, (RATE, 2)), RATE)
    shutil.copy(testdata / "midi" / "music21" / "test12.mid", root / "in.mid")
    shutil.copy(testdata / "soundfont" / "sf_GMbank.sf2", root / "in.sf2")
    run("-C", str(root), "midi", "import", "s", "in.mid", "--tracks", "SOPRANO")
    run("-C", str(root), "import", "s", "in.wav", "--track", "Vox")
    # The office: people, a split sheet, a contract, its sales and a union scale card.
    run("-C", str(root), "person", "add", "Ada", "--role", "MainArtist", "--role", "Composer")
    run("-C", str(root), "person", "add", "Ben", "--role", "Producer")
    run("-C", str(root), "split", "set", "s", "--writer", "Ada:60", "--writer", "Ben:40")
    run("-C", str(root), "contract", "add", "deal", "--with", "Ben", "--all-in-rate", "0.6",
        "--rate", "0.1", "--advance", "100.00", "--recoupable-costs", "1000.00", "--rule", "net")  # fmt: skip
    (root / "sales.csv").write_text("period,units\n2030-Q1,150000\n")
    card = resources.files("producer.office") / "data" / EXAMPLE_SCALE_CARD
    (root / "card.json").write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    # Another DAW's session of the song, and a folder of takes for it.
    run("-C", str(root), "session", "export", "s", "-o", "in.rpp")
    (root / "takes").mkdir()
    shutil.copy(root / "in.wav", root / "takes" / "in.wav")
    return root


@pytest.fixture
def project(made: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the project, and the current folder somewhere else (empty)."""
    root = tmp_path / "proj"
    shutil.copytree(made, root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = os.getcwd()
    os.chdir(elsewhere)
    try:
        yield root
    finally:
        os.chdir(before)


# (command line with {C} for the project folder, files that must appear in the project).
# Inputs (in.wav, in.mid, in.sf2) exist only in the project: reading them proves the rule.
TABLE: list[tuple[str, list[str], list[str]]] = [
    ("new DIRECTORY", ["new", "inner", "--title", "T", "--artist", "A"], ["inner/album.json"]),
    ("import FILES", ["import", "s", "in.wav"], []),
    ("midi import FILE", ["midi", "import", "s", "in.mid", "--tracks", "ALTO"], []),
    (
        "midi import --soundfont",
        ["midi", "import", "s", "in.mid", "--tracks", "BASS", "--render", "--soundfont", "in.sf2"],
        [],
    ),
    ("midi export FILE", ["midi", "export", "s", "SOPRANO", "bass.mid"], ["bass.mid"]),
    ("midi render --soundfont", ["midi", "render", "s", "SOPRANO", "--soundfont", "in.sf2"], []),
    ("song analyze FILE", ["song", "analyze", "s", "in.wav"], []),
    ("click -o", ["click", "s", "-o", "out/click.wav", "--bars", "2"], ["out/click.wav"]),
    (
        "mix -o --stems",
        ["mix", "s", "-o", "out/m.wav", "--stems", "stems"],
        ["out/m.wav", "stems/Vox.wav"],
    ),
    ("meter FILES --plot", ["meter", "in.wav", "--plot", "out/l.png"], ["out/l.png"]),
    (
        "master TARGET(file) -o --reference",
        ["master", "in.wav", "-o", "out/x.wav", "--reference", "in.wav"],
        ["out/x.wav"],
    ),
    (
        "record --source",
        ["record", "s", "--track", "Rec", "--seconds", "0.3", "--source", "in.wav"],
        [],
    ),
    ("take import FILES", ["take", "import", "s", "Vox", "in.wav"], []),
    (
        "take review --plot",
        ["take", "review", "s", "Vox", "--plot", "out/pitch.png"],
        ["out/pitch.png"],
    ),
    ("schedule export OUT", ["schedule", "export", "out/a.ics"], ["out/a.ics"]),
    ("ratecard import FILE", ["ratecard", "import", "card.json"], []),
    (
        "royalty statement --sales",
        ["royalty", "statement", "deal", "--sales", "sales.csv", "--period", "2030-Q1"],
        [],
    ),
    ("split show -o", ["split", "show", "s", "--html", "-o", "out/split.html"], ["out/split.html"]),
    ("credits -o", ["credits", "--html", "-o", "out/credits.html"], ["out/credits.html"]),
    (
        "session export -o",
        ["session", "export", "s", "-o", "out/s.dawproject"],
        ["out/s.dawproject"],
    ),
    (
        "batch meter INPUTS --csv -o",
        ["batch", "meter", "in.wav", "--csv", "out/m.csv", "-o", "out/j", "--workers", "1"],
        ["out/m.csv"],
    ),
    (
        "batch master INPUTS -o",
        ["batch", "master", "in.wav", "--profile", "streaming", "-o", "out/b", "--workers", "1"],
        ["out/b/batch.jsonl"],
    ),
    (
        "batch mix PROJECTS -o",
        ["batch", "mix", ".", "-o", "out/mx", "--workers", "1"],
        ["out/mx/batch.jsonl"],
    ),
    (
        "session import FILE --media-dir",
        ["session", "import", "in.rpp", "--media-dir", "takes", "--title", "Copy"],
        [],
    ),
]

# Path options covered elsewhere, with the reason.
NOT_IN_TABLE = {
    ("demo", "directory"): "tests/test_demo.py builds a demo in a -C folder (a whole album)",
    ("demo", "soundfont"): "read like midi render --soundfont (same option of the same workflow)",
}


@pytest.mark.parametrize(("name", "args", "outputs"), TABLE, ids=[t[0] for t in TABLE])
def test_relative_paths_are_taken_from_the_C_folder(
    project: Path, name: str, args: list[str], outputs: list[str]
) -> None:
    run("-C", str(project), *args)
    for rel in outputs:
        assert (project / rel).is_file(), f"{name}: {rel} not written into the project"
    assert list(Path.cwd().iterdir()) == []  # nothing landed in the current folder


def test_without_C_paths_are_taken_from_the_current_folder(project: Path) -> None:
    os.chdir(project)
    run("midi", "export", "s", "SOPRANO", "here.mid")
    assert (project / "here.mid").is_file()


def test_C_must_be_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path / "nope"), "show"])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"producer: -C {tmp_path / 'nope'}: no such folder (make a project there with "
        f"`producer new {tmp_path / 'nope'}`)"
    )


def _path_params(group: click.Group, prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            yield from _path_params(cmd, full + " ")
            continue
        for p in cmd.params:
            # master's TARGET is a song or an audio file: a path too.
            if isinstance(p.type, click.Path) or (full, p.name) == ("master", "target"):
                yield full, str(p.name)


def test_every_path_argument_of_every_command_is_in_the_table() -> None:
    """A path option added later gets a row in TABLE (or a reason in NOT_IN_TABLE)."""
    covered = " ".join(" ".join(a) for _n, a, _o in TABLE)
    missing = []
    for command, param in _path_params(cli):
        if (command, param) in NOT_IN_TABLE:
            continue
        cmd = cli
        for word in command.split():
            cmd = cmd.commands[word]  # type: ignore[attr-defined]
        p = next(x for x in cmd.params if x.name == param)
        spelled = [o for o in p.opts if o.startswith("-")] or [command]
        if not any(o in covered for o in spelled) or command not in covered:
            missing.append(f"{command} {p.opts}")
    assert not missing, f"path arguments without a row in TABLE: {missing}"
