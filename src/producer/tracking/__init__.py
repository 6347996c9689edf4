"""Tracking: crash-safe recording, takes and comps, latency, and take review (coaching).

* :mod:`~producer.tracking.streams` — the input-stream interface, PortAudio devices
  (sounddevice) and file/array sources;
* :mod:`~producer.tracking.capture` — audio to disk as it arrives, recoverable after SIGKILL;
* :mod:`~producer.tracking.session` — the record loop (plain, punch, loop) and cutting a
  capture into takes, latency compensated;
* :mod:`~producer.tracking.takes` — take lanes and comps on the model (pure; the engine
  renders them: ``producer.engine.render_clip_sum``);
* :mod:`~producer.tracking.latency` — round-trip latency by impulse and cross-correlation;
* :mod:`~producer.tracking.review` — per-note pitch (pYIN) and timing, levels, clipping.
"""

from producer.tracking.capture import (
    CaptureMeta,
    CaptureWriter,
    TrackInput,
    interrupted_captures,
    read_capture,
)
from producer.tracking.latency import LatencyMeasurement, measure_latency
from producer.tracking.review import GuideNote, NoteReview, TakeReview, plot_review, review_take
from producer.tracking.session import RecordResult, TakeAudio, cut_takes, record
from producer.tracking.streams import (
    ArraySourceStream,
    Device,
    DeviceLostError,
    DeviceStream,
    FileSourceStream,
    InputStream,
    list_devices,
)
from producer.tracking.takes import (
    add_take,
    build_comp,
    parse_comp_spec,
    punch_into_comp,
    remove_take,
    rename_take,
    select_take,
    song_end_frame,
)

__all__ = [
    "ArraySourceStream",
    "CaptureMeta",
    "CaptureWriter",
    "Device",
    "DeviceLostError",
    "DeviceStream",
    "FileSourceStream",
    "GuideNote",
    "InputStream",
    "LatencyMeasurement",
    "NoteReview",
    "RecordResult",
    "TakeAudio",
    "TakeReview",
    "TrackInput",
    "add_take",
    "build_comp",
    "cut_takes",
    "interrupted_captures",
    "list_devices",
    "measure_latency",
    "parse_comp_spec",
    "plot_review",
    "punch_into_comp",
    "read_capture",
    "record",
    "remove_take",
    "rename_take",
    "review_take",
    "select_take",
    "song_end_frame",
]
