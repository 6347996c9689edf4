"""The player in a real browser: Debian's Chromium, headless, driven by Playwright against
`producer serve`. The artist logs in, plays version 2 and hears time pass, clicks the
waveform at about 0:12 and comments there; the engineer replies and resolves; the artist
switches A/B at the same position and approves. Screenshots of the player and the album
board are kept in test-artifacts/ (look at them)."""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_server import Server

from conftest import PASSWORD, SONG
from producer.workflows import project as project_wf
from producer.workflows.studio import accounts, command_line_principal, open_studio, review

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tempfile.mkdtemp(prefix="producer-chromium-")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*FLAGS, f"--user-data-dir={profile}"] if False else FLAGS,
        )
        yield b
        b.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def studio_server(project_root: Path) -> Iterator[Server]:
    studio = open_studio(project_root)
    accounts.add_user(studio, "ada@example.com", "Ada Lindqvist", "artist", PASSWORD)
    accounts.add_user(studio, "chloe@example.com", "Chloé Martin", "engineer", PASSWORD)
    accounts.add_user(studio, "ben@example.com", "Ben Okafor", "producer", PASSWORD)
    me = command_line_principal()
    v1 = review.publish(studio, me, SONG, "rough mix")
    review.add_comment(studio, me, v1.id, 4.0, "Guitar a touch bright in the intro")
    project_wf.track_set(project_root, SONG, "Guitar", project_wf.TrackSettings(gain_db=-4.0))
    review.publish(studio, me, SONG, "guitar down 4 dB")
    studio.close()
    server = Server(project_root, f"sqlite:///{project_root / '.producer' / 'studio.db'}")
    server.start()
    yield server
    server.stop(signal.SIGKILL)


def wait_js(page: object, expression: str, timeout_s: float = 20.0) -> None:
    """Poll a JavaScript expression until it is true. (Playwright's wait_for_function
    evaluates strings with eval, which the studio's Content-Security-Policy forbids.)"""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)


