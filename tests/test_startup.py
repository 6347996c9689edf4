"""Start-up stays light: the commands that render and measure do not import what they may not need.

No timing here (benchmarks time, ``make bench`` prints the start-up of mix, master and meter):
these tests name the packages whose import alone costs a tenth of a second or more, measured
on this project's machine (CPU time of ``import X`` after numpy): scipy.signal and
scipy.stats 0.58 s each (scipy.signal pulls in scipy.stats, interpolate and optimize),
matplotlib.pyplot 0.31 s, numba 0.16 s, librosa's submodules (numba and scipy), and
sounddevice (PortAudio, 0.03 s, and an OSError where it is missing). Each may be imported
inside the function that needs it, never at the top of a module behind these commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

#: Packages the start-up of mix, master and meter must not import.
HEAVY = (
    "scipy.signal",
    "scipy.stats",
    "scipy.interpolate",
    "scipy.optimize",
    "matplotlib",
    "librosa",
    "numba",
    "sounddevice",
)

#: The modules behind ``producer mix``, ``master`` and ``meter``: the CLI (every command is
#: registered at start-up) and the workflows it loads when the command runs.
BEHIND_COMMANDS = (
    "producer.cli.app",
    "producer.workflows.mix",
    "producer.workflows.master",
    "producer.workflows.meter",
    "producer.engine",
    "producer.dsp",
    "producer.mastering",
    "producer.analysis",
)

# A package in sys.modules means its __init__ ran (importing any submodule runs it). One
# extension module loaded on its own (scipy's lfilter kernel, see producer.dsp.biquad) is not.
_REPORT = (
    "import json, sys; "
    "heavy = {heavy!r}; "
    "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))"
)


def _heavy_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\n" + _REPORT.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_commands_imports_nothing_heavy() -> None:
    assert _heavy_after("import " + ", ".join(BEHIND_COMMANDS)) == []


def test_the_list_is_real() -> None:
    """The check sees a heavy import when there is one (scipy.signal brings scipy.stats)."""
    found = _heavy_after("import scipy.signal")
    assert "scipy.signal" in found and "scipy.stats" in found


def test_a_mix_with_the_usual_strip_renders_without_them(tmp_path: Path) -> None:
    """`producer mix` of a session with the usual inserts (high-pass of either order, peak EQ,
    compressor, reverb send, master limiter) runs to its end without importing any of them."""
    from producer.model import Bus, Clip, EffectSlot, Lane, Send, Song, Track
    from producer.storage import Project

    project = Project.create(tmp_path / "p", "Start", "Up")
    src = tmp_path / "t.wav"
    noise = np.random.default_rng(3).uniform(-0.3, 0.3, (24000, 2))
    sf.write(src, noise, 48000, subtype="PCM_24")
    ref = project.import_media(src)
    strip = (
        EffectSlot("highpass", {"order": 1}),
        EffectSlot("peak", {"gain_db": 3.0}),
        EffectSlot("compressor", {"threshold_db": -30.0}),
        EffectSlot("lowpass", {"cutoff_frequency_hz": 9000.0}),  # 12 dB/octave: scipy's kernel
    )
    song = Song(
        title="s",
        slug="s",
        tracks=(
            Track(
                name="T",
                lanes=(Lane("l", clips=(Clip("c", ref, 0, 0, ref.frames),)),),
                active="l",
                inserts=strip,
                sends=(Send("Verb", level_db=-6.0),),
            ),
        ),
        buses=(Bus("Verb", inserts=(EffectSlot("reverb"),)),),
        master=Bus("master", output="", inserts=(EffectSlot("limiter"),)),
    )
    with project.transaction("song") as tx:
        tx.put_song(song)
    out = tmp_path / "mix.wav"
    code = (
        "from producer.cli.app import main\n"
        "try:\n"
        f"    main(['-C', {str(project.root)!r}, 'mix', 's', '-o', {str(out)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
    )
    assert _heavy_after(code) == []
    assert sf.info(str(out)).frames > 24000  # rendered, with the reverb's tail


def test_a_workflow_the_cli_defers_is_imported_once() -> None:
    """The CLI registers every workflow for later; importing one of a workflow's submodules
    first (as a test or a worker does) still gives one module, the one the workflow uses."""
    code = (
        "import producer.cli.app  # every command registered, its workflow deferred\n"
        "from producer.workflows.batch.tasks import Task, meter_task\n"
        "from producer.workflows.batch import runner\n"
        "print(runner.TASKS['meter'] is meter_task, runner.Task is Task)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"], out.stdout
