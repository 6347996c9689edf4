"""The only code that reads or writes project documents.

``Project`` is the API: create/open a project folder, read its album and songs, change them
in undoable, journaled transactions, import media, undo/redo, snapshots::

    project = Project.open(root)                   # FormatError / ValidationError name the file
    ref = project.import_media(Path("take.wav"))   # media/<sha256>…, source only read
    with project.transaction("add vocal") as tx:   # write lock, one undo step, all or nothing
        song = tx.song("first-song")
        tx.put_song(edit.add_clip(song, "Vox", Clip("c9", ref, 0, 0, ref.frames)))
    project.undo()                                 # works in a new process too
    path = project.media_path(ref)                 # absolute path for readers of the audio

Inside a transaction read through ``tx`` (it sees the pending changes); ``project.song``
shows the state as of the last load or commit. Opening a project written by another process
meanwhile is safe without the lock (documents are read as the journal says they will be).
"""

from producer.storage.codec import from_dict, to_dict
from producer.storage.history import HistoryEntry, Step
from producer.storage.migrations import FORMAT_VERSION
from producer.storage.project import Project, Restored, Transaction

__all__ = [
    "FORMAT_VERSION",
    "HistoryEntry",
    "Project",
    "Restored",
    "Step",
    "Transaction",
    "from_dict",
    "to_dict",
]
