"""Delivery profiles: data, not code (``profiles.json`` next to this module).

A profile says what a delivered master must be: integrated loudness target and tolerance
(BS.1770-4 / EBU R 128 gating), true-peak ceiling, sample rate, bit depth, formats, and whether
an album is track- or album-normalised. The numbers and their sources are in STANDARDS.md §3;
only Spotify publishes its algorithm, so every figure stays editable here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from producer.errors import FormatError, NotFoundError, UserError

BIT_DEPTHS = ("16", "24", "32f")
FORMATS = ("wav", "flac", "mp3", "ogg")
NORMALISATIONS = ("track", "album")


@dataclass(frozen=True)
class DeliveryProfile:
    """What a delivered master must be.

    ``ceiling_louder_dbtp`` (with ``louder_than_lufs``) is a stricter ceiling for masters louder
    than a level (Spotify asks −2 dBTP above −14 LUFS). ``bit_depth`` is "16", "24" or "32f".
    """

    name: str
    description: str
    target_lufs: float
    tolerance_lu: float
    ceiling_dbtp: float
    sample_rate: int
    bit_depth: str
    formats: tuple[str, ...]
    normalisation: str = "track"
    ceiling_louder_dbtp: float | None = None
    louder_than_lufs: float | None = None
    channels: int | None = None
    """Channels a delivery must have (Red Book: 2); None = the mix's own."""

    def ceiling_for(self, integrated_lufs: float) -> float:
        """The true-peak ceiling that applies to a master of this loudness."""
        if (
            self.ceiling_louder_dbtp is not None
            and self.louder_than_lufs is not None
            and integrated_lufs > self.louder_than_lufs + 1e-9
        ):
            return self.ceiling_louder_dbtp
        return self.ceiling_dbtp

    @property
    def pcm_bits(self) -> int | None:
        """Integer PCM bit depth to dither to, or None for float delivery."""
        return None if self.bit_depth.endswith("f") else int(self.bit_depth)


def _parse(entry: dict[str, Any], where: str) -> DeliveryProfile:
    try:
        bit_depth = str(entry["bit_depth"])
        formats = tuple(str(f).lower() for f in entry["formats"])
        profile = DeliveryProfile(
            name=str(entry["name"]),
            description=str(entry.get("description", "")),
            target_lufs=float(entry["target_lufs"]),
            tolerance_lu=float(entry["tolerance_lu"]),
            ceiling_dbtp=float(entry["ceiling_dbtp"]),
            sample_rate=int(entry["sample_rate"]),
            bit_depth=bit_depth,
            formats=formats,
            normalisation=str(entry.get("normalisation", "track")),
            ceiling_louder_dbtp=(
                float(entry["ceiling_louder_dbtp"]) if "ceiling_louder_dbtp" in entry else None
            ),
            louder_than_lufs=(
                float(entry["louder_than_lufs"]) if "louder_than_lufs" in entry else None
            ),
            channels=int(entry["channels"]) if "channels" in entry else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{where}: bad delivery profile ({exc})") from None
    check_profile(profile, where)
    return profile


def check_profile(profile: DeliveryProfile, where: str = "profile") -> None:
    """Raise UserError naming the field when a profile cannot be delivered."""
    p = profile
    if p.bit_depth not in BIT_DEPTHS:
        raise UserError(f"{where}: bit_depth must be one of {', '.join(BIT_DEPTHS)}")
    if not p.formats or any(f not in FORMATS for f in p.formats):
        raise UserError(f"{where}: formats must be among {', '.join(FORMATS)}")
    if p.normalisation not in NORMALISATIONS:
        raise UserError(f"{where}: normalisation must be 'track' or 'album'")
    if not 8000 <= p.sample_rate <= 384000:
        raise UserError(f"{where}: sample_rate {p.sample_rate} Hz is out of range")
    if not -70.0 < p.target_lufs < 0.0:
        raise UserError(f"{where}: target_lufs {p.target_lufs} must be between -70 and 0 LUFS")
    if not -20.0 <= p.ceiling_dbtp <= 0.0:
        raise UserError(f"{where}: ceiling_dbtp {p.ceiling_dbtp} must be between -20 and 0 dBTP")
    if p.tolerance_lu <= 0:
        raise UserError(f"{where}: tolerance_lu must be positive")


def load_profiles() -> dict[str, DeliveryProfile]:
    """All profiles of ``profiles.json``, by name, in file order."""
    text = resources.files("producer.mastering").joinpath("profiles.json").read_text("utf-8")
    data = json.loads(text)
    out: dict[str, DeliveryProfile] = {}
    for i, entry in enumerate(data["profiles"]):
        prof = _parse(entry, f"profiles.json: profiles[{i}]")
        out[prof.name] = prof
    return out


def get_profile(
    name: str, target_lufs: float | None = None, ceiling_dbtp: float | None = None
) -> DeliveryProfile:
    """The named profile, optionally with a custom target and/or ceiling.

    Raises NotFoundError listing the known names for an unknown profile.
    """
    profiles = load_profiles()
    if name not in profiles:
        raise NotFoundError(
            f"unknown delivery profile {name!r} (known: {', '.join(sorted(profiles))})"
        )
    prof = profiles[name]
    if target_lufs is not None or ceiling_dbtp is not None:
        prof = replace(
            prof,
            target_lufs=prof.target_lufs if target_lufs is None else float(target_lufs),
            ceiling_dbtp=prof.ceiling_dbtp if ceiling_dbtp is None else float(ceiling_dbtp),
            ceiling_louder_dbtp=None if ceiling_dbtp is not None else prof.ceiling_louder_dbtp,
        )
        check_profile(prof, "--target-lufs/--ceiling-dbtp")
    return prof


__all__ = [
    "BIT_DEPTHS",
    "FORMATS",
    "DeliveryProfile",
    "check_profile",
    "get_profile",
    "load_profiles",
]
