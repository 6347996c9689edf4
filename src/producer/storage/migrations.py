"""``format_version`` of project documents and the ordered upgrade functions.

Each document (``album.json``, ``songs/<slug>.json``) starts with ``"format_version"``. A
document of an older version is upgraded in memory by applying ``UPGRADES[kind][v]`` for
v = its version … FORMAT_VERSION − 1, each a pure ``dict -> dict`` (OpenTimelineIO's schema
versioning); the original file is backed up first (see ``Project``). A newer version is
refused: an older producer must not silently drop fields it does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from producer.errors import FormatError

FORMAT_VERSION = 2
"""The version this producer writes."""

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def _song_1_to_2(song: dict[str, Any]) -> dict[str, Any]:
    """Version 2: a strip's fader (``gain_db``) and a send's ``level_db`` trim their automation
    lanes (added in dB) instead of being ignored while a lane exists. A version-1 value that
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
    "album": {1: lambda album: album},
    "song": {1: _song_1_to_2},
}
"""Per document kind: ``{from_version: function}`` turning a version-v dict into v+1."""


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
            f"{name}: format_version {version} is newer than this producer reads "
            f"({FORMAT_VERSION}); update producer"
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


__all__ = ["FORMAT_VERSION", "UPGRADES", "Upgrade", "document_version", "upgrade"]
