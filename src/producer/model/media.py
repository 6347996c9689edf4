"""References to audio in the project's media pool."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRef:
    """A file in ``media/``, never modified once imported.

    ``path`` is relative to the project folder (POSIX). ``sha256`` is the hash of that file;
    ``source_sha256`` the hash of the file the user imported (differs when the import converted
    the sample rate), ``source_name`` its file name, for people.
    """

    path: str
    sha256: str
    sample_rate: int
    channels: int
    frames: int
    source_sha256: str = ""
    source_name: str = ""
