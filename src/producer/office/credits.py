"""Credits derived from the work, not typed after the fact.

For each song: the performers of the takes that the mix uses (the active take of each audible
track, or the takes its comp is built from), the people booked for the sessions those takes
were recorded in, the people booked for the song's mix and master sessions, the producer of a
producer agreement covering the song, and the writers, publishers and master owners of its
split sheet. What cannot be credited is listed as missing (a used take with no performer, a
song with no split sheet, a sheet not accepted by everyone...). Exported as JSON with DDEX RIN
names (Party, Session, MusicalWork, SoundRecording, RecordingComponent, Contributor, Role,
InstrumentType), as liner notes text and as an HTML page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from producer.model import COMP, Album, Lane, Song, Track
from producer.model.office import (
    MASTERING_ROLES,
    MIXING_ROLES,
    PERFORMER_ROLES,
    PRODUCER_ROLES,
    RECORDING_ENGINEER_ROLES,
    Booking,
    BookingStatus,
    Office,
    SessionKind,
    Share,
    role_name,
)
from producer.office.splits import status as split_status


@dataclass(frozen=True)
class SongFacts:
    """What the project's files say about a song beyond its document (gathered by workflows)."""

    mixed: bool = False
    masters: tuple[tuple[str, bool], ...] = ()
    """(delivery profile, passed) of each master of the song."""


@dataclass(frozen=True)
class Credit:
    person: str
    role: str
    instruments: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Component:
    """A take the mix uses (DDEX RIN RecordingComponent)."""

    track: str
    take: int
    lane: Lane


@dataclass(frozen=True)
class SongCredits:
    song: Song
    credits: tuple[Credit, ...]
    writers: tuple[Share, ...]
    publishers: tuple[Share, ...]
    masters: tuple[Share, ...]
    components: tuple[Component, ...]
    sessions: tuple[Booking, ...]
    missing: tuple[str, ...]

    def by_role(self, roles: frozenset[str] | tuple[str, ...]) -> list[Credit]:
        return [c for c in self.credits if c.role in roles]


def used_takes(track: Track) -> list[Component]:
    """The takes a track contributes to the mix (none when muted)."""
    if track.mute:
        return []
    if track.active == COMP and track.comp is not None:
        ids = list(dict.fromkeys(s.lane for s in track.comp.segments))
    else:
        ids = [track.active] if track.active else []
    out = []
    for n, lane in enumerate(track.lanes, start=1):
        if lane.id in ids and lane.clips:
            out.append(Component(track.name, n, lane))
    return out


class _Collector:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[list[str], list[str]]] = {}

    def add(self, person: str, role: str, instruments: Sequence[str], source: str) -> None:
        key = (person, role)
        inst, src = self.items.setdefault(key, ([], []))
        inst += [i for i in instruments if i and i not in inst]
        if source not in src:
            src.append(source)

    def credits(self) -> tuple[Credit, ...]:
        return tuple(Credit(p, r, tuple(i), tuple(s)) for (p, r), (i, s) in self.items.items())


def _session_people(c: _Collector, b: Booking, why: str) -> None:
    for p in b.people:
        c.add(p.person, p.role, p.instruments, why)


def song_credits(song: Song, office: Office, facts: SongFacts) -> SongCredits:
    c = _Collector()
    missing: list[str] = []
    components: list[Component] = []
    sessions: dict[str, Booking] = {}
    for track in song.tracks:
        for comp in used_takes(track):
            components.append(comp)
            lane = comp.lane
            where = f"{track.name} take {comp.take}"
            if lane.performer:
                if office.people.person(lane.performer) is None:
                    missing.append(
                        f"{song.slug}: {where}: performer {lane.performer!r} is not in the roster"
                    )
                role = lane.role or "StudioMusician"
                c.add(lane.performer, role, [lane.instrument] if lane.instrument else [], where)
            else:
                missing.append(f"{song.slug}: {where} ({lane.name}) has no performer")
            if lane.booking:
                b = office.bookings.booking(lane.booking)
                if b is None:
                    missing.append(f"{song.slug}: {where}: booking {lane.booking!r} does not exist")
                else:
                    sessions[b.id] = b
                    _session_people(c, b, f"session {b.id}")
    for b in office.bookings.bookings:
        if (
            song.slug in b.songs
            and b.status == BookingStatus.CONFIRMED
            and b.what
            in (
                SessionKind.MIX,
                SessionKind.MASTER,
            )
        ):
            sessions[b.id] = b
            _session_people(c, b, f"{b.what} session {b.id}")
    for contract in office.contracts.contracts:
        if not contract.songs or song.slug in contract.songs:
            c.add(contract.party, "StudioProducer", (), f"contract {contract.name!r}")
    sheet = office.splits.sheet(song.slug)
    writers: tuple[Share, ...] = ()
    publishers: tuple[Share, ...] = ()
    masters: tuple[Share, ...] = ()
    if sheet is None:
        missing.append(
            f"{song.slug}: no split sheet (`producer split set {song.slug} --writer ...`)"
        )
    else:
        writers, publishers, masters = sheet.writers, sheet.publishers, sheet.masters
        for s in writers:
            c.add(s.party, s.role or "Composer", (), "split sheet")
        for s in publishers:
            c.add(s.party, s.role, (), "split sheet")
        st = split_status(sheet, song.title)
        if not writers:
            missing.append(f"{song.slug}: the split sheet names no writers")
        if st.pending:
            missing.append(f"{song.slug}: split sheet not accepted by {', '.join(st.pending)}")
    credits = c.credits()
    roles = {cr.role for cr in credits}
    if not components:
        missing.append(f"{song.slug}: no takes in the mix yet")
    if facts.mixed and not roles & MIXING_ROLES:
        missing.append(f"{song.slug}: mixed, but no mixing engineer (book the mix session)")
    if facts.masters and not roles & MASTERING_ROLES:
        missing.append(
            f"{song.slug}: mastered, but no mastering engineer (book the master session)"
        )
    ordered = sorted(sessions.values(), key=lambda b: (b.start, b.id))
    return SongCredits(
        song,
        credits,
        writers,
        publishers,
        masters,
        tuple(components),
        tuple(ordered),
        tuple(missing),
    )


