"""Use cases of tracking: record, recover, devices, latency, takes, comps, review.

One module per concern:

* :mod:`.captures` — captures in ``.producer/recordings/`` saved as take lanes, at the end of a
  recording or on the next tracking command (``recover``); never lost;
* :mod:`.latency` — this machine's round trip, measured or set, kept in ``.producer/tracking.json``;
* :mod:`.record` — ``producer record``: the options, the capture plan, the monitor mix and click,
  the input stream, the devices;
* :mod:`.takes` — a track's takes: list, select, rename, remove, comp, import, what it plays;
* :mod:`.review` — take review: pitch, timing and levels against the grid and the MIDI guide.
"""

from producer.workflows.tracking.captures import (
    RECORDINGS_DIR,
    SavedTake,
    recover,
    save_capture,
    saved_captures,
)
from producer.workflows.tracking.latency import (
    configured_latency_frames,
    latency_measure,
    set_latency,
)
from producer.workflows.tracking.record import (
    RecordOptions,
    RecordReport,
    devices,
    plan_capture,
    record_song,
)
from producer.workflows.tracking.review import take_review
from producer.workflows.tracking.takes import (
    TakeInfo,
    media_loader,
    render_track_takes,
    take_comp,
    take_import,
    take_list,
    take_remove,
    take_rename,
    take_select,
)

__all__ = [
    "RECORDINGS_DIR",
    "RecordOptions",
    "RecordReport",
    "SavedTake",
    "TakeInfo",
    "configured_latency_frames",
    "devices",
    "latency_measure",
    "media_loader",
    "plan_capture",
    "record_song",
    "recover",
    "render_track_takes",
    "save_capture",
    "saved_captures",
    "set_latency",
    "take_comp",
    "take_import",
    "take_list",
    "take_remove",
    "take_rename",
    "take_review",
    "take_select",
]
