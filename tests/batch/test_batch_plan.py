"""What a batch takes for inputs, where their outputs go, and what a task's key depends on."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli
from producer.errors import FormatError, UserError
from producer.mastering import profiles as profiles_mod
from producer.workflows.batch import plan as plan_mod
from producer.workflows.batch.inputs import expand
from producer.workflows.batch.plan import plan_master, plan_meter

RATE = 44100


def tone(path: Path, seconds: float = 0.5, gain: float = 0.3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * RATE)) / RATE
    sf.write(path, gain * np.sin(2 * np.pi * 440 * t), RATE)
    return path


def project(root: Path, songs: tuple[str, ...] = ("One", "Two")) -> Path:
    runner = CliRunner()
    r = runner.invoke(
        cli, ["-C", str(root.parent), "new", root.name, "--title", "A", "--artist", "B"]
    )
    assert r.exit_code == 0, r.output
    for title in songs:
        r = runner.invoke(cli, ["-C", str(root), "song", "add", title])
        assert r.exit_code == 0, r.output
    return root


def test_a_folder_walk_takes_audio_by_extension_and_lists_what_it_leaves_out(
    tmp_path: Path,
) -> None:
    top = tmp_path / "catalog"
    a = tone(top / "a.wav")
    b = tone(top / "disc 2" / "B.FLAC")
    (top / "cover.jpg").write_bytes(b"\xff\xd8not audio")
    (top / "notes.txt").write_text("liner notes")
    tone(top / ".hidden.wav")
    (top / ".take.wav.123.partial").write_bytes(b"RIFF")  # a writer's temporary file
    (top / "fake.wav").write_text("not audio, but named so")  # taken: reported when run
    project(top / "album")
    tone(top / "out" / "old-master.wav")  # the batch's own output folder: never an input
    found = expand([top], exclude=top / "out")
    labels = [i.label for i in found.items]
    assert labels == [
        str(a),
        f"{top / 'album'}:one",
        f"{top / 'album'}:two",
        str(b),
        str(top / "fake.wav"),
    ]
    assert [i.base for i in found.items] == ["", "album", "album", "disc 2", ""]
    assert sorted(p.name for p in found.ignored) == ["cover.jpg", "notes.txt"]


def test_named_inputs_missing_or_not_projects_become_input_errors(tmp_path: Path) -> None:
    a = tone(tmp_path / "a.wav")
    found = expand([a, tmp_path / "nope.wav", a])
    assert [(i.label, i.error) for i in found.items] == [
        (str(a), ""),
        (str(tmp_path / "nope.wav"), "no such file or folder"),
    ]


def test_manifest_rows_carry_profile_and_output(tmp_path: Path) -> None:
    tone(tmp_path / "in" / "a.wav")
    tone(tmp_path / "in" / "b.wav")
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        "input,profile,output\nin/a.wav,apple,apple/a-final.wav\nin/b.wav,,\nin/missing.wav,cd,\n"
    )
    found = expand([manifest])
    assert [(i.path.name, i.profile, i.output) for i in found.items] == [
        ("a.wav", "apple", "apple/a-final.wav"),
        ("b.wav", "", ""),
        ("missing.wav", "", ""),
    ]
    assert found.items[2].error == "no such file or folder"
    assert found.items[2].label.startswith(f"{manifest}: line 4: ")
    plan = plan_master(found.items, ["streaming"], tmp_path / "out", threads=1)
    a, b, _ = plan.tasks
    assert (a.profile, a.out) == ("apple", str(tmp_path / "out" / "apple" / "a-final.wav"))
    assert (b.profile, b.out) == ("streaming", str(tmp_path / "out"))
    assert plan.unusable == {2: "no such file or folder"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("path,profile\na.wav,cd\n", "line 1: a manifest starts with the header input,profile"),
        ("input,gain\na.wav,3\n", "line 1: unknown column(s) gain"),
        ("input,profile,output\n,cd,\n", "line 2: input is empty"),
        ("input\na.wav,extra\n", "line 2: more values than the header has columns"),
    ],
)
def test_a_malformed_manifest_is_refused_naming_the_line(
    tmp_path: Path, text: str, words: str
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(text)
    with pytest.raises(FormatError, match=words.replace("(", r"\(").replace(")", r"\)")):
        expand([manifest])


def test_outputs_mirror_the_walked_folders_and_collisions_are_refused(tmp_path: Path) -> None:
    tone(tmp_path / "a" / "x.wav")
    tone(tmp_path / "a" / "sub" / "x.wav")
    root = project(tmp_path / "album", ("Intro",))
    out = tmp_path / "out"
    plan = plan_master(expand([tmp_path / "a", root]).items, ["streaming"], out, threads=1)
    assert [t.out for t in plan.tasks] == [
        str(out / "sub"),  # a/sub/x.wav (names sort: "sub" < "x.wav")
        str(out),  # a/x.wav
        str(out / "album" / "streaming"),
    ]
    tone(tmp_path / "b" / "x.wav")
    with pytest.raises(UserError, match="would both be written to"):
        plan_master(expand([tmp_path / "a", tmp_path / "b"]).items, ["streaming"], out, threads=1)


def test_the_key_follows_content_profile_data_and_output_not_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = tone(tmp_path / "a.wav")
    out = tmp_path / "out"

    def key(*profiles: str) -> str:
        return plan_master(expand([a]).items, list(profiles), out, threads=1).tasks[0].key

    first = key("streaming")
    assert key("streaming") == first  # deterministic
    tone(a, gain=0.3)  # rewritten with the same samples: a new mtime, the same content
    assert key("streaming") == first
    assert plan_master(expand([a]).items, ["streaming"], tmp_path / "o2", 1).tasks[0].key == first
    tone(a, gain=0.31)
    changed = key("streaming")
    assert changed != first
    # The profile's data, not its name: an edited target is a new task.
    original = profiles_mod.load_profiles()

    def edited() -> dict[str, profiles_mod.DeliveryProfile]:
        d = dict(original)
        d["streaming"] = dataclasses.replace(d["streaming"], target_lufs=-13.0)
        return d

    monkeypatch.setattr(profiles_mod, "load_profiles", edited)
    assert key("streaming") != changed
    monkeypatch.undo()
    assert key("streaming") == changed
    # producer's version is part of it.
    monkeypatch.setattr(plan_mod, "version", lambda: "99.0")
    assert key("streaming") != changed


def test_the_same_content_under_two_names_is_two_tasks(tmp_path: Path) -> None:
    a = tone(tmp_path / "in" / "a.wav")
    (tmp_path / "in" / "b.wav").write_bytes(a.read_bytes())
    plan = plan_master(expand([tmp_path / "in"]).items, ["streaming"], tmp_path / "out", 1)
    one, two = plan.tasks
    assert one.input_sha256 == two.input_sha256 and one.key != two.key


def test_a_manifest_without_profiles_needs_profile(tmp_path: Path) -> None:
    tone(tmp_path / "a.wav")
    manifest = tmp_path / "m.csv"
    manifest.write_text("input\na.wav\n")
    with pytest.raises(UserError, match="no delivery profile; give --profile NAME"):
        plan_master(expand([manifest]).items, [], tmp_path / "out", threads=1)


def test_meter_keys_ignore_where_nothing_is_written(tmp_path: Path) -> None:
    a = tone(tmp_path / "a.wav")
    one = plan_meter(expand([a]).items, tmp_path / "j1", threads=1).tasks[0].key
    two = plan_meter(expand([a]).items, tmp_path / "j2", threads=1).tasks[0].key
    assert one == two


def test_the_output_folders_a_batch_builds_are_folders_whatever_their_names(
    tmp_path: Path,
) -> None:
    tone(tmp_path / "in" / "x.wav")
    tone(tmp_path / "in" / "y.wav")
    tone(tmp_path / "in" / "take.2" / "x.wav")
    out = tmp_path / "masters v1.2"
    plan = plan_master(expand([tmp_path / "in"]).items, ["streaming"], out, threads=1)
    assert [t.out for t in plan.tasks] == [str(out / "take.2"), str(out), str(out)]
    assert all(Path(t.out).is_dir() for t in plan.tasks)  # made before the workers start