def album_credits(
    songs: Sequence[Song], office: Office, facts: dict[str, SongFacts]
) -> list[SongCredits]:
    return [song_credits(s, office, facts.get(s.slug, SongFacts())) for s in songs]


# ---------------------------------------------------------------- DDEX RIN names


def rin_json(album: Album, credits: Sequence[SongCredits], office: Office) -> dict[str, object]:
    """The credits with DDEX RIN element names (a JSON rendering, not a RIN XML message)."""
    refs: dict[str, str] = {}

    def party(name: str) -> str:
        key = name.casefold()
        if key not in refs:
            refs[key] = f"P{len(refs) + 1}"
        return refs[key]

    def contributor(name: str, role: str, instruments: Sequence[str] = ()) -> dict[str, object]:
        out: dict[str, object] = {"ContributorPartyReference": party(name), "Role": role}
        if instruments:
            out["InstrumentType"] = list(instruments)
        return out

    session_refs: dict[str, str] = {}
    sessions: list[dict[str, object]] = []
    works: list[dict[str, object]] = []
    recordings: list[dict[str, object]] = []
    components: list[dict[str, object]] = []
    for i, sc in enumerate(credits, start=1):
        for b in sc.sessions:
            if b.id in session_refs:
                continue
            session_refs[b.id] = f"O{len(session_refs) + 1}"
            sessions.append(
                {
                    "SessionReference": session_refs[b.id],
                    "SessionType": b.what.value,
                    "StartDateTime": b.start.isoformat(),
                    "EndDateTime": b.end.isoformat(),
                    "VenueRoom": b.room,
                    "TimeZone": album.timezone,
                    "Contributor": [contributor(p.person, p.role, p.instruments) for p in b.people],
                }
            )
        work_ref = f"W{i}"
        works.append(
            {
                "MusicalWorkReference": work_ref,
                "Title": sc.song.title,
                "MusicalWorkContributor": [
                    {
                        **contributor(s.party, s.role or "Composer"),
                        "RightSharePercentage": format(s.share, "f"),
                    }
                    for s in sc.writers
                ],
                "WorkRightsController": [
                    {
                        "RightsControllerPartyReference": party(s.party),
                        "Role": s.role,
                        "RightSharePercentage": format(s.share, "f"),
                    }
                    for s in sc.publishers
                ],
            }
        )
        comp_refs = []
        for comp in sc.components:
            ref = f"K{len(components) + 1}"
            comp_refs.append(ref)
            lane = comp.lane
            entry: dict[str, object] = {
                "RecordingComponentReference": ref,
                "Title": f"{comp.track} — {lane.name or f'take {comp.take}'}",
                "SequenceNumber": comp.take,
                "Contributor": (
                    [
                        contributor(
                            lane.performer,
                            lane.role or "StudioMusician",
                            [lane.instrument] if lane.instrument else [],
                        )
                    ]
                    if lane.performer
                    else []
                ),
            }
            if lane.booking in session_refs:
                entry["SessionReference"] = session_refs[lane.booking]
            components.append(entry)
        recordings.append(
            {
                "ResourceReference": f"A{i}",
                "Title": sc.song.title,
                "ISRC": sc.song.isrc,
                "MusicalWorkReference": work_ref,
                "Contributor": [contributor(c.person, c.role, c.instruments) for c in sc.credits],
                "ResourceRightsController": [
                    {
                        "RightsControllerPartyReference": party(s.party),
                        "RightsControlType": s.role,
                        "RightSharePercentage": format(s.share, "f"),
                    }
                    for s in sc.masters
                ],
                "RecordingComponentReference": comp_refs,
                "SessionReference": [session_refs[b.id] for b in sc.sessions],
            }
        )
    parties = []
    for key, ref in refs.items():
        person = office.people.person(key)
        entry = {"PartyReference": ref, "PartyName": {"FullName": person.name if person else key}}
        ids = {}
        if person is not None:
            if person.isni:
                ids["ISNI"] = person.isni
            if person.ipi:
                ids["IpiNameNumber"] = person.ipi
            entry["IsOrganization"] = person.organisation
        if ids:
            entry["PartyId"] = ids
        parties.append(entry)
    return {
        "Project": {"ProjectReference": "J1", "Title": album.title, "MainArtist": album.artist},
        "PartyList": parties,
        "SessionList": sessions,
        "MusicalWorkList": works,
        "SoundRecordingList": recordings,
        "RecordingComponentList": components,
        "Missing": [m for sc in credits for m in sc.missing],
        "Note": "DDEX RIN element and role names; not a schema-valid RIN XML message",
    }


