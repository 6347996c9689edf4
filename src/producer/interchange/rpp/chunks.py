"""Reading REAPER's chunk text: blocks checked before parsing, then lines and their fields.

A parsed ``rpp.Element`` holds lines (lists of tokens) and child blocks; ``line_of`` finds a
line by its first token, ``number_at`` reads one field of it as a finite number, naming the
line and field when it is not one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import rpp as rpplib

from producer.errors import FormatError


def check_blocks(text: str, path: Path) -> None:
    """FormatError naming the line of the first unbalanced block. REAPER indents each block by
    two spaces: a ``>`` less indented than the innermost open block closes an outer one, so the
    inner one is the block never closed."""
    stack: list[tuple[str, int, int]] = []
    for no, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        indent = len(line) - len(line.lstrip())
        if s.startswith("<"):
            stack.append((s[1:].split(" ", 1)[0] or "?", no, indent))
        elif s == ">":
            if not stack:
                raise FormatError(
                    f"{path}: line {no}: '>' closes no open block (unbalanced blocks)"
                )
            tag, opened, at = stack[-1]
            if at > indent:
                raise FormatError(
                    f"{path}: <{tag} opened at line {opened} is never closed (unbalanced blocks)"
                )
            stack.pop()
    if stack:
        tag, no, _ = stack[-1]
        raise FormatError(f"{path}: <{tag} opened at line {no} is never closed (unbalanced blocks)")


def lines_of(el: rpplib.Element) -> Iterator[list[str]]:
    """The lines of block ``el`` (not its child blocks), each a list of tokens."""
    for c in el.children:
        if isinstance(c, list):
            yield c


def line_of(el: rpplib.Element, key: str) -> list[str] | None:
    """The first line of ``el`` whose first token is ``key`` (None: there is none)."""
    for line in lines_of(el):
        if line and line[0] == key:
            return line
    return None


def number_at(line: list[str] | None, i: int, default: float, where: str) -> float:
    """Token ``i`` of ``line`` as a finite number (REAPER's ``-1:U`` style suffixes dropped);
    ``default`` when the line or the token is absent; FormatError naming ``where`` else."""
    if line is None or len(line) <= i:
        return default
    try:
        v = float(line[i].split(":")[0])
    except ValueError:
        raise FormatError(f"{where}: {line[0]} field {i} {line[i]!r} is not a number") from None
    if not math.isfinite(v):
        raise FormatError(f"{where}: {line[0]} field {i} is not finite")
    return v


__all__ = ["check_blocks", "line_of", "lines_of", "number_at"]
