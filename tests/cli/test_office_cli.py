"""The office through the CLI: bad input (one line, exit 2, nothing written), undo of a booking,
the iCalendar export read back, royalty statements, and credits derived from a recorded take's
performer through the comp to the mix."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from icalendar import Calendar

from producer.cli import cli
from producer.workflows import project as wp

RATE = 48000


def run(root: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["-C", str(root), *args])
    return r.exit_code, r.stdout, r.stderr


def ok(root: Path, *args: str) -> str:
    code, out, err = run(root, *args)
    assert code == 0, f"{args}: {err}"
    return out


def state(root: Path) -> str:
    """A digest of every document and the history: equal means nothing was written."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".producer/cache" not in p.as_posix() and "hashes" not in p.name:
            h.update(p.relative_to(root).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def office(tmp_path: Path) -> Path:
    root = tmp_path / "album"
    wp.new_project(root, "First Light", "The Examples")
    wp.add_song(root, "First Song")
    wp.add_song(root, "Second Song")
    ok(root, "album", "set", "--currency", "EUR", "--timezone", "Europe/Berlin")
    ok(
        root,
        "person",
        "add",
        "Jane Doe",
        "--role",
        "StudioMusician",
        "--instrument",
        "bass",
        "--ipi",
        "00000000297",
        "--rate",
        "session=425.00",
        "--email",
        "jane@example.org",
    )
    ok(
        root,
        "person",
        "add",
        "Ben Okafor",
        "--role",
        "Producer",
        "--role",
        "Composer",
        "--role",
        "RecordingEngineer",
        "--isni",
        "0000 0001 2281 955X",
    )
    ok(root, "person", "add", "Chloé Martin", "--role", "MixingEngineer", "--rate", "day=500")
    ok(
        root,
        "room",
        "add",
        "Studio A",
        "--rate",
        "hour=50.00",
        "--rate",
        "day=350.00",
        "--cancel-hours",
        "48",
    )
    return root


BAD = [
    (["person", "add", "X", "--ipi", "00000000298"], ["--ipi", "00000000298", "expected 97"]),
    (["person", "add", "X", "--isni", "0000 0001 2281 9551"], ["--isni", "expected X"]),
    (["person", "add", "X", "--role", "Wizard"], ["role 'Wizard'"]),
    (["person", "add", "X", "--rate", "hour=-5"], ["-5 is negative"]),
    (["album", "set", "--currency", "EUX"], ["'EUX' is not a current ISO 4217"]),
    (["album", "set", "--timezone", "Mars/Olympus"], ["Mars/Olympus"]),
    (
        [
            "book",
            "first-song",
            "--what",
            "tracking",
            "--room",
            "Studio Z",
            "--start",
            "2027-01-12T10:00",
            "--hours",
            "3",
        ],
        ["room 'Studio Z'"],
    ),
    (
        [
            "book",
            "first-song",
            "--what",
            "tracking",
            "--room",
            "Studio A",
            "--start",
            "2027-01-12T10:00",
            "--hours",
            "3",
            "--with",
            "Nobody:StudioMusician",
        ],
        ["'Nobody'", "roster"],
    ),
    (
        [
            "book",
            "nope",
            "--what",
            "tracking",
            "--room",
            "Studio A",
            "--start",
            "2027-01-12T10:00",
            "--hours",
            "3",
        ],
        ["no song 'nope'"],
    ),
    (
        [
            "book",
            "first-song",
            "--what",
            "tracking",
            "--room",
            "Studio A",
            "--start",
            "2027-01-12T14:00",
            "--hours",
            "1",
        ],
        ["room 'Studio A' is booked twice at once", "b1"],
    ),
    (
        [
            "book",
            "first-song",
            "--what",
            "tracking",
            "--room",
            "Studio A",
            "--start",
            "tomorrow",
            "--hours",
            "1",
        ],
        ["--start 'tomorrow'"],
    ),
    (["expense", "add", "--category", "studio", "--amount", "-12.00"], ["--amount", "negative"]),
    (["expense", "add", "--category", "snacks", "--amount", "12.00"], ["--category 'snacks'"]),
    (["expense", "add", "--category", "studio", "--amount", "1", "--booking", "b9"], ["'b9'"]),
    (
        ["split", "set", "first-song", "--writer", "Jane Doe:50", "--writer", "Ben Okafor:49.99"],
        ["writer shares total 99.99 %, 0.01 short of 100 %"],
    ),
    (["split", "set", "first-song", "--writer", "Ghost:100"], ["--writer 'Ghost'"]),
    (
        [
            "contract",
            "add",
            "D",
            "--with",
            "Ben Okafor",
            "--all-in-rate",
            "0.60",
            "--rate",
            "0.10",
            "--rule",
            "sometime",
        ],
        ["--rule 'sometime'"],
    ),
    (
        [
            "contract",
            "add",
            "D",
            "--with",
            "Ben Okafor",
            "--all-in-rate",
            "0.60",
            "--rate",
            "0.70",
            "--rule",
            "net",
        ],
        ["--rate 0.70"],
    ),
    (["person", "remove", "Jane Doe"], ["'Jane Doe' is named by booking b1"]),
]


@pytest.mark.parametrize(
    ("args", "words"), BAD, ids=[" ".join(a[:2]) + str(i) for i, (a, _) in enumerate(BAD)]
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    office: Path, args: list[str], words: list[str]
) -> None:
    ok(
        office,
        "book",
        "first-song",
        "--what",
        "tracking",
        "--room",
        "Studio A",
        "--start",
        "2027-01-12T13:00",
        "--hours",
        "3",
        "--with",
        "Jane Doe:StudioMusician:bass",
    )
    before = state(office)
    code, _, err = run(office, *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: ") and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]
    assert state(office) == before


def test_booking_conflicts_back_to_back_cancel_and_undo(office: Path) -> None:
    book = ["book", "first-song", "--what", "tracking", "--room", "Studio A"]
    ok(
        office,
        *book,
        "--start",
        "2027-01-12T10:00",
        "--hours",
        "3",
        "--with",
        "Jane Doe:StudioMusician:bass",
    )
    out = ok(
        office,
        *book,
        "--start",
        "2027-01-12T13:00",
        "--end",
        "2027-01-12T15:00",
        "--with",
        "Jane Doe:StudioMusician:bass",
    )  # back to back: allowed
    assert "booked b2" in out
    code, _, err = run(
        office,
        "book",
        "second-song",
        "--what",
        "overdub",
        "--room",
        "Studio A",
        "--start",
        "2027-01-12T14:30",
        "--hours",
        "1",
    )
    assert code == 2 and "b2 (tracking 2027-01-12 13:00-15:00)" in err
    out = ok(office, "undo")
    assert "book tracking first-song" in out
    rows = json.loads(ok(office, "schedule", "--json"))
    assert [r["id"] for r in rows] == ["b1"]
    ok(office, "redo")
    out = ok(office, "schedule", "cancel", "b2", "--at", "2027-01-11T18:00")
    assert "charge EUR 100.00" in out  # inside 48 h: the room's full charge
    rows = json.loads(ok(office, "schedule", "--json"))
    assert [(r["id"], r["status"], r["cost"]) for r in rows] == [
        ("b1", "confirmed", "575.00"),
        ("b2", "cancelled", "100.00"),
    ]


def test_ics_export_reads_back_with_every_booking(office: Path, tmp_path: Path) -> None:
    ok(
        office,
        "book",
        "first-song",
        "--what",
        "tracking",
        "--room",
        "Studio A",
        "--start",
        "2027-01-12T10:00",
        "--hours",
        "3",
        "--with",
        "Jane Doe:StudioMusician:bass",
        "--with",
        "Ben Okafor:Producer",
    )
    ok(
        office,
        "book",
        "first-song",
        "second-song",
        "--what",
        "mix",
        "--room",
        "Studio A",
        "--start",
        "2027-07-01T09:30",
        "--end",
        "2027-07-01T18:00",
        "--with",
        "Chloé Martin",
    )
    ok(
        office,
        "book",
        "second-song",
        "--what",
        "overdub",
        "--room",
        "Studio A",
        "--start",
        "2027-03-28T01:00",
        "--hours",
        "3",
    )  # across the spring DST change in Berlin
    ok(office, "schedule", "cancel", "b3", "--at", "2027-03-01T10:00")
    ics = tmp_path / "album.ics"
    assert "wrote 3 booking(s)" in ok(office, "schedule", "export", str(ics))
    cal = Calendar.from_ical(ics.read_bytes())
    events = {str(e["uid"]).split("-")[0]: e for e in cal.walk("VEVENT")}
    berlin = ZoneInfo("Europe/Berlin")
    expected = {
        "b1": (datetime(2027, 1, 12, 10, tzinfo=berlin), datetime(2027, 1, 12, 13, tzinfo=berlin)),
        "b2": (datetime(2027, 7, 1, 9, 30, tzinfo=berlin), datetime(2027, 7, 1, 18, tzinfo=berlin)),
        "b3": (datetime(2027, 3, 28, 1, tzinfo=berlin), datetime(2027, 3, 28, 4, tzinfo=berlin)),
    }
    assert set(events) == set(expected)
    for bid, (start, end) in expected.items():
        ev = events[bid]
        s, e = ev.decoded("dtstart"), ev.decoded("dtend")
        assert (s, e) == (start, end)
        assert str(s.tzinfo) == "Europe/Berlin" and ev["dtstart"].params["TZID"] == "Europe/Berlin"
    # 01:00 to 04:00 across the change is two hours of real time.
    assert events["b3"].decoded("dtend") - events["b3"].decoded("dtstart") == timedelta(
        hours=2
    ) or (
        events["b3"].decoded("dtend").astimezone(ZoneInfo("UTC"))
        - events["b3"].decoded("dtstart").astimezone(ZoneInfo("UTC"))
        == timedelta(hours=2)
    )
    assert [str(t["tzid"]) for t in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    attendees = [str(a) for a in events["b1"].get("attendee")]
    assert attendees[0] == "mailto:jane@example.org" and attendees[1].startswith("urn:producer:")
    assert str(events["b3"]["status"]) == "CANCELLED" and str(events["b1"]["status"]) == "CONFIRMED"
    assert "First Song" in str(events["b2"]["summary"]) and "Second Song" in str(
        events["b2"]["summary"]
    )


def test_royalty_statement_reproduces_the_worked_example(office: Path, tmp_path: Path) -> None:
    for rule in ("record-one", "combined", "net"):
        ok(
            office,
            "contract",
            "add",
            rule,
            "--with",
            "Ben Okafor",
            "--all-in-rate",
            "0.60",
            "--rate",
            "0.10",
            "--advance",
            "10000.00",
            "--recoupable-costs",
            "120000.00",
            "--rule",
            rule,
        )
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "period,units,song\n2027-Q1,100000,first-song\n2027-Q1,50000,Second Song\n2027-Q2,100000,first-song\n"
    )
    q1 = {
        r: json.loads(
            ok(
                office,
                "royalty",
                "statement",
                r,
                "--sales",
                str(sales),
                "--period",
                "2027-Q1",
                "--json",
            )
        )
        for r in ("record-one", "combined", "net")
    }
    assert q1["record-one"]["units_total"] == 150000
    assert q1["record-one"]["producer_earned"] == "15000.00"
    assert q1["record-one"]["producer_payable"] == "5000.00"
    assert q1["record-one"]["costs_recouped"] is False
    assert q1["record-one"]["flags"] == ["artist-owes-producer"]
    assert (q1["combined"]["recoup_point_units"], q1["net"]["recoup_point_units"]) == (
        200000,
        240000,
    )
    assert q1["combined"]["producer_payable"] == q1["net"]["producer_payable"] == "0.00"
    q2 = {
        r: json.loads(ok(office, "royalty", "statement", r, "--sales", str(sales), "--json"))
        for r in ("combined", "net")
    }
    for r in ("combined", "net"):
        assert q2[r]["units_total"] == 250000 and q2[r]["producer_payable"] == "15000.00"
        assert q2[r]["costs_recouped"] is True
    assert q2["net"]["by_song"] == [
        {"song": "first-song", "units": 200000},
        {"song": "second-song", "units": 50000},
    ]
    code, out, err = run(
        office, "royalty", "statement", "record-one", "--sales", str(sales), "--period", "2027-Q1"
    )
    assert (
        code == 0 and "artist-owes-producer" in err and "payable now          EUR 5,000.00" in out
    )
    sales.write_text("period,units,song\n2027-Q1,10,Third Song\n")
    code, _, err = run(office, "royalty", "statement", "net", "--sales", str(sales))
    assert code == 2 and "line 2: no song 'Third Song'" in err


def _wav(path: Path, seconds: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    sf.write(str(path), (0.2 * rng.standard_normal(round(seconds * RATE))).astype("float32"), RATE)
    return path


def test_credits_follow_a_recorded_take_through_the_comp_to_the_mix(
    office: Path, tmp_path: Path
) -> None:
    ok(office, "person", "add", "Sam Rivera", "--role", "StudioMusician", "--instrument", "bass")
    # Take 1: recorded (from a file source) by Jane; takes 2 and 3 imported, played by Sam, Ben.
    code, _, err = run(
        office,
        "record",
        "first-song",
        "--track",
        "Bass",
        "--source",
        str(_wav(tmp_path / "in.wav", 0.6, 1)),
        "--performer",
        "Jane Doe",
    )
    assert code == 0, err
    ok(
        office,
        "take",
        "import",
        "first-song",
        "Bass",
        str(_wav(tmp_path / "t2.wav", 0.6, 2)),
        "--performer",
        "Sam Rivera",
        "--instrument",
        "bass",
    )
    code, _, err = run(
        office,
        "take",
        "import",
        "first-song",
        "Bass",
        str(_wav(tmp_path / "t3.wav", 0.6, 3)),
        "--performer",
        "Ben Okafor",
    )
    assert code == 2 and "has no performing role" in err  # and nothing imported
    ok(
        office,
        "person",
        "set",
        "Ben Okafor",
        "--role",
        "Producer",
        "--role",
        "Composer",
        "--role",
        "RecordingEngineer",
        "--role",
        "Programmer",
    )
    ok(
        office,
        "take",
        "import",
        "first-song",
        "Bass",
        str(_wav(tmp_path / "t3.wav", 0.6, 3)),
        "--performer",
        "Ben Okafor",
    )
    ok(office, "take", "import", "first-song", "Keys", str(_wav(tmp_path / "k.wav", 0.6, 4)))
    doc = json.loads(ok(office, "show", "first-song", "--json"))
    bass = next(t for t in doc["tracks"] if t["name"] == "Bass")
    assert [(x["performer"], x["role"], x["instrument"]) for x in bass["lanes"]] == [
        ("Jane Doe", "StudioMusician", "bass"),
        ("Sam Rivera", "StudioMusician", "bass"),
        ("Ben Okafor", "Programmer", ""),
    ]
    ok(office, "take", "comp", "first-song", "Bass", "--use", "1:0-0.3,2:0.3-0.6")
    ok(office, "mix", "first-song")
    ok(
        office,
        "book",
        "first-song",
        "--what",
        "mix",
        "--room",
        "Studio A",
        "--start",
        "2026-11-02T10:00",
        "--hours",
        "4",
        "--with",
        "Chloé Martin",
    )
    ok(office, "split", "set", "first-song", "--writer", "Ben Okafor:100")
    rin = json.loads(ok(office, "credits", "first-song", "--json"))
    parties = {p["PartyReference"]: p["PartyName"]["FullName"] for p in rin["PartyList"]}
    rec = rin["SoundRecordingList"][0]
    credited = {(parties[c["ContributorPartyReference"]], c["Role"]) for c in rec["Contributor"]}
    assert ("Jane Doe", "StudioMusician") in credited  # take 1 is in the comp
    assert ("Sam Rivera", "StudioMusician") in credited  # take 2 too
    assert ("Ben Okafor", "Programmer") not in credited  # take 3 is not used by the mix
    assert ("Chloé Martin", "MixingEngineer") in credited  # the mix session
    assert ("Ben Okafor", "Composer") in credited  # the split sheet
    assert len(rec["RecordingComponentReference"]) == 3  # Bass takes 1, 2 and the Keys take
    assert any("Keys take 1" in m and "no performer" in m for m in rin["Missing"])
    assert any("not accepted by Ben Okafor" in m for m in rin["Missing"])
    assert any(
        "second-song: no split sheet" in m
        for m in json.loads(ok(office, "credits", "--json"))["Missing"]
    )
    text = ok(office, "credits")
    assert (
        "Jane Doe: bass" in text
        and "Mixed by Chloé Martin" in text
        and "Written by Ben Okafor" in text
    )
    assert "<h1>First Light</h1>" in ok(office, "credits", "--html")
    board = json.loads(ok(office, "status", "--json"))
    first = board["songs"][0]
    assert first["stage"] == "mixing"
    assert "splits not accepted by Ben Okafor" in first["blocks"]
    assert (
        board["songs"][1]["stage"] == "pre-production"
        and "no split sheet" in board["songs"][1]["blocks"]
    )
    ok(office, "split", "accept", "first-song", "--by", "Ben Okafor")
    assert json.loads(ok(office, "split", "show", "first-song", "--json"))["final"] is True
    assert "splits not accepted" not in " ".join(
        json.loads(ok(office, "status", "--json"))["songs"][0]["blocks"]
    )
    ok(office, "master", "first-song", "--profile", "streaming")  # a single: masters/*/singles/
    assert json.loads(ok(office, "status", "--json"))["songs"][0]["stage"] == "delivered"
    ok(office, "split", "set", "first-song", "--writer", "Ben Okafor:50", "--writer", "Jane Doe:50")
    assert json.loads(ok(office, "split", "show", "first-song", "--json"))["acceptances"] == []
    page = ok(office, "split", "show", "first-song", "--html")
    assert "Split sheet — First Song" in page and "Not final" in page
