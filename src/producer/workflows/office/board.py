"""The album board (``producer status``): each song's stage and what blocks it, the budget,
the next booking.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from producer.office import status as st
from producer.storage import Project
from producer.workflows.office.album_credits import song_facts
from producer.workflows.office.conventions import now_in


def status(root: Path, now: datetime | None = None) -> st.Board:
    project = Project.open(root)
    when = now or now_in(project.album.timezone)
    facts = song_facts(project)
    board = st.board(project.songs(), project.office, facts.songs, when, project.album.currency)
    return replace(board, notes=facts.notes)


__all__ = ["status"]
