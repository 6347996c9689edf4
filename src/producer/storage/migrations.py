"""``format_version`` of project documents and the ordered upgrade functions.

Each document (``album.json``, ``songs/<slug>.json``, ``office/<name>.json``) starts with ``"format_version"``. A
document of an older version is upgraded in memory by applying ``UPGRADES[kind][v]`` for
v = its version … FORMAT_VERSION − 1, each a pure ``dict -> dict`` (OpenTimelineIO's schema
versioning); the original file is backed up first (see ``Project``). A newer version is
refused: an older producer must not silently drop fields it does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from producer.errors import FormatError

FORMAT_VERSION = 3
"""The version this producer writes (one number for every kind of document).

History: 1 → 2 moved the album's ``people`` into the office roster (``office/people.json``)
and gave take lanes their performer; the office documents start at 2. 2 → 3: the fader and
send levels trim their automation lanes (``_song_2_to_3``).
"""

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]

MOVED_PEOPLE = "__moved_people__"
"""Key under which the album 1 → 2 step hands the album's people to storage, which makes them
the roster when the project has none yet (a step is one document's dict -> dict)."""

_LEGACY_ROLES = {
    "producer": "StudioProducer",
    "co-producer": "CoProducer",
    "executive producer": "ExecutiveProducer",
    "artist": "MainArtist",
    "songwriter": "ComposerLyricist",
    "writer": "ComposerLyricist",
    "composer": "Composer",
    "lyricist": "Lyricist",
    "arranger": "Arranger",
    "publisher": "MusicPublisher",
    "engineer": "RecordingEngineer",
    "recording engineer": "RecordingEngineer",
    "mix engineer": "MixingEngineer",
    "mixing engineer": "MixingEngineer",
    "mastering engineer": "MasteringEngineer",
    "vocals": "Vocalist",
    "vocalist": "Vocalist",
    "singer": "Vocalist",
    "musician": "StudioMusician",
    "session musician": "StudioMusician",
    "programmer": "Programmer",
}


def _album_1_to_2(body: dict[str, Any]) -> dict[str, Any]:
    """Format 1 kept people in the album as free-text roles; format 2 keeps them in the roster
    with DDEX roles (a role with no DDEX value becomes ``UserDefined:<text>``)."""
    body = dict(body)
    people = body.pop("people", None) or []
    moved = []
    for p in people if isinstance(people, list) else []:
        if not isinstance(p, dict):
            continue
        roles: list[str] = []
        for r in p.get("roles") or []:
            text = str(r).strip()
            role = _LEGACY_ROLES.get(text.casefold(), f"UserDefined:{text}")
            if text and role not in roles:
                roles.append(role)
        moved.append({"name": str(p.get("name", "")), "roles": roles, "email": p.get("email", "")})
    body[MOVED_PEOPLE] = moved
    return body


def _same(body: dict[str, Any]) -> dict[str, Any]:
    return body


def _song_2_to_3(song: dict[str, Any]) -> dict[str, Any]:
    """Version 3: a strip's fader (``gain_db``) and a send's ``level_db`` trim their automation
    lanes (added in dB) instead of being ignored while a lane exists. A version-2 value that
    was ignored becomes 0 dB, so the song renders exactly as before."""

    def strip(d: Any) -> Any:
        if not isinstance(d, dict):
            return d
        lanes = d.get("automation")
        automated = {
            lane.get("target")
            for lane in (lanes if isinstance(lanes, list) else [])
            if isinstance(lane, dict) and lane.get("points")
        }
        out = dict(d)
        if "gain_db" in automated and "gain_db" in out:
            out["gain_db"] = 0.0
        sends = out.get("sends")
        if isinstance(sends, list):
            out["sends"] = [
                {**s, "level_db": 0.0}
                if isinstance(s, dict) and f"sends.{s.get('bus')}.level_db" in automated
                else s
                for s in sends
            ]
        return out

    out = dict(song)
    for key in ("tracks", "buses"):
        if isinstance(out.get(key), list):
            out[key] = [strip(t) for t in out[key]]
    if "master" in out:
        out["master"] = strip(out["master"])
    return out


UPGRADES: dict[str, dict[int, Upgrade]] = {
    "album": {1: _album_1_to_2, 2: _same},
    "song": {1: _same, 2: _song_2_to_3},  # 1 → 2: new lane fields (performer...) have defaults
    "office": {1: _same, 2: _same},  # no office document was ever written at 1
}
"""Per document kind: ``{from_version: function}`` turning a version-v dict into v+1."""


def take_moved_people(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Remove and return what an album upgrade moved out for the roster (None: nothing)."""
    moved = body.pop(MOVED_PEOPLE, None)
    return moved if isinstance(moved, list) else None


NEWER = "is newer than this producer reads"
"""In the error of a document a newer producer wrote: not damage, nothing to restore."""


def document_version(data: Any, name: str) -> int:
    """The ``format_version`` of parsed document ``data`` (file ``name``)."""
    if not isinstance(data, dict):
        raise FormatError(f"{name}: expected a JSON object, got {type(data).__name__}")
    if "format_version" not in data:
        raise FormatError(f"{name}: format_version: required field is missing")
    version = data["format_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FormatError(f"{name}: format_version: {version!r} is not a positive whole number")
    if version > FORMAT_VERSION:
        raise FormatError(
            f"{name}: format_version {version} {NEWER} ({FORMAT_VERSION}); update producer"
        )
    return version


def upgrade(kind: str, data: dict[str, Any], name: str) -> dict[str, Any]:
    """``data`` brought to FORMAT_VERSION (without its ``format_version`` key)."""
    version = document_version(data, name)
    body = {k: v for k, v in data.items() if k != "format_version"}
    for v in range(version, FORMAT_VERSION):
        step = UPGRADES[kind].get(v)
        if step is None:  # pragma: no cover - a missing upgrade is a bug in this table
            raise FormatError(f"{name}: no upgrade from format_version {v} to {v + 1}")
        body = step(body)
    return body


__all__ = [
    "FORMAT_VERSION",
    "MOVED_PEOPLE",
    "UPGRADES",
    "Upgrade",
    "document_version",
    "take_moved_people",
    "upgrade",
]
