"""References to audio in the project's media pool."""

from __future__ import annotations

from dataclasses import dataclass

SPEAKERS = ("FL", "FR", "FC", "LFE", "BL", "BR", "BC", "SL", "SR")
"""Speaker positions a channel of a multichannel file may have (WAVE_FORMAT_EXTENSIBLE's names:
front left/right/centre, low-frequency effects, back left/right/centre, side left/right)."""


@dataclass(frozen=True)
class MediaRef:
    """A file in ``media/``, never modified once imported.

    ``path`` is relative to the project folder (POSIX). ``sha256`` is the hash of that file;
    ``source_sha256`` the hash of the file the user imported (differs when the import converted
    the sample rate), ``source_name`` its file name, for people. An ``offline`` ref has no
    file in the pool yet (see the field).
    """

    path: str
    sha256: str
    sample_rate: int
    channels: int
    frames: int
    source_sha256: str = ""
    source_name: str = ""
    offline: bool = False
    """The audio was absent when a session from another DAW was imported: ``source_name`` is
    the file that session named, ``path`` and ``sha256`` are "", ``frames`` is as much as the
    clips need. The clip plays silence; ``producer validate`` lists it."""
    layout: str = ""
    """Speaker position of each channel of a file of more than two channels, in channel order,
    space-separated (``"FL FR FC LFE BL BR"`` for 5.1; see ``SPEAKERS``); "" for mono and
    stereo. Such media plays folded down to stereo (``producer.dsp.downmix``)."""
