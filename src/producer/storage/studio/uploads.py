"""The uploads' and the activity log's queries."""

from __future__ import annotations

import time

from sqlalchemy import select

from producer.errors import NotFoundError
from producer.model.studio import Activity, Upload
from producer.storage.studio.records import as_upload
from producer.storage.studio.tables import ActivityRow, UploadRow
from producer.storage.studio.transactions import TransactionalStore


class UploadStore(TransactionalStore):
    """Files the artist or the team uploaded, and the log of who did what."""

    # ------------------------------------------------------------ uploads

    def add_upload(
        self,
        song: str,
        kind: str,
        name: str,
        media_path: str,
        sha256: str,
        duration_s: float,
        integrated_lufs: float,
        true_peak_dbtp: float,
        peaks_json: str,
        created_by: str,
        track: str = "",
    ) -> Upload:
        with self._write() as s:
            row = UploadRow(
                song=song,
                kind=kind,
                name=name,
                media_path=media_path,
                sha256=sha256,
                duration_s=duration_s,
                integrated_lufs=integrated_lufs,
                true_peak_dbtp=true_peak_dbtp,
                peaks=peaks_json,
                track=track,
                created_at=time.time(),
                created_by=created_by,
            )
            s.add(row)
            s.flush()
            return as_upload(row)

    def uploads(self, song: str) -> list[Upload]:
        with self._read() as s:
            rows = s.scalars(select(UploadRow).where(UploadRow.song == song).order_by(UploadRow.id))
            return [as_upload(r) for r in rows]

    def upload(self, upload_id: int) -> Upload:
        with self._read() as s:
            row = s.get(UploadRow, upload_id)
            if row is None:
                raise NotFoundError(f"no upload {upload_id}")
            return as_upload(row)

    def upload_peaks(self, upload_id: int) -> str:
        with self._read() as s:
            peaks = s.scalars(select(UploadRow.peaks).where(UploadRow.id == upload_id)).first()
            if peaks is None:
                raise NotFoundError(f"no upload {upload_id}")
            return peaks

    # ------------------------------------------------------------ activity

    def log(self, who: str, what: str, song: str = "") -> None:
        with self._write() as s:
            s.add(ActivityRow(at=time.time(), who=who, what=what, song=song))

    def activity(self, limit: int = 20) -> list[Activity]:
        with self._read() as s:
            rows = s.scalars(select(ActivityRow).order_by(ActivityRow.id.desc()).limit(limit))
            return [Activity(r.at, r.who, r.what, r.song) for r in rows]


__all__ = ["UploadStore"]