# ---------------------------------------------------------------- liner notes


def _names(credits: Sequence[Credit]) -> str:
    return ", ".join(dict.fromkeys(c.person for c in credits))


def liner_lines(sc: SongCredits) -> list[str]:
    lines = []
    writers = [s.party for s in sc.writers]
    if writers:
        lines.append(f"Written by {', '.join(writers)}")
    if sc.publishers:
        lines.append(f"Published by {', '.join(s.party for s in sc.publishers)}")
    producers = sc.by_role(PRODUCER_ROLES)
    if producers:
        lines.append(f"Produced by {_names(producers)}")
    players: dict[str, list[str]] = {}
    for c in sc.by_role(PERFORMER_ROLES):
        what = players.setdefault(c.person, [])
        for item in c.instruments or (role_name(c.role).lower(),):
            if item not in what:
                what.append(item)
    if players:
        lines.append(" · ".join(f"{p}: {', '.join(what)}" for p, what in players.items()))
    tech = []
    for label, roles in (
        ("Recorded by", RECORDING_ENGINEER_ROLES),
        ("Mixed by", MIXING_ROLES),
        ("Mastered by", MASTERING_ROLES),
    ):
        found = sc.by_role(roles)
        if found:
            tech.append(f"{label} {_names(found)}")
    if tech:
        lines.append(" · ".join(tech))
    rooms = [f"{b.room} ({b.start:%Y-%m-%d})" for b in sc.sessions if b.what != SessionKind.MASTER]
    if rooms:
        lines.append("Recorded and mixed at " + ", ".join(dict.fromkeys(rooms)))
    if sc.masters:
        lines.append("Master owned by " + ", ".join(f"{s.party} ({s.share} %)" for s in sc.masters))
    return lines


def liner_notes(album: Album, credits: Sequence[SongCredits]) -> str:
    out = [f"{album.title} — {album.artist}", ""]
    for i, sc in enumerate(credits, start=1):
        out.append(f"{i}. {sc.song.title}")
        out += [f"   {line}" for line in liner_lines(sc)]
        out.append("")
    missing = [m for sc in credits for m in sc.missing]
    if missing:
        out.append("Missing:")
        out += [f"  - {m}" for m in missing]
    return "\n".join(out).rstrip() + "\n"


def credits_html(album: Album, credits: Sequence[SongCredits]) -> str:
    parts = []
    for i, sc in enumerate(credits, start=1):
        items = "".join(f"<li>{html.escape(line)}</li>" for line in liner_lines(sc))
        parts.append(f"<h2>{i}. {html.escape(sc.song.title)}</h2><ul>{items}</ul>")
    missing = [m for sc in credits for m in sc.missing]
    if missing:
        parts.append(
            "<h2>Missing</h2><ul class=missing>"
            + "".join(f"<li>{html.escape(m)}</li>" for m in missing)
            + "</ul>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Credits: {html.escape(album.title)}</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:auto}"
        "li{margin:2px 0}.missing li{color:#a00}</style></head><body>"
        f"<h1>{html.escape(album.title)}</h1><p>{html.escape(album.artist)}</p>"
        + "".join(parts)
        + "</body></html>\n"
    )


__all__ = [
    "Component",
    "Credit",
    "SongCredits",
    "SongFacts",
    "album_credits",
    "credits_html",
    "liner_lines",
    "liner_notes",
    "rin_json",
    "song_credits",
    "used_takes",
]
