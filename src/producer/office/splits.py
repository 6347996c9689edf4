"""Split sheets: who owns the composition and the master of a song, accepted by every party.

Each column (writers, publishers, master owners) totals exactly 100 % in ``Decimal`` — thirds
are written 33.34 + 33.33 + 33.33 — or the sheet is refused, naming the gap. A party accepts
the sheet as it is: the acceptance keeps the time and the SHA-256 of the sheet's canonical
text (song, title, every share with role, PRO and IPI); a change of the sheet clears every
acceptance, and an acceptance whose hash no longer matches (a hand edit) does not count.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from producer.errors import NotFoundError, ValidationError
from producer.model.office import (
    MASTER_OWNER_ROLE,
    PUBLISHER_ROLE,
    WRITER_ROLES,
    Acceptance,
    Roster,
    Share,
    Splits,
    SplitSheet,
    role_name,
)
from producer.model.office_validate import share_total_problem
from producer.office.money import parse_percent
from producer.office.roster import need_person, parse_role


def parse_share(text: str, column: str, roster: Roster) -> Share:
    """``NAME:PCT`` or ``NAME:PCT:ROLE`` of a ``--writer``/``--publisher``/``--master``."""
    m = re.fullmatch(r"(.+?):\s*([0-9.]+\s*%?)\s*(?::(.+))?", text.strip())
    if not m:
        raise ValidationError(f'--{column} {text!r}: write NAME:PERCENT, like "Ada Lindqvist:50"')
    name, pct, role_text = m.groups()
    person = need_person(roster, name.strip(), f"--{column}")
    share = parse_percent(pct, f"--{column} {person.name}")
    if column == "writer":
        if role_text:
            role = parse_role(role_text)
            if role not in WRITER_ROLES:
                raise ValidationError(
                    f"--writer {text!r}: {role_name(role)} is not a writer's role "
                    f"({', '.join(WRITER_ROLES)})"
                )
        else:
            role = next((r for r in WRITER_ROLES if r in person.roles), "ComposerLyricist")
    elif column == "publisher":
        role = PUBLISHER_ROLE
    else:
        role = MASTER_OWNER_ROLE
    return Share(person.name, share, role, person.pro, person.ipi)


def check_totals(sheet: SplitSheet) -> None:
    """ValidationError naming the first column that does not total exactly 100 %."""
    for column, shares in (
        ("writer", sheet.writers),
        ("publisher", sheet.publishers),
        ("master", sheet.masters),
    ):
        if why := share_total_problem(shares, column):
            raise ValidationError(f"split sheet of {sheet.song!r}: {why}")
        names = [s.party.casefold() for s in shares]
        if len(set(names)) != len(names):
            raise ValidationError(f"split sheet of {sheet.song!r}: a {column} is named twice")


def canonical(sheet: SplitSheet, title: str) -> str:
    """The text that is hashed and accepted: every share, acceptances left out."""

    def col(shares: tuple[Share, ...]) -> list[dict[str, str]]:
        return [
            {
                "party": s.party,
                "share": format(s.share.normalize(), "f"),
                "role": s.role,
                "pro": s.pro,
                "ipi": s.ipi,
            }
            for s in shares
        ]

    data = {
        "song": sheet.song,
        "title": title,
        "writers": col(sheet.writers),
        "publishers": col(sheet.publishers),
        "masters": col(sheet.masters),
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sheet_hash(sheet: SplitSheet, title: str) -> str:
    return hashlib.sha256(canonical(sheet, title).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SetResult:
    splits: Splits
    sheet: SplitSheet
    cleared: tuple[str, ...]
    """Parties whose acceptance the change cleared."""


def set_sheet(
    splits: Splits,
    song: str,
    title: str,
    writers: tuple[Share, ...] | None = None,
    publishers: tuple[Share, ...] | None = None,
    masters: tuple[Share, ...] | None = None,
) -> SetResult:
    """Replace the columns given (None keeps a column); a change clears the acceptances."""
    old = splits.sheet(song) or SplitSheet(song)
    new = replace(
        old,
        writers=old.writers if writers is None else writers,
        publishers=old.publishers if publishers is None else publishers,
        masters=old.masters if masters is None else masters,
    )
    check_totals(new)
    cleared: tuple[str, ...] = ()
    if sheet_hash(new, title) != sheet_hash(old, title):
        cleared = tuple(a.party for a in old.acceptances)
        new = replace(new, acceptances=())
    sheets = [s for s in splits.sheets if s.song != song] + [new]
    return SetResult(replace(splits, sheets=tuple(sheets)), new, cleared)


def need_sheet(splits: Splits, song: str) -> SplitSheet:
    sheet = splits.sheet(song)
    if sheet is None:
        raise NotFoundError(
            f"song {song!r} has no split sheet; make one with `producer split set {song} --writer ...`"
        )
    return sheet


def accept(
    splits: Splits, song: str, title: str, party: str, at: datetime
) -> tuple[Splits, Acceptance]:
    """``party`` accepts the sheet as it is now."""
    sheet = need_sheet(splits, song)
    if not (sheet.writers or sheet.masters):
        raise ValidationError(f"split sheet of {song!r} is empty: nothing to accept")
    match = [p for p in sheet.parties() if p.casefold() == party.strip().casefold()]
    if not match:
        raise ValidationError(
            f"--by {party!r}: not a party of the split sheet of {song!r} "
            f"({', '.join(sheet.parties())})"
        )
    acc = Acceptance(match[0], at, sheet_hash(sheet, title))
    kept = tuple(a for a in sheet.acceptances if a.party.casefold() != match[0].casefold())
    new = replace(sheet, acceptances=(*kept, acc))
    sheets = tuple(new if s is sheet else s for s in splits.sheets)
    return replace(splits, sheets=sheets), acc


@dataclass(frozen=True)
class SheetStatus:
    sheet: SplitSheet
    title: str
    sha256: str
    accepted: tuple[Acceptance, ...]
    pending: tuple[str, ...]
    stale: tuple[str, ...]
    """Parties whose acceptance is of another version of the sheet (a hand edit)."""

    @property
    def final(self) -> bool:
        return bool(self.sheet.parties()) and not self.pending

    def to_json(self) -> dict[str, object]:
        def col(shares: tuple[Share, ...]) -> list[dict[str, str]]:
            return [
                {
                    "party": s.party,
                    "share": format(s.share, "f"),
                    "role": s.role,
                    "pro": s.pro,
                    "ipi": s.ipi,
                }
                for s in shares
            ]

        return {
            "song": self.sheet.song,
            "title": self.title,
            "sha256": self.sha256,
            "writers": col(self.sheet.writers),
            "publishers": col(self.sheet.publishers),
            "masters": col(self.sheet.masters),
            "acceptances": [
                {"party": a.party, "time": a.time.isoformat(), "sha256": a.sha256}
                for a in self.accepted
            ],
            "pending": list(self.pending),
            "stale": list(self.stale),
            "final": self.final,
        }


def status(sheet: SplitSheet, title: str) -> SheetStatus:
    digest = sheet_hash(sheet, title)
    accepted = tuple(a for a in sheet.acceptances if a.sha256 == digest)
    stale = tuple(a.party for a in sheet.acceptances if a.sha256 != digest)
    done = {a.party.casefold() for a in accepted}
    pending = tuple(p for p in sheet.parties() if p.casefold() not in done)
    return SheetStatus(sheet, title, digest, accepted, pending, stale)


def _rows(shares: tuple[Share, ...], accepted: dict[str, Acceptance]) -> str:
    out = []
    for s in shares:
        a = accepted.get(s.party.casefold())
        signed = f"accepted {a.time:%Y-%m-%d %H:%M} UTC" if a else "&nbsp;" * 30
        out.append(
            f"<tr><td>{html.escape(s.party)}</td><td>{html.escape(role_name(s.role))}</td>"
            f"<td class=num>{html.escape(format(s.share, 'f'))} %</td>"
            f"<td>{html.escape(s.pro)}</td><td>{html.escape(s.ipi)}</td>"
            f"<td class=sign>{signed}</td></tr>"
        )
    total = sum((s.share for s in shares), Decimal(0))
    out.append(
        f"<tr class=total><td colspan=2>Total</td><td class=num>{total} %</td><td colspan=3></td></tr>"
    )
    return "".join(out)


def html_sheet(st: SheetStatus, album_title: str, artist: str) -> str:
    """A printable split sheet (A4/Letter, one page): both columns, PRO, IPI, signatures."""
    accepted = {a.party.casefold(): a for a in st.accepted}
    head = "<tr><th>Name</th><th>Role</th><th>Share</th><th>PRO</th><th>IPI</th><th>Acceptance</th></tr>"
    sections = [("Composition: writers", st.sheet.writers)]
    if st.sheet.publishers:
        sections.append(("Composition: publishers", st.sheet.publishers))
    if st.sheet.masters:
        sections.append(("Master recording: owners", st.sheet.masters))
    tables = "".join(
        f"<h2>{html.escape(name)}</h2><table>{head}{_rows(shares, accepted)}</table>"
        for name, shares in sections
    )
    verdict = (
        "Final: accepted by every party."
        if st.final
        else f"Not final: waiting for {', '.join(st.pending) or 'parties'}."
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Split sheet: {html.escape(st.title)}</title>"
        "<style>@page{size:auto;margin:18mm}body{font-family:sans-serif;max-width:48em;"
        "margin:auto}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;"
        "padding:4px 8px;text-align:left}.num{text-align:right}.total td{font-weight:bold}"
        ".sign{min-width:14em}small{color:#555}</style></head><body>"
        f"<h1>Split sheet — {html.escape(st.title)}</h1>"
        f"<p>{html.escape(artist)} — <i>{html.escape(album_title)}</i></p>{tables}"
        f"<p><b>{html.escape(verdict)}</b></p>"
        f"<p><small>SHA-256 of this sheet: <code>{st.sha256}</code>. Each column totals "
        "exactly 100 %. Any change to the sheet clears every acceptance.</small></p>"
        "</body></html>\n"
    )


__all__ = [
    "SetResult",
    "SheetStatus",
    "accept",
    "canonical",
    "check_totals",
    "html_sheet",
    "need_sheet",
    "parse_share",
    "set_sheet",
    "sheet_hash",
    "status",
]
