"""This machine's round-trip latency, per sample rate: measured through a loopback or set.

Device settings that belong to this machine, not to the song (the measured round-trip
latency), are kept in ``.producer/tracking.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from producer.errors import UserError
from producer.model import ranges
from producer.storage import Project
from producer.tracking.latency import LatencyMeasurement, measure_latency
from producer.tracking.streams import DeviceStream, InputStream

SETTINGS_FILE = ".producer/tracking.json"


def _settings(root: Path) -> dict[str, Any]:
    p = Path(root) / SETTINGS_FILE
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{p}: unreadable ({exc})") from None
    return data if isinstance(data, dict) else {}


def _save_settings(root: Path, data: dict[str, Any]) -> None:
    p = Path(root) / SETTINGS_FILE
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(p)


def configured_latency_frames(root: Path, sample_rate: int) -> int:
    """The round trip measured (or set) for this machine at ``sample_rate``; 0 when never."""
    value = _settings(root).get("latency_frames", {}).get(str(sample_rate), 0)
    return int(value)


def set_latency(root: Path, sample_rate: int, latency_frames: int) -> None:
    data = _settings(root)
    data.setdefault("latency_frames", {})[str(sample_rate)] = int(latency_frames)
    _save_settings(root, data)


def latency_measure(
    root: Path,
    *,
    sample_rate: int | None = None,
    input_device: str | None = None,
    output_device: str | None = None,
    save: bool = True,
    stream: InputStream | None = None,
) -> LatencyMeasurement:
    """Measure the round trip through a loopback and remember it for this project."""
    project = Project.open(root)
    rate = sample_rate or project.album.sample_rate
    ranges.check_sample_rate(rate, "--rate")
    if stream is None:
        stream = DeviceStream(
            rate, 1, input_device=input_device, output_device=output_device, output_channels=1
        )
    m = measure_latency(stream)
    if save:
        set_latency(root, rate, m.latency_frames)
    return m
