"""Low-level file rules of the project folder: atomic saves, hashing, the JSON text form.

Writer rules (ARCHITECTURE.md): UTF-8, 2-space indent, stable field order, a final newline.
An atomic save writes a temporary file in the same folder, fsyncs it, renames it over the
target and fsyncs the folder, so after a crash the name holds either the old or the new
bytes, never a mix (POSIX rename(2) is atomic within one file system).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from producer.errors import FormatError
from producer.fileio import atomic_output, fsync_dir

HASH_BLOCK_BYTES = 1 << 20


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically and durably (temp + fsync + rename + fsync dir)."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` so that ``dst`` appears only complete (streamed, bounded memory)."""
    with atomic_output(dst) as tmp:
        shutil.copyfile(src, tmp)  # in-kernel copy (sendfile/copy_file_range) on Linux


def remove_durably(path: Path) -> None:
    if path.exists():
        path.unlink()
        fsync_dir(path.parent)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(HASH_BLOCK_BYTES), b""):
            h.update(block)
    return h.hexdigest()


def dumps(data: Any) -> str:
    """The one JSON text form of every project file: UTF-8 text, 2-space indent, final newline.

    Key order is the order of ``data`` (the codec writes dataclass fields in declaration order),
    never sorted here, so a document diffs field by field.
    """
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def loads(text: str, name: str) -> Any:
    """Parse JSON text of file ``name``; FormatError naming the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def read_text(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{name}: not UTF-8 text") from None
    except IsADirectoryError:
        raise FormatError(f"{name}: is a folder, not a file") from None


__all__ = [
    "atomic_copy",
    "atomic_write_bytes",
    "atomic_write_text",
    "dumps",
    "fsync_dir",
    "loads",
    "read_text",
    "remove_durably",
    "sha256_file",
]
