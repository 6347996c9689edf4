"""The office documents in storage: decimal strings, the format-2 move of the album's people
into the roster (with a backup, undoable), broken office documents that do not block the songs,
snapshots that hold the office."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from producer.errors import FormatError, ValidationError
from producer.model import Person, Rate
from producer.model.office import Contract, RecoupRule
from producer.storage import FORMAT_VERSION, Project
from producer.storage.codec import from_dict, to_dict
from producer.workflows import office as wo
from producer.workflows import project as wf


def test_codec_writes_money_as_decimal_strings_and_reads_them_exactly() -> None:
    c = Contract(
        "d",
        "P",
        Decimal("0.60"),
        Decimal("0.10"),
        RecoupRule.NET,
        Decimal("1E+4"),
        None,
        signed=date(2027, 1, 2),
    )
    data = to_dict(c)
    assert data["all_in_rate"] == "0.60" and data["advance"] == "10000"
    assert data["recoupable_costs"] is None and data["signed"] == "2027-01-02"
    assert from_dict(Contract, json.loads(json.dumps(data))) == c
    with pytest.raises(
        FormatError, match=r'rate: expected a decimal string such as "12.50", got 0.1'
    ):
        from_dict(Contract, {**data, "rate": 0.1})
    with pytest.raises(FormatError, match="signed: expected a date like 2027-01-12"):
        from_dict(Contract, {**data, "signed": "soon"})
    p = to_dict(Person("A", rates=(Rate("hour", Decimal("50.00"), date(2027, 1, 1)),)))
    assert p["rates"] == [{"unit": "hour", "amount": "50.00", "effective_from": "2027-01-01"}]
    from producer.model import Acceptance

    a = Acceptance("A", datetime.fromisoformat("2027-01-02T12:00:00+00:00"), "x")
    assert from_dict(Acceptance, to_dict(a)) == a


V1_ALBUM = {
    "format_version": 1,
    "title": "Old",
    "artist": "Band",
    "sample_rate": 48000,
    "songs": ["first-song"],
    "people": [
        {"name": "Ada", "roles": ["artist", "songwriter"], "email": "ada@example.org"},
        {"name": "Ben", "roles": ["producer", "tea maker"], "email": ""},
    ],
    "year": 0,
    "upc": "",
}


def test_album_people_move_into_the_roster(project: Project) -> None:
    root = project.root
    text = json.dumps(V1_ALBUM, indent=2) + "\n"
    (root / "album.json").write_text(text)
    song_text = json.loads((root / "songs/first-song.json").read_text())
    song_text["format_version"] = 1
    (root / "songs/first-song.json").write_text(json.dumps(song_text, indent=2) + "\n")
    p = Project.open(root)
    roster = p.office.people
    assert [(x.name, x.roles, x.email) for x in roster.people] == [
        ("Ada", ("MainArtist", "ComposerLyricist"), "ada@example.org"),
        ("Ben", ("StudioProducer", "UserDefined:tea maker"), ""),
    ]
    assert (root / ".producer/backups/format-1/album.json").read_text() == text
    assert not (root / "office/people.json").exists()  # reading never writes
    wf.track_add(root, "first-song", "Vox")  # the next step writes both documents
    album = json.loads((root / "album.json").read_text())
    assert album["format_version"] == FORMAT_VERSION and "people" not in album
    people = json.loads((root / "office/people.json").read_text())
    assert [x["name"] for x in people["people"]] == ["Ada", "Ben"]
    wf.undo(root)  # and undo brings back the old album exactly, without the roster file
    assert (root / "album.json").read_text() == text
    assert not (root / "office/people.json").exists()
    assert [x.name for x in Project.open(root).office.people.people] == ["Ada", "Ben"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "office/budget.json: not valid JSON"),
        ('{"format_version": 2, "lines": 3}', "office/budget.json: lines: expected a list"),
        (
            '{"format_version": 2, "approved_total": "-5.00"}',
            "office/budget.json: approved_total: -5.00 is not an amount of 0 or more",
        ),
    ],
)
def test_a_broken_office_document_does_not_block_the_songs(
    project: Project, text: str, words: str
) -> None:
    root = project.root
    wo.person_add(root, "Ada", wo.PersonFields(roles=["Vocalist"]))
    (root / "office/budget.json").write_text(text)
    p = Project.open(root)  # opens
    wf.track_add(root, "first-song", "Vox")  # song work goes on
    assert Project.open(root).song("first-song").track("Vox") is not None
    with pytest.raises(ValidationError) as exc:
        p.office  # noqa: B018
    assert exc.value.message.startswith(words)
    with pytest.raises(ValidationError, match=r"office/budget\.json"):
        wo.budget_report(root)
    assert any(x.startswith(words) for x in Project.check(root))
    assert (root / "office/budget.json").read_text() == text  # nothing rewrote it
    assert Project.open(root).snapshot_save("with-broken-office") is None


def test_snapshots_hold_the_office(project: Project) -> None:
    root = project.root
    wo.person_add(root, "Ada", wo.PersonFields(roles=["Vocalist"]))
    wo.room_add(root, "A", ["hour=50.00"])
    project.snapshot_save("one")
    wo.person_add(root, "Ben", wo.PersonFields(roles=["StudioProducer"]))
    wo.budget_line(root, "studio", "100.00")
    Project.open(root).snapshot_restore("one")
    office = Project.open(root).office
    assert [x.name for x in office.people.people] == ["Ada"]
    assert office.budget.lines == () and office.bookings.rooms[0].name == "A"
