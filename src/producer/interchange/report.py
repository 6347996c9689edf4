"""The loss report: what an export or import carried, and each thing it could not, with why.

Every export and import returns one. ``carried`` names the kinds of things the session used
that the format holds (``"clip positions and source offsets"``); ``lost`` has one ``Lost`` per
thing that did not make it, naming where it was and why, in words for people::

    Lost(what="pan automation", where="track Vox", why="AAF carries volume automation only")

Nothing is dropped without a line here: a reader or writer that meets something it does not
map adds a ``Lost`` for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Lost:
    what: str
    where: str
    why: str

    def __str__(self) -> str:
        return (
            f"{self.what} on {self.where}: {self.why}" if self.where else f"{self.what}: {self.why}"
        )


@dataclass
class LossReport:
    """Built while a session is converted: ``carry`` and ``lose`` as things are met."""

    format: str
    direction: str
    """``"export"`` or ``"import"``."""
    carried: list[str] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)

    def carry(self, what: str) -> None:
        if what not in self.carried:
            self.carried.append(what)

    def lose(self, what: str, where: str, why: str) -> None:
        item = Lost(what, where, why)
        if item not in self.lost:
            self.lost.append(item)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form: ``{"carried": [...], "lost": [{"what", "where", "why"}]}``."""
        return {
            "format": self.format,
            "direction": self.direction,
            "carried": list(self.carried),
            "lost": [{"what": x.what, "where": x.where, "why": x.why} for x in self.lost],
        }

    def lines(self) -> list[str]:
        """The report for people: what was carried, then every loss on its own line."""
        out = [f"{self.format} {self.direction}: carried " + (", ".join(self.carried) or "nothing")]
        if not self.lost:
            out.append("lost: nothing")
        else:
            out.append(f"lost ({len(self.lost)}):")
            out += [f"  {x}" for x in self.lost]
        return out


__all__ = ["LossReport", "Lost"]
