"""The HTML delivery report, seen in a real browser (headless Chromium through Playwright).

Issue 16: the report is what a producer sends a label — the release's identity, the profile and
each requirement with how it was met, a verdict that agrees with its rows, figures with human
labels and units, plots with the profile's own ceiling, and a layout that prints. Each test
opens the page in Chromium, reads what a person would read, and saves screenshots (screen and
print) next to the test's files for a human look.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from producer.mastering import get_profile, master
from producer.mastering.export import Tags, write_master
from producer.mastering.report import ReportContext, producer_version, write_reports
from producer.mastering.verdict import file_facts, judge, profile_goal

from .refs import pinkish

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SR = 44100
TAGS = Tags(
    "Slow Light", "The Producers", "First Light", 1, 3, "GBAYE0601498", "2026", "Ada Lindqvist"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _report(tmp_path: Path, profile_name: str, depth: str | None = None, **kw: float) -> Path:
    """A mastered song with its reports; ``depth`` writes the file at another bit depth."""
    profile = get_profile(profile_name, kw.get("target"), kw.get("ceiling"))
    x = pinkish(int(6 * SR), 2, 11) * np.float32(0.3)
    x[:, SR : SR + 400] *= 4.0  # a transient for the limiter to catch
    result = master(x, SR, profile)
    path = tmp_path / "01-slow-light.wav"
    write_master(path, result.audio, result.sample_rate, depth or result.bit_depth, TAGS)
    goal = profile_goal(profile, get_profile(profile_name).target_lufs)
    verdict = judge(result, profile, goal, file_facts(path))
    context = ReportContext(TAGS, "the mix of song slow-light", "this song mastered on its own")
    return write_reports(result, profile, verdict, path, context)[1]


def _json(html_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        html_path.with_name(html_path.name.replace(".html", ".json")).read_text()
    )
    return data


def _open(browser: Any, page_path: Path, width: int = 1100, print_media: bool = False) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(page_path.as_uri())
    if print_media:
        page.emulate_media(media="print")
    page.wait_for_load_state("load")
    return page


def _svg_texts(page: Any, title: str) -> str:
    """The text inside the SVG figure named ``title`` (axis labels, annotations)."""
    src = page.get_attribute(f"figure:has(h3:text-is('{title}')) img", "src")
    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    return " ".join(re.findall(r">([^<>]+)</text>", svg)).replace("\u2212", "-")


def test_the_report_reads_as_a_delivery_document(browser: Any, tmp_path: Path) -> None:
    html_path = _report(tmp_path, "cd")
    data = _json(html_path)
    page = _open(browser, html_path)
    page.screenshot(path=str(tmp_path / "report-screen.png"), full_page=True)
    text = page.inner_text("body")
    assert page.title() == "Delivery report — Slow Light (cd)"
    for fact in ("Slow Light", "The Producers", "First Light", "GBAYE0601498", "Ada Lindqvist",
                 "1 of 3", f"producer {producer_version()}", "Mastered", "cd — Red Book CD"):  # fmt: skip
        assert fact in text, fact
    # Figures carry human labels and units, never dictionary keys or Python reprs.
    for word in ("integrated_lufs", "true_peak_dbtp", "[]", "{'", "_db"):
        assert word not in text, word
    assert not re.search(r"\b(None|False|nan|inf)\b|\bTrue\b(?![ -]peak)", text)
    for label in ("Integrated loudness", "Loudness range", "True peak", "Sample peak", "Gain",
                  "Dither", "LUFS", "dBTP", "LU", "dB"):  # fmt: skip
        assert label in text, label
    # The verdict is the rows': as many rows as the JSON, all passing, PASSED.
    rows = page.locator("table.req tbody tr")
    assert rows.count() == len(data["requirements"]) == 5
    assert page.locator(".pill.ok").count() == 5 and page.locator(".pill.bad").count() == 0
    assert page.inner_text(".verdict .word") == "PASSED" and data["passed"] is True
    # Every figure loaded; the peaks are drawn against the cd profile's own ceiling.
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) >= 3 and all(w > 0 for w in widths)
    assert "cd ceiling -0.3 dBTP" in _svg_texts(page, "Peaks against the ceiling")
    assert "cd target: -11.0 LUFS" in _svg_texts(page, "Loudness over time")
    # Nothing wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1100
    page.close()


def test_the_report_prints_on_a4(browser: Any, tmp_path: Path) -> None:
    html_path = _report(tmp_path, "streaming")
    page = _open(browser, html_path, width=794, print_media=True)  # A4 at 96 dpi
    page.screenshot(path=str(tmp_path / "report-print.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 794  # nothing cut off
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 4
    page.close()


def test_a_failing_master_says_so_everywhere(browser: Any, tmp_path: Path) -> None:
    """A 24-bit file under the cd profile fails its format row: the verdict follows."""
    html_path = _report(tmp_path, "cd", depth="24")
    data = _json(html_path)
    page = _open(browser, html_path)
    page.screenshot(path=str(tmp_path / "report-failed.png"), full_page=True)
    assert data["passed"] is False
    assert [r["key"] for r in data["requirements"] if not r["passed"]] == ["format"]
    assert page.inner_text(".verdict .word") == "FAILED"
    assert "Does not meet the cd profile" in page.inner_text(".verdict")
    assert "File format: WAV, 24-bit PCM, required WAV, 16-bit PCM" in page.inner_text(".verdict")
    assert page.locator(".pill.bad").count() == 1
    page.close()


def test_plots_follow_a_custom_ceiling(browser: Any, tmp_path: Path) -> None:
    html_path = _report(tmp_path, "streaming", ceiling=-2.0, target=-16.0)
    page = _open(browser, html_path)
    peaks = _svg_texts(page, "Peaks against the ceiling")
    assert "streaming ceiling -2.0 dBTP" in peaks and "-1.0 dBTP" not in peaks
    assert "custom target: -16.0 LUFS" in _svg_texts(page, "Loudness over time")
    assert "Custom target" in page.inner_text("body")
    page.close()
