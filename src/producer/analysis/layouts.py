"""Loudspeaker layouts and their BS.1770-4 channel weights.

BS.1770-4 weights each channel's mean square by its loudspeaker position (Annex 1 Table 3,
Annex 3 Table 4): 1.41 (+1.5 dB) for a loudspeaker at elevation |phi| < 30 deg and azimuth
60 deg <= |theta| <= 120 deg, 1.0 everywhere else; the LFE is not measured (EBU Tech 3341
§2.10). Positions are named as in ITU-R BS.2051 (M = middle layer, U = upper, T = top,
B = bottom; the number is the azimuth, + to the left), e.g. M+030 is the left front speaker.

A layout is an ordered tuple of labels, one per channel. Where it comes from, in order:

1. the user (``--layout``): a common name ("mono", "stereo", "3.0", "5.0", "5.1", "7.1",
   "7.1.4", channels in the order WAV and FLAC files use: L R C LFE Lrs Rrs Lss Rss Ltf Rtf
   Ltr Rtr), a BS.2051 system name ("0+2+0", "0+5+0", "0+7+0", "4+7+0", channels in BS.2051's
   order: for 7.1 the side pair before the rear pair), or a comma list of labels (BS.2051
   ones, or L, R, C, LFE, Ls, Rs, Lss, Rss, Lrs, Rrs, Ltf, Rtf, Ltr, Rtr);
2. the file: its declared speaker positions (a WAV file's WAVE_FORMAT_EXTENSIBLE channel
   mask, a CAF/AIFF channel layout, as libsndfile reads them), see :func:`from_speakers`;
3. the channel count: 1 mono, 2 stereo, 3 3.0, 5 5.0, 6 5.1, 8 7.1 and 12 7.1.4 as named
   above (the default channel masks of WAV, and FLAC's channel assignments); other counts are
   weighted 1.0 each and the layout is reported as unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from producer.errors import UserError, ValidationError

#: BS.1770-4 weight of a surround position (+1.5 dB).
SURROUND_WEIGHT = 1.41
LFE = "LFE"

_M7_BS2051 = ("M+030", "M-030", "M+000", LFE, "M+090", "M-090", "M+135", "M-135")
_M7_WAVE = ("M+030", "M-030", "M+000", LFE, "M+135", "M-135", "M+090", "M-090")

#: BS.2051 loudspeaker configurations (Table 1 channel orders).
SYSTEMS: dict[str, tuple[str, ...]] = {
    "0+1+0": ("M+000",),
    "0+2+0": ("M+030", "M-030"),
    "0+3+0": ("M+030", "M-030", "M+000"),
    "0+5+0-nolfe": ("M+030", "M-030", "M+000", "M+110", "M-110"),
    "0+5+0": ("M+030", "M-030", "M+000", LFE, "M+110", "M-110"),
    "0+7+0": _M7_BS2051,
    "4+7+0": (*_M7_BS2051, "U+045", "U-045", "U+135", "U-135"),
}
#: Common names, in the channel order of WAV and FLAC files (the WAVE_FORMAT_EXTENSIBLE bit
#: order: for 7.1 the rear pair before the side pair, unlike BS.2051's "0+7+0").
NAMES: dict[str, tuple[str, ...]] = {
    "mono": SYSTEMS["0+1+0"],
    "stereo": SYSTEMS["0+2+0"],
    "3.0": SYSTEMS["0+3+0"],
    "5.0": SYSTEMS["0+5+0-nolfe"],
    "5.1": SYSTEMS["0+5+0"],
    "7.1": _M7_WAVE,
    "7.1.4": (*_M7_WAVE, "U+045", "U-045", "U+135", "U-135"),
}
#: Channel names people type, as BS.2051 labels.
ALIASES: dict[str, str] = {
    "L": "M+030",
    "R": "M-030",
    "C": "M+000",
    "LS": "M+110",
    "RS": "M-110",
    "LSS": "M+090",
    "RSS": "M-090",
    "LRS": "M+135",
    "RRS": "M-135",
    "LB": "M+135",
    "RB": "M-135",
    "LTF": "U+045",
    "RTF": "U-045",
    "LTR": "U+135",
    "RTR": "U-135",
    "LTB": "U+135",
    "RTB": "U-135",
}

# Microsoft speaker bits (ksmedia.h), in channel order.
_FL, _FR, _FC, _LFE, _BL, _BR, _FLC, _FRC, _BC, _SL, _SR = (1 << i for i in range(11))
_TC, _TFL, _TFC, _TFR, _TBL, _TBC, _TBR = (1 << i for i in range(11, 18))


@dataclass(frozen=True)
class Layout:
    """Channel labels (BS.2051), their BS.1770-4 weights, and where the layout came from."""

    name: str
    labels: tuple[str, ...]
    source: str
    """"--layout", "channel mask" or "channel count"."""

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(weight(label) for label in self.labels)


def weight(label: str) -> float:
    """BS.1770-4 weight of a BS.2051 position label (Annex 3 Table 4); 0 for the LFE."""
    if label == LFE:
        return 0.0
    layer, azimuth = _parse_label(label)
    elevation_small = layer == "M"  # M: 0 deg; U/T at >= 30 deg, B at <= -15 deg
    if layer == "B":
        elevation_small = True  # BS.2051 bottom layer is -15..-30 deg: |phi| < 30 counts
    if elevation_small and 60 <= abs(azimuth) <= 120:
        return SURROUND_WEIGHT
    return 1.0


def _parse_label(label: str) -> tuple[str, int]:
    if len(label) < 3 or label[0] not in "MUTB" or label[1] not in "+-":
        raise ValueError(label)
    tail = label[2:]
    if tail == "SC":  # M+SC / M-SC: between the front speakers
        return label[0], 15
    azimuth = int(tail)
    if not 0 <= azimuth <= 180:
        raise ValueError(label)
    return label[0], azimuth if label[1] == "+" else -azimuth


def parse(text: str, channels: int) -> Layout:
    """A layout the user named (``--layout``), checked against the channel count.

    Raises UserError naming the layout when it is unknown or has the wrong channel count.
    """
    key = text.strip()
    if key.lower() in NAMES or key in SYSTEMS:
        labels = NAMES.get(key.lower()) or SYSTEMS[key]
        name = key
    else:
        parts = [p.strip() for p in key.split(",") if p.strip()]
        if len(parts) < 2 and channels != 1:
            known = ", ".join([*NAMES, *(s for s in SYSTEMS if not s.endswith("-nolfe"))])
            raise UserError(
                f"--layout {text!r}: unknown layout (known: {known}; or a comma list of "
                "channel labels such as L,R,C,LFE,Lrs,Rrs,Lss,Rss)"
            )
        labels_list = []
        for p in parts:
            label = ALIASES.get(p.upper(), p.upper())
            if label != LFE:
                try:
                    _parse_label(label)
                except ValueError:
                    raise UserError(
                        f"--layout {text!r}: channel {p!r} is not a BS.2051 position (e.g. "
                        "M+030, M-110, U+045) nor one of " + ", ".join(sorted(ALIASES)) + ", LFE"
                    ) from None
            labels_list.append(label)
        labels = tuple(labels_list)
        name = ",".join(labels)
    if len(labels) != channels:
        raise UserError(
            f"--layout {text!r} has {len(labels)} channel(s) but the audio has {channels}"
        )
    return Layout(name, labels, "--layout")


#: Microsoft's speaker bits (ksmedia.h) in bit order: the order of a WAV file's channels.
SPEAKER_BITS = (
    "FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR",
    "TC", "TFL", "TFC", "TFR", "TBL", "TBC", "TBR",
)  # fmt: skip


def from_speakers(speakers: Sequence[str]) -> Layout | None:
    """The layout of channels at these speaker positions (WAVE names: FL FR FC LFE BL BR FLC
    FRC BC SL SR TC TFL TFC TFR TBL TBC TBR, as ``producer.audio.speaker_positions`` reads
    them from a file's channel mask or layout); None if one is not a loudspeaker position.

    BL/BR are the 5.1 surrounds (M±110) when there are no side channels, the rear pair
    (M±135) of a 7.1 when there are; SL/SR are M±090 beside a rear pair, else M±110.
    """
    names = set(speakers)
    sides = {"SL", "SR"} <= names
    backs = {"BL", "BR"} <= names
    table = {
        "FL": "M+030",
        "FR": "M-030",
        "FC": "M+000",
        "LFE": LFE,
        "BL": "M+135" if sides else "M+110",
        "BR": "M-135" if sides else "M-110",
        "FLC": "M+SC",
        "FRC": "M-SC",
        "BC": "M+180",
        "SL": "M+090" if backs else "M+110",
        "SR": "M-090" if backs else "M-110",
        "TC": "T+000",
        "TFL": "U+045",
        "TFC": "U+000",
        "TFR": "U-045",
        "TBL": "U+135",
        "TBC": "U+180",
        "TBR": "U-135",
    }
    if not speakers or any(name not in table for name in speakers):
        return None
    found = tuple(table[name] for name in speakers)
    name = next((k for k, v in NAMES.items() if v == found), ",".join(found))
    return Layout(name, found, "channel mask")


def from_channel_mask(mask: int, channels: int) -> Layout | None:
    """The layout a WAVE_FORMAT_EXTENSIBLE channel mask describes (channels in bit order), or
    None when the mask does not describe ``channels`` loudspeaker channels."""
    if mask <= 0 or mask >> len(SPEAKER_BITS) or bin(mask).count("1") != channels:
        return None
    return from_speakers([n for i, n in enumerate(SPEAKER_BITS) if mask & (1 << i)])


#: Channel-count defaults: the WAVE/FLAC default channel orders (masks 0x4, 0x3, 0x7, 0x37,
#: 0x3F, 0x63F and 0x2D63F).
_DEFAULT_MASKS = {1: 0x4, 2: 0x3, 3: 0x7, 5: 0x37, 6: 0x3F, 8: 0x63F, 12: 0x2D63F}
_DEFAULT_NAMES = {1: "mono", 2: "stereo", 3: "3.0", 5: "5.0", 6: "5.1", 8: "7.1", 12: "7.1.4"}


def default(channels: int) -> Layout | None:
    """The layout a file of ``channels`` channels without a mask is taken to have, or None."""
    if channels <= 0:
        raise ValidationError(f"audio must have at least one channel, got {channels}")
    mask = _DEFAULT_MASKS.get(channels)
    if mask is None:
        return None
    found = from_channel_mask(mask, channels)
    assert found is not None and found.labels == NAMES[_DEFAULT_NAMES[channels]]
    return Layout(_DEFAULT_NAMES[channels], found.labels, "channel count")


def resolve(
    channels: int, named: str | None = None, speakers: Sequence[str] | None = None
) -> Layout | None:
    """The layout to measure with: ``named`` (the user's), else the file's declared
    ``speakers``, else the channel count."""
    if named:
        return parse(named, channels)
    if speakers and len(speakers) == channels:
        found = from_speakers(speakers)
        if found is not None:
            return found
    return default(channels)


__all__ = [
    "LFE",
    "NAMES",
    "SURROUND_WEIGHT",
    "SYSTEMS",
    "Layout",
    "default",
    "from_channel_mask",
    "from_speakers",
    "parse",
    "resolve",
    "weight",
]
