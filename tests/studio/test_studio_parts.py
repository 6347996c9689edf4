"""The studio's parts on their own: the vendored player, peaks, migrations, the CLI, and
`producer master` honouring required approvals with the approved render."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import PASSWORD, SONG
from producer.analysis.peaks import PeakMeter, peaks
from producer.cli import cli
from producer.storage import Project
from producer.workflows import mix as mix_wf
from producer.workflows.studio import accounts, command_line_principal, open_studio, review

STATIC = Path(__file__).resolve().parents[2] / "src" / "producer" / "web" / "static"


def test_vendored_wavesurfer_matches_its_checksums() -> None:
    folder = STATIC / "vendor" / "wavesurfer"
    meta = json.loads((folder / "VENDOR.json").read_text())
    assert meta["package"] == "wavesurfer.js" and meta["version"] == "7.12.12"
    assert "BSD 3-Clause" in (folder / "LICENSE").read_text()
    for name, digest in meta["sha256"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    # The pages load only files of the studio (no CDN, nothing fetched at run time).
    for js in STATIC.rglob("*.js"):
        assert (
            "http://" not in js.read_text().replace("http://www.w3.org", "") or js.parent == folder
        )
    for page in (STATIC.parent / "templates").glob("*.html"):
        text = page.read_text()
        assert "https://" not in text and "http://" not in text, page


@pytest.mark.parametrize("block", [1, 997, 4096, 48000, 10**6])
def test_streaming_peaks_equal_whole_array_peaks(block: int) -> None:
    rng = np.random.default_rng(block)
    audio = rng.standard_normal((2, 48000 * 2 + 321)).astype(np.float32)
    meter = PeakMeter(48000, 2)
    for i in range(0, audio.shape[1], block):
        meter.add(audio[:, i : i + block])
    whole = peaks(audio, 48000)
    assert whole.shape == (2, 41)
    assert np.array_equal(meter.result(), whole)
    # Second implementation: a plain loop over 50 ms buckets.
    for k in (0, 17, 40):
        a, b = k * 2400, min((k + 1) * 2400, audio.shape[1])
        assert whole[0, k] == np.abs(audio[0, a:b]).max()


def test_a_newer_database_is_refused_untouched(project_root: Path) -> None:
    studio = open_studio(project_root)
    studio.close()
    db = project_root / ".producer" / "studio.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = db.read_bytes()
    result = CliRunner().invoke(cli, ["-C", str(project_root), "user", "list"])
    assert result.exit_code == 2
    assert (
        "written by a newer producer" in result.output and "9999_from_the_future" in result.output
    )
    assert "Traceback" not in result.output
    assert db.read_bytes() == before


def test_cli_accounts_shares_and_versions(project_root: Path) -> None:
    run = CliRunner()
    root = ["-C", str(project_root)]
    r = run.invoke(
        cli,
        [
            *root,
            "user",
            "add",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "artist",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    r = run.invoke(
        cli,
        [
            *root,
            "user",
            "add",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "artist",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 2 and "exists already" in r.output
    r = run.invoke(
        cli,
        [
            *root,
            "user",
            "add",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "artist",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert r.exit_code == 2 and "at least 8" in r.output
    r = run.invoke(cli, [*root, "user", "list", "--json"])
    assert json.loads(r.output) == [{"email": "ada@example.com", "name": "Ada", "role": "artist"}]
    r = run.invoke(cli, [*root, "review", "publish", SONG, "--note", "rough mix"])
    assert r.exit_code == 0, r.output
    assert f"{SONG} v1: render " in r.output and "LUFS" in r.output
    r = run.invoke(
        cli, [*root, "share", SONG, "--role", "artist", "--expires", "2d", "--no-download"]
    )
    assert r.exit_code == 0, r.output
    url = r.output.strip().splitlines()[0]
    assert url.startswith("http://localhost:8750/s/") and len(url) > 40
    r = run.invoke(cli, [*root, "share", SONG, "--expires", "soon"])
    assert r.exit_code == 2 and "--expires 'soon'" in r.output
    r = run.invoke(cli, [*root, "share", "no-such-song"])
    assert r.exit_code == 2 and "no song 'no-such-song'" in r.output
    r = run.invoke(cli, [*root, "share", "--list"])
    assert "artist" in r.output and "no download" in r.output
    r = run.invoke(cli, [*root, "share", "--revoke", "1"])
    assert r.exit_code == 0 and "revoked link 1" in r.output
    r = run.invoke(cli, [*root, "user", "remove", "ada@example.com"])
    assert r.exit_code == 0
    assert json.loads(run.invoke(cli, [*root, "user", "list", "--json"]).output) == []
    r = run.invoke(cli, [*root, "review", "list", SONG])
    assert "v1" in r.output and "rough mix" in r.output
    r = run.invoke(cli, [*root, "serve", "--db", "mysql://nope"])
    assert r.exit_code == 2 and "--db" in r.output


def test_master_honours_required_approvals_and_masters_the_approved_render(
    project_root: Path,
) -> None:
    run = CliRunner()
    root = ["-C", str(project_root)]
    r = run.invoke(cli, [*root, "album", "set", "--require-approval", "artist,producer"])
    assert r.exit_code == 0 and "requires approval by artist, producer" in r.output
    r = run.invoke(cli, [*root, "album", "set", "--require-approval", "drummer"])
    assert r.exit_code == 2 and "drummer" in r.output
    studio = open_studio(project_root)
    accounts.add_user(studio, "ada@example.com", "Ada", "artist", PASSWORD)
    v = review.publish(studio, command_line_principal(), SONG)
    # Not approved yet: refused, naming the song, the version and the missing roles.
    r = run.invoke(cli, [*root, "master", SONG])
    assert r.exit_code == 2
    assert (
        f"song '{SONG}': version 1" in r.output and "lacks approval by artist, producer" in r.output
    )
    assert not (project_root / "masters").exists()
    artist = accounts.login(studio, "ada@example.com", PASSWORD).principal
    review.approve(studio, artist, v.id)
    r = run.invoke(cli, [*root, "master", SONG])
    assert r.exit_code == 2 and "lacks approval by producer" in r.output
    result = review.approve(studio, command_line_principal(), v.id)
    assert result.approved
    render = project_root / "renders" / f"{v.render_id}.wav"
    mtime = render.stat().st_mtime_ns
    r = run.invoke(cli, [*root, "master", SONG, "--json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.output)[0]
    assert row["render_id"] == v.render_id  # the approved render is what got mastered...
    assert render.stat().st_mtime_ns == mtime  # ...reused as it was approved, not re-rendered
    # The mix changes after the approval: a render nobody approved is refused, unless --force.
    from producer.workflows import project as project_wf

    project_wf.track_set(project_root, SONG, "Guitar", project_wf.TrackSettings(gain_db=-3.0))
    new_id = mix_wf.render_id(Project.open(project_root), Project.open(project_root).song(SONG))
    assert new_id != v.render_id
    r = run.invoke(cli, [*root, "master", SONG])
    assert (
        r.exit_code == 2
        and "is not a published version" in r.output
        and "latest version is 1" in r.output
    )
    r = run.invoke(cli, [*root, "master", SONG, "--force", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["render_id"] == new_id
    studio.close()