def log_in(page: object, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")  # type: ignore[attr-defined]
    page.fill("input[name=email]", email)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def api(server: Server, email: str) -> httpx.Client:
    token = httpx.post(
        server.url + "/api/login", json={"email": email, "password": PASSWORD}, timeout=30
    ).json()["token"]
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_review_scenario_in_chromium(studio_server: Server, browser: object) -> None:
    base = studio_server.url
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # The artist logs in and lands on the song, version 2.
    log_in(page, base, "ada@example.com", f"/songs/{SONG}")
    page.wait_for_selector("body[data-ready='1']", timeout=30000)
    page.click(".vtab:text('v2')")
    wait_js(
        page, "window.studioPlayer.state.version && window.studioPlayer.state.version.number === 2"
    )
    assert page.inner_text(".vtab.active") == "v2"
    # Play, and time advances.
    page.click("#play")
    wait_js(page, "window.studioPlayer.media.A.currentTime > 0.8")
    page.click("#play")  # pause
    assert page.evaluate("window.studioPlayer.media.A.paused")
    # Click the waveform at about 0:12 and comment there.
    box = page.locator("#waveform").bounding_box()
    duration = page.evaluate("window.studioPlayer.state.version.duration_s")
    page.mouse.click(
        box["x"] + 1 + (box["width"] - 2) * 12.0 / duration, box["y"] + box["height"] / 2
    )
    wait_js(page, "Math.abs(window.studioPlayer.media.A.currentTime - 12) < 0.6")
    assert page.inner_text("#at").startswith("0:1")
    page.fill("#comment-body", "The snare gets lost here")
    page.click("#post")
    page.wait_for_selector(".comment:has-text('The snare gets lost here')")
    artist = api(studio_server, "ada@example.com")
    versions = artist.get(f"/api/songs/{SONG}/versions").json()
    v1, v2 = versions[0]["id"], versions[1]["id"]
    mine = [
        c
        for c in artist.get(f"/api/versions/{v2}/comments").json()
        if c["body"] == "The snare gets lost here"
    ]
    assert (
        len(mine) == 1
        and abs(mine[0]["start_s"] - 12.0) < 0.6
        and mine[0]["author"] == "ada@example.com"
    )
    # The carried-forward comment of v1 shows where it came from.
    assert "carried from v1" in page.inner_text("#comments")

    # The engineer replies and resolves.
    eng_ctx = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    eng = eng_ctx.new_page()
    log_in(eng, base, "chloe@example.com", f"/songs/{SONG}")
    eng.wait_for_selector("body[data-ready='1']", timeout=30000)
    item = eng.locator(".comment", has_text="The snare gets lost here").first
    item.locator("button.reply").click()
    item.locator("textarea").fill("Pushed the snare 1.5 dB, see v3")
    item.locator("button.send-reply").click()
    eng.wait_for_selector(".reply:has-text('Pushed the snare')")
    eng.locator(".comment", has_text="The snare gets lost here").first.locator(
        "button.resolve"
    ).click()
    eng.wait_for_selector(".comment.resolved:has-text('The snare gets lost here')")
    thread = [
        c
        for c in artist.get(f"/api/versions/{v2}/comments").json()
        if c["id"] == mine[0]["id"] or c["parent_id"] == mine[0]["id"]
    ]
    assert thread[0]["resolved"] and thread[0]["resolved_by"] == "chloe@example.com"
    assert (
        thread[1]["body"].startswith("Pushed the snare") and thread[1]["author_role"] == "engineer"
    )

    # A/B with version 1 at the same position, loudness-matched.
    page.reload()
    page.wait_for_selector("body[data-ready='1']", timeout=30000)
    assert page.input_value("#compare") == f"v{v1}"
    page.click("#play")
    wait_js(page, "window.studioPlayer.media.A.currentTime > 1.0")
    before = page.evaluate("window.studioPlayer.media.A.currentTime")
    page.click("#ab")
    wait_js(page, "window.studioPlayer.state.active === 'B' && !window.studioPlayer.media.B.paused")
    # B went on from where A was when the switch happened.
    at = page.evaluate("window.studioPlayer.state.switchedAt")
    after = page.evaluate("window.studioPlayer.media.B.currentTime")
    assert before <= at < before + 5.0, (before, at)
    assert at - 0.05 <= after < at + 1.5, (at, after)
    assert page.evaluate("window.studioPlayer.media.A.paused")
    gains = page.evaluate(
        "[window.studioPlayer.gains.A.gain.value, window.studioPlayer.gains.B.gain.value]"
    )
    lufs = {v["id"]: v["integrated_lufs"] for v in versions}
    # v2 is 4 dB quieter: v1 (B) is turned down by the difference, v2 (A) untouched.
    assert gains[0] == pytest.approx(1.0) and 20 * __import__("math").log10(
        gains[1]
    ) == pytest.approx(lufs[v2] - lufs[v1], abs=0.05)
    wait_js(page, "window.studioPlayer.media.B.currentTime > %f" % (after + 0.3))
    page.click("#ab")
    wait_js(page, "window.studioPlayer.state.active === 'A'")
    page.click("#play")

    # The artist approves version 2.
    page.click("#approve")
    page.wait_for_selector("#approve:disabled")
    approvals = artist.get(f"/api/versions/{v2}").json()["approvals"]
    assert [(a["role"], a["user"]) for a in approvals] == [("artist", "ada@example.com")]
    assert approvals[0]["render_id"] == versions[1]["render_id"]

    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.studioPlayer.media.A.currentTime = 12")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "studio-player.png"), full_page=True)
    # The version's page links its analysis (the extra ear), made on the first visit.
    link = page.get_attribute("#figures a.analysis", "href")
    assert link == f"/versions/{v2}/analysis"
    report = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()  # type: ignore[attr-defined]
    log_in(report, base, "ada@example.com", link)
    report.wait_for_selector("table", timeout=60000)
    assert "Nothing to report." in report.content() or "warning(s)" in report.content()
    report.screenshot(path=str(ARTIFACTS / "studio-analysis.png"), full_page=True)
    prod = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()  # type: ignore[attr-defined]
    log_in(prod, base, "ben@example.com", "/")
    prod.wait_for_selector(".song-card")
    prod.wait_for_timeout(800)  # the mini waveforms draw from their peaks
    prod.screenshot(path=str(ARTIFACTS / "studio-board.png"), full_page=True)
    assert not errors, errors
